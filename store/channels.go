package store

import (
	"context"
	"math"
	"time"
)

// Channel kinds.
const (
	KindVideo   = "video"
	KindPodcast = "podcast"
)

// Channel is a video or podcast channel, local (with an owner) or remote.
type Channel struct {
	ID             int64
	ActorID        int64
	Handle         string
	Domain         string // "" for local channels
	OwnerID        int64  // 0 for remote channels
	OwnerUsername  string
	Kind           string
	Title          string
	Description    string
	Language       string
	Category       string
	Explicit       bool
	AvatarKey      string
	BannerKey      string
	CommentsPolicy string
	// Podcast feed settings.
	PodcastGUID string // "" : derived from the feed URL
	FeedType    string // episodic or serial
	Locked      bool   // podcast:locked
	FundingURL  string
	FundingText string
	License     string
	UpdatedAt   time.Time
	CreatedAt   time.Time
}

// NewChannel holds what creating a local channel needs; the handle must be
// validated and lower-cased.
type NewChannel struct {
	OwnerID     int64
	Kind        string
	Handle      string
	Title       string
	Description string
	Language    string
	Category    string
	Explicit    bool
	// The Group actor's key pair; empty: made when first needed.
	PrivateKeyPEM, PublicKeyPEM string
}

const channelSelect = `SELECT c.id, c.actor_id, a.username, a.domain, COALESCE(c.owner_id, 0), COALESCE(u.username, ''),
	c.kind, c.title, c.description, c.language, c.category, c.explicit, c.avatar_key, c.banner_key,
	c.comments_policy, c.podcast_guid, c.feed_type, c.locked, c.funding_url, c.funding_text, c.license,
	c.updated_at, c.created_at
	FROM channels c JOIN actors a ON a.id = c.actor_id LEFT JOIN users u ON u.id = c.owner_id `

func scanChannel(row rowScanner) (*Channel, error) {
	var c Channel
	err := row.Scan(&c.ID, &c.ActorID, &c.Handle, &c.Domain, &c.OwnerID, &c.OwnerUsername,
		&c.Kind, &c.Title, &c.Description, &c.Language, &c.Category, &c.Explicit, &c.AvatarKey, &c.BannerKey,
		&c.CommentsPolicy, &c.PodcastGUID, &c.FeedType, &c.Locked, &c.FundingURL, &c.FundingText, &c.License,
		&c.UpdatedAt, &c.CreatedAt)
	if err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// CreateChannel creates a local channel and its Group actor. ErrConflict
// means the handle is taken by a user or a channel; ErrNotFound that the
// owner does not exist.
func (s *Store) CreateChannel(ctx context.Context, nc NewChannel) (*Channel, error) {
	var id int64
	err := s.InTx(ctx, func(tx *Tx) (err error) {
		id, err = tx.createChannel(ctx, nc)
		return err
	})
	if err != nil {
		return nil, err
	}
	return scanChannel(s.q.QueryRowContext(ctx, channelSelect+`WHERE c.id = $1`, id))
}

// createChannel is CreateChannel inside tx; it returns the channel's id.
func (tx *Tx) createChannel(ctx context.Context, nc NewChannel) (int64, error) {
	var owner int64
	if err := tx.q.QueryRowContext(ctx, `SELECT id FROM users WHERE id = $1`, nc.OwnerID).Scan(&owner); err != nil {
		return 0, notFound(err)
	}
	now := tx.s.utcNow()
	actorID, err := tx.insertLocalActor(ctx, "Group", nc.Handle, nc.Title, now, nc.PrivateKeyPEM, nc.PublicKeyPEM)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.q.QueryRowContext(ctx, `INSERT INTO channels (actor_id, owner_id, kind, title, description, language, category, explicit, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
		actorID, nc.OwnerID, nc.Kind, nc.Title, nc.Description, nc.Language, nc.Category, nc.Explicit, now).Scan(&id)
	return id, err
}

// LocalChannel finds a local channel by handle.
func (s *Store) LocalChannel(ctx context.Context, handle string) (*Channel, error) {
	return scanChannel(s.q.QueryRowContext(ctx, channelSelect+`WHERE a.domain = '' AND a.username = $1`, handle))
}

// ChannelByID finds a channel, local or remote.
func (s *Store) ChannelByID(ctx context.Context, id int64) (*Channel, error) {
	return scanChannel(s.q.QueryRowContext(ctx, channelSelect+`WHERE c.id = $1`, id))
}

// ChannelFilter selects channels for ListChannels.
type ChannelFilter struct {
	OwnerID   int64 // 0: any owner
	LocalOnly bool
	Limit     int // 0: no limit
}

// ListChannels returns channels, newest first.
func (s *Store) ListChannels(ctx context.Context, f ChannelFilter) ([]*Channel, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = math.MaxInt32
	}
	return queryAll(ctx, s.q, scanChannel, channelSelect+`
		WHERE ($1 = 0 OR c.owner_id = $1) AND (NOT $2 OR a.domain = '')
		ORDER BY c.created_at DESC, c.id DESC
		LIMIT $3`, f.OwnerID, f.LocalOnly, limit)
}

// OwnerActorOfChannelActor returns the Person actor id of the owner of the
// local channel whose Group actor is channelActorID.
func (s *Store) OwnerActorOfChannelActor(ctx context.Context, channelActorID int64) (int64, error) {
	var id int64
	err := s.q.QueryRowContext(ctx, `SELECT u.actor_id FROM channels c JOIN users u ON u.id = c.owner_id WHERE c.actor_id = $1`,
		channelActorID).Scan(&id)
	return id, notFound(err)
}

// ChannelFeedSettings is what a channel's feed says of the show.
type ChannelFeedSettings struct {
	Category    string // "Name" or "Name > Sub", from Apple's list
	Language    string
	Explicit    bool
	FeedType    string // episodic or serial
	Locked      bool
	PodcastGUID string
	FundingURL  string
	FundingText string
	License     string
}

// SetChannelFeed saves a channel's feed settings.
func (s *Store) SetChannelFeed(ctx context.Context, channelID int64, f ChannelFeedSettings) error {
	return s.execOne(ctx, `UPDATE channels SET category = $1, language = $2, explicit = $3, feed_type = $4, locked = $5,
		podcast_guid = $6, funding_url = $7, funding_text = $8, license = $9, updated_at = $10 WHERE id = $11`,
		f.Category, f.Language, f.Explicit, f.FeedType, f.Locked, f.PodcastGUID, f.FundingURL, f.FundingText, f.License,
		s.utcNow(), channelID)
}

// SetChannelArtwork makes key (a stored JPEG or PNG) the channel's
// picture and podcast artwork; it returns the key it replaced ("" for
// none), for the caller to delete once committed.
func (s *Store) SetChannelArtwork(ctx context.Context, channelID int64, key string) (old string, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := tx.q.QueryRowContext(ctx, `SELECT avatar_key FROM channels WHERE id = $1`, channelID).Scan(&old); err != nil {
			return notFound(err)
		}
		return execOne(ctx, tx.q, `UPDATE channels SET avatar_key = $1, updated_at = $2 WHERE id = $3`, key, tx.s.utcNow(), channelID)
	})
	return old, err
}

// IsChannelArtwork tells whether key is the picture of a channel.
func (s *Store) IsChannelArtwork(ctx context.Context, key string) (bool, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM channels WHERE avatar_key = $1`, key).Scan(&n)
	return n > 0, err
}

// ChannelStats is what a channel's audience did: likes and boosts of its
// items, and the comments on them (visible, and waiting for approval).
type ChannelStats struct {
	Items, Likes, Boosts, Comments, Held int
}

// ChannelStatsOf counts a channel's reactions and comments over all its items.
func (s *Store) ChannelStatsOf(ctx context.Context, channelID int64) (ChannelStats, error) {
	var st ChannelStats
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(i.like_count), 0), COALESCE(SUM(i.share_count), 0),
			(SELECT COUNT(*) FROM comments c JOIN items ci ON ci.id = c.item_id WHERE ci.channel_id = $1 AND c.state = 'visible'),
			(SELECT COUNT(*) FROM comments c JOIN items ci ON ci.id = c.item_id WHERE ci.channel_id = $1 AND c.state = 'held')
		FROM items i WHERE i.channel_id = $1`, channelID).Scan(&st.Items, &st.Likes, &st.Boosts, &st.Comments, &st.Held)
	return st, err
}

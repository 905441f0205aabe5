package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Review states of items.
const (
	ReviewAccepted = "accepted"
	ReviewPending  = "pending"
	ReviewRejected = "rejected"
)

// FollowSettings are what a curator decides about a follow: whether its
// items wait for review, and which items it lets in at all.
type FollowSettings struct {
	Review         bool     // items wait for a curator; false: accepted at once
	Languages      []string // "": any
	Tags           []string // lower case, without '#'; none: any
	AllowSensitive bool
	MinDuration    time.Duration
	// ListMode is what to do with the target's curation list (when it is
	// a hub): off, review (changes become proposals) or auto (applied).
	ListMode string
	// Mirror keeps a copy of accepted items' media here, stored and
	// seeded like local files.
	Mirror bool
}

// List modes of a follow.
const (
	ListOff    = "off"
	ListReview = "review"
	ListAuto   = "auto"
)

// CuratedFollow is one of the hub's follows of a remote actor.
type CuratedFollow struct {
	FollowID  int64
	Target    string // as the curator gave it
	State     string // pending, accepted, rejected
	Actor     *Actor // the followed actor
	Settings  FollowSettings
	CreatedBy string // username; "" when unknown
	CreatedAt time.Time
}

func joinList(l []string) string { return strings.Join(l, ",") }

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// PutCuratedFollow records that follower (the instance actor) asked to
// follow target with the Follow activityURI, and the curator's settings;
// asking again updates both and keeps an accepted follow accepted.
func (tx *Tx) PutCuratedFollow(ctx context.Context, followerID, targetID int64, activityURI, input string, set FollowSettings, userID int64) (int64, error) {
	now := tx.s.utcNow()
	var id int64
	err := tx.q.QueryRowContext(ctx, `INSERT INTO follows (follower_actor_id, target_actor_id, state, activity_uri, created_at, updated_at)
		VALUES ($1, $2, 'pending', $3, $4, $4)
		ON CONFLICT (follower_actor_id, target_actor_id) DO UPDATE SET activity_uri = excluded.activity_uri,
			state = CASE WHEN follows.state = 'accepted' THEN 'accepted' ELSE 'pending' END, updated_at = excluded.updated_at
		RETURNING id`, followerID, targetID, activityURI, now).Scan(&id)
	if err != nil {
		return 0, err
	}
	var by any
	if userID > 0 {
		by = userID
	}
	mode := set.ListMode
	if mode == "" {
		mode = ListOff
	}
	_, err = tx.q.ExecContext(ctx, `INSERT INTO curated_follows (follow_id, target, review, languages, tags, allow_sensitive,
			min_duration_ms, created_by, created_at, list_mode, mirror)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (follow_id) DO UPDATE SET target = excluded.target, review = excluded.review, languages = excluded.languages,
			tags = excluded.tags, allow_sensitive = excluded.allow_sensitive, min_duration_ms = excluded.min_duration_ms,
			list_mode = excluded.list_mode, mirror = excluded.mirror`,
		id, input, set.Review, joinList(set.Languages), joinList(set.Tags), set.AllowSensitive, set.MinDuration.Milliseconds(), by, now, mode,
		set.Mirror)
	return id, err
}

const curatedSelect = `SELECT f.id, cf.target, f.state, cf.review, cf.languages, cf.tags, cf.allow_sensitive, cf.min_duration_ms,
	cf.list_mode, cf.mirror, COALESCE(u.username, ''), cf.created_at, ` + actorColumns + `
	FROM curated_follows cf JOIN follows f ON f.id = cf.follow_id JOIN actors a ON a.id = f.target_actor_id
	LEFT JOIN users u ON u.id = cf.created_by `

func scanCuratedFollow(row rowScanner) (*CuratedFollow, error) {
	var c CuratedFollow
	var a Actor
	var langs, tags string
	var ms int64
	var fetched sql.NullTime
	err := row.Scan(&c.FollowID, &c.Target, &c.State, &c.Settings.Review, &langs, &tags, &c.Settings.AllowSensitive, &ms,
		&c.Settings.ListMode, &c.Settings.Mirror, &c.CreatedBy, &c.CreatedAt,
		&a.ID, &a.Kind, &a.Username, &a.Domain, &a.URI, &a.URL, &a.DisplayName, &a.Summary,
		&a.Inbox, &a.Outbox, &a.Followers, &a.Following, &a.SharedInbox, &a.Icon, &a.Image,
		&a.KeyID, &a.PublicKeyPEM, &a.PrivateKeyPEM, &a.ManuallyApproves, &fetched, &a.CreatedAt)
	if err != nil {
		return nil, notFound(err)
	}
	a.FetchedAt = nullTime(fetched)
	c.Actor = &a
	c.Settings.Languages, c.Settings.Tags = splitList(langs), splitList(tags)
	c.Settings.MinDuration = time.Duration(ms) * time.Millisecond
	return &c, nil
}

// CuratedFollows lists the hub's follows, newest first.
func (s *Store) CuratedFollows(ctx context.Context) ([]*CuratedFollow, error) {
	return queryAll(ctx, s.q, scanCuratedFollow, curatedSelect+`ORDER BY cf.created_at DESC, f.id DESC`)
}

// CuratedFollowOf finds the hub's follow of an actor.
func (s *Store) CuratedFollowOf(ctx context.Context, targetActorID int64) (*CuratedFollow, error) {
	return scanCuratedFollow(s.q.QueryRowContext(ctx, curatedSelect+`WHERE f.target_actor_id = $1`, targetActorID))
}

// AcceptedCuratedFollows are the hub's follows that their targets
// accepted: the actors whose items the hub indexes.
func (s *Store) AcceptedCuratedFollows(ctx context.Context) ([]*CuratedFollow, error) {
	return queryAll(ctx, s.q, scanCuratedFollow, curatedSelect+`WHERE f.state = 'accepted' ORDER BY f.id`)
}

// IndexedItem is a remote item as a followed actor brought it.
type IndexedItem struct {
	RemoteItem
	Language    string
	Sensitive   bool
	Tags        []string
	Files       []MediaFile // remote_url set; thumbnails too
	ViaActorID  int64
	ReviewState string // for a new item; an update keeps the item's state
}

// IndexRemoteItem records or updates a remote item with its files. A new
// item takes in.ReviewState; an update keeps the review decision. It
// returns the item and whether it was new.
func (s *Store) IndexRemoteItem(ctx context.Context, in IndexedItem) (*Item, bool, error) {
	var out *Item
	created := false
	err := s.InTx(ctx, func(tx *Tx) error {
		now := tx.s.utcNow()
		channelID, err := tx.remoteChannel(ctx, in.ChannelActorID, in.Kind, now)
		if err != nil {
			return err
		}
		var id int64
		err = tx.q.QueryRowContext(ctx, `SELECT id FROM items WHERE origin_uri = $1`, in.OriginURI).Scan(&id)
		switch {
		case err == sql.ErrNoRows:
			created = true
			var via any
			if in.ViaActorID > 0 {
				via = in.ViaActorID
			}
			err = tx.q.QueryRowContext(ctx, `INSERT INTO items (public_id, channel_id, kind, state, title, description, language,
					sensitive, duration_ms, origin_uri, origin_url, review_state, via_actor_id, published_at, created_at, updated_at)
				VALUES ($1, $2, $3, 'published', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id`,
				NewPublicID(), channelID, in.Kind, in.Title, in.Description, in.Language, in.Sensitive, in.Duration.Milliseconds(),
				in.OriginURI, in.OriginURL, in.ReviewState, via, in.PublishedAt.UTC(), now).Scan(&id)
		case err == nil:
			_, err = tx.q.ExecContext(ctx, `UPDATE items SET title = $1, description = $2, language = $3, sensitive = $4,
					duration_ms = $5, origin_url = $6, updated_at = $7 WHERE id = $8`,
				in.Title, in.Description, in.Language, in.Sensitive, in.Duration.Milliseconds(), in.OriginURL, now, id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM media_files WHERE item_id = $1 AND storage_key = ''`, id); err != nil {
			return err
		}
		for _, f := range in.Files {
			if err := tx.insertMediaFile(ctx, id, f, now); err != nil {
				return err
			}
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM item_tags WHERE item_id = $1`, id); err != nil {
			return err
		}
		for _, t := range in.Tags {
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO item_tags (item_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, t); err != nil {
				return err
			}
		}
		out, err = scanItem(tx.q.QueryRowContext(ctx, itemSelect+`WHERE i.id = $1`, id))
		return err
	})
	return out, created, err
}

// ReviewQueue lists remote items waiting for a curator, oldest first.
func (s *Store) ReviewQueue(ctx context.Context, limit, offset int) ([]*Item, error) {
	return queryAll(ctx, s.q, scanItem, itemSelect+`WHERE i.review_state = 'pending'
		ORDER BY i.created_at, i.id LIMIT $1 OFFSET $2`, limit, offset)
}

// CountReviewQueue counts the items waiting for review.
func (s *Store) CountReviewQueue(ctx context.Context) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM items WHERE review_state = 'pending'`).Scan(&n)
	return n, err
}

// ReviewDecision is one logged decision.
type ReviewDecision struct {
	ItemID    int64 // 0: the item is gone
	ItemURI   string
	Title     string
	Decision  string
	DecidedBy string
	DecidedAt time.Time
}

// DecideReview accepts or rejects pending items, logging who decided; it
// returns the items it changed (items already decided are left alone).
func (s *Store) DecideReview(ctx context.Context, itemIDs []int64, decision string, userID int64, decidedBy string) ([]*Item, error) {
	var changed []*Item
	err := s.InTx(ctx, func(tx *Tx) error {
		now := tx.s.utcNow()
		var user any
		if userID > 0 {
			user = userID
		}
		for _, id := range itemIDs {
			it, err := scanItem(tx.q.QueryRowContext(ctx, itemSelect+`WHERE i.id = $1 AND i.review_state = 'pending'`, id))
			if err == ErrNotFound {
				continue
			}
			if err != nil {
				return err
			}
			if _, err := tx.q.ExecContext(ctx, `UPDATE items SET review_state = $1, updated_at = $2 WHERE id = $3`, decision, now, id); err != nil {
				return err
			}
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO review_decisions (item_id, item_uri, title, decision, user_id, decided_by, decided_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, it.OriginURI, it.Title, decision, user, decidedBy, now); err != nil {
				return err
			}
			it.ReviewState = decision
			changed = append(changed, it)
		}
		return nil
	})
	return changed, err
}

// LogReviewDecision records a decision made without a curator (an item
// accepted by its follow's settings).
func (s *Store) LogReviewDecision(ctx context.Context, it *Item, decision, decidedBy string) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO review_decisions (item_id, item_uri, title, decision, decided_by, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, it.ID, it.OriginURI, it.Title, decision, decidedBy, s.utcNow())
	return err
}

// ReviewDecisions lists the latest decisions, newest first.
func (s *Store) ReviewDecisions(ctx context.Context, limit int) ([]ReviewDecision, error) {
	return queryAll(ctx, s.q, func(row rowScanner) (ReviewDecision, error) {
		var d ReviewDecision
		err := row.Scan(&d.ItemID, &d.ItemURI, &d.Title, &d.Decision, &d.DecidedBy, &d.DecidedAt)
		return d, err
	}, `SELECT COALESCE(item_id, 0), item_uri, title, decision, decided_by, decided_at FROM review_decisions
		ORDER BY decided_at DESC, id DESC LIMIT $1`, limit)
}

// RecentItems lists published items that may be shown to everyone: local
// ones and accepted remote ones, except those of muted, limited and
// blocked instances and actors (listedItem), newest first.
func (s *Store) RecentItems(ctx context.Context, limit, offset int) ([]*Item, error) {
	return queryAll(ctx, s.q, scanItem, itemSelect+`WHERE `+listedItem+`
		ORDER BY COALESCE(i.published_at, i.created_at) DESC, i.id DESC LIMIT $1 OFFSET $2`, limit, offset)
}

// DeleteRemoteItem removes a remote item (its origin deleted it).
func (s *Store) DeleteRemoteItem(ctx context.Context, originURI string) (bool, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM items WHERE origin_uri = $1`, originURI)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// DeleteFollow removes follower's follow of target (with its settings).
func (tx *Tx) DeleteFollow(ctx context.Context, followerID, targetID int64) error {
	_, err := tx.q.ExecContext(ctx, `DELETE FROM follows WHERE follower_actor_id = $1 AND target_actor_id = $2`, followerID, targetID)
	return err
}

// remoteChannel is the channel of a remote actor, made on first use (a
// podcast for an episode, else a video channel).
func (tx *Tx) remoteChannel(ctx context.Context, actorID int64, itemKind string, now time.Time) (int64, error) {
	kind := KindVideo
	if itemKind == ItemEpisode {
		kind = KindPodcast
	}
	var id int64
	err := tx.q.QueryRowContext(ctx, `SELECT id FROM channels WHERE actor_id = $1`, actorID).Scan(&id)
	if err == sql.ErrNoRows {
		err = tx.q.QueryRowContext(ctx, `INSERT INTO channels (actor_id, kind, title, created_at, updated_at)
			SELECT id, $2, CASE WHEN display_name <> '' THEN display_name ELSE username END, $3, $3 FROM actors WHERE id = $1
			RETURNING id`, actorID, kind, now).Scan(&id)
	}
	return id, notFound(err)
}

// MirrorWanted tells whether the follow that brought an item asks for
// mirrors of its media.
func (s *Store) MirrorWanted(ctx context.Context, itemID int64) (bool, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM items i
		JOIN follows f ON f.target_actor_id = i.via_actor_id JOIN curated_follows cf ON cf.follow_id = f.id
		WHERE i.id = $1 AND cf.mirror`, itemID).Scan(&n)
	return n > 0, err
}

// SetMirroredFile records that a remote file now has a copy stored at
// key (with its torrent); it keeps its remote URL.
func (s *Store) SetMirroredFile(ctx context.Context, f *MediaFile, key string, size int64, sha string, t *Torrent) error {
	return s.InTx(ctx, func(tx *Tx) error {
		now := tx.s.utcNow()
		if err := execOne(ctx, tx.q, `UPDATE media_files SET storage_key = $1, size_bytes = $2, sha256 = $3 WHERE id = $4 AND storage_key = ''`,
			key, size, sha, f.ID); err != nil {
			return err
		}
		if t != nil {
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO torrents (media_file_id, item_id, info_hash, piece_length, info, created_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (media_file_id) DO NOTHING`, f.ID, f.ItemID, t.InfoHash, t.PieceLength, t.Info, now); err != nil {
				return err
			}
		}
		return execOne(ctx, tx.q, `UPDATE items SET updated_at = $1 WHERE id = $2`, now, f.ItemID)
	})
}

// SetActorListing mutes or limits a remote actor ("mute", "limit"), or
// lifts it ("none").
func (s *Store) SetActorListing(ctx context.Context, actorID int64, listing string) error {
	switch listing {
	case PolicyNone, PolicyMute, PolicyLimit:
	default:
		return fmt.Errorf("actor listing %q: want none, mute or limit", listing)
	}
	return execOne(ctx, s.q, `UPDATE actors SET listing = $1 WHERE id = $2 AND domain <> ''`, listing, actorID)
}

// ActorLimited tells whether any of these remote actors is limited.
func (s *Store) ActorLimited(ctx context.Context, uris ...string) (bool, error) {
	for _, u := range uris {
		var n int
		if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM actors WHERE uri = $1 AND listing = 'limit'`, u).Scan(&n); err != nil {
			return false, err
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

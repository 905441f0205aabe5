package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"time"
)

// Item kinds and states.
const (
	ItemVideo   = "video"
	ItemEpisode = "episode"

	StateDraft      = "draft"
	StateProcessing = "processing"
	StatePublished  = "published"
	StateFailed     = "failed"
)

// Item is a video or an episode, local or remote.
type Item struct {
	ID               int64
	PublicID         string
	ChannelID        int64
	ChannelHandle    string
	ChannelTitle     string
	OwnerID          int64
	Kind             string
	State            string
	Title            string
	Description      string
	Language         string
	Licence          string
	Sensitive        bool
	Duration         time.Duration
	CommentsPolicy   string
	OriginURI        string
	PublishWhenReady bool
	Progress         int
	ErrorTail        string
	JobID            int64
	SourceName       string
	Season           int    // 0: none
	Episode          int    // 0: none
	EpisodeType      string // full, trailer or bonus
	Chapters         string // JSON chapters, "" for none
	FeedGUID         string // the <guid> it had in the feed it was imported from
	ReviewState      string // accepted (local items, reviewed remote ones), pending or rejected
	OriginURL        string // a remote item's page at its origin
	PublishedAt      *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// MediaFile is one stored or remote file of an item.
type MediaFile struct {
	ID         int64
	ItemID     int64
	Rendition  string
	MimeType   string
	Size       int64
	SHA256     string
	StorageKey string
	RemoteURL  string
	Width      int
	Height     int
	FPS        int
	Bitrate    int64
	// TorrentURL and MagnetURI are a remote file's P2P links, as its
	// origin gave them (a local file's torrent is in Torrent's table).
	TorrentURL string
	MagnetURI  string
	CreatedAt  time.Time
	// Torrent, when set on a file being recorded, is recorded with it
	// (InfoHash, PieceLength and Info). Never filled when reading.
	Torrent *Torrent
}

const itemSelect = `SELECT i.id, i.public_id, i.channel_id, a.username, c.title, COALESCE(c.owner_id, 0),
	i.kind, i.state, i.title, i.description, i.language, i.licence, i.sensitive, i.duration_ms,
	i.comments_policy, COALESCE(i.origin_uri, ''), i.publish_when_ready, i.progress, i.error_tail, i.job_id,
	i.source_name, i.season, i.episode, i.episode_type, i.chapters, i.feed_guid, i.review_state, COALESCE(i.origin_url, ''),
	i.published_at, i.created_at, i.updated_at
	FROM items i JOIN channels c ON c.id = i.channel_id JOIN actors a ON a.id = c.actor_id `

func scanItem(row rowScanner) (*Item, error) {
	var it Item
	var ms int64
	var pub sql.NullTime
	err := row.Scan(&it.ID, &it.PublicID, &it.ChannelID, &it.ChannelHandle, &it.ChannelTitle, &it.OwnerID,
		&it.Kind, &it.State, &it.Title, &it.Description, &it.Language, &it.Licence, &it.Sensitive, &ms,
		&it.CommentsPolicy, &it.OriginURI, &it.PublishWhenReady, &it.Progress, &it.ErrorTail, &it.JobID,
		&it.SourceName, &it.Season, &it.Episode, &it.EpisodeType, &it.Chapters, &it.FeedGUID, &it.ReviewState, &it.OriginURL,
		&pub, &it.CreatedAt, &it.UpdatedAt)
	if err != nil {
		return nil, notFound(err)
	}
	it.Duration = time.Duration(ms) * time.Millisecond
	if pub.Valid {
		it.PublishedAt = &pub.Time
	}
	return &it, nil
}

// NewItem holds what creating a local item needs.
type NewItem struct {
	PublicID         string // NewPublicID() when empty
	ChannelID        int64
	Kind             string
	Title            string
	Description      string
	Duration         time.Duration
	PublishWhenReady bool
	SourceName       string
}

const publicIDAlphabet = "abcdefghijkmnopqrstuvwxyz23456789"

// NewPublicID returns 12 random characters (about 60 bits) for item URLs.
func NewPublicID() string {
	b := make([]byte, 12)
	rand.Read(b)
	for i := range b {
		b[i] = publicIDAlphabet[int(b[i])%len(publicIDAlphabet)]
	}
	return string(b)
}

// CreateItem inserts a local item in the processing state.
func (tx *Tx) CreateItem(ctx context.Context, ni NewItem) (*Item, error) {
	now := tx.s.utcNow()
	if ni.PublicID == "" {
		ni.PublicID = NewPublicID()
	}
	var id int64
	err := tx.q.QueryRowContext(ctx, `INSERT INTO items (public_id, channel_id, kind, state, title, description, duration_ms,
			publish_when_ready, source_name, created_at, updated_at)
		VALUES ($1, $2, $3, 'processing', $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
		ni.PublicID, ni.ChannelID, ni.Kind, ni.Title, ni.Description, ni.Duration.Milliseconds(),
		ni.PublishWhenReady, ni.SourceName, now).Scan(&id)
	if err != nil {
		return nil, err
	}
	return scanItem(tx.q.QueryRowContext(ctx, itemSelect+`WHERE i.id = $1`, id))
}

// SetItemJob records the job transcoding an item.
func (tx *Tx) SetItemJob(ctx context.Context, itemID, jobID int64) error {
	return execOne(ctx, tx.q, `UPDATE items SET job_id = $1 WHERE id = $2`, jobID, itemID)
}

// ItemByPublicID finds an item by the id in its URL.
func (s *Store) ItemByPublicID(ctx context.Context, publicID string) (*Item, error) {
	return scanItem(s.q.QueryRowContext(ctx, itemSelect+`WHERE i.public_id = $1`, publicID))
}

// ItemByID finds an item by row id.
func (s *Store) ItemByID(ctx context.Context, id int64) (*Item, error) {
	return scanItem(s.q.QueryRowContext(ctx, itemSelect+`WHERE i.id = $1`, id))
}

// ItemFilter selects items for ListItems.
type ItemFilter struct {
	ChannelID     int64 // 0: any
	PublishedOnly bool
	Limit         int
	Offset        int
}

// ListItems returns items, newest first.
func (s *Store) ListItems(ctx context.Context, f ItemFilter) ([]*Item, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	return queryAll(ctx, s.q, scanItem, itemSelect+`
		WHERE ($1 = 0 OR i.channel_id = $1) AND (NOT $2 OR i.state = 'published')
		ORDER BY COALESCE(i.published_at, i.created_at) DESC, i.id DESC LIMIT $3 OFFSET $4`, f.ChannelID, f.PublishedOnly, limit, max(f.Offset, 0))
}

// SetItemProgress records transcoding progress (0–100).
func (s *Store) SetItemProgress(ctx context.Context, itemID int64, pct int) error {
	_, err := s.q.ExecContext(ctx, `UPDATE items SET progress = $1 WHERE id = $2 AND state = 'processing'`, pct, itemID)
	return err
}

// FailItem marks an item failed with the tail of the tool's error output.
func (s *Store) FailItem(ctx context.Context, itemID int64, tail string) error {
	return s.execOne(ctx, `UPDATE items SET state = 'failed', error_tail = $1, updated_at = $2 WHERE id = $3`, tail, s.utcNow(), itemID)
}

// RetryItem puts a failed item back to processing, in tx with its new job.
func (tx *Tx) RetryItem(ctx context.Context, itemID int64) error {
	return execOne(ctx, tx.q, `UPDATE items SET state = 'processing', progress = 0, error_tail = '', updated_at = $1
		WHERE id = $2 AND state = 'failed'`, tx.s.utcNow(), itemID)
}

// PublishItem publishes a draft item; then, when not nil, runs in the same
// transaction (to queue what publishing sets off).
func (s *Store) PublishItem(ctx context.Context, itemID int64, then func(tx *Tx) error) error {
	return s.InTx(ctx, func(tx *Tx) error {
		now := s.utcNow()
		if err := execOne(ctx, tx.q, `UPDATE items SET state = 'published', published_at = COALESCE(published_at, $1), updated_at = $1
			WHERE id = $2 AND state = 'draft'`, now, itemID); err != nil {
			return err
		}
		if then == nil {
			return nil
		}
		return then(tx)
	})
}

// ItemEdit is what a creator may change about an item.
type ItemEdit struct {
	Title       string
	Description string
	Sensitive   bool
	Tags        []string // normalised by the caller
	// CommentsPolicy overrides the channel's: inherit, open, approval or
	// closed; "" keeps the item's.
	CommentsPolicy string
	// Episode, when not nil, replaces the podcast fields.
	Episode *EpisodeFields
}

// EpisodeFields are what a podcast feed says of an episode besides its
// text: its place in the show and its chapters.
type EpisodeFields struct {
	Season, Episode int    // 0: none
	Type            string // full, trailer or bonus
	Chapters        string // JSON chapters, "" for none
}

// UpdateItem changes an item's metadata and tags; then, when not nil, runs
// in the same transaction with the updated item.
func (s *Store) UpdateItem(ctx context.Context, itemID int64, e ItemEdit, then func(tx *Tx, item *Item) error) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if err := execOne(ctx, tx.q, `UPDATE items SET title = $1, description = $2, sensitive = $3,
			comments_policy = CASE WHEN $4 = '' THEN comments_policy ELSE $4 END, updated_at = $5 WHERE id = $6`,
			e.Title, e.Description, e.Sensitive, e.CommentsPolicy, s.utcNow(), itemID); err != nil {
			return err
		}
		if ep := e.Episode; ep != nil {
			if _, err := tx.q.ExecContext(ctx, `UPDATE items SET season = $1, episode = $2, episode_type = $3, chapters = $4 WHERE id = $5`,
				ep.Season, ep.Episode, ep.Type, ep.Chapters, itemID); err != nil {
				return err
			}
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM item_tags WHERE item_id = $1`, itemID); err != nil {
			return err
		}
		for _, t := range e.Tags {
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO item_tags (item_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING`, itemID, t); err != nil {
				return err
			}
		}
		if then == nil {
			return nil
		}
		item, err := scanItem(tx.q.QueryRowContext(ctx, itemSelect+`WHERE i.id = $1`, itemID))
		if err != nil {
			return err
		}
		return then(tx, item)
	})
}

// ItemTags lists an item's tags in order.
func (s *Store) ItemTags(ctx context.Context, itemID int64) ([]string, error) {
	return queryAll(ctx, s.q, scanString, `SELECT tag FROM item_tags WHERE item_id = $1 ORDER BY tag`, itemID)
}

// FinishItem replaces an item's renditions with files (the source row, if
// any, stays) and leaves processing: published if it was asked for, else
// draft. It returns the storage keys of the replaced files, for deletion.
// When the item gets published and published is not nil, it runs in the
// same transaction.
func (s *Store) FinishItem(ctx context.Context, itemID int64, duration time.Duration, files []MediaFile, published func(tx *Tx) error) (old []string, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		var state string
		err := tx.q.QueryRowContext(ctx, `SELECT state FROM items WHERE id = $1`, itemID).Scan(&state)
		if err != nil {
			return notFound(err)
		}
		if state != StateProcessing {
			return ErrNotFound // deleted, retried or finished meanwhile
		}
		// The source and the creator's transcript stay; renditions go.
		old, err = queryAll(ctx, tx.q, scanString, `SELECT storage_key FROM media_files
			WHERE item_id = $1 AND rendition NOT IN ('source', 'transcript') AND storage_key <> ''`, itemID)
		if err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM media_files WHERE item_id = $1 AND rendition NOT IN ('source', 'transcript')`, itemID); err != nil {
			return err
		}
		now := s.utcNow()
		for _, f := range files {
			if err := tx.insertMediaFile(ctx, itemID, f, now); err != nil {
				return err
			}
		}
		_, err = tx.q.ExecContext(ctx, `UPDATE items SET
			state = CASE WHEN publish_when_ready THEN 'published' ELSE 'draft' END,
			published_at = CASE WHEN publish_when_ready THEN COALESCE(published_at, $1) ELSE published_at END,
			progress = 100, error_tail = '', duration_ms = $2, updated_at = $1 WHERE id = $3`, now, duration.Milliseconds(), itemID)
		if err != nil || published == nil {
			return err
		}
		if err := tx.q.QueryRowContext(ctx, `SELECT state FROM items WHERE id = $1`, itemID).Scan(&state); err != nil {
			return err
		}
		if state != StatePublished {
			return nil
		}
		return published(tx)
	})
	return old, err
}

// AddMediaFile records one file of an item (the source, at upload).
func (tx *Tx) AddMediaFile(ctx context.Context, itemID int64, f MediaFile) error {
	return tx.insertMediaFile(ctx, itemID, f, tx.s.utcNow())
}

func (tx *Tx) insertMediaFile(ctx context.Context, itemID int64, f MediaFile, now time.Time) error {
	const insert = `INSERT INTO media_files (item_id, rendition, mime_type, size_bytes, sha256, storage_key, remote_url,
			width, height, fps, bitrate, torrent_url, magnet_uri, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`
	args := []any{itemID, f.Rendition, f.MimeType, f.Size, f.SHA256, f.StorageKey, f.RemoteURL, f.Width, f.Height, f.FPS, f.Bitrate,
		f.TorrentURL, f.MagnetURI, now}
	if f.Torrent == nil {
		_, err := tx.q.ExecContext(ctx, insert, args...)
		return err
	}
	var id int64
	if err := tx.q.QueryRowContext(ctx, insert+` RETURNING id`, args...).Scan(&id); err != nil {
		return err
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO torrents (media_file_id, item_id, info_hash, piece_length, info, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, itemID, f.Torrent.InfoHash, f.Torrent.PieceLength, f.Torrent.Info, now)
	return err
}

const mediaFileColumns = `id, item_id, rendition, mime_type, size_bytes, sha256, storage_key, remote_url, width, height, fps, bitrate, torrent_url, magnet_uri, created_at`

func scanMediaFile(row rowScanner) (*MediaFile, error) {
	var f MediaFile
	err := row.Scan(&f.ID, &f.ItemID, &f.Rendition, &f.MimeType, &f.Size, &f.SHA256, &f.StorageKey, &f.RemoteURL,
		&f.Width, &f.Height, &f.FPS, &f.Bitrate, &f.TorrentURL, &f.MagnetURI, &f.CreatedAt)
	if err != nil {
		return nil, notFound(err)
	}
	return &f, nil
}

// MediaFiles lists an item's files, largest video first.
func (s *Store) MediaFiles(ctx context.Context, itemID int64) ([]*MediaFile, error) {
	return queryAll(ctx, s.q, scanMediaFile, `SELECT `+mediaFileColumns+` FROM media_files WHERE item_id = $1
		ORDER BY height DESC, bitrate DESC, rendition`, itemID)
}

// MediaFileByKey finds a stored file by its storage key.
func (s *Store) MediaFileByKey(ctx context.Context, key string) (*MediaFile, error) {
	return scanMediaFile(s.q.QueryRowContext(ctx, `SELECT `+mediaFileColumns+` FROM media_files WHERE storage_key = $1`, key))
}

// DeleteItem removes an item and its rows, returning its files' storage
// keys. before, when not nil, runs first in the same transaction.
func (s *Store) DeleteItem(ctx context.Context, itemID int64, before func(tx *Tx) error) (keys []string, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		if before != nil {
			if err := before(tx); err != nil {
				return err
			}
		}
		var err error
		keys, err = queryAll(ctx, tx.q, scanString, `SELECT storage_key FROM media_files WHERE item_id = $1 AND storage_key <> ''`, itemID)
		if err != nil {
			return err
		}
		return execOne(ctx, tx.q, `DELETE FROM items WHERE id = $1`, itemID)
	})
	return keys, err
}

// FeedVersion sums up what a channel's feed is made of: it changes when
// the channel, or any of its published items, changes, or one is
// published or deleted. modified is the latest of those changes.
func (s *Store) FeedVersion(ctx context.Context, channelID int64) (version string, modified time.Time, err error) {
	var n int
	var latest sql.NullTime
	var channelUpdated time.Time
	if err = s.q.QueryRowContext(ctx, `SELECT updated_at FROM channels WHERE id = $1`, channelID).Scan(&channelUpdated); err != nil {
		return "", time.Time{}, notFound(err)
	}
	// A plain column (not MAX()) keeps its time type on SQLite.
	err = s.q.QueryRowContext(ctx, `SELECT updated_at FROM items WHERE channel_id = $1 AND state = 'published'
		ORDER BY updated_at DESC LIMIT 1`, channelID).Scan(&latest)
	if err != nil && err != sql.ErrNoRows {
		return "", time.Time{}, err
	}
	if err = s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM items WHERE channel_id = $1 AND state = 'published'`, channelID).Scan(&n); err != nil {
		return "", time.Time{}, err
	}
	modified = channelUpdated
	if latest.Valid && latest.Time.After(modified) {
		modified = latest.Time
	}
	return fmt.Sprintf("%d-%d-%d", channelUpdated.UnixMicro(), modified.UnixMicro(), n), modified.UTC(), nil
}

// ItemByOriginURI finds a remote item by its ActivityPub id.
func (s *Store) ItemByOriginURI(ctx context.Context, uri string) (*Item, error) {
	return scanItem(s.q.QueryRowContext(ctx, itemSelect+`WHERE i.origin_uri = $1`, uri))
}

// RemoteItem is what indexing a remote video or episode records.
type RemoteItem struct {
	ChannelActorID int64 // the remote Group (or Person) it belongs to
	Kind           string
	Title          string
	Description    string
	OriginURI      string
	OriginURL      string
	Duration       time.Duration
	PublishedAt    time.Time
}

// UpsertRemoteItem records a remote item, published, under a remote
// channel made for its actor if there is none yet.
func (s *Store) UpsertRemoteItem(ctx context.Context, ri RemoteItem) (*Item, error) {
	var out *Item
	err := s.InTx(ctx, func(tx *Tx) error {
		now := tx.s.utcNow()
		channelID, err := tx.remoteChannel(ctx, ri.ChannelActorID, ri.Kind, now)
		if err != nil {
			return err
		}
		var id int64
		err = tx.q.QueryRowContext(ctx, `INSERT INTO items (public_id, channel_id, kind, state, title, description, duration_ms,
				origin_uri, origin_url, published_at, created_at, updated_at)
			VALUES ($1, $2, $3, 'published', $4, $5, $6, $7, $8, $9, $10, $10)
			ON CONFLICT (origin_uri) DO UPDATE SET title = excluded.title, description = excluded.description,
				duration_ms = excluded.duration_ms, origin_url = excluded.origin_url, updated_at = excluded.updated_at
			RETURNING id`, NewPublicID(), channelID, ri.Kind, ri.Title, ri.Description, ri.Duration.Milliseconds(),
			ri.OriginURI, ri.OriginURL, ri.PublishedAt.UTC(), now).Scan(&id)
		if err != nil {
			return err
		}
		out, err = scanItem(tx.q.QueryRowContext(ctx, itemSelect+`WHERE i.id = $1`, id))
		return err
	})
	return out, err
}

// ReplaceRenditionFile makes f the item's only file of its rendition (a
// transcript), and marks the item changed; it returns the storage keys of
// the files it replaced, for the caller to delete once committed.
func (s *Store) ReplaceRenditionFile(ctx context.Context, itemID int64, f MediaFile) (old []string, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		if old, err = queryAll(ctx, tx.q, scanString, `SELECT storage_key FROM media_files
			WHERE item_id = $1 AND rendition = $2 AND storage_key <> ''`, itemID, f.Rendition); err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM media_files WHERE item_id = $1 AND rendition = $2`, itemID, f.Rendition); err != nil {
			return err
		}
		now := tx.s.utcNow()
		if err := execOne(ctx, tx.q, `UPDATE items SET updated_at = $1 WHERE id = $2`, now, itemID); err != nil {
			return err
		}
		return tx.insertMediaFile(ctx, itemID, f, now)
	})
	return old, err
}

package store

import (
	"context"
	"database/sql"
	"time"
)

// Import states and modes.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"

	// ImportReference records episodes whose audio stays where the feed
	// has it (media files with a remote URL).
	ImportReference = "reference"
	// ImportDownload fetches each episode's audio into the library, where
	// it is transcoded like an upload.
	ImportDownload = "download"
)

// Import is an import of a podcast from its RSS feed, with its progress.
type Import struct {
	ID            int64
	ChannelID     int64  // 0 until the channel is known
	ChannelHandle string // asked for, then the channel's; "" derives it from the feed
	FeedURL       string
	FeedTitle     string
	Mode          string // ImportReference or ImportDownload
	ConfirmOwner  bool   // the person said they own a locked feed
	State         string
	Total         int
	Done          int
	Skipped       int
	Failed        int
	WorkingOn     string // what runs now, e.g. downloads in progress
	Report        string // JSON array of failures and warnings (see podimport)
	Error         string // why the whole import failed
	StartedBy     int64  // 0: the command line, or a deleted user
	JobID         int64
	CreatedAt     time.Time
	StartedAt     *time.Time
	FinishedAt    *time.Time
	UpdatedAt     time.Time
}

// Finished tells whether the import has ended, well or not.
func (im *Import) Finished() bool { return im.State == ImportDone || im.State == ImportFailed }

const importColumns = `id, COALESCE(channel_id, 0), channel_handle, feed_url, feed_title, mode, confirm_owner, state,
	total, done, skipped, failed, working_on, report, error, COALESCE(started_by, 0), job_id,
	created_at, started_at, finished_at, updated_at`

func scanImport(row rowScanner) (*Import, error) {
	var im Import
	var started, finished sql.NullTime
	err := row.Scan(&im.ID, &im.ChannelID, &im.ChannelHandle, &im.FeedURL, &im.FeedTitle, &im.Mode, &im.ConfirmOwner, &im.State,
		&im.Total, &im.Done, &im.Skipped, &im.Failed, &im.WorkingOn, &im.Report, &im.Error, &im.StartedBy, &im.JobID,
		&im.CreatedAt, &started, &finished, &im.UpdatedAt)
	if err != nil {
		return nil, notFound(err)
	}
	if started.Valid {
		im.StartedAt = &started.Time
	}
	if finished.Valid {
		im.FinishedAt = &finished.Time
	}
	return &im, nil
}

// NewImport is what starting an import records.
type NewImport struct {
	FeedURL       string
	ChannelHandle string // "": derived from the feed
	Mode          string
	ConfirmOwner  bool
	StartedBy     int64 // 0: none (the command line)
}

// CreateImport records a queued import, in tx with the job that runs it.
func (tx *Tx) CreateImport(ctx context.Context, ni NewImport) (int64, error) {
	var startedBy any
	if ni.StartedBy != 0 {
		startedBy = ni.StartedBy
	}
	var id int64
	err := tx.q.QueryRowContext(ctx, `INSERT INTO imports (feed_url, channel_handle, mode, confirm_owner, started_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
		ni.FeedURL, ni.ChannelHandle, ni.Mode, ni.ConfirmOwner, startedBy, tx.s.utcNow()).Scan(&id)
	return id, err
}

// CreateImport records a queued import.
func (s *Store) CreateImport(ctx context.Context, ni NewImport) (id int64, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		id, err = tx.CreateImport(ctx, ni)
		return err
	})
	return id, err
}

// SetImportJob records the job running an import.
func (tx *Tx) SetImportJob(ctx context.Context, id, jobID int64) error {
	return execOne(ctx, tx.q, `UPDATE imports SET job_id = $1 WHERE id = $2`, jobID, id)
}

// ImportByID finds an import.
func (s *Store) ImportByID(ctx context.Context, id int64) (*Import, error) {
	return scanImport(s.q.QueryRowContext(ctx, `SELECT `+importColumns+` FROM imports WHERE id = $1`, id))
}

// ListImports returns the latest imports started by a user (0: anyone),
// newest first.
func (s *Store) ListImports(ctx context.Context, startedBy int64, limit int) ([]*Import, error) {
	if limit <= 0 {
		limit = 20
	}
	return queryAll(ctx, s.q, scanImport, `SELECT `+importColumns+` FROM imports
		WHERE ($1 = 0 OR started_by = $1) ORDER BY id DESC LIMIT $2`, startedBy, limit)
}

// StartImport puts an import in the running state with its counters at
// zero (a retried job starts it over).
func (s *Store) StartImport(ctx context.Context, id int64) error {
	now := s.utcNow()
	return s.execOne(ctx, `UPDATE imports SET state = 'running', total = 0, done = 0, skipped = 0, failed = 0,
		working_on = '', report = '', error = '', started_at = COALESCE(started_at, $1), finished_at = NULL, updated_at = $1
		WHERE id = $2`, now, id)
}

// SetImportChannel records the channel an import goes to, the feed's
// title and how many episodes it has.
func (s *Store) SetImportChannel(ctx context.Context, id, channelID int64, handle, feedTitle string, total int) error {
	return s.execOne(ctx, `UPDATE imports SET channel_id = $1, channel_handle = $2, feed_title = $3, total = $4, updated_at = $5
		WHERE id = $6`, channelID, handle, feedTitle, total, s.utcNow(), id)
}

// ImportProgress is the changing part of an import.
type ImportProgress struct {
	Total, Done, Skipped, Failed int
	WorkingOn                    string
	Report                       string
}

// UpdateImportProgress records an import's progress.
func (s *Store) UpdateImportProgress(ctx context.Context, id int64, p ImportProgress) error {
	return s.execOne(ctx, `UPDATE imports SET total = $1, done = $2, skipped = $3, failed = $4, working_on = $5, report = $6,
		updated_at = $7 WHERE id = $8`, p.Total, p.Done, p.Skipped, p.Failed, p.WorkingOn, p.Report, s.utcNow(), id)
}

// FinishImport ends an import: done, or failed with why.
func (s *Store) FinishImport(ctx context.Context, id int64, state, why string) error {
	now := s.utcNow()
	return s.execOne(ctx, `UPDATE imports SET state = $1, error = $2, working_on = '', finished_at = $3, updated_at = $3
		WHERE id = $4`, state, why, now, id)
}

// NoteImportError records why an import's last attempt failed, while it
// waits for the next one.
func (s *Store) NoteImportError(ctx context.Context, id int64, why string) error {
	return s.execOne(ctx, `UPDATE imports SET error = $1, working_on = '', updated_at = $2 WHERE id = $3`, why, s.utcNow(), id)
}

// LastImportChannel is the local channel the latest import of feedURL went
// to, if it still exists.
func (s *Store) LastImportChannel(ctx context.Context, feedURL string) (*Channel, error) {
	return scanChannel(s.q.QueryRowContext(ctx, channelSelect+`
		WHERE a.domain = '' AND c.id = (SELECT channel_id FROM imports
			WHERE feed_url = $1 AND channel_id IS NOT NULL ORDER BY id DESC LIMIT 1)`, feedURL))
}

// LocalChannelByPodcastGUID finds the local channel that carries a
// podcast:guid.
func (s *Store) LocalChannelByPodcastGUID(ctx context.Context, guid string) (*Channel, error) {
	if guid == "" {
		return nil, ErrNotFound
	}
	return scanChannel(s.q.QueryRowContext(ctx, channelSelect+`WHERE a.domain = '' AND c.podcast_guid = $1
		ORDER BY c.id LIMIT 1`, guid))
}

// ChannelFeedUpdate is what an imported feed says of its show.
type ChannelFeedUpdate struct {
	Title       string
	Description string
	Language    string
	Category    string // "Name > Sub"
	Explicit    bool
	FeedType    string // episodic or serial; "" keeps the channel's
	PodcastGUID string // "" keeps the channel's
	Locked      *bool  // nil keeps the channel's
	FundingURL  string
	FundingText string
	AvatarKey   string // "" keeps the channel's
}

// UpdateChannelFromFeed sets a channel's show fields from its feed (and its
// Group actor's display name to the title). It returns the avatar key it
// replaced, "" if none, for the caller to delete.
func (s *Store) UpdateChannelFromFeed(ctx context.Context, channelID int64, u ChannelFeedUpdate) (oldAvatar string, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		var actorID int64
		if err := tx.q.QueryRowContext(ctx, `SELECT actor_id, avatar_key FROM channels WHERE id = $1`, channelID).Scan(&actorID, &oldAvatar); err != nil {
			return notFound(err)
		}
		if u.AvatarKey == "" || u.AvatarKey == oldAvatar {
			oldAvatar = ""
		}
		var locked any
		if u.Locked != nil {
			locked = *u.Locked
		}
		now := s.utcNow()
		if err := execOne(ctx, tx.q, `UPDATE channels SET title = $1, description = $2, language = $3, category = $4, explicit = $5,
			feed_type = CASE WHEN $6 = '' THEN feed_type ELSE $6 END,
			podcast_guid = CASE WHEN $7 = '' THEN podcast_guid ELSE $7 END,
			locked = COALESCE($8, locked), funding_url = $9, funding_text = $10,
			avatar_key = CASE WHEN $11 = '' THEN avatar_key ELSE $11 END, updated_at = $12
			WHERE id = $13`,
			u.Title, u.Description, u.Language, u.Category, u.Explicit, u.FeedType, u.PodcastGUID, locked,
			u.FundingURL, u.FundingText, u.AvatarKey, now, channelID); err != nil {
			return err
		}
		_, err := tx.q.ExecContext(ctx, `UPDATE actors SET display_name = $1, updated_at = $2 WHERE id = $3`, u.Title, now, actorID)
		return err
	})
	return oldAvatar, err
}

// FeedGUIDs maps the feed guids of a channel's items to the import that
// brought each (0: unknown).
func (s *Store) FeedGUIDs(ctx context.Context, channelID int64) (map[string]int64, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT feed_guid, COALESCE(import_id, 0) FROM items WHERE channel_id = $1 AND feed_guid <> ''`, channelID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var guid string
		var id int64
		if err := rows.Scan(&guid, &id); err != nil {
			return nil, err
		}
		out[guid] = id
	}
	return out, rows.Err()
}

// NewestPublishedAt is when a channel's latest published item came out;
// nil when it has none.
func (s *Store) NewestPublishedAt(ctx context.Context, channelID int64) (*time.Time, error) {
	var t sql.NullTime
	// A plain column (not MAX()) keeps its time type on SQLite.
	err := s.q.QueryRowContext(ctx, `SELECT published_at FROM items WHERE channel_id = $1 AND state = 'published'
		AND published_at IS NOT NULL ORDER BY published_at DESC LIMIT 1`, channelID).Scan(&t)
	if err == sql.ErrNoRows || (err == nil && !t.Valid) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t.Time, nil
}

// ImportedItem is an episode imported from a feed whose media stays where
// the feed has it: it is recorded published, with its files.
type ImportedItem struct {
	PublicID    string // NewPublicID() when empty
	ChannelID   int64
	ImportID    int64
	Kind        string
	Title       string
	Description string
	Language    string
	Sensitive   bool
	Duration    time.Duration
	Season      int
	Episode     int
	EpisodeType string // full, trailer or bonus
	Chapters    string
	FeedGUID    string
	SourceName  string
	PublishedAt time.Time
	Files       []MediaFile
}

// InsertImportedItems records imported episodes in one transaction. ids[i]
// is the new item's id, or 0 when the channel already has an item of that
// feed guid (nothing is recorded for it). then, when not nil, runs in the
// transaction after each new item.
func (s *Store) InsertImportedItems(ctx context.Context, items []ImportedItem, then func(tx *Tx, itemID int64, it *ImportedItem) error) (ids []int64, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		ids = make([]int64, len(items))
		now := s.utcNow()
		for i := range items {
			it := &items[i]
			if it.PublicID == "" {
				it.PublicID = NewPublicID()
			}
			var importID any
			if it.ImportID != 0 {
				importID = it.ImportID
			}
			var id int64
			err := tx.q.QueryRowContext(ctx, `INSERT INTO items (public_id, channel_id, kind, state, title, description, language, sensitive,
					duration_ms, season, episode, episode_type, chapters, feed_guid, import_id, source_name, progress,
					published_at, created_at, updated_at)
				VALUES ($1, $2, $3, 'published', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 100, $16, $17, $17)
				ON CONFLICT (channel_id, feed_guid) WHERE feed_guid <> '' DO NOTHING RETURNING id`,
				it.PublicID, it.ChannelID, it.Kind, it.Title, it.Description, it.Language, it.Sensitive,
				it.Duration.Milliseconds(), it.Season, it.Episode, it.EpisodeType, it.Chapters, it.FeedGUID, importID,
				it.SourceName, it.PublishedAt.UTC(), now).Scan(&id)
			if err == sql.ErrNoRows {
				continue // known guid
			}
			if err != nil {
				return err
			}
			for _, f := range it.Files {
				if err := tx.insertMediaFile(ctx, id, f, now); err != nil {
					return err
				}
			}
			if then != nil {
				if err := then(tx, id, it); err != nil {
					return err
				}
			}
			ids[i] = id
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// ImportedFields are what a feed says of an episode that an upload does
// not: set on a downloaded episode once ingested.
type ImportedFields struct {
	FeedGUID    string
	ImportID    int64
	PublishedAt time.Time
	Language    string
	Sensitive   bool
	Season      int
	Episode     int
	EpisodeType string
	Chapters    string
}

// TagImportedItem sets the feed's fields on an ingested episode and asks
// for its publication when its transcoding succeeds. It returns the item's
// state: a draft was transcoded already, and is for the caller to publish.
// ErrConflict means another item of the channel has that feed guid.
func (s *Store) TagImportedItem(ctx context.Context, itemID int64, f ImportedFields) (state string, err error) {
	var importID any
	if f.ImportID != 0 {
		importID = f.ImportID
	}
	err = s.q.QueryRowContext(ctx, `UPDATE items SET feed_guid = $1, import_id = $2, published_at = $3, language = $4, sensitive = $5,
			season = $6, episode = $7, episode_type = $8, chapters = $9, publish_when_ready = TRUE, updated_at = $10
		WHERE id = $11 RETURNING state`,
		f.FeedGUID, importID, f.PublishedAt.UTC(), f.Language, f.Sensitive, f.Season, f.Episode, f.EpisodeType, f.Chapters,
		s.utcNow(), itemID).Scan(&state)
	if isUnique(err) {
		return "", ErrConflict
	}
	return state, notFound(err)
}

// AddImportAttachment records a file (a transcript, a picture) to add to
// an item once its transcoding is over.
func (s *Store) AddImportAttachment(ctx context.Context, itemID int64, f MediaFile) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO import_attachments (item_id, rendition, mime_type, size_bytes, sha256, storage_key, remote_url, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (item_id, rendition) DO UPDATE SET mime_type = excluded.mime_type, size_bytes = excluded.size_bytes,
			sha256 = excluded.sha256, storage_key = excluded.storage_key, remote_url = excluded.remote_url`,
		itemID, f.Rendition, f.MimeType, f.Size, f.SHA256, f.StorageKey, f.RemoteURL, s.utcNow())
	return err
}

// AttachImported moves an item's waiting attachments to its media files
// once it has left processing. It returns the item's state and how many
// files it attached; ErrNotFound when the item is gone.
func (s *Store) AttachImported(ctx context.Context, itemID int64) (state string, n int, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := tx.q.QueryRowContext(ctx, `SELECT state FROM items WHERE id = $1`, itemID).Scan(&state); err != nil {
			return notFound(err)
		}
		if state == StateProcessing {
			return nil
		}
		res, err := tx.q.ExecContext(ctx, `INSERT INTO media_files (item_id, rendition, mime_type, size_bytes, sha256, storage_key, remote_url, created_at)
			SELECT item_id, rendition, mime_type, size_bytes, sha256, storage_key, remote_url, created_at
			FROM import_attachments WHERE item_id = $1
			ON CONFLICT (item_id, rendition) DO NOTHING`, itemID)
		if err != nil {
			return err
		}
		m, err := res.RowsAffected()
		if err != nil {
			return err
		}
		n = int(m)
		_, err = tx.q.ExecContext(ctx, `DELETE FROM import_attachments WHERE item_id = $1`, itemID)
		return err
	})
	return state, n, err
}

package store

import (
	"context"
	"strings"
	"time"
)

// Torrent is the BitTorrent metadata of one stored rendition.
type Torrent struct {
	MediaFileID int64
	ItemID      int64
	InfoHash    string // lower-case hex
	PieceLength int64
	Info        []byte // bencoded info dictionary
	CreatedAt   time.Time
}

// SeedFile is a published item's torrent with its stored file, as the
// seeder needs it.
type SeedFile struct {
	Torrent
	StorageKey string
	Size       int64
}

// playableFile selects a stored video or audio rendition other than the
// uploaded original: what gets a torrent.
const playableFile = `f.storage_key <> '' AND f.rendition <> 'source'
	AND (f.mime_type LIKE 'video/%' OR f.mime_type LIKE 'audio/%')`

// mediaFileColumnsF are mediaFileColumns of a table aliased f.
var mediaFileColumnsF = "f." + strings.ReplaceAll(mediaFileColumns, ", ", ", f.")

const torrentColumns = `t.media_file_id, t.item_id, t.info_hash, t.piece_length, t.info, t.created_at`

func scanTorrent(row rowScanner) (*Torrent, error) {
	var t Torrent
	if err := row.Scan(&t.MediaFileID, &t.ItemID, &t.InfoHash, &t.PieceLength, &t.Info, &t.CreatedAt); err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// PutTorrent records a rendition's torrent; one already recorded for the
// file is kept (its infohash is already out there). The item counts as
// changed, so that cached feeds pick the torrent up.
func (s *Store) PutTorrent(ctx context.Context, t Torrent) error {
	return s.InTx(ctx, func(tx *Tx) error {
		now := s.utcNow()
		res, err := tx.q.ExecContext(ctx, `INSERT INTO torrents (media_file_id, item_id, info_hash, piece_length, info, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (media_file_id) DO NOTHING`,
			t.MediaFileID, t.ItemID, t.InfoHash, t.PieceLength, t.Info, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `UPDATE items SET updated_at = $1 WHERE id = $2`, now, t.ItemID)
		return err
	})
}

// ItemTorrents lists the torrents of an item's renditions.
func (s *Store) ItemTorrents(ctx context.Context, itemID int64) ([]*Torrent, error) {
	return queryAll(ctx, s.q, scanTorrent, `SELECT `+torrentColumns+` FROM torrents t WHERE t.item_id = $1
		ORDER BY t.media_file_id`, itemID)
}

// PublishedTorrent finds the torrent of a published item by its hex
// infohash, with the file it describes; ErrNotFound for an unknown
// infohash or an item that is not published.
func (s *Store) PublishedTorrent(ctx context.Context, infoHash string) (*Torrent, *MediaFile, error) {
	var t Torrent
	var f MediaFile
	err := s.q.QueryRowContext(ctx, `SELECT `+torrentColumns+`, `+mediaFileColumnsF+`
		FROM torrents t JOIN media_files f ON f.id = t.media_file_id JOIN items i ON i.id = t.item_id
		WHERE t.info_hash = $1 AND i.state = $2`, infoHash, StatePublished).Scan(
		&t.MediaFileID, &t.ItemID, &t.InfoHash, &t.PieceLength, &t.Info, &t.CreatedAt,
		&f.ID, &f.ItemID, &f.Rendition, &f.MimeType, &f.Size, &f.SHA256, &f.StorageKey, &f.RemoteURL,
		&f.Width, &f.Height, &f.FPS, &f.Bitrate, &f.TorrentURL, &f.MagnetURI, &f.CreatedAt)
	if err != nil {
		return nil, nil, notFound(err)
	}
	return &t, &f, nil
}

// FilesWithoutTorrent lists up to limit stored video and audio renditions
// (not originals) that have no torrent yet, of items that are drafts or
// published; itemID > 0 narrows it to one item.
func (s *Store) FilesWithoutTorrent(ctx context.Context, itemID int64, limit int) ([]*MediaFile, error) {
	return queryAll(ctx, s.q, scanMediaFile, `SELECT `+mediaFileColumnsF+` FROM media_files f
		JOIN items i ON i.id = f.item_id
		WHERE `+playableFile+` AND i.state IN ($1, $2) AND ($3 = 0 OR f.item_id = $3)
			AND NOT EXISTS (SELECT 1 FROM torrents t WHERE t.media_file_id = f.id)
		ORDER BY f.id LIMIT $4`, StateDraft, StatePublished, itemID, limit)
}

// SeedFiles lists the torrents of published items, the most recently
// published first, at most limit.
func (s *Store) SeedFiles(ctx context.Context, limit int) ([]*SeedFile, error) {
	return queryAll(ctx, s.q, func(row rowScanner) (*SeedFile, error) {
		var sf SeedFile
		t := &sf.Torrent
		if err := row.Scan(&t.MediaFileID, &t.ItemID, &t.InfoHash, &t.PieceLength, &t.Info, &t.CreatedAt,
			&sf.StorageKey, &sf.Size); err != nil {
			return nil, err
		}
		return &sf, nil
	}, `SELECT `+torrentColumns+`, f.storage_key, f.size_bytes
		FROM torrents t JOIN media_files f ON f.id = t.media_file_id JOIN items i ON i.id = t.item_id
		WHERE i.state = $1 AND f.storage_key <> ''
		ORDER BY i.published_at DESC, t.media_file_id DESC LIMIT $2`, StatePublished, limit)
}

package library

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/media/torrent"
	"github.com/archipel/archipel/store"
)

// wantsTorrent says whether a rendition is shared over BitTorrent: stored
// video and audio, not the uploaded original.
func wantsTorrent(rendition, mimeType string) bool {
	return rendition != "source" && (strings.HasPrefix(mimeType, "video/") || strings.HasPrefix(mimeType, "audio/"))
}

// EnsureTorrents builds the missing torrents of an item's stored video and
// audio renditions, or of every draft and published item when itemID is 0,
// reading the files from storage. It returns how many it built.
func (l *Library) EnsureTorrents(ctx context.Context, itemID int64) (int, error) {
	built := 0
	for {
		files, err := l.Store.FilesWithoutTorrent(ctx, itemID, 100)
		if err != nil || len(files) == 0 {
			return built, err
		}
		progress := false
		for _, f := range files {
			t, err := l.hashStored(ctx, f)
			if err != nil {
				// A missing or truncated file is logged and skipped: the
				// others still get theirs, and the next sweep tries again.
				l.logger().Warn("cannot build torrent", "key", f.StorageKey, "error", err)
				continue
			}
			if err := l.Store.PutTorrent(ctx, *t); err != nil {
				return built, err
			}
			built++
			progress = true
		}
		if !progress {
			return built, nil
		}
	}
}

// torrentName is the file name inside a stored file's torrent: its whole
// storage key, slashes made dashes ("items-ID-1-720p.mp4"). The key is
// unique, so the infohash is too even when two uploads transcode to the
// same bytes (with only the base name, the second item's torrent clashed
// with the first's and its transcoding never finished).
func torrentName(key string) string {
	return strings.ReplaceAll(strings.Trim(key, "/"), "/", "-")
}

func (l *Library) hashStored(ctx context.Context, f *store.MediaFile) (*store.Torrent, error) {
	r, err := l.Storage.Open(ctx, f.StorageKey)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info, err := torrent.Build(r, torrentName(f.StorageKey), f.Size)
	if err != nil {
		return nil, err
	}
	return &store.Torrent{MediaFileID: f.ID, ItemID: f.ItemID, InfoHash: info.HexHash(),
		PieceLength: info.PieceLength, Info: info.Bytes}, nil
}

// TorrentURLs are where a torrent is found: its tracker, web seed, .torrent
// and magnet link.
type TorrentURLs struct {
	InfoHash string `json:"info_hash"`
	Torrent  string `json:"torrent"`
	Magnet   string `json:"magnet"`
	Tracker  string `json:"tracker"`
	WebSeed  string `json:"web_seed"`
}

// TorrentURLs makes the links of t, whose file is stored at key.
func (l *Library) TorrentURLs(t *store.Torrent, key string) (*TorrentURLs, error) {
	info, err := torrent.Parse(t.Info)
	if err != nil {
		return nil, err
	}
	u := &TorrentURLs{InfoHash: t.InfoHash, Torrent: torrent.FileURL(l.PublicURL, t.InfoHash),
		Tracker: torrent.TrackerURL(l.PublicURL), WebSeed: l.MediaURL(key)}
	u.Magnet = torrent.Magnet(info, u.Tracker, u.WebSeed, u.Torrent, l.BTPeer)
	return u, nil
}

// TorrentFile is the .torrent of t, with the hub's tracker and the URL of
// the file stored at key as web seed (key "": no web seed).
func (l *Library) TorrentFile(t *store.Torrent, key string) ([]byte, error) {
	info, err := torrent.Parse(t.Info)
	if err != nil {
		return nil, err
	}
	webSeed := ""
	if key != "" {
		webSeed = l.MediaURL(key)
	}
	return torrent.File(info, torrent.TrackerURL(l.PublicURL), webSeed), nil
}

// TorrentSweepArgs builds the torrents that are missing (files stored before
// torrents existed, or whose hashing failed); it runs hourly and at start.
type TorrentSweepArgs struct{}

// Kind implements river.JobArgs.
func (TorrentSweepArgs) Kind() string { return "torrent_sweep" }

// InsertOpts keeps one sweep queued at a time.
func (TorrentSweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// TorrentSweepWorker runs TorrentSweepArgs.
type TorrentSweepWorker struct {
	river.WorkerDefaults[TorrentSweepArgs]
	Library *Library
}

// Work implements river.Worker.
func (w *TorrentSweepWorker) Work(ctx context.Context, _ *river.Job[TorrentSweepArgs]) error {
	n, err := w.Library.EnsureTorrents(ctx, 0)
	if n > 0 {
		w.Library.logger().Info("built missing torrents", "count", n)
	}
	return err
}

// KnownTorrents answers the tracker's question "is this a swarm of ours?"
// (a published item's torrent) from the database, remembering answers for
// a short while: announces come every two minutes from every viewer.
type KnownTorrents struct {
	Store *store.Store
	TTL   time.Duration // default 30 s

	mu    sync.Mutex
	cache map[[20]byte]knownEntry
}

type knownEntry struct {
	known bool
	until time.Time
}

// Known implements tracker.Config.Known.
func (k *KnownTorrents) Known(ih [20]byte) bool {
	now := time.Now()
	k.mu.Lock()
	e, ok := k.cache[ih]
	k.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.known
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := k.Store.PublishedTorrent(ctx, hex.EncodeToString(ih[:]))
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false // unsure: refuse now, ask again next time
	}
	ttl := k.TTL
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	k.mu.Lock()
	if k.cache == nil || len(k.cache) > 100000 {
		k.cache = map[[20]byte]knownEntry{}
	}
	k.cache[ih] = knownEntry{known: known, until: now.Add(ttl)}
	k.mu.Unlock()
	return known
}

// StoreMirror stores r (a remote file's bytes) as the item's copy of f,
// hashes its torrent and records both; the caller bounds r.
func (l *Library) StoreMirror(ctx context.Context, item *store.Item, f *store.MediaFile, jobID int64, r io.Reader) error {
	ext := path.Ext(f.RemoteURL)
	if len(ext) > 6 || strings.ContainsAny(ext, "?#/") {
		ext = ""
	}
	key := fmt.Sprintf("items/%s/mirror-%d/%s%s", item.PublicID, jobID, f.Rendition, ext)
	size, sum, err := l.Storage.Put(ctx, key, r)
	if err != nil {
		return err
	}
	t, err := l.hashStored(ctx, &store.MediaFile{ID: f.ID, ItemID: f.ItemID, StorageKey: key, Size: size})
	if err == nil {
		err = l.Store.SetMirroredFile(ctx, f, key, size, sum, t)
	}
	if err != nil {
		l.deleteKeys([]string{key})
	}
	return err
}

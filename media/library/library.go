// Package library turns uploaded files into items: it validates them with
// ffprobe, stores the source, transcodes it in a River job, records the
// renditions, and deletes items with their jobs and files.
package library

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/media"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/transcode"
)

// Library is the media library of a hub.
type Library struct {
	Store      *store.Store
	Storage    media.Storage
	Transcoder *transcode.Runner
	Queue      jobs.Queue // set once the job runner exists
	Limits     transcode.Limits
	WorkDir    string // scratch space for transcoding, emptied per attempt
	PublicURL  *url.URL
	// BTPeer is where BitTorrent clients reach the hub's seeder
	// (host:port), named in magnet links; "": not seeding over TCP.
	BTPeer string
	Logger *slog.Logger
	// Events is told, inside the transaction that changes an item, that it
	// was published, edited or is being deleted (federation queues its
	// Create, Update and Delete there). Nil: nobody is told.
	Events Events
}

// Events receives item changes inside the transaction that makes them.
type Events interface {
	ItemPublished(ctx context.Context, tx *store.Tx, itemID int64) error
	ItemUpdated(ctx context.Context, tx *store.Tx, item *store.Item) error
	// ItemDeleting runs before the item's rows go; it returns jobs to
	// cancel once the deletion has committed.
	ItemDeleting(ctx context.Context, tx *store.Tx, item *store.Item) (cancel []int64, err error)
}

// EventsList sends each event to every Events in turn (federation, the
// WebSub ping…); ItemDeleting returns all their jobs to cancel.
type EventsList []Events

// ItemPublished implements Events.
func (l EventsList) ItemPublished(ctx context.Context, tx *store.Tx, itemID int64) error {
	for _, e := range l {
		if err := e.ItemPublished(ctx, tx, itemID); err != nil {
			return err
		}
	}
	return nil
}

// ItemUpdated implements Events.
func (l EventsList) ItemUpdated(ctx context.Context, tx *store.Tx, item *store.Item) error {
	for _, e := range l {
		if err := e.ItemUpdated(ctx, tx, item); err != nil {
			return err
		}
	}
	return nil
}

// ItemDeleting implements Events.
func (l EventsList) ItemDeleting(ctx context.Context, tx *store.Tx, item *store.Item) ([]int64, error) {
	var all []int64
	for _, e := range l {
		cancel, err := e.ItemDeleting(ctx, tx, item)
		if err != nil {
			return nil, err
		}
		all = append(all, cancel...)
	}
	return all, nil
}

// Input is what a creator says about an upload.
type Input struct {
	Title       string
	Description string
	Publish     bool   // publish as soon as transcoding succeeds
	Filename    string // the name the file had on the creator's machine
}

// KindOf says how a channel's uploads are transcoded.
func KindOf(ch *store.Channel) (transcode.Kind, string) {
	if ch.Kind == store.KindPodcast {
		return transcode.Audio, store.ItemEpisode
	}
	return transcode.Video, store.ItemVideo
}

// Ingest validates the file at path for ch, moves it into storage as the
// item's source, and queues its transcoding, all or nothing. A refused file
// gives a *transcode.RejectError and is left where it was.
func (l *Library) Ingest(ctx context.Context, ch *store.Channel, path string, in Input) (*store.Item, error) {
	kind, itemKind := KindOf(ch)
	info, err := l.Transcoder.Check(ctx, path, kind, l.Limits)
	if err != nil {
		return nil, err
	}
	title := strings.TrimSpace(in.Title)
	if title == "" {
		title = strings.TrimSpace(strings.TrimSuffix(filepath.Base(in.Filename), filepath.Ext(in.Filename)))
	}
	if title == "" {
		title = "Untitled"
	}
	if len([]rune(title)) > 200 {
		title = string([]rune(title)[:200])
	}
	ext := strings.ToLower(filepath.Ext(in.Filename))
	if len(ext) > 8 || strings.ContainsAny(ext, "/\\ ") {
		ext = ""
	}
	publicID := store.NewPublicID()
	key := fmt.Sprintf("items/%s/source%s", publicID, ext)
	size, sum, err := l.Storage.PutFile(ctx, key, path)
	if err != nil {
		return nil, fmt.Errorf("store the upload: %w", err)
	}
	mimeType := mime.TypeByExtension(ext)
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	var item *store.Item
	err = l.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		item, err = tx.CreateItem(ctx, store.NewItem{
			PublicID: publicID, ChannelID: ch.ID, Kind: itemKind, Title: title,
			Description: strings.TrimSpace(in.Description), Duration: info.Duration,
			PublishWhenReady: in.Publish, SourceName: filepath.Base(in.Filename),
		})
		if err != nil {
			return err
		}
		src := store.MediaFile{Rendition: "source", MimeType: mimeType, Size: size, SHA256: sum, StorageKey: key}
		if info.Video != nil {
			src.Width, src.Height, src.FPS = info.Video.Width, info.Video.Height, int(info.Video.FPS+0.5)
		}
		if err := tx.AddMediaFile(ctx, item.ID, src); err != nil {
			return err
		}
		return l.queueTranscode(ctx, tx, item)
	})
	if err != nil {
		_ = l.Storage.Delete(context.WithoutCancel(ctx), key)
		return nil, err
	}
	l.logger().Info("upload accepted", "item", item.PublicID, "channel", ch.Handle, "kind", itemKind,
		"bytes", size, "duration", info.Duration.Round(time.Millisecond))
	return l.Store.ItemByID(ctx, item.ID)
}

func (l *Library) queueTranscode(ctx context.Context, tx *store.Tx, item *store.Item) error {
	if l.Queue == nil {
		return errors.New("library: no job queue")
	}
	id, err := l.Queue.InsertTx(ctx, tx, TranscodeArgs{ItemID: item.ID, Duration: item.Duration}, nil)
	if err != nil {
		return err
	}
	return tx.SetItemJob(ctx, item.ID, id)
}

// Retry queues a failed item's transcoding again.
func (l *Library) Retry(ctx context.Context, item *store.Item) error {
	return l.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.RetryItem(ctx, item.ID); err != nil {
			return err
		}
		return l.queueTranscode(ctx, tx, item)
	})
}

// Publish publishes a draft item.
func (l *Library) Publish(ctx context.Context, item *store.Item) error {
	var then func(tx *store.Tx) error
	if l.Events != nil {
		then = func(tx *store.Tx) error { return l.Events.ItemPublished(ctx, tx, item.ID) }
	}
	return l.Store.PublishItem(ctx, item.ID, then)
}

// Update changes an item's metadata; a published item's followers are told.
func (l *Library) Update(ctx context.Context, item *store.Item, e store.ItemEdit) error {
	var then func(tx *store.Tx, it *store.Item) error
	if l.Events != nil {
		then = func(tx *store.Tx, it *store.Item) error {
			if it.State != store.StatePublished {
				return nil
			}
			return l.Events.ItemUpdated(ctx, tx, it)
		}
	}
	return l.Store.UpdateItem(ctx, item.ID, e, then)
}

// Delete cancels the item's jobs (transcoding, pending deliveries), then
// removes its rows and its files.
func (l *Library) Delete(ctx context.Context, item *store.Item) error {
	if item.JobID != 0 && l.Queue != nil {
		if err := l.Queue.Cancel(ctx, item.JobID); err != nil {
			return fmt.Errorf("cancel the transcoding job: %w", err)
		}
	}
	var cancel []int64
	var before func(tx *store.Tx) error
	if l.Events != nil {
		before = func(tx *store.Tx) (err error) {
			cancel, err = l.Events.ItemDeleting(ctx, tx, item)
			return err
		}
	}
	if _, err := l.Store.DeleteItem(ctx, item.ID, before); err != nil {
		return err
	}
	for _, id := range cancel {
		if l.Queue == nil {
			break
		}
		if err := l.Queue.Cancel(ctx, id); err != nil {
			l.logger().Warn("cancel a delivery of a deleted item", "job", id, "error", err)
		}
	}
	if err := l.Storage.DeletePrefix(ctx, "items/"+item.PublicID); err != nil {
		return fmt.Errorf("item deleted, but its files were not: %w", err)
	}
	l.logger().Info("item deleted", "item", item.PublicID)
	return nil
}

func (l *Library) logger() *slog.Logger {
	if l.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l.Logger
}

// localPath gives ffmpeg a path to a stored file: the file itself when the
// storage is local, else a copy in dir.
func (l *Library) localPath(ctx context.Context, key, dir string) (string, error) {
	if p, ok := l.Storage.(interface{ Path(string) (string, error) }); ok {
		return p.Path(key)
	}
	f, err := l.Storage.Open(ctx, key)
	if err != nil {
		return "", err
	}
	defer f.Close()
	dst := filepath.Join(dir, "source"+filepath.Ext(key))
	out, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	defer out.Close()
	if _, err := out.ReadFrom(f); err != nil {
		return "", err
	}
	return dst, out.Close()
}

// TranscodeArgs is the job that transcodes an item.
type TranscodeArgs struct {
	ItemID   int64         `json:"item_id"`
	Duration time.Duration `json:"duration"`
}

// Kind implements river.JobArgs.
func (TranscodeArgs) Kind() string { return "transcode" }

// TranscodeQueue is the River queue of transcoding jobs, sized by
// --transcode-workers apart from the other jobs.
const TranscodeQueue = "transcode"

// InsertOpts puts transcoding on its own queue; ffmpeg failures are final
// (the creator retries), other errors are retried twice.
func (TranscodeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: TranscodeQueue, MaxAttempts: 3}
}

// TranscodeWorker runs TranscodeArgs.
type TranscodeWorker struct {
	river.WorkerDefaults[TranscodeArgs]
	Library *Library
}

// Timeout allows five times the media's duration, plus ten minutes.
func (w *TranscodeWorker) Timeout(job *river.Job[TranscodeArgs]) time.Duration {
	return 10*time.Minute + 5*job.Args.Duration
}

// Work implements river.Worker. Renditions are written in a scratch
// directory and recorded only once all exist, so a job killed midway leaves
// nothing half-written to serve; its next attempt starts from scratch.
func (w *TranscodeWorker) Work(ctx context.Context, job *river.Job[TranscodeArgs]) error {
	l := w.Library
	item, err := l.Store.ItemByID(ctx, job.Args.ItemID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	if item.State != store.StateProcessing {
		return nil
	}
	log := l.logger().With("item", item.PublicID, "job", job.ID, "attempt", job.Attempt)
	dir := filepath.Join(l.WorkDir, fmt.Sprintf("item-%d", item.ID))
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fail := func(tail string, cause error) error {
		log.Warn("transcoding failed", "error", cause)
		if err := l.Store.FailItem(context.WithoutCancel(ctx), item.ID, tail); err != nil {
			return err
		}
		return river.JobCancel(cause)
	}
	files, err := l.Store.MediaFiles(ctx, item.ID)
	if err != nil {
		return err
	}
	var source *store.MediaFile
	for _, f := range files {
		if f.Rendition == "source" {
			source = f
		}
	}
	if source == nil {
		return fail("The uploaded file is missing.", errors.New("no source file"))
	}
	src, err := l.localPath(ctx, source.StorageKey, dir)
	if err != nil {
		return fail("The uploaded file cannot be read: "+err.Error(), err)
	}
	kind := transcode.Video
	if item.Kind == store.ItemEpisode {
		kind = transcode.Audio
	}
	info, err := l.Transcoder.Check(ctx, src, kind, transcode.Limits{})
	if err != nil && ctx.Err() != nil {
		return ctx.Err() // shutdown or cancellation: River decides
	}
	if err != nil {
		msg := err.Error()
		var rej *transcode.RejectError
		if errors.As(err, &rej) {
			msg = rej.Message
		}
		return fail(msg, err)
	}
	outDir := filepath.Join(dir, "out")
	if err := os.MkdirAll(outDir, 0o750); err != nil {
		return err
	}
	progress := throttle(func(pct int) {
		if err := l.Store.SetItemProgress(ctx, item.ID, pct); err != nil && ctx.Err() == nil {
			log.Warn("record progress", "error", err)
		}
	})
	started := time.Now()
	var outs []transcode.Output
	if kind == transcode.Video {
		outs, err = l.Transcoder.Video(ctx, src, info, outDir, progress)
	} else {
		outs, err = l.Transcoder.Audio(ctx, src, info, outDir, progress)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // shutdown or cancellation: River decides
		}
		var fe *transcode.FFmpegError
		if errors.As(err, &fe) {
			return fail(fe.StderrTail, err)
		}
		return fail(err.Error(), err)
	}
	var stored []store.MediaFile
	var keys []string
	for _, o := range outs {
		key := fmt.Sprintf("items/%s/%d/%s%s", item.PublicID, job.ID, o.Name, filepath.Ext(o.Path))
		size, sum, err := l.Storage.PutFile(ctx, key, o.Path)
		if err != nil {
			l.deleteKeys(keys)
			return err
		}
		keys = append(keys, key)
		var tor *store.Torrent
		if wantsTorrent(o.Name, o.MimeType) {
			// Hashed from the stored copy, so that the infohash is
			// recorded with the file (and in the Create sent on publish).
			if tor, err = l.hashStored(ctx, &store.MediaFile{StorageKey: key, Size: size}); err != nil {
				l.deleteKeys(keys)
				return err
			}
		}
		stored = append(stored, store.MediaFile{Torrent: tor, Rendition: o.Name, MimeType: o.MimeType, Size: size, SHA256: sum,
			StorageKey: key, Width: o.Width, Height: o.Height, FPS: o.FPS, Bitrate: o.Bitrate})
	}
	var published func(tx *store.Tx) error
	if l.Events != nil {
		published = func(tx *store.Tx) error { return l.Events.ItemPublished(ctx, tx, item.ID) }
	}
	old, err := l.Store.FinishItem(ctx, item.ID, info.Duration, stored, published)
	if err != nil {
		l.deleteKeys(keys)
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted or retried while transcoding
		}
		return err
	}
	l.deleteKeys(old)
	log.Info("transcoded", "renditions", len(stored), "took", time.Since(started).Round(time.Millisecond))
	return nil
}

func (l *Library) deleteKeys(keys []string) {
	for _, k := range keys {
		if err := l.Storage.Delete(context.Background(), k); err != nil {
			l.logger().Warn("delete media file", "key", k, "error", err)
		}
	}
}

// throttle reports whole percentages, at most one every half second, but
// always 100.
func throttle(report func(int)) func(float64) {
	last, lastAt := -1, time.Time{}
	return func(pct float64) {
		p := int(pct)
		if p == last || (p < 100 && time.Since(lastAt) < 500*time.Millisecond) {
			return
		}
		last, lastAt = p, time.Now()
		report(p)
	}
}

package federation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/store"
)

// defaultMirrorMax bounds a mirrored file when the library sets no upload
// limit.
const defaultMirrorMax = 4 << 30

// MirrorArgs is the job that copies an accepted remote item's best video
// or audio file here, so that the hub serves and seeds it like a local
// one, and tells the origin (PeerTube's redundancy: a CacheFile).
type MirrorArgs struct {
	ItemID int64 `json:"item_id"`
}

// Kind implements river.JobArgs.
func (MirrorArgs) Kind() string { return "federation_mirror" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (MirrorArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueFederation, MaxAttempts: 5, Priority: 4, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// MirrorWorker runs MirrorArgs jobs.
type MirrorWorker struct {
	river.WorkerDefaults[MirrorArgs]
	Service *Service
}

// Timeout implements river.Worker: large files take time.
func (w *MirrorWorker) Timeout(*river.Job[MirrorArgs]) time.Duration { return time.Hour }

// QueueMirror queues the mirror of an accepted item when the follow that
// brought it asks for mirrors.
func (s *Service) QueueMirror(ctx context.Context, item *store.Item) error {
	if item.OriginURI == "" || item.ReviewState != store.ReviewAccepted {
		return nil
	}
	want, err := s.store.MirrorWanted(ctx, item.ID)
	if err != nil || !want {
		return err
	}
	q, err := s.jobs()
	if err != nil {
		return err
	}
	_, err = q.Insert(ctx, MirrorArgs{ItemID: item.ID}, nil)
	return err
}

// Work implements river.Worker.
func (w *MirrorWorker) Work(ctx context.Context, job *river.Job[MirrorArgs]) error {
	s := w.Service
	item, err := s.store.ItemByID(ctx, job.Args.ItemID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if item.OriginURI == "" || item.ReviewState != store.ReviewAccepted || item.State != store.StatePublished {
		return nil
	}
	files, err := s.store.MediaFiles(ctx, item.ID)
	if err != nil {
		return err
	}
	var f *store.MediaFile
	for _, c := range files { // largest video first
		if c.StorageKey == "" && c.RemoteURL != "" && isMediaType(c.MimeType) {
			f = c
			break
		}
	}
	if f == nil {
		return nil // mirrored already, or nothing to mirror
	}
	if err := s.publicMediaURL(ctx, f.RemoteURL, hostOf(item.OriginURI)); err != nil {
		return river.JobCancel(err)
	}
	resp, err := s.client.Open(ctx, f.RemoteURL, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		err := fmt.Errorf("mirror %s: the origin answered %d", f.RemoteURL, resp.StatusCode)
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 429 {
			return river.JobCancel(err)
		}
		return err
	}
	limit := int64(defaultMirrorMax)
	if s.library.Limits.MaxBytes > 0 {
		limit = s.library.Limits.MaxBytes
	}
	if resp.ContentLength > limit {
		return river.JobCancel(fmt.Errorf("mirror %s: %d bytes is over the limit of %d", f.RemoteURL, resp.ContentLength, limit))
	}
	body := &capped{r: resp.Body, left: limit}
	if err := s.library.StoreMirror(ctx, item, f, job.ID, body); err != nil {
		if body.over {
			return river.JobCancel(fmt.Errorf("mirror %s: over the limit of %d bytes", f.RemoteURL, limit))
		}
		return err
	}
	s.log.Info("mirrored a remote item", "item", item.PublicID, "file", f.RemoteURL)
	return s.announceMirror(ctx, item, f.ID)
}

// announceMirror tells the origin's channel that a copy exists here:
// Create of a CacheFile, as PeerTube announces its redundancies.
func (s *Service) announceMirror(ctx context.Context, item *store.Item, fileID int64) error {
	ch, err := s.store.ChannelByID(ctx, item.ChannelID)
	if err != nil {
		return err
	}
	origin, err := s.store.ActorByID(ctx, ch.ActorID)
	if err != nil {
		return err
	}
	files, err := s.store.MediaFiles(ctx, item.ID)
	if err != nil {
		return err
	}
	var f *store.MediaFile
	for _, c := range files {
		if c.ID == fileID {
			f = c
		}
	}
	if f == nil || f.StorageKey == "" {
		return nil
	}
	inst, err := s.InstanceActor(ctx)
	if err != nil {
		return err
	}
	inbox := origin.SharedInbox
	if inbox == "" {
		inbox = origin.Inbox
	}
	from := s.ActorURI(inst)
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		id, err := tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: inst.ID, Type: "Create", ObjectURI: item.OriginURI, Inboxes: []string{inbox}},
			func(id int64) (string, error) {
				return marshal(map[string]any{"@context": []any{ap.ContextActivityStreams, map[string]string{"CacheFile": "https://joinpeertube.org/ns#CacheFile"}},
					"id": s.ActivityURI(id), "type": "Create", "actor": from, "to": []string{origin.URI},
					"object": map[string]any{"id": s.base + "/redundancy/" + strings.ToLower(item.PublicID) + "/" + f.Rendition,
						"type": "CacheFile", "object": item.OriginURI, "expires": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339),
						"url": map[string]any{"type": "Link", "mediaType": f.MimeType, "href": s.library.MediaURL(f.StorageKey),
							"height": f.Height, "size": f.Size, "fps": f.FPS}}})
			})
		if err != nil {
			return err
		}
		return s.queueDelivery(ctx, tx, id)
	})
}

// capped reads at most left bytes, then fails.
type capped struct {
	r    io.Reader
	left int64
	over bool
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.over = true
		return 0, errors.New("over the size limit")
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		c.over = true
		return n, errors.New("over the size limit")
	}
	return n, err
}

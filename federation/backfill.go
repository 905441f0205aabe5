package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/store"
)

// Backfill: when the hub indexes a remote item, the comments already made
// on it elsewhere are fetched from its replies (Mastodon, GoToSocial) or
// comments (PeerTube) collection, page by page, within bounds; and again
// on a schedule while the item is fresh, as conversations go on.

// Bounds of one backfill run, and its schedule.
const (
	backfillMaxPages = 20
	backfillMaxNotes = 500
	backfillEvery    = 3 * time.Hour
	backfillFresh    = 7 * 24 * time.Hour
)

// BackfillArgs is the job fetching the comments of a remote item. Run
// counts the runs, so each scheduled run is a distinct unique job.
type BackfillArgs struct {
	ItemID int64 `json:"item_id"`
	Run    int   `json:"run,omitempty"`
}

// Kind implements river.JobArgs.
func (BackfillArgs) Kind() string { return "federation_backfill" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (BackfillArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueFederation, MaxAttempts: 3, Priority: 4, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// BackfillWorker runs BackfillArgs jobs.
type BackfillWorker struct {
	river.WorkerDefaults[BackfillArgs]
	Service *Service
}

// Timeout implements river.Worker.
func (w *BackfillWorker) Timeout(*river.Job[BackfillArgs]) time.Duration { return 10 * time.Minute }

// Work implements river.Worker: one run, then the next while fresh.
func (w *BackfillWorker) Work(ctx context.Context, job *river.Job[BackfillArgs]) error {
	s := w.Service
	item, err := s.store.ItemByID(ctx, job.Args.ItemID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	n, err := s.Backfill(ctx, item)
	if err != nil {
		return err
	}
	s.log.Info("comments backfilled", "item", item.OriginURI, "new", n, "run", job.Args.Run)
	if item.PublishedAt == nil || s.now().Sub(*item.PublishedAt) > backfillFresh {
		return nil
	}
	q, err := s.jobs()
	if err != nil {
		return err
	}
	next := BackfillArgs{ItemID: item.ID, Run: job.Args.Run + 1}
	opts := next.InsertOpts()
	opts.ScheduledAt = time.Now().Add(backfillEvery)
	_, err = q.Insert(ctx, next, &opts)
	return err
}

// QueueBackfill queues the comments backfill of a remote item just
// indexed (in the transaction indexing it).
func (s *Service) QueueBackfill(ctx context.Context, tx *store.Tx, itemID int64) error {
	q, err := s.jobs()
	if err != nil {
		return err
	}
	_, err = q.InsertTx(ctx, tx, BackfillArgs{ItemID: itemID}, nil)
	return err
}

// Backfill fetches the comments of a remote item and stores those it did
// not have, with their place in the threads; it returns how many are new.
// Comments that are not public, not their author's, or from blocked
// authors are left out, as they are in the inbox.
func (s *Service) Backfill(ctx context.Context, item *store.Item) (int, error) {
	if item.OriginURI == "" {
		return 0, nil
	}
	body, err := s.fetch(ctx, item.OriginURI)
	if err != nil {
		return 0, fmt.Errorf("fetch %s: %w", item.OriginURI, err)
	}
	obj, err := ap.DecodeObject(body)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", item.OriginURI, err)
	}
	b := &backfill{s: s, pages: backfillMaxPages, notes: backfillMaxNotes, seen: map[string]bool{}}
	queue := []ap.Ref{}
	if obj.Replies != nil {
		queue = append(queue, *obj.Replies)
	}
	if obj.Comments != "" {
		queue = append(queue, ap.Ref{ID: obj.Comments})
	}
	for len(queue) > 0 && b.pages > 0 && b.notes > 0 {
		more, err := b.collection(ctx, queue[0])
		if err != nil {
			s.log.Info("backfill: a collection failed", "item", item.OriginURI, "collection", queue[0].ID, "error", err)
		}
		queue = append(queue[1:], more...)
	}
	return b.stored, nil
}

type backfill struct {
	s      *Service
	pages  int // pages left to fetch
	notes  int // notes left to look at
	stored int
	seen   map[string]bool
}

// collection walks one replies collection and stores its notes; it
// returns the replies collections of those notes (Mastodon nests them).
func (b *backfill) collection(ctx context.Context, ref ap.Ref) ([]ap.Ref, error) {
	var coll ap.OrderedCollection
	if ref.Raw != nil {
		if err := json.Unmarshal(ref.Raw, &coll); err != nil {
			return nil, err
		}
	} else if ref.ID != "" {
		if b.seen[ref.ID] {
			return nil, nil
		}
		b.seen[ref.ID] = true
		body, err := b.s.fetch(ctx, ref.ID)
		b.pages--
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(body, &coll); err != nil {
			return nil, err
		}
	}
	var more []ap.Ref
	items := coll.OrderedItems
	next := coll.First
	if coll.FirstPage != nil {
		items = append(items, coll.FirstPage.OrderedItems...)
		next = coll.FirstPage.Next
	}
	for {
		for _, raw := range items {
			if b.notes <= 0 {
				return more, nil
			}
			b.notes--
			if replies := b.note(ctx, raw); replies != nil {
				more = append(more, *replies)
			}
		}
		if next == "" || b.pages <= 0 || b.seen[next] {
			return more, nil
		}
		b.seen[next] = true
		body, err := b.s.fetch(ctx, next)
		b.pages--
		if err != nil {
			return more, err
		}
		var page ap.OrderedCollectionPage
		if err := json.Unmarshal(body, &page); err != nil {
			return more, err
		}
		items, next = page.OrderedItems, page.Next
	}
}

// note stores one entry of a collection, an IRI or an embedded object,
// always fetched from its id (an embedded copy could say anything). It
// returns the note's own replies collection.
func (b *backfill) note(ctx context.Context, raw json.RawMessage) *ap.Ref {
	var id string
	if json.Unmarshal(raw, &id) != nil {
		obj, err := ap.DecodeObject(raw)
		if err != nil {
			return nil
		}
		id = obj.ID
	}
	if id == "" || b.seen[id] {
		return nil
	}
	b.seen[id] = true
	if _, err := b.s.store.CommentByURI(ctx, id); err == nil {
		return nil
	}
	obj, err := b.s.fetchNote(ctx, id)
	if err != nil {
		return nil
	}
	if _, err := b.s.ingestNote(ctx, obj); err != nil {
		var ig errIgnored
		if !errors.As(err, &ig) {
			b.s.log.Info("backfill: a comment failed", "id", id, "error", err)
		}
		return nil
	}
	b.stored++
	return obj.Replies
}

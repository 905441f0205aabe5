package curation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/federation/httpclient"
	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/store"
)

// WebSub tells a WebSub hub (websub-hub) that a channel's feeds changed,
// so that subscribed podcast apps and directories fetch them at once
// instead of polling. It is a library.Events: publishing, editing or
// deleting an item queues a ping, in the same transaction. Changes to one
// channel within websubWindow share one ping, sent at the end of it.
type WebSub struct {
	Store  *store.Store
	Client *httpclient.Client // outbound rules (no private addresses unless allowed) apply
	Hub    string
	Feeds  *Feeds
	Queue  jobs.Queue
	// Window is how long changes to a channel wait to share one ping;
	// 0: DefaultWebSubWindow.
	Window time.Duration
}

// DefaultWebSubWindow is WebSub.Window's default.
const DefaultWebSubWindow = 10 * time.Second

// WebSubArgs is the job pinging the hub for a channel's feeds. Window
// numbers the window of time it covers: one job per channel and window.
type WebSubArgs struct {
	ChannelID int64 `json:"channel_id,omitempty"`
	ItemID    int64 `json:"item_id,omitempty"` // when the channel is not known yet
	Window    int64 `json:"window"`
}

// Kind implements river.JobArgs.
func (WebSubArgs) Kind() string { return "websub_publish" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (a WebSubArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// queue queues the ping of the current window, to run at its end.
func (w *WebSub) queue(ctx context.Context, tx *store.Tx, args WebSubArgs) error {
	if w == nil || w.Hub == "" {
		return nil
	}
	window := w.Window
	if window <= 0 {
		window = DefaultWebSubWindow
	}
	now := time.Now()
	args.Window = now.UnixNano() / int64(window)
	opts := args.InsertOpts()
	opts.ScheduledAt = time.Unix(0, (args.Window+1)*int64(window))
	_, err := w.Queue.InsertTx(ctx, tx, args, &opts)
	return err
}

// ItemPublished implements library.Events.
func (w *WebSub) ItemPublished(ctx context.Context, tx *store.Tx, itemID int64) error {
	return w.queue(ctx, tx, WebSubArgs{ItemID: itemID})
}

// ItemUpdated implements library.Events.
func (w *WebSub) ItemUpdated(ctx context.Context, tx *store.Tx, item *store.Item) error {
	if item.State != store.StatePublished || item.OriginURI != "" {
		return nil
	}
	return w.queue(ctx, tx, WebSubArgs{ChannelID: item.ChannelID})
}

// ItemDeleting implements library.Events.
func (w *WebSub) ItemDeleting(ctx context.Context, tx *store.Tx, item *store.Item) ([]int64, error) {
	if item.State != store.StatePublished || item.OriginURI != "" {
		return nil, nil
	}
	return nil, w.queue(ctx, tx, WebSubArgs{ChannelID: item.ChannelID})
}

// WebSubWorker runs WebSubArgs jobs.
type WebSubWorker struct {
	river.WorkerDefaults[WebSubArgs]
	WebSub *WebSub
}

// Work implements river.Worker: one publish ping per feed format, as the
// WebSub spec asks (hub.mode=publish, hub.url=the topic).
func (w *WebSubWorker) Work(ctx context.Context, job *river.Job[WebSubArgs]) error {
	ws := w.WebSub
	channelID := job.Args.ChannelID
	if channelID == 0 {
		item, err := ws.Store.ItemByID(ctx, job.Args.ItemID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		channelID = item.ChannelID
	}
	ch, err := ws.Store.ChannelByID(ctx, channelID)
	if errors.Is(err, store.ErrNotFound) || err == nil && ch.Domain != "" {
		return nil
	}
	if err != nil {
		return err
	}
	for _, format := range []string{"rss", "atom", "json"} {
		form := url.Values{"hub.mode": {"publish"}, "hub.url": {ws.Feeds.FeedURL(ch.Handle, format)}}
		resp, err := ws.Client.Post(ctx, ws.Hub, "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
		if err != nil {
			return fmt.Errorf("WebSub hub %s: %w", ws.Hub, err)
		}
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("WebSub hub %s answered %d for %s", ws.Hub, resp.StatusCode, form.Get("hub.url"))
		}
	}
	return nil
}

package federation

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/federation/deliver"
	"github.com/archipel/archipel/store"
)

// DeliverArgs is the job that delivers one outbox activity. Without Inbox
// it is the activity's one fan-out job: it resolves the recipients to
// unique inboxes (shared inbox first) and tries each once. With Inbox it
// retries that one inbox (Attempt counts the retries).
type DeliverArgs struct {
	ActivityID int64  `json:"activity_id"`
	Inbox      string `json:"inbox,omitempty"`
	Attempt    int    `json:"attempt,omitempty"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "federation_deliver" }

// InsertOpts implements river.JobArgsWithInsertOpts. Fan-outs go ahead of
// retries; failures are handled by the job itself (retry jobs per inbox),
// so River retries only a job that crashed.
func (a DeliverArgs) InsertOpts() river.InsertOpts {
	prio := 1
	if a.Inbox != "" {
		prio = 3
	}
	return river.InsertOpts{Queue: QueueFederation, Priority: prio, MaxAttempts: 3}
}

// DeliverWorker runs DeliverArgs jobs.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	Service *Service
}

// Timeout implements river.Worker.
func (w *DeliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration { return deliveryTimeout }

// Work implements river.Worker.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	s := w.Service
	defer func() {
		if err := s.store.RemoveDeliveryJob(context.WithoutCancel(ctx), job.ID); err != nil {
			s.log.Warn("forget a delivery job", "job", job.ID, "error", err)
		}
	}()
	act, err := s.store.OutboxActivityByID(ctx, job.Args.ActivityID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the actor is gone
	}
	if err != nil {
		return err
	}
	body := act.Body
	if body == "" {
		build := s.buildItemActivity
		if _, ok := s.parseLocalComment(act.ObjectURI); ok {
			build = s.buildCommentActivity
		}
		if body, err = build(ctx, act); err != nil || body == "" {
			return err // "" : the item or comment was deleted or hidden meanwhile
		}
	}
	actor, err := s.store.ActorByID(ctx, act.ActorID)
	if err != nil {
		return err
	}
	if job.Args.Inbox != "" {
		return s.retryOne(ctx, job, actor, []byte(body))
	}
	inboxes, err := s.recipients(ctx, actor, act)
	if err != nil {
		return err
	}
	return s.fanOut(ctx, act, actor, []byte(body), inboxes)
}

// recipients resolves who gets an activity: the inboxes it names, or for
// a comment its thread, or else the followers of the actor, and for a
// channel also those of its owner and of the instance; as unique inboxes,
// shared inboxes first.
func (s *Service) recipients(ctx context.Context, actor *store.Actor, act *store.OutboxActivity) ([]string, error) {
	if len(act.Inboxes) > 0 {
		return act.Inboxes, nil
	}
	if _, ok := s.parseLocalComment(act.ObjectURI); ok {
		rs, err := s.commentRecipients(ctx, act)
		return inboxesOf(rs), err
	}
	targets := []int64{actor.ID}
	if actor.Kind == store.ActorGroup {
		if owner, err := s.store.OwnerActorOfChannelActor(ctx, actor.ID); err == nil {
			targets = append(targets, owner)
		}
		if inst, err := s.InstanceActor(ctx); err == nil {
			targets = append(targets, inst.ID)
		}
	}
	rs, err := s.store.FollowerRecipients(ctx, targets...)
	return inboxesOf(rs), err
}

// inboxesOf turns recipients into unique inboxes, shared inboxes first.
func inboxesOf(rs []store.Recipient) []string {
	pairs := make([]deliver.Recipient, len(rs))
	for i, r := range rs {
		pairs[i] = deliver.Recipient{Inbox: r.Inbox, SharedInbox: r.SharedInbox}
	}
	return deliver.Dedupe(pairs)
}

// attempt posts body to each inbox once through the engine, each request
// signed afresh (new Date) as the actor, and records host health.
func (s *Service) attempt(ctx context.Context, actor *store.Actor, body []byte, inboxes []string) ([]deliver.Result, error) {
	signer, err := s.signer(ctx, actor)
	if err != nil {
		return nil, err
	}
	gated := s.gate.Signer(signer)
	engine := s.engine
	engine.Send = func(ctx context.Context, inbox string) (int, http.Header, error) {
		resp, err := s.client.Post(ctx, inbox, ap.MediaTypeActivity, body, gated)
		if err != nil {
			return 0, nil, err
		}
		return resp.StatusCode, resp.Header, nil
	}
	results := engine.Deliver(ctx, inboxes, s.countResult)
	if err := s.recordHealth(ctx, results); err != nil {
		s.log.Warn("record host health", "error", err)
	}
	return results, nil
}

// fanOut tries every inbox once; the failed ones become retry jobs.
func (s *Service) fanOut(ctx context.Context, act *store.OutboxActivity, actor *store.Actor, body []byte, inboxes []string) error {
	if len(inboxes) == 0 {
		return nil
	}
	hosts := make([]string, 0, len(inboxes))
	for _, in := range inboxes {
		hosts = append(hosts, hostOf(in))
	}
	parked, err := s.store.ParkedHosts(ctx, hosts, s.now())
	if err != nil {
		return err
	}
	var live, later []string
	for _, in := range inboxes {
		if parked[hostOf(in)] {
			later = append(later, in)
		} else {
			live = append(live, in)
		}
	}
	results, err := s.attempt(ctx, actor, body, live)
	if err != nil {
		return err
	}
	var retries []retry
	for _, r := range results {
		if r.Outcome == deliver.Retry {
			retries = append(retries, retry{inbox: r.Inbox, attempt: 1, after: s.retryDelay(1, r.RetryAfter)})
		}
	}
	for _, in := range later {
		retries = append(retries, retry{inbox: in, attempt: 1, after: s.parkedDelay(ctx, in)})
	}
	if err := s.queueRetries(ctx, act.ID, retries); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.log.Info("delivered", "activity", act.ID, "type", act.Type, "inboxes", len(inboxes),
		"retrying", len(retries), "parked", len(later))
	return nil
}

// retryOne retries a single inbox.
func (s *Service) retryOne(ctx context.Context, job *river.Job[DeliverArgs], actor *store.Actor, body []byte) error {
	inbox := job.Args.Inbox
	parked, err := s.store.ParkedHosts(ctx, []string{hostOf(inbox)}, s.now())
	if err != nil {
		return err
	}
	if parked[hostOf(inbox)] {
		// Costs no request: come back when the host is probed again.
		return s.queueRetries(ctx, job.Args.ActivityID, []retry{{inbox: inbox, attempt: job.Args.Attempt, after: s.parkedDelay(ctx, inbox)}})
	}
	results, err := s.attempt(ctx, actor, body, []string{inbox})
	if err != nil {
		return err
	}
	r := results[0]
	switch {
	case r.Outcome != deliver.Retry:
		return nil
	case job.Args.Attempt >= MaxAttempts:
		s.log.Warn("delivery abandoned", "activity", job.Args.ActivityID, "inbox", inbox, "attempts", job.Args.Attempt+1)
		return nil
	}
	next := job.Args.Attempt + 1
	return s.queueRetries(ctx, job.Args.ActivityID, []retry{{inbox: inbox, attempt: next, after: s.retryDelay(next, r.RetryAfter)}})
}

type retry struct {
	inbox   string
	attempt int
	after   time.Duration
}

// retryDelay is the wait before retry n, or the server's Retry-After when
// it asks for longer (already capped by the engine).
func (s *Service) retryDelay(n int, retryAfter time.Duration) time.Duration {
	d := deliver.Backoff(n, nil)
	if retryAfter > d {
		d = retryAfter
	}
	return d
}

// parkedDelay is the wait until a parked host is probed again.
func (s *Service) parkedDelay(ctx context.Context, inbox string) time.Duration {
	in, err := s.store.InstanceByDomain(ctx, hostOf(inbox))
	if err != nil || in.ParkedUntil == nil {
		return s.parkFor
	}
	if d := in.ParkedUntil.Sub(s.now()); d > 0 {
		return d
	}
	return time.Minute
}

// queueRetries inserts one retry job per failed inbox, recorded so that
// deleting the item cancels them.
func (s *Service) queueRetries(ctx context.Context, activityID int64, retries []retry) error {
	if len(retries) == 0 {
		return nil
	}
	q, err := s.jobs()
	if err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx) // a cut-short fan-out still records its retries
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		for _, r := range retries {
			jobID, err := q.InsertTx(ctx, tx, DeliverArgs{ActivityID: activityID, Inbox: r.inbox, Attempt: r.attempt},
				&river.InsertOpts{ScheduledAt: s.now().Add(r.after)})
			if err != nil {
				return err
			}
			if err := tx.AddDeliveryJob(ctx, jobID, activityID, r.inbox); err != nil {
				return err
			}
		}
		return nil
	})
}

// recordHealth updates each host's failure streak and parks failing hosts.
func (s *Service) recordHealth(ctx context.Context, results []deliver.Result) error {
	byHost := map[string]*store.DeliveryOutcome{}
	var order []string
	for _, r := range results {
		o := byHost[r.Host]
		if o == nil {
			o = &store.DeliveryOutcome{Host: r.Host}
			byHost[r.Host] = o
			order = append(order, r.Host)
		}
		if r.Outcome == deliver.Delivered {
			o.Delivered++
		} else if r.Outcome == deliver.Retry {
			o.Failed++
			o.Error = failureText(r)
		}
	}
	outcomes := make([]store.DeliveryOutcome, 0, len(order))
	for _, h := range order {
		if o := byHost[h]; o.Delivered > 0 || o.Failed > 0 {
			outcomes = append(outcomes, *o)
		}
	}
	return s.store.RecordDeliveries(context.WithoutCancel(ctx), outcomes, s.parkAfter, s.parkFor)
}

// failureText says what a failed delivery got, for the health page.
func failureText(r deliver.Result) string {
	switch {
	case r.Err != nil:
		return r.Err.Error()
	case r.Status != 0:
		return "HTTP " + strconv.Itoa(r.Status) + " " + http.StatusText(r.Status)
	}
	return "delivery failed"
}

// countResult feeds the per-host delivery metrics.
func (s *Service) countResult(r deliver.Result) {
	result := "delivered"
	switch r.Outcome {
	case deliver.Retry:
		result = "retry"
	case deliver.Final:
		result = "final"
	}
	s.metrics.deliveries.WithLabelValues(r.Host, result).Inc()
}

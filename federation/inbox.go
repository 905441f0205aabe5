package federation

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/federation/httpsig"
	"github.com/archipel/archipel/federation/keys"
	"github.com/archipel/archipel/store"
)

// InboxArgs is the job that drains the stored inbox: it claims pending
// activities in batches, oldest first, and processes them. Commits of
// POSTs queue one when none is waiting to start, and one runs every
// InboxSweepEvery whatever happens (activities whose wake-up was lost, or
// whose drain died with its node, once their claim lapses); a drain that
// finds nothing left ends at once.
// RetryAt, when set, is a drain scheduled for activities waiting to be
// retried; it is unique, so waiting retries queue one job, not one each.
type InboxArgs struct {
	RetryAt int64 `json:"retry_at,omitempty"`
}

// Kind implements river.JobArgs.
func (InboxArgs) Kind() string { return "federation_inbox" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (a InboxArgs) InsertOpts() river.InsertOpts {
	o := river.InsertOpts{Queue: QueueFederation, MaxAttempts: 8}
	if a.RetryAt != 0 {
		o.ScheduledAt = time.Unix(a.RetryAt, 0)
		o.UniqueOpts = river.UniqueOpts{ByArgs: true}
	}
	return o
}

// InboxSweepEvery is how often a drain runs without being woken.
const InboxSweepEvery = time.Minute

// QueueFederation is the River queue of inbox processing and deliveries.
const QueueFederation = "federation"

// refusal is an inbox answer other than 202, with the reason logged and
// counted.
type refusal struct {
	status int
	reason string // metric label
	msg    string
}

func (e *refusal) Error() string { return e.msg }

func refuse(status int, reason, format string, args ...any) *refusal {
	return &refusal{status: status, reason: reason, msg: fmt.Sprintf(format, args...)}
}

// HandleInbox receives a POST to the shared inbox or an actor's inbox. It
// checks, in order: the body size; the signature's form, Date and Digest;
// that neither the actor's nor the key's host is blocked (before fetching
// anything); that the key, the actor and the activity id share one host;
// the signature itself with the (cached) key. Then it stores the activity
// (committed with others arriving at the same time) and answers 202; a
// drain job processes it.
func (s *Service) HandleInbox(w http.ResponseWriter, r *http.Request) {
	err := s.receive(r)
	var rf *refusal
	switch {
	case err == nil:
		s.metrics.inbox.WithLabelValues("accepted").Inc()
		w.WriteHeader(http.StatusAccepted)
		return
	case errors.As(err, &rf):
		s.metrics.inbox.WithLabelValues(rf.reason).Inc()
		s.log.Info("inbox refused", "status", rf.status, "reason", rf.reason, "error", rf.msg, "remote", r.RemoteAddr)
		http.Error(w, rf.msg, rf.status)
	default:
		s.metrics.inbox.WithLabelValues("error").Inc()
		s.serverError(w, r, err)
	}
}

func (s *Service) receive(r *http.Request) error {
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return refuse(http.StatusRequestEntityTooLarge, "too_large", "the body is over %d bytes", s.maxBody)
	}
	if err != nil {
		return refuse(http.StatusBadRequest, "unreadable", "cannot read the body: %v", err)
	}
	sig, err := s.verifier.Parse(r, body)
	if err != nil {
		status := http.StatusUnauthorized
		reason := "bad_signature"
		switch {
		case errors.Is(err, httpsig.ErrDigest):
			status, reason = http.StatusBadRequest, "bad_digest"
		case errors.Is(err, httpsig.ErrStaleDate):
			reason = "stale_date"
		case errors.Is(err, httpsig.ErrNoSignature):
			reason = "unsigned"
		}
		return refuse(status, reason, "signature: %v", err)
	}
	id, typ, actor, err := ap.Peek(body)
	if err != nil || typ == "" || actor == "" {
		return refuse(http.StatusBadRequest, "malformed", "the body is not an activity with a type and an actor")
	}
	if id == "" {
		return refuse(http.StatusBadRequest, "malformed", "the activity has no id")
	}
	actorHost, keyHost := hostOf(actor), hostOf(sig.KeyID)
	hosts := []string{actorHost}
	if keyHost != actorHost {
		hosts = append(hosts, keyHost)
	}
	for _, h := range hosts {
		blocked, err := s.store.SenderBlocked(ctx, h, actor)
		if err != nil {
			return err
		}
		if blocked {
			return refuse(http.StatusForbidden, "blocked", "%s is blocked here", actor)
		}
	}
	if actorHost == "" || keyHost != actorHost {
		return refuse(http.StatusUnauthorized, "foreign_key", "the key %s is not on the actor's host %s", sig.KeyID, actorHost)
	}
	if hostOf(id) != actorHost {
		return refuse(http.StatusBadRequest, "foreign_id", "the activity id %s is not on the actor's host", id)
	}
	if err := s.checkSignature(ctx, sig, typ, actor, body); err != nil {
		return err
	}
	err = s.inboxBatch.store(ctx, store.InboxActivity{ActivityURI: id, Type: typ, ActorURI: actor, KeyID: sig.KeyID, Body: string(body)})
	if errors.Is(err, store.ErrConflict) {
		return refuse(http.StatusConflict, "replay", "the activity %s was already received", id)
	}
	return err
}

// inboxBatcher stores received activities with group commit: the first
// request to arrive commits the rows queued so far in one statement, while
// the others wait for their row's outcome; rows that arrive meanwhile go
// into the next commit. Every 202 follows the commit of its row. After
// each commit a drain is woken (drainWaker), off the requests' path.
type inboxBatcher struct {
	s       *Service
	mu      sync.Mutex
	queued  []*queuedActivity
	leading bool
	wake    drainWaker
}

type queuedActivity struct {
	row  store.InboxActivity
	done chan error
}

// maxInboxBatch bounds the rows of one commit.
const maxInboxBatch = 256

func (b *inboxBatcher) store(ctx context.Context, row store.InboxActivity) error {
	q := &queuedActivity{row: row, done: make(chan error, 1)}
	b.mu.Lock()
	b.queued = append(b.queued, q)
	if b.leading {
		b.mu.Unlock()
		return <-q.done
	}
	b.leading = true
	for len(b.queued) > 0 {
		n := min(len(b.queued), maxInboxBatch)
		batch := b.queued[:n:n]
		b.queued = b.queued[n:]
		b.mu.Unlock()
		b.commit(context.WithoutCancel(ctx), batch)
		b.mu.Lock()
	}
	b.leading = false
	b.mu.Unlock()
	return <-q.done
}

// commit stores a batch and wakes a drain for it.
func (b *inboxBatcher) commit(ctx context.Context, batch []*queuedActivity) {
	rows := make([]store.InboxActivity, len(batch))
	for i, q := range batch {
		rows[i] = q.row
	}
	inserted, err := b.s.store.StoreInboxActivities(ctx, rows)
	fresh := 0
	for _, q := range batch {
		switch {
		case err != nil:
			q.done <- err
		case inserted[q.row.ActivityURI]:
			delete(inserted, q.row.ActivityURI) // a second copy in the batch is a replay
			fresh++
			q.done <- nil
		default:
			q.done <- store.ErrConflict
		}
	}
	if fresh > 0 {
		b.wake.wake(b.s)
	}
}

// drainWaker makes sure a drain starts after each commit of inbox rows,
// with one wake-up in flight at a time: commits that land while one runs
// get one more after it, which covers them all. The rows are durable
// before their 202 whether or not a wake-up succeeds; should one fail, or
// the process stop before it, the periodic drain (InboxSweepEvery) takes them.
type drainWaker struct {
	mu      sync.Mutex
	running bool
	again   bool
}

func (w *drainWaker) wake(s *Service) {
	w.mu.Lock()
	if w.running {
		w.again = true
		w.mu.Unlock()
		return
	}
	w.running = true
	w.mu.Unlock()
	go func() {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), wakeTimeout)
			err := s.wakeDrain(ctx)
			cancel()
			if err != nil {
				s.log.Warn("inbox: cannot queue a drain; the periodic one will take the activities", "error", err)
			}
			w.mu.Lock()
			if !w.again {
				w.running = false
				w.mu.Unlock()
				return
			}
			w.again = false
			w.mu.Unlock()
		}
	}()
}

// wakeTimeout bounds one wake-up: a database that hangs must not hold the
// waker, and with it every later wake-up, for longer.
const wakeTimeout = 30 * time.Second

// waker is a queue that queues a job only when none of its kind is
// waiting (jobs.Runner).
type waker interface {
	Wake(ctx context.Context, args river.JobArgs) error
}

// wakeDrain queues a drain unless one is waiting to start.
func (s *Service) wakeDrain(ctx context.Context) error {
	jq, err := s.jobs()
	if err != nil {
		return err
	}
	if w, ok := jq.(waker); ok {
		return w.Wake(ctx, InboxArgs{})
	}
	_, err = jq.Insert(ctx, InboxArgs{}, nil)
	return err
}

// checkSignature verifies sig with the key of its keyId: cached, fetched
// once (coalesced), and refetched once if it fails (keys rotate). A Delete
// of an actor whose key is gone verifies with the key we stored for it.
func (s *Service) checkSignature(ctx context.Context, sig *httpsig.Signature, typ, actor string, body []byte) error {
	key, err := s.keys.Get(ctx, sig.KeyID)
	if errors.Is(err, keys.ErrGone) && typ == "Delete" {
		if stored, serr := s.store.RemoteActorByURI(ctx, actor); serr == nil && stored.PublicKeyPEM != "" {
			pub, perr := httpsig.ParsePublicKeyPEM(stored.PublicKeyPEM)
			if perr == nil && sig.Verify(pub) == nil {
				return nil
			}
		}
		return refuse(http.StatusGone, "key_gone", "the key %s is gone", sig.KeyID)
	}
	if err != nil {
		return refuse(http.StatusUnauthorized, "key_unavailable", "cannot get the key %s: %v", sig.KeyID, err)
	}
	if hostOf(key.Owner) != hostOf(actor) {
		return refuse(http.StatusUnauthorized, "foreign_key", "the key %s belongs to %s, not to the actor's host", sig.KeyID, key.Owner)
	}
	if verify(sig, key.PublicKey) == nil {
		return nil
	}
	fresh, err := s.keys.Refresh(ctx, sig.KeyID)
	if err == nil && fresh.PublicKey != nil && hostOf(fresh.Owner) == hostOf(actor) && verify(sig, fresh.PublicKey) == nil {
		return nil
	}
	return refuse(http.StatusUnauthorized, "bad_signature", "the signature does not verify with the key %s", sig.KeyID)
}

func verify(sig *httpsig.Signature, pub crypto.PublicKey) error {
	if pub == nil {
		return errors.New("no key")
	}
	return sig.Verify(pub)
}

// Package deliver fans one signed activity out to many remote inboxes.
//
// The Engine attempts every inbox once, concurrently, within a global bound on
// requests in flight and a per-host bound, and reports one Result per inbox.
// It knows nothing about HTTP signatures or clients: the caller supplies a Send
// function that signs afresh and POSTs. Retrying later (with Backoff) and
// parking unhealthy hosts belong to the caller's job queue; the engine only
// classifies each attempt (Classify) and extracts Retry-After.
//
// Scheduling: inboxes are grouped by URL host. Hosts with pending inboxes and
// a free per-host slot sit in a FIFO ready queue; a worker takes the host at
// the head, starts one attempt and puts the host back at the tail if it may
// take another. A host at its cap is simply not in the queue, so workers move
// on to other hosts (no head-of-line blocking), and a host whose server hangs
// holds at most PerHost slots until Timeout.
//
// CPU: signing an RSA-2048 request costs about a millisecond, so a large
// fan-out is CPU-bound even when every remote answers at once. With
// Engine.Gate set (and Send's signer wrapped by the same Gate's Signer), a
// worker waits for a CPU turn before it starts an attempt, and gives the turn
// back as soon as the request is signed: signatures are made a few at a time
// (GOMAXPROCS by default), each request leaves as soon as it is signed, and the
// per-attempt Timeout only runs once the attempt has its turn, so CPU queueing
// under a big fan-out (or several at once) is never mistaken for a slow host.
// Hundreds of workers may wait for a turn or for the network at once; that is
// cheap.
package deliver

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Outcome of one delivery attempt.
type Outcome int

const (
	// Delivered means the remote answered 2xx.
	Delivered Outcome = iota
	// Retry means the attempt failed in a way that may pass: a network error,
	// a timeout, 5xx, 429 or 408. Try again later (see Backoff).
	Retry
	// Final means give up: 410 (the inbox is gone) and any other 4xx but 408
	// and 429, an unusable inbox URL, or an error wrapping ErrPermanent.
	Final
)

// String returns the outcome's name, for logs and metrics labels.
func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Retry:
		return "retry"
	case Final:
		return "final"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Defaults for zero Engine fields.
const (
	DefaultMaxInFlight   = 512
	DefaultPerHost       = 4
	DefaultTimeout       = 10 * time.Second
	DefaultMaxRetryAfter = 6 * time.Hour
)

// ErrPermanent may be wrapped by a Send error to mark a transport failure that
// no retry can fix (for example a destination refused by an address policy).
// Classify maps such errors to Final.
var ErrPermanent = errors.New("deliver: permanent failure")

// errBadInbox is reported, wrapped with ErrPermanent, for inbox URLs that are
// not absolute http(s) URLs with a host. Send is not called for them.
var errBadInbox = errors.New("deliver: inbox is not an absolute http(s) URL")

// Result of the attempt to one inbox.
type Result struct {
	Inbox      string
	Host       string        // URL host (host:port), lower-cased
	Status     int           // 0 on transport error
	Err        error         // transport error, or nil
	RetryAfter time.Duration // from Retry-After on 429/503, capped at Engine.MaxRetryAfter
	Outcome    Outcome
	Took       time.Duration // time spent in Send, by the monotonic clock (0 if Send was not called)
}

// Send performs one attempt to inbox: the caller's closure signs afresh (new
// Date) and POSTs the body. It returns the HTTP status and response headers, or
// a transport error. It must return promptly once ctx is done: ctx carries the
// per-attempt Timeout.
type Send func(ctx context.Context, inbox string) (status int, header http.Header, err error)

// Engine delivers one payload to many inboxes. The zero value of each bound
// means its default; Send is required. An Engine holds no state between calls
// and may be used by several Deliver calls at once (each call has its own
// bounds; share a Gate to bound their CPU together).
//
// Deliver runs up to MaxInFlight workers. Without a Gate they all start Send
// at once; with one they queue for CPU turns first (see Gate).
type Engine struct {
	Send          Send
	MaxInFlight   int              // global bound on concurrent requests; 0 -> 512
	PerHost       int              // concurrent requests per host; 0 -> 4
	Timeout       time.Duration    // per attempt; 0 -> 10s
	MaxRetryAfter time.Duration    // cap on honoured Retry-After; 0 -> 6h
	Now           func() time.Time // clock for Retry-After dates; nil -> time.Now

	// Gate, if not nil, paces attempts by CPU: a worker takes a turn of
	// the Gate before starting an attempt (its Timeout starts after that)
	// and the turn is given back when Send's signer, wrapped by
	// Gate.Signer, has signed (or Send calls ReleaseTurn), or at the latest
	// when Send returns. Share one Gate between all deliveries of a
	// process. Without a wrapped signer a turn lasts the whole attempt and
	// concurrency falls to the Gate's size: do not set Gate then.
	Gate *Gate
	// Logger receives a warning when Gate is set but Send never gives its
	// turn back early; nil means slog.Default().
	Logger *slog.Logger
}

// Deliver attempts every inbox once, concurrently within the bounds, and
// returns one Result per inbox, in the order of inboxes. Duplicate inboxes are
// attempted once and share the Result. It returns when all attempts finished or
// when ctx is done; in the latter case the unfinished ones get Outcome Retry
// with ctx.Err() (Deliver does not wait for Send calls still running: they see
// ctx done and their results are discarded).
//
// onResult, if non-nil, is called once per distinct inbox as its attempt
// finishes (including the ones cut short by ctx), from the engine's
// goroutines: calls may be concurrent and must not block for long.
func (e *Engine) Deliver(ctx context.Context, inboxes []string, onResult func(Result)) []Result {
	results := make([]Result, len(inboxes))
	if len(inboxes) == 0 {
		return results
	}
	if e.Send == nil {
		panic("deliver: Engine.Send is nil")
	}
	d := e.plan(inboxes)
	d.ctx = ctx
	d.onResult = onResult

	// Inboxes with an unusable URL are final before any worker starts.
	for _, u := range d.units {
		if u.err != nil {
			d.finish(u, Result{Inbox: u.inbox, Host: u.host, Err: u.err, Outcome: Final})
		}
	}

	stop := context.AfterFunc(ctx, d.cancel)
	defer stop()

	d.mu.Lock()
	for ; d.workers < d.maxWorkers && !d.closed; d.workers++ {
		go d.work()
	}
	d.mu.Unlock()

	select {
	case <-d.done:
	case <-ctx.Done():
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed {
		// ctx was done first: everything unfinished is a Retry.
		d.closeLocked()
		for _, u := range d.units {
			if !u.finished {
				d.finishLocked(u, Result{Inbox: u.inbox, Host: u.host, Err: ctx.Err(), Outcome: Retry})
			}
		}
	}
	for d.reporting > 0 {
		d.cond.Wait()
	}
	for i, u := range d.byIndex {
		results[i] = u.res
	}
	return results
}

// unit is one distinct inbox.
type unit struct {
	inbox    string
	host     string
	err      error // unusable URL
	h        *hostQueue
	finished bool
	res      Result
}

// hostQueue is the work pending for one host.
type hostQueue struct {
	pending  []*unit
	inflight int
	queued   bool // in delivery.ready
}

// delivery is the state of one Deliver call.
type delivery struct {
	e        *Engine
	ctx      context.Context
	onResult func(Result)
	now      func() time.Time
	perHost  int
	timeout  time.Duration
	maxRA    time.Duration

	units   []*unit // distinct inboxes, first-seen order
	byIndex []*unit // unit for each index of inboxes

	mu         sync.Mutex
	cond       *sync.Cond
	ready      []*hostQueue // FIFO ring, see push/pop
	head       int
	nready     int
	workers    int
	idle       int  // workers waiting for a ready host
	heldWarned bool // the Gate misuse warning was logged
	maxWorkers int
	left       int  // units not finished
	reporting  int  // onResult calls in progress
	closed     bool // all finished or ctx done
	done       chan struct{}
}

// plan groups inboxes by host and sizes the worker pool.
func (e *Engine) plan(inboxes []string) *delivery {
	d := &delivery{
		e:       e,
		now:     e.Now,
		perHost: e.PerHost,
		timeout: e.Timeout,
		maxRA:   e.MaxRetryAfter,
		byIndex: make([]*unit, len(inboxes)),
		done:    make(chan struct{}),
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.perHost <= 0 {
		d.perHost = DefaultPerHost
	}
	if d.timeout <= 0 {
		d.timeout = DefaultTimeout
	}
	if d.maxRA <= 0 {
		d.maxRA = DefaultMaxRetryAfter
	}
	d.cond = sync.NewCond(&d.mu)

	seen := make(map[string]*unit, len(inboxes))
	hosts := make(map[string]*hostQueue)
	var order []*hostQueue
	for i, in := range inboxes {
		if u, ok := seen[in]; ok {
			d.byIndex[i] = u
			continue
		}
		u := &unit{inbox: in}
		u.host, u.err = inboxHost(in)
		seen[in] = u
		d.byIndex[i] = u
		d.units = append(d.units, u)
		if u.err != nil {
			continue
		}
		h := hosts[u.host]
		if h == nil {
			h = &hostQueue{}
			hosts[u.host] = h
			order = append(order, h)
		}
		u.h = h
		h.pending = append(h.pending, u)
	}
	d.left = len(d.units)

	// The pool never needs more workers than can run at once.
	useful := 0
	for _, h := range order {
		useful += min(len(h.pending), d.perHost)
	}
	limit := e.MaxInFlight
	if limit <= 0 {
		limit = DefaultMaxInFlight
	}
	d.maxWorkers = min(limit, useful)

	d.ready = make([]*hostQueue, len(order))
	for _, h := range order {
		d.pushLocked(h)
	}
	return d
}

// inboxHost returns the lower-cased URL host of an inbox.
func inboxHost(inbox string) (string, error) {
	u, err := url.Parse(inbox)
	if err != nil {
		return "", errors.Join(ErrPermanent, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.Join(ErrPermanent, errBadInbox)
	}
	return strings.ToLower(u.Host), nil
}

// pushLocked appends h to the ready ring. The ring has room for every host.
func (d *delivery) pushLocked(h *hostQueue) {
	h.queued = true
	d.ready[(d.head+d.nready)%len(d.ready)] = h
	d.nready++
}

// popLocked removes the host at the head of the ready ring.
func (d *delivery) popLocked() *hostQueue {
	h := d.ready[d.head]
	d.ready[d.head] = nil
	d.head = (d.head + 1) % len(d.ready)
	d.nready--
	h.queued = false
	return h
}

// work runs attempts until nothing is left for it.
func (d *delivery) work() {
	d.mu.Lock()
	for {
		for d.nready == 0 && !d.closed && d.ctx.Err() == nil {
			d.idle++
			d.cond.Wait()
			d.idle--
		}
		if d.closed || d.ctx.Err() != nil {
			d.mu.Unlock()
			return
		}
		h := d.popLocked()
		u := h.pending[0]
		h.pending[0] = nil
		h.pending = h.pending[1:]
		h.inflight++
		if len(h.pending) > 0 && h.inflight < d.perHost {
			d.pushLocked(h)
			if d.idle > 0 {
				d.cond.Signal()
			}
		}
		d.mu.Unlock()

		res := d.attempt(u)

		d.mu.Lock()
		h.inflight--
		if len(h.pending) > 0 && !h.queued && h.inflight < d.perHost {
			d.pushLocked(h)
			if d.idle > 0 {
				d.cond.Signal()
			}
		}
		if !d.closed {
			d.finishLocked(u, res)
		}
	}
}

// attempt runs Send once for u (after taking a Gate turn, if any) and
// classifies the outcome.
func (d *delivery) attempt(u *unit) Result {
	ctx := d.ctx
	var t *turn
	if g := d.e.Gate; g != nil {
		var err error
		if t, err = g.take(ctx); err != nil {
			return Result{Inbox: u.inbox, Host: u.host, Err: err, Outcome: Retry}
		}
		ctx = context.WithValue(ctx, turnKey{}, t)
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	start := time.Now()
	status, header, err := d.e.Send(ctx, u.inbox)
	took := time.Since(start)
	if t != nil && t.release() {
		d.warnHeld()
	}
	res := Result{
		Inbox:   u.inbox,
		Host:    u.host,
		Status:  status,
		Err:     err,
		Outcome: Classify(status, err),
		Took:    took,
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		res.RetryAfter = parseRetryAfter(header.Get("Retry-After"), d.now(), d.maxRA)
	}
	return res
}

// warnHeld logs, once per Deliver, that Send kept its Gate turn to the end.
func (d *delivery) warnHeld() {
	d.mu.Lock()
	warned := d.heldWarned
	d.heldWarned = true
	d.mu.Unlock()
	if warned {
		return
	}
	l := d.e.Logger
	if l == nil {
		l = slog.Default()
	}
	l.Warn("deliver: Send held its CPU turn for a whole attempt; wrap its signer with Engine.Gate.Signer or call deliver.ReleaseTurn",
		"gate", cap(d.e.Gate.sem))
}

// finish records res for u (without the lock held).
func (d *delivery) finish(u *unit, res Result) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.finishLocked(u, res)
}

// finishLocked records res for u, reports it and closes the delivery when it
// was the last one.
func (d *delivery) finishLocked(u *unit, res Result) {
	u.finished = true
	u.res = res
	if d.onResult != nil {
		// Report outside the lock so a slow callback does not stall other
		// workers; Deliver waits for reports in progress before returning.
		d.reporting++
		d.mu.Unlock()
		d.onResult(res)
		d.mu.Lock()
		d.reporting--
		if d.reporting == 0 && d.closed {
			d.cond.Broadcast()
		}
	}
	d.left--
	if d.left == 0 && !d.closed {
		d.closeLocked()
	}
}

// closeLocked ends the delivery: idle workers exit, Deliver returns.
func (d *delivery) closeLocked() {
	d.closed = true
	close(d.done)
	d.cond.Broadcast()
}

// cancel is called when ctx is done: it wakes idle workers so they exit.
func (d *delivery) cancel() {
	d.mu.Lock()
	d.cond.Broadcast()
	d.mu.Unlock()
}

// Classify maps the status or transport error of one attempt to an Outcome.
// A non-zero status wins over err (the remote did answer): 2xx is Delivered;
// 408, 429 and 5xx are Retry; 410 and other 4xx are Final; 3xx (a redirect
// that was not followed) is Final. With status 0, an error wrapping
// ErrPermanent is Final and anything else (network error, timeout, no answer)
// is Retry.
func Classify(status int, err error) Outcome {
	switch {
	case status == 0:
		if err != nil && errors.Is(err, ErrPermanent) {
			return Final
		}
		return Retry
	case status >= 200 && status <= 299:
		return Delivered
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return Retry
	case status >= 300 && status <= 499:
		return Final
	default: // 1xx, 5xx and nonsense
		return Retry
	}
}

// parseRetryAfter reads a Retry-After value (delta-seconds or HTTP-date)
// relative to now, capped at limit. Missing, malformed or past values give 0.
func parseRetryAfter(v string, now time.Time, limit time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil { // more digits than an int64 holds
			return limit
		}
		if secs <= 0 {
			return 0
		}
		if secs >= int64(limit/time.Second) {
			return limit
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0
	}
	return min(max(d, 0), limit)
}

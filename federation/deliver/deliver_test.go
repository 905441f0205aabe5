package deliver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/archipel/archipel/federation/deliver"
	"github.com/archipel/archipel/federation/fedtest"
)

func TestClassify(t *testing.T) {
	netErr := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	cases := []struct {
		status int
		err    error
		want   deliver.Outcome
	}{
		{200, nil, deliver.Delivered},
		{202, nil, deliver.Delivered},
		{204, nil, deliver.Delivered},
		{408, nil, deliver.Retry},
		{429, nil, deliver.Retry},
		{500, nil, deliver.Retry},
		{502, nil, deliver.Retry},
		{503, nil, deliver.Retry},
		{504, nil, deliver.Retry},
		{0, netErr, deliver.Retry},
		{0, &url.Error{Op: "Post", URL: "https://x/inbox", Err: context.DeadlineExceeded}, deliver.Retry},
		{0, context.Canceled, deliver.Retry},
		{0, io.ErrUnexpectedEOF, deliver.Retry},
		{0, nil, deliver.Retry},
		{0, fmt.Errorf("refused: %w", deliver.ErrPermanent), deliver.Final},
		{400, nil, deliver.Final},
		{401, nil, deliver.Final},
		{403, nil, deliver.Final},
		{404, nil, deliver.Final},
		{410, nil, deliver.Final},
		{422, nil, deliver.Final},
		{301, nil, deliver.Final},
	}
	for _, c := range cases {
		if got := deliver.Classify(c.status, c.err); got != c.want {
			t.Errorf("Classify(%d, %v) = %v, want %v", c.status, c.err, got, c.want)
		}
	}
}

func TestBackoffSchedule(t *testing.T) {
	const day = 24 * time.Hour
	fixed := func(v float64) func() float64 { return func() float64 { return v } }
	for _, tc := range []struct {
		name   string
		jitter func() float64
	}{
		{"no jitter", fixed(0.5)},
		{"all low", fixed(0)},
		{"all high", fixed(0.999999)},
		{"random", rand.New(rand.NewPCG(1, 2)).Float64},
		{"default", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var total, prev time.Duration
			for n := 1; n <= deliver.MaxAttempts; n++ {
				d := deliver.Backoff(n, tc.jitter)
				base := min(time.Minute<<(n-1), 12*time.Hour)
				lo := time.Duration(float64(base) * 0.8)
				hi := min(time.Duration(float64(base)*1.2), 12*time.Hour)
				if d < lo || d > hi {
					t.Errorf("Backoff(%d) = %v, want within [%v, %v]", n, d, lo, hi)
				}
				// Monotone-ish: jitter may undo at most the ±20% spread.
				if d < prev*2/3 {
					t.Errorf("Backoff(%d) = %v, much less than the previous %v", n, d, prev)
				}
				prev = d
				total += d
			}
			if total < 5*day/2 || total > 7*day/2 {
				t.Errorf("%d retries span %v (%.2f days), want 2.5 to 3.5 days", deliver.MaxAttempts, total, float64(total)/float64(day))
			}
			t.Logf("%d retries span %v (%.2f days)", deliver.MaxAttempts, total, float64(total)/float64(day))
		})
	}
	// Exact, without jitter.
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 720, 720, 720, 720, 720, 720}
	for i, w := range want {
		if got := deliver.Backoff(i+1, fixed(0.5)); got != w*time.Minute {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w*time.Minute)
		}
	}
	if deliver.Backoff(0, fixed(0.5)) != time.Minute || deliver.Backoff(1000, fixed(0.5)) != 12*time.Hour {
		t.Error("Backoff out of range")
	}
}

func TestDedupe(t *testing.T) {
	got := deliver.Dedupe([]deliver.Recipient{
		{Inbox: "https://a.example/users/1/inbox", SharedInbox: "https://a.example/inbox"},
		{Inbox: "https://a.example/users/2/inbox", SharedInbox: "https://a.example/inbox"},
		{Inbox: "https://castopod.example/@show/inbox"}, // no shared inbox
		{Inbox: "", SharedInbox: ""},
		{Inbox: "https://b.example/u/3/inbox", SharedInbox: "https://b.example/inbox"},
		{Inbox: "https://castopod.example/@show/inbox"},
		{SharedInbox: "https://c.example/inbox"},
		{Inbox: "https://a.example/inbox"}, // someone's personal inbox equal to a shared one
	})
	want := []string{
		"https://a.example/inbox",
		"https://castopod.example/@show/inbox",
		"https://b.example/inbox",
		"https://c.example/inbox",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Dedupe = %q\nwant %q", got, want)
	}
	if len(deliver.Dedupe(nil)) != 0 {
		t.Fatal("Dedupe(nil) not empty")
	}
}

// TestDeliverFarm delivers to real signature-checking servers in every mode.
func TestDeliverFarm(t *testing.T) {
	a := newActor(t)
	modes := []fedtest.Mode{fedtest.Healthy, fedtest.Hang, fedtest.Fail500, fedtest.Gone410, fedtest.RateLimited}
	const n = 25
	f := startFarm(t, a, n, func(i int) fedtest.Mode { return modes[i%len(modes)] })
	body := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","id":"https://hub.example/a/1"}`)
	e := newEngine(newClient(t, time.Minute), a, body, 500*time.Millisecond)
	inboxes := f.Inboxes()
	var reported atomic.Int64
	res := e.Deliver(context.Background(), inboxes, func(deliver.Result) { reported.Add(1) })

	if len(res) != n || reported.Load() != n {
		t.Fatalf("%d results, %d reported; want %d", len(res), reported.Load(), n)
	}
	for i, r := range res {
		m := modes[i%len(modes)]
		want := map[fedtest.Mode]deliver.Outcome{
			fedtest.Healthy: deliver.Delivered, fedtest.Hang: deliver.Retry, fedtest.Fail500: deliver.Retry,
			fedtest.Gone410: deliver.Final, fedtest.RateLimited: deliver.Retry,
		}[m]
		u, _ := url.Parse(inboxes[i])
		if r.Inbox != inboxes[i] || r.Host != u.Host || r.Outcome != want {
			t.Errorf("inbox %d (%v): %+v, want outcome %v", i, m, r, want)
		}
		switch m {
		case fedtest.Healthy:
			if r.Status != http.StatusAccepted || r.Err != nil || f.Received(i) != 1 {
				t.Errorf("healthy %d: status %d err %v received %d", i, r.Status, r.Err, f.Received(i))
			}
			if b := f.Bodies(i); len(b) != 1 || string(b[0]) != string(body) {
				t.Errorf("healthy %d got bodies %q", i, b)
			}
		case fedtest.Hang:
			if r.Status != 0 || r.Err == nil {
				t.Errorf("hang %d: status %d err %v", i, r.Status, r.Err)
			}
		case fedtest.RateLimited:
			if r.Status != http.StatusTooManyRequests || r.RetryAfter != 120*time.Second {
				t.Errorf("rate limited %d: status %d RetryAfter %v", i, r.Status, r.RetryAfter)
			}
		case fedtest.Gone410:
			if r.Status != http.StatusGone {
				t.Errorf("gone %d: status %d", i, r.Status)
			}
		}
		if f.Verified(i) != 1 {
			t.Errorf("inbox %d (%v): %d verified requests, want exactly 1", i, m, f.Verified(i))
		}
		if m != fedtest.RateLimited && r.RetryAfter != 0 {
			t.Errorf("inbox %d: RetryAfter %v", i, r.RetryAfter)
		}
	}
	if f.Total() != n/len(modes) || f.Rejected() != 0 {
		t.Fatalf("farm total %d rejected %d", f.Total(), f.Rejected())
	}
}

// concurrency counts requests in progress at a handler.
type concurrency struct {
	now, max atomic.Int64
	total    atomic.Int64
}

func (c *concurrency) enter() {
	n := c.now.Add(1)
	c.total.Add(1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			return
		}
	}
}

func (c *concurrency) leave() { c.now.Add(-1) }

// serve starts an HTTP server on loopback for the test.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestPerHostCap(t *testing.T) {
	var c concurrency
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.enter()
		defer c.leave()
		time.Sleep(20 * time.Millisecond)
		w.WriteHeader(http.StatusAccepted)
	}))
	var inboxes []string
	for i := range 40 {
		inboxes = append(inboxes, fmt.Sprintf("%s/users/%d/inbox", base, i))
	}
	client := &http.Client{}
	t.Cleanup(client.CloseIdleConnections)
	e := &deliver.Engine{
		PerHost: 3,
		Send: func(ctx context.Context, inbox string) (int, http.Header, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, inbox, nil)
			resp, err := client.Do(req)
			if err != nil {
				return 0, nil, err
			}
			resp.Body.Close()
			return resp.StatusCode, resp.Header, nil
		},
	}
	res := e.Deliver(context.Background(), inboxes, nil)
	for _, r := range res {
		if r.Outcome != deliver.Delivered {
			t.Fatalf("%+v", r)
		}
	}
	if c.total.Load() != 40 {
		t.Fatalf("%d requests, want 40", c.total.Load())
	}
	if m := c.max.Load(); m != 3 {
		t.Fatalf("max %d concurrent requests on one host, want exactly PerHost=3", m)
	}
}

// TestNoHeadOfLineBlocking: a hanging host with many inboxes holds PerHost
// slots only; every other host is served long before the timeout.
func TestNoHeadOfLineBlocking(t *testing.T) {
	a := newActor(t)
	f := startFarm(t, a, 11, func(i int) fedtest.Mode {
		if i == 0 {
			return fedtest.Hang
		}
		return fedtest.Healthy
	})
	var inboxes []string
	hang := f.Inboxes()[0]
	for i := range 50 { // the hanging host first, many times over
		inboxes = append(inboxes, fmt.Sprintf("%s?n=%d", hang, i))
	}
	inboxes = append(inboxes, f.Inboxes()[1:]...)

	const timeout = 3 * time.Second
	e := newEngine(newClient(t, time.Minute), a, []byte(`{}`), timeout)
	e.MaxInFlight = 8
	e.PerHost = 2
	start := time.Now()
	var mu sync.Mutex
	var lastHealthy time.Duration
	ctx, cancel := context.WithCancel(context.Background())
	res := e.Deliver(ctx, inboxes, func(r deliver.Result) {
		if r.Outcome == deliver.Delivered {
			mu.Lock()
			lastHealthy = max(lastHealthy, time.Since(start))
			if f.Total() == 10 {
				cancel() // no need to wait for the hanging host
			}
			mu.Unlock()
		}
	})
	cancel()
	if f.Total() != 10 {
		t.Fatalf("%d healthy deliveries, want 10", f.Total())
	}
	if lastHealthy > timeout/2 {
		t.Fatalf("last healthy delivery after %v: blocked behind the hanging host", lastHealthy)
	}
	for _, r := range res[:50] {
		if r.Outcome != deliver.Retry {
			t.Fatalf("hanging inbox: %+v", r)
		}
	}
	t.Logf("healthy hosts done after %v", lastHealthy)
}

func TestCancelReturnsPromptly(t *testing.T) {
	a := newActor(t)
	f := startFarm(t, a, 20, func(int) fedtest.Mode { return fedtest.Hang })
	e := newEngine(newClient(t, time.Minute), a, []byte(`{}`), 30*time.Second)
	e.MaxInFlight = 5 // 15 inboxes never start
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	var reported atomic.Int64
	start := time.Now()
	res := e.Deliver(ctx, f.Inboxes(), func(deliver.Result) { reported.Add(1) })
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Deliver took %v after cancel at 300ms", took)
	}
	for _, r := range res {
		if r.Outcome != deliver.Retry || !errors.Is(r.Err, context.Canceled) {
			t.Fatalf("%+v", r)
		}
	}
	if reported.Load() != 20 {
		t.Fatalf("%d reported, want 20", reported.Load())
	}
}

// TestCancelIgnoringSend: Deliver returns on cancel even if Send does not.
func TestCancelIgnoringSend(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	e := &deliver.Engine{Send: func(context.Context, string) (int, http.Header, error) {
		<-release
		return 200, nil, nil
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := e.Deliver(ctx, []string{"https://a.example/inbox", "https://b.example/inbox"}, nil)
	if time.Since(start) > time.Second || res[0].Outcome != deliver.Retry || !errors.Is(res[1].Err, context.DeadlineExceeded) {
		t.Fatalf("after %v: %+v", time.Since(start), res)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	headers := map[string][2]string{ // host -> status, Retry-After
		"secs.example":    {"429", "120"},
		"capped.example":  {"429", "999999"},
		"date.example":    {"503", now.Add(90 * time.Second).Format(http.TimeFormat)},
		"past.example":    {"503", now.Add(-time.Hour).Format(http.TimeFormat)},
		"junk.example":    {"429", "soon"},
		"none.example":    {"429", ""},
		"ignored.example": {"500", "60"},
		"neg.example":     {"429", "-5"},
	}
	want := map[string]time.Duration{
		"secs.example": 2 * time.Minute, "capped.example": time.Hour, "date.example": 90 * time.Second,
		"huge.example": time.Hour,
	}
	e := &deliver.Engine{
		MaxRetryAfter: time.Hour,
		Now:           func() time.Time { return now },
		Send: func(_ context.Context, inbox string) (int, http.Header, error) {
			u, _ := url.Parse(inbox)
			h := headers[u.Host]
			hdr := http.Header{}
			if h[1] != "" {
				hdr.Set("Retry-After", h[1])
			}
			var status int
			fmt.Sscan(h[0], &status)
			return status, hdr, nil
		},
	}
	var inboxes []string
	for host := range headers {
		inboxes = append(inboxes, "https://"+host+"/inbox")
	}
	for _, r := range e.Deliver(context.Background(), inboxes, nil) {
		if r.Outcome != deliver.Retry || r.RetryAfter != want[r.Host] {
			t.Errorf("%s: outcome %v RetryAfter %v, want retry %v", r.Host, r.Outcome, r.RetryAfter, want[r.Host])
		}
	}
	// The default cap is 6h.
	e.MaxRetryAfter = 0
	if r := e.Deliver(context.Background(), []string{"https://capped.example/inbox"}, nil)[0]; r.RetryAfter != 6*time.Hour {
		t.Errorf("default cap: %v", r.RetryAfter)
	}
}

func TestDuplicatesAndBadInboxes(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	e := &deliver.Engine{Send: func(_ context.Context, inbox string) (int, http.Header, error) {
		mu.Lock()
		calls[inbox]++
		mu.Unlock()
		return http.StatusAccepted, nil, nil
	}}
	inboxes := []string{
		"https://a.example/inbox", "mailto:x@y", "https://b.example/inbox",
		"https://a.example/inbox", "/relative/inbox", "https://A.example:8443/inbox", "http://%zz",
	}
	var reported atomic.Int64
	res := e.Deliver(context.Background(), inboxes, func(deliver.Result) { reported.Add(1) })
	wantOutcome := []deliver.Outcome{deliver.Delivered, deliver.Final, deliver.Delivered, deliver.Delivered, deliver.Final, deliver.Delivered, deliver.Final}
	for i, r := range res {
		if r.Inbox != inboxes[i] || r.Outcome != wantOutcome[i] {
			t.Errorf("%d: %+v, want %v", i, r, wantOutcome[i])
		}
		if r.Outcome == deliver.Final && !errors.Is(r.Err, deliver.ErrPermanent) {
			t.Errorf("%d: bad inbox error %v", i, r.Err)
		}
	}
	if res[5].Host != "a.example:8443" {
		t.Errorf("host %q", res[5].Host)
	}
	if calls["https://a.example/inbox"] != 1 || len(calls) != 3 {
		t.Errorf("Send calls: %v", calls)
	}
	if reported.Load() != 6 {
		t.Errorf("%d reported, want one per distinct inbox (6)", reported.Load())
	}
	if len(e.Deliver(context.Background(), nil, nil)) != 0 {
		t.Error("results for no inboxes")
	}
}

func TestMaxInFlight(t *testing.T) {
	var c concurrency
	e := &deliver.Engine{
		MaxInFlight: 7,
		Send: func(ctx context.Context, inbox string) (int, http.Header, error) {
			c.enter()
			defer c.leave()
			time.Sleep(5 * time.Millisecond)
			return http.StatusAccepted, nil, nil
		},
	}
	var inboxes []string
	for i := range 200 {
		inboxes = append(inboxes, fmt.Sprintf("https://h%d.example/inbox", i))
	}
	res := e.Deliver(context.Background(), inboxes, nil)
	if c.total.Load() != 200 || c.max.Load() > 7 {
		t.Fatalf("%d sends, max %d concurrent (MaxInFlight 7)", c.total.Load(), c.max.Load())
	}
	if c.max.Load() < 7 {
		t.Errorf("only %d concurrent sends: the pool did not fill", c.max.Load())
	}
	if res[199].Outcome != deliver.Delivered {
		t.Fatalf("%+v", res[199])
	}
}

func TestTimeoutPerAttempt(t *testing.T) {
	e := &deliver.Engine{
		Timeout: 50 * time.Millisecond,
		Send: func(ctx context.Context, inbox string) (int, http.Header, error) {
			<-ctx.Done()
			return 0, nil, ctx.Err()
		},
	}
	r := e.Deliver(context.Background(), []string{"https://slow.example/inbox"}, nil)[0]
	if r.Outcome != deliver.Retry || !errors.Is(r.Err, context.DeadlineExceeded) || r.Took < 50*time.Millisecond {
		t.Fatalf("%+v", r)
	}
}

func TestGate(t *testing.T) {
	g := deliver.NewGate(2)
	var c concurrency
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := g.Do(context.Background(), func() error {
				c.enter()
				defer c.leave()
				time.Sleep(time.Millisecond)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if c.max.Load() != 2 || c.total.Load() != 20 {
		t.Fatalf("max %d total %d", c.max.Load(), c.total.Load())
	}

	// A waiter whose context ends gives up without running f.
	hold := make(chan struct{})
	for range 2 {
		go g.Do(context.Background(), func() error { <-hold; return nil })
	}
	time.Sleep(10 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ran := false
	if err := g.Do(ctx, func() error { ran = true; return nil }); !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Fatalf("err %v ran %v", err, ran)
	}
	close(hold)
}

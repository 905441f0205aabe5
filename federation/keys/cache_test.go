package keys

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeFetcher hands out a new *Key per fetch (so tests can tell fetches
// apart), or the error set for a key id.
type fakeFetcher struct {
	calls atomic.Int64
	mu    sync.Mutex
	errs  map[string]error
}

func (f *fakeFetcher) setErr(keyID string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.errs == nil {
		f.errs = map[string]error{}
	}
	f.errs[keyID] = err
}

func (f *fakeFetcher) fetch(_ context.Context, keyID string) (*Key, error) {
	n := f.calls.Add(1)
	f.mu.Lock()
	err := f.errs[keyID]
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &Key{ID: keyID, Owner: "owner of " + keyID, PublicKey: crypto.PublicKey(fmt.Sprintf("key #%d", n)), PEM: "pem"}, nil
}

func TestConcurrentGetsShareOneFetch(t *testing.T) {
	const n = 50
	release := make(chan struct{})
	entered := make(chan struct{}, n)
	var calls atomic.Int64
	fetch := func(ctx context.Context, keyID string) (*Key, error) {
		calls.Add(1)
		entered <- struct{}{}
		<-release
		return &Key{ID: keyID, Owner: "o", PublicKey: "k"}, nil
	}
	c := New(fetch, Options{})

	var started, done sync.WaitGroup
	started.Add(n)
	done.Add(n)
	got := make([]*Key, n)
	errs := make([]error, n)
	for i := range n {
		go func() {
			defer done.Done()
			started.Done()
			got[i], errs[i] = c.Get(context.Background(), "https://a.example/users/x#main-key")
		}()
	}
	started.Wait()
	<-entered
	time.Sleep(50 * time.Millisecond) // let every goroutine reach Get
	close(release)
	done.Wait()

	if k := calls.Load(); k != 1 {
		t.Errorf("fetcher called %d times, want 1", k)
	}
	if fetches, _ := c.Stats(); fetches != 1 {
		t.Errorf("Stats fetches = %d, want 1", fetches)
	}
	for i := range n {
		if errs[i] != nil || got[i] != got[0] || got[i] == nil {
			t.Fatalf("Get %d = %v, %v; want the one shared key", i, got[i], errs[i])
		}
	}
}

func TestExpiry(t *testing.T) {
	clock := newFakeClock()
	f := &fakeFetcher{}
	c := New(f.fetch, Options{TTL: time.Hour, Now: clock.Now})
	ctx := context.Background()
	const id = "https://a.example/users/x#main-key"

	k1, err := c.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(59 * time.Minute)
	k2, err := c.Get(ctx, id)
	if err != nil || k2 != k1 || f.calls.Load() != 1 {
		t.Fatalf("Get within TTL: %v %v, %d fetches", k2, err, f.calls.Load())
	}
	clock.Advance(2 * time.Minute)
	k3, err := c.Get(ctx, id)
	if err != nil || k3 == k1 || f.calls.Load() != 2 {
		t.Fatalf("Get after TTL: %v %v, %d fetches; want a refetch", k3, err, f.calls.Load())
	}
	if fetches, hits := c.Stats(); fetches != 2 || hits != 1 {
		t.Errorf("Stats = %d fetches, %d hits; want 2, 1", fetches, hits)
	}
}

func TestRefresh(t *testing.T) {
	clock := newFakeClock()
	f := &fakeFetcher{}
	c := New(f.fetch, Options{MinRefresh: time.Minute, Now: clock.Now})
	ctx := context.Background()
	const id = "https://a.example/users/x#main-key"

	k1, err := c.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	k2, err := c.Refresh(ctx, id)
	if err != nil || k2 != k1 || f.calls.Load() != 1 {
		t.Fatalf("Refresh within MinRefresh: %v %v, %d fetches; want the cached key, no fetch", k2, err, f.calls.Load())
	}
	clock.Advance(31 * time.Second)
	k3, err := c.Refresh(ctx, id)
	if err != nil || k3 == k1 || f.calls.Load() != 2 {
		t.Fatalf("Refresh after MinRefresh: %v %v, %d fetches; want a refetch", k3, err, f.calls.Load())
	}
	// The refreshed key is what Get returns now.
	if k4, _ := c.Get(ctx, id); k4 != k3 || f.calls.Load() != 2 {
		t.Errorf("Get after Refresh: %v, %d fetches", k4, f.calls.Load())
	}
	// Refresh of an unknown key fetches it.
	if _, err := c.Refresh(ctx, "https://b.example/key"); err != nil || f.calls.Load() != 3 {
		t.Errorf("Refresh of an unknown key: %v, %d fetches", err, f.calls.Load())
	}

	// A failed Refresh keeps the cached key.
	clock.Advance(2 * time.Minute)
	boom := errors.New("connection refused")
	f.setErr(id, boom)
	if _, err := c.Refresh(ctx, id); !errors.Is(err, boom) {
		t.Fatalf("Refresh with a failing fetcher: %v", err)
	}
	if k5, err := c.Get(ctx, id); err != nil || k5 != k3 || f.calls.Load() != 4 {
		t.Errorf("Get after a failed Refresh: %v %v, %d fetches; want the old key", k5, err, f.calls.Load())
	}
}

func TestGoneIsTombstoned(t *testing.T) {
	clock := newFakeClock()
	f := &fakeFetcher{}
	c := New(f.fetch, Options{TombstoneTTL: 24 * time.Hour, Now: clock.Now})
	ctx := context.Background()
	const id = "https://a.example/users/x#main-key"

	f.setErr(id, fmt.Errorf("GET %s: 410: %w", id, ErrGone))
	if _, err := c.Get(ctx, id); !errors.Is(err, ErrGone) {
		t.Fatalf("Get: err = %v, want ErrGone", err)
	}
	clock.Advance(23 * time.Hour)
	if _, err := c.Get(ctx, id); !errors.Is(err, ErrGone) {
		t.Fatalf("second Get: err = %v, want ErrGone", err)
	}
	if _, err := c.Refresh(ctx, id); !errors.Is(err, ErrGone) {
		t.Fatalf("Refresh: err = %v, want ErrGone", err)
	}
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("fetcher called %d times, want 1 (the tombstone answers)", n)
	}

	f.setErr(id, nil)
	clock.Advance(2 * time.Hour)
	if k, err := c.Get(ctx, id); err != nil || k == nil || f.calls.Load() != 2 {
		t.Fatalf("Get after TombstoneTTL: %v %v, %d fetches; want a refetch", k, err, f.calls.Load())
	}
}

func TestTombstoneAndForget(t *testing.T) {
	f := &fakeFetcher{}
	c := New(f.fetch, Options{})
	ctx := context.Background()
	const id = "https://a.example/users/x#main-key"

	if _, err := c.Get(ctx, id); err != nil {
		t.Fatal(err)
	}
	c.Tombstone(id)
	if _, err := c.Get(ctx, id); !errors.Is(err, ErrGone) {
		t.Fatalf("Get after Tombstone: %v, want ErrGone", err)
	}
	c.Forget(id)
	if _, err := c.Get(ctx, id); err != nil {
		t.Fatalf("Get after Forget: %v", err)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("fetcher called %d times, want 2", n)
	}
	c.Forget("https://never.example/seen") // no-op
}

func TestTombstoneDuringFetch(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	fetch := func(ctx context.Context, keyID string) (*Key, error) {
		close(entered)
		<-release
		return &Key{ID: keyID, Owner: "o", PublicKey: "k"}, nil
	}
	c := New(fetch, Options{})
	const id = "https://a.example/users/x#main-key"
	errc := make(chan error, 1)
	go func() {
		_, err := c.Get(context.Background(), id)
		errc <- err
	}()
	<-entered
	c.Tombstone(id) // the actor's Delete arrives while its key is being fetched
	close(release)
	if err := <-errc; !errors.Is(err, ErrGone) {
		t.Errorf("in-flight Get: err = %v, want ErrGone", err)
	}
	if _, err := c.Get(context.Background(), id); !errors.Is(err, ErrGone) {
		t.Errorf("Get: err = %v, want ErrGone", err)
	}
}

func TestTransientErrorNotCached(t *testing.T) {
	f := &fakeFetcher{}
	c := New(f.fetch, Options{})
	ctx := context.Background()
	const id = "https://a.example/users/x#main-key"

	boom := errors.New("503 Service Unavailable")
	f.setErr(id, boom)
	if _, err := c.Get(ctx, id); !errors.Is(err, boom) {
		t.Fatalf("Get: err = %v, want the fetch error", err)
	}
	f.setErr(id, fmt.Errorf("wrapped: %w", ErrNotFound))
	if _, err := c.Get(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get: err = %v, want ErrNotFound", err)
	}
	f.setErr(id, nil)
	if k, err := c.Get(ctx, id); err != nil || k == nil {
		t.Fatalf("Get after recovery: %v %v", k, err)
	}
	if n := f.calls.Load(); n != 3 {
		t.Errorf("fetcher called %d times, want 3", n)
	}

	// A fetcher that returns neither key nor error.
	nilc := New(func(context.Context, string) (*Key, error) { return nil, nil }, Options{})
	if _, err := nilc.Get(ctx, id); err == nil {
		t.Error("fetcher returning nil, nil: want error")
	}
}

func TestEviction(t *testing.T) {
	clock := newFakeClock()
	f := &fakeFetcher{}
	c := New(f.fetch, Options{MaxEntries: 3, Now: clock.Now})
	ctx := context.Background()
	ids := []string{"https://a.example/k1", "https://a.example/k2", "https://a.example/k3", "https://a.example/k4"}

	for _, id := range ids {
		if _, err := c.Get(ctx, id); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	c.Tombstone("https://a.example/k5") // tombstones count too: evicts k2
	if n := f.calls.Load(); n != 4 {
		t.Fatalf("%d fetches, want 4", n)
	}
	for _, id := range ids[2:] { // k3, k4 still cached
		if _, err := c.Get(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.calls.Load(); n != 4 {
		t.Errorf("Gets of the newest keys fetched: %d fetches, want 4", n)
	}
	if _, err := c.Get(ctx, "https://a.example/k5"); !errors.Is(err, ErrGone) {
		t.Errorf("tombstone evicted: %v", err)
	}
	if _, err := c.Get(ctx, ids[0]); err != nil || f.calls.Load() != 5 {
		t.Errorf("Get of the evicted oldest key: %v, %d fetches; want a refetch", err, f.calls.Load())
	}
	c.mu.Lock()
	n := len(c.entries)
	c.mu.Unlock()
	if n != 3 {
		t.Errorf("%d entries, want 3", n)
	}
}

// TestCallerCancelDoesNotFailOthers checks a shared fetch survives the
// cancellation of the caller that started it.
func TestCallerCancelDoesNotFailOthers(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	var fetchCtxErr atomic.Value
	fetch := func(ctx context.Context, keyID string) (*Key, error) {
		close(entered)
		<-release
		fetchCtxErr.Store(fmt.Sprint(ctx.Err()))
		return &Key{ID: keyID, Owner: "o", PublicKey: "k"}, nil
	}
	c := New(fetch, Options{})
	const id = "https://a.example/users/x#main-key"

	ctx1, cancel := context.WithCancel(context.Background())
	err1 := make(chan error, 1)
	go func() {
		_, err := c.Get(ctx1, id)
		err1 <- err
	}()
	<-entered
	err2 := make(chan error, 1)
	go func() {
		_, err := c.Get(context.Background(), id)
		err2 <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the second Get join the fetch
	cancel()
	if err := <-err1; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: err = %v, want context.Canceled", err)
	}
	close(release)
	if err := <-err2; err != nil {
		t.Errorf("other caller: err = %v", err)
	}
	if got := fetchCtxErr.Load(); got != "<nil>" {
		t.Errorf("fetch context error = %v, want none", got)
	}
}

func TestNewPanicsOnNilFetcher(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New(nil) did not panic")
		}
	}()
	New(nil, Options{})
}

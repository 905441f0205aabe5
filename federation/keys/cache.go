// Package keys caches the public keys of remote actors, used to verify the
// HTTP signatures of incoming requests, and parses them out of ActivityPub
// documents.
package keys

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Defaults for the zero values of Options.
const (
	DefaultTTL          = 24 * time.Hour
	DefaultTombstoneTTL = 7 * 24 * time.Hour
	DefaultMinRefresh   = time.Minute
	DefaultMaxEntries   = 100000
)

// fetchTimeout bounds one fetch. A fetch is shared by every caller waiting
// for that key, so it runs detached from the cancellation of the caller
// that started it; this keeps a Fetcher without its own timeout from
// hanging forever.
const fetchTimeout = 30 * time.Second

// Fetcher fetches the key keyID and parses it, typically with a signed GET
// of keyID without its fragment followed by ParseKeyDocument. It returns an
// error wrapping ErrGone when the key or its actor is gone (410).
type Fetcher func(ctx context.Context, keyID string) (*Key, error)

// Options configures a Cache. Zero or negative values take the defaults.
type Options struct {
	// TTL is how long a fetched key is used before Get fetches it again.
	// Default 24h.
	TTL time.Duration
	// TombstoneTTL is how long a gone key is remembered as gone. Default 7
	// days.
	TombstoneTTL time.Duration
	// MinRefresh is how old a cached key must be before Refresh fetches it
	// again; until then Refresh returns the cached key. This keeps floods of
	// forged signatures from becoming floods of fetches. Default 1 minute.
	MinRefresh time.Duration
	// MaxEntries caps the keys and tombstones held; the ones fetched
	// longest ago are evicted first. Default 100000.
	MaxEntries int
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Cache is a cache of remote public keys in front of a Fetcher. Concurrent
// requests for one key share one fetch. It is safe for concurrent use.
type Cache struct {
	fetch Fetcher
	opts  Options
	group singleflight.Group

	mu      sync.Mutex
	entries map[string]*list.Element // of *entry, by key id
	order   *list.List               // of *entry, least recently stored first
	seq     uint64                   // bumped on every store

	fetches atomic.Int64
	hits    atomic.Int64
}

type entry struct {
	keyID  string
	key    *Key // nil for a tombstone
	stored time.Time
	seq    uint64
}

// New returns a Cache that fetches keys with fetch. It panics if fetch is
// nil.
func New(fetch Fetcher, opts Options) *Cache {
	if fetch == nil {
		panic("keys: New with a nil Fetcher")
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.TombstoneTTL <= 0 {
		opts.TombstoneTTL = DefaultTombstoneTTL
	}
	if opts.MinRefresh <= 0 {
		opts.MinRefresh = DefaultMinRefresh
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Cache{
		fetch:   fetch,
		opts:    opts,
		entries: make(map[string]*list.Element),
		order:   list.New(),
	}
}

// Get returns the key keyID from the cache, or fetches it when it is
// missing or older than the TTL. Concurrent Gets of one key share one
// fetch. A key remembered as gone returns ErrGone without fetching.
// Fetch errors other than ErrGone are returned and not cached.
func (c *Cache) Get(ctx context.Context, keyID string) (*Key, error) {
	return c.cachedOrLoad(ctx, keyID, c.opts.TTL)
}

// Refresh fetches keyID again, typically after a signature failed to verify
// with the cached key (keys rotate). If the cached key was fetched less than
// MinRefresh ago, it is returned without fetching; a key remembered as gone
// returns ErrGone. Concurrent Refreshes and Gets of one key share one fetch.
// If the fetch fails with an error other than ErrGone, the cached key is
// kept.
func (c *Cache) Refresh(ctx context.Context, keyID string) (*Key, error) {
	return c.cachedOrLoad(ctx, keyID, c.opts.MinRefresh)
}

// cachedOrLoad answers from the cache when keyID is tombstoned, or was
// fetched less than fresh ago; otherwise it fetches (shared with
// concurrent callers).
func (c *Cache) cachedOrLoad(ctx context.Context, keyID string, fresh time.Duration) (*Key, error) {
	now := c.opts.Now()
	c.mu.Lock()
	e := c.lookup(keyID)
	if e != nil {
		switch {
		case e.key == nil && now.Sub(e.stored) < c.opts.TombstoneTTL:
			c.mu.Unlock()
			c.hits.Add(1)
			return nil, fmt.Errorf("%w: %s", ErrGone, keyID)
		case e.key != nil && now.Sub(e.stored) < fresh:
			c.mu.Unlock()
			c.hits.Add(1)
			return e.key, nil
		}
	}
	c.mu.Unlock()
	return c.load(ctx, keyID)
}

// Forget drops keyID from the cache, e.g. when its actor is deleted, so
// that the next Get fetches it. (A fetch already in flight still stores
// what it gets; use Tombstone to refuse the key.)
func (c *Cache) Forget(keyID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[keyID]; ok {
		c.order.Remove(el)
		delete(c.entries, keyID)
	}
}

// Tombstone remembers keyID as gone for TombstoneTTL: Get and Refresh
// return ErrGone without fetching. A fetch of keyID in flight when
// Tombstone is called does not undo it.
func (c *Cache) Tombstone(keyID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store(keyID, nil, c.opts.Now())
}

// Stats returns, for metrics, how many fetches the cache has started and
// how many Gets and Refreshes it answered from the cache (keys and
// tombstones) without fetching.
func (c *Cache) Stats() (fetches, hits int64) {
	return c.fetches.Load(), c.hits.Load()
}

// load fetches keyID, sharing the fetch with concurrent callers, and waits
// for it or for ctx.
func (c *Cache) load(ctx context.Context, keyID string) (*Key, error) {
	ch := c.group.DoChan(keyID, func() (any, error) {
		return c.fetchAndStore(context.WithoutCancel(ctx), keyID)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*Key), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetchAndStore runs once per shared fetch.
func (c *Cache) fetchAndStore(ctx context.Context, keyID string) (*Key, error) {
	c.mu.Lock()
	// A fetch that completed between the caller's lookup and now leaves a
	// key fresh enough for any caller; do not fetch again.
	if e := c.lookup(keyID); e != nil {
		age := c.opts.Now().Sub(e.stored)
		if e.key == nil && age < c.opts.TombstoneTTL {
			c.mu.Unlock()
			return nil, fmt.Errorf("%w: %s", ErrGone, keyID)
		}
		if e.key != nil && age < min(c.opts.MinRefresh, c.opts.TTL) {
			c.mu.Unlock()
			return e.key, nil
		}
	}
	startSeq := c.seq
	c.mu.Unlock()

	c.fetches.Add(1)
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	key, err := c.fetch(ctx, keyID)
	if err == nil && (key == nil || key.PublicKey == nil) {
		err = fmt.Errorf("keys: fetching %s: the fetcher returned no key", keyID)
	}
	gone := errors.Is(err, ErrGone)
	if err != nil && !gone {
		return nil, err // transient: not cached
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.lookup(keyID); e != nil && e.key == nil && e.seq > startSeq {
		// Tombstoned while the fetch was in flight.
		return nil, fmt.Errorf("%w: %s", ErrGone, keyID)
	}
	c.store(keyID, key, c.opts.Now()) // key is nil when gone: a tombstone
	if gone {
		return nil, err
	}
	return key, nil
}

// lookup returns the entry of keyID, or nil. c.mu must be held.
func (c *Cache) lookup(keyID string) *entry {
	if el, ok := c.entries[keyID]; ok {
		return el.Value.(*entry)
	}
	return nil
}

// store records key (nil for a tombstone) for keyID and evicts the entries
// stored longest ago while over MaxEntries. c.mu must be held.
func (c *Cache) store(keyID string, key *Key, now time.Time) {
	c.seq++
	if el, ok := c.entries[keyID]; ok {
		e := el.Value.(*entry)
		e.key, e.stored, e.seq = key, now, c.seq
		c.order.MoveToBack(el)
	} else {
		c.entries[keyID] = c.order.PushBack(&entry{keyID: keyID, key: key, stored: now, seq: c.seq})
	}
	for c.order.Len() > c.opts.MaxEntries {
		oldest := c.order.Front()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*entry).keyID)
	}
}

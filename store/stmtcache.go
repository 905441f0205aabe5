package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// stmtCache prepares each distinct query once and reuses it. SQLite
// (modernc.org/sqlite) parses every statement it is given, and parsing was
// a fifth of the CPU of the inbox benchmark; database/sql keeps a prepared
// statement per connection behind one *sql.Stmt, and a transaction reuses
// its connection's. PostgreSQL needs none of this: pgx caches statements.
type stmtCache struct {
	db        *sql.DB
	writes    writeGate
	mu        sync.RWMutex
	stmts     map[string]*sql.Stmt
	preparing map[string]bool
}

// maxCachedStmts bounds the cache: queries built with literal values
// (limits, IN lists) past it are run unprepared.
const maxCachedStmts = 512

func newStmtCache(db *sql.DB, writes writeGate) *stmtCache {
	return &stmtCache{db: db, writes: writes, stmts: map[string]*sql.Stmt{}, preparing: map[string]bool{}}
}

// stmt returns the prepared statement of query, or nil when it cannot
// (the caller then runs the query plainly, which reports any error).
func (c *stmtCache) stmt(ctx context.Context, query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= maxCachedStmts
	c.mu.RUnlock()
	if ok || full {
		return st
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[query]; ok {
		_ = st.Close()
		return prev
	}
	c.stmts[query] = st
	return st
}

// cached returns the prepared statement of query if there is one. When
// there is none it has it prepared in the background: a transaction must
// not prepare through the pool, as it would wait for a connection that
// may be waiting for its write lock.
func (c *stmtCache) cached(query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.stmts[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.Lock()
	start := !c.preparing[query] && len(c.stmts)+len(c.preparing) < maxCachedStmts
	if start {
		c.preparing[query] = true
	}
	c.mu.Unlock()
	if start {
		go func() {
			c.stmt(context.Background(), query)
			c.mu.Lock()
			delete(c.preparing, query)
			c.mu.Unlock()
		}()
	}
	return nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		_ = st.Close()
	}
	c.stmts = map[string]*sql.Stmt{}
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := c.writes.acquire(ctx); err != nil {
		return nil, err
	}
	defer c.writes.release()
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.db.ExecContext(ctx, query, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.QueryContext(ctx, query, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.db.QueryRowContext(ctx, query, args...)
}

// cachedTx runs a transaction's queries with the cache's statements.
type cachedTx struct {
	tx    *sql.Tx
	cache *stmtCache
}

func (t cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.cache.cached(query); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.cache.cached(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.cache.cached(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// writeGate lets one SQLite writer of this process in at a time. SQLite
// admits one writer anyway; waiting here, in order, replaces its busy
// handler, which sleeps 1, 2, 5 … 100 ms between tries: under a burst
// of inbox traffic those sleeps, not the CPU, bounded the throughput.
// Transactions (Store.InTx) and statements run with Exec outside one pass
// the gate; a write that returns rows runs in InTx. River's own writes do
// not pass it and still meet the busy handler, rarely.
type writeGate chan struct{}

// errBusy is returned when the gate stays shut as long as SQLite's busy
// timeout would have waited (a writer nested in another's transaction).
var errBusy = errors.New("database is busy: a write waited 10 s")

func (g writeGate) acquire(ctx context.Context) error {
	if g == nil {
		return nil
	}
	select {
	case g <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errBusy
	}
}

func (g writeGate) release() {
	if g != nil {
		<-g
	}
}

package store

import (
	"context"
	"strings"
	"sync"
	"time"
)

// blockCache holds the hub's blocks (blocked instances and actors) in
// memory for SenderBlocked, which every inbox POST asks before anything
// else: one query per POST was a fifth of PostgreSQL's statements in the
// ingest benchmark. Blocks are few; the whole set is loaded at once.
//
// A change made through this store (SetActorPolicy, SetInstancePolicy,
// DeleteRemoteActor) takes effect at once: it bumps gen after its commit,
// and a set loaded under an older gen is not used. A change made by
// another node shows after at most blockCacheTTL.
type blockCache struct {
	mu        sync.Mutex
	gen       uint64 // bumped by every local change
	loadedGen uint64
	loadedAt  time.Time
	valid     bool
	domains   map[string]bool
	actors    map[string]bool
}

// blockCacheTTL bounds how long another node's block takes to reach this
// one's inbox.
const blockCacheTTL = time.Second

// invalidate forgets the loaded set; call it after a change commits.
func (c *blockCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.valid = false
	c.mu.Unlock()
}

// SenderBlocked tells whether the hub refuses activities from actorURI:
// the actor or its host is blocked.
func (s *Store) SenderBlocked(ctx context.Context, host, actorURI string) (bool, error) {
	host = strings.ToLower(host)
	c := &s.blocks
	c.mu.Lock()
	if c.valid && c.loadedGen == c.gen && time.Since(c.loadedAt) < blockCacheTTL {
		blocked := c.domains[host] || c.actors[actorURI]
		c.mu.Unlock()
		return blocked, nil
	}
	gen := c.gen
	c.mu.Unlock()

	domains, actors := map[string]bool{}, map[string]bool{}
	at := time.Now()
	rows, err := s.q.QueryContext(ctx, `SELECT 'd', domain FROM instances WHERE policy = 'block'
		UNION ALL SELECT 'a', uri FROM actors WHERE policy = 'block' AND uri IS NOT NULL`)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, v string
		if err := rows.Scan(&kind, &v); err != nil {
			return false, err
		}
		if kind == "d" {
			domains[v] = true
		} else {
			actors[v] = true
		}
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	c.mu.Lock()
	if gen == c.gen && (!c.valid || at.After(c.loadedAt)) {
		c.domains, c.actors, c.loadedAt, c.loadedGen, c.valid = domains, actors, at, gen, true
	}
	c.mu.Unlock()
	return domains[host] || actors[actorURI], nil
}

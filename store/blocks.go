package store

import (
	"context"
	"errors"
	"fmt"
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
	allowlist bool            // the hub federates only with allowed instances
	allowed   map[string]bool // instances with the allow policy
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
		blocked := c.refuses(host, actorURI)
		c.mu.Unlock()
		return blocked, nil
	}
	gen := c.gen
	c.mu.Unlock()

	domains, actors := map[string]bool{}, map[string]bool{}
	mode := FederationOpen
	at := time.Now()
	allowed := map[string]bool{}
	rows, err := s.q.QueryContext(ctx, `SELECT 'd', domain FROM instances WHERE policy = 'block'
		UNION ALL SELECT 'a', uri FROM actors WHERE policy = 'block' AND uri IS NOT NULL
		UNION ALL SELECT 'w', domain FROM instances WHERE policy = 'allow'
		UNION ALL SELECT 'm', value FROM settings WHERE key = 'federation_mode'`)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, v string
		if err := rows.Scan(&kind, &v); err != nil {
			return false, err
		}
		switch kind {
		case "d":
			domains[v] = true
		case "a":
			actors[v] = true
		case "w":
			allowed[v] = true
		case "m":
			mode = v
		}
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	loaded := blockCache{domains: domains, actors: actors, allowed: allowed, allowlist: mode == FederationAllowlist}
	c.mu.Lock()
	if gen == c.gen && (!c.valid || at.After(c.loadedAt)) {
		c.domains, c.actors, c.allowed, c.allowlist = domains, actors, allowed, loaded.allowlist
		c.loadedAt, c.loadedGen, c.valid = at, gen, true
	}
	c.mu.Unlock()
	return loaded.refuses(host, actorURI), nil
}

// refuses applies the loaded sets: a blocked actor or host, or, in
// allowlist mode, a host that is not allowed.
func (c *blockCache) refuses(host, actorURI string) bool {
	if c.domains[host] || c.actors[actorURI] {
		return true
	}
	return c.allowlist && host != "" && !c.allowed[host]
}

// Federation modes: open (everyone but blocked instances and actors) or
// allowlist (only instances with the allow policy).
const (
	FederationOpen      = "open"
	FederationAllowlist = "allowlist"
)

// FederationMode is the hub's federation mode.
func (s *Store) FederationMode(ctx context.Context) (string, error) {
	v, err := s.Setting(ctx, "federation_mode")
	if errors.Is(err, ErrNotFound) {
		return FederationOpen, nil
	}
	return v, err
}

// SetFederationMode switches the hub between open and allowlist
// federation; it takes effect at once on this node, within a second on
// the others.
func (s *Store) SetFederationMode(ctx context.Context, mode string) error {
	if mode != FederationOpen && mode != FederationAllowlist {
		return fmt.Errorf("federation mode %q: want open or allowlist", mode)
	}
	defer s.blocks.invalidate()
	return s.SetSetting(ctx, "federation_mode", mode)
}

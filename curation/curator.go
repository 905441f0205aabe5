package curation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/store"
)

// Curator is what curators do with the hub's follows and what they bring:
// follow and unfollow remote actors (instances, channels, accounts,
// podcasts) with their settings, and review the items that arrive. The web
// pages and the CLI both go through it.
type Curator struct {
	Store      *store.Store
	Federation *federation.Service
}

// Follow resolves target ("@name@host", an actor URL or a bare host) and
// makes the hub follow it; the follow is pending until the target accepts.
func (c *Curator) Follow(ctx context.Context, target string, set store.FollowSettings, by *store.User) (*store.CuratedFollow, error) {
	a, err := c.Federation.ResolveTarget(ctx, target)
	if err != nil {
		return nil, err
	}
	set.Languages = cleanList(set.Languages, false)
	set.Tags = cleanList(set.Tags, true)
	var userID int64
	if by != nil {
		userID = by.ID
	}
	return c.Federation.FollowRemote(ctx, a, strings.TrimSpace(target), set, userID)
}

// Unfollow ends the hub's follow of target: the follow's target as the
// curator gave it, the actor's id, or what Follow would resolve.
func (c *Curator) Unfollow(ctx context.Context, target string) (*store.CuratedFollow, error) {
	f, err := c.find(ctx, target)
	if err != nil {
		return nil, err
	}
	if err := c.Federation.UnfollowRemote(ctx, f.Actor); err != nil {
		return nil, err
	}
	return f, nil
}

// find looks a follow up without network: by what the curator typed, the
// actor's id or URL, or its handle.
func (c *Curator) find(ctx context.Context, target string) (*store.CuratedFollow, error) {
	t := strings.TrimSpace(target)
	follows, err := c.Store.CuratedFollows(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range follows {
		handle := "@" + f.Actor.Username + "@" + f.Actor.Domain
		if strings.EqualFold(f.Target, t) || f.Actor.URI == t || f.Actor.URL == t || strings.EqualFold(handle, "@"+strings.TrimPrefix(t, "@")) {
			return f, nil
		}
	}
	return nil, fmt.Errorf("the hub does not follow %q", target)
}

// Follows lists the hub's follows.
func (c *Curator) Follows(ctx context.Context) ([]*store.CuratedFollow, error) {
	return c.Store.CuratedFollows(ctx)
}

// Decide accepts (accept) or rejects pending items; the decision is logged
// with who made it.
func (c *Curator) Decide(ctx context.Context, itemIDs []int64, accept bool, by *store.User) ([]*store.Item, error) {
	if len(itemIDs) == 0 {
		return nil, errors.New("no item chosen")
	}
	decision := store.ReviewRejected
	if accept {
		decision = store.ReviewAccepted
	}
	var userID int64
	name := "unknown"
	if by != nil {
		userID, name = by.ID, by.Username
	}
	return c.Store.DecideReview(ctx, itemIDs, decision, userID, name)
}

// cleanList trims, lower-cases (lower) and dedupes a list, dropping
// empties and a tag's '#'.
func cleanList(in []string, lower bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range in {
		v = strings.TrimSpace(v)
		if lower {
			v = strings.ToLower(strings.TrimPrefix(v, "#"))
		}
		if v != "" && !seen[v] && !strings.Contains(v, ",") {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

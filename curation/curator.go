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
	changed, err := c.Store.DecideReview(ctx, itemIDs, decision, userID, name)
	if err != nil || !accept || c.Federation == nil {
		return changed, err
	}
	for _, it := range changed {
		// Accepted items of follows that mirror get their copy now.
		if err := c.Federation.QueueMirror(ctx, it); err != nil {
			return changed, err
		}
	}
	return changed, nil
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

// Proposals lists what subscribed lists propose, in a state ("" : all).
func (c *Curator) Proposals(ctx context.Context, state string, limit int) ([]*store.Proposal, error) {
	return c.Store.Proposals(ctx, state, limit)
}

// DecideProposal applies (apply) or dismisses a pending proposal.
func (c *Curator) DecideProposal(ctx context.Context, id int64, apply bool, by string) (*store.Proposal, error) {
	p, err := c.Store.ProposalByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.State != store.ProposalPending {
		return nil, fmt.Errorf("proposal %d is already %s", id, p.State)
	}
	if apply {
		err = c.Federation.ApplyProposal(ctx, p, by)
	} else {
		_, err = c.Store.DecideProposal(ctx, id, store.ProposalDismissed, by, "")
	}
	if err != nil {
		return nil, err
	}
	return c.Store.ProposalByID(ctx, id)
}

// ListView is the hub's own curation list, as its JSON and OPML views
// publish it.
type ListView struct {
	Actor       string           `json:"actor"` // follow it to subscribe
	Follows     []ListedActor    `json:"follows"`
	Blocks      []string         `json:"blocks"`
	Collections []ListCollection `json:"collections"`
}

// ListedActor is one follow on the list.
type ListedActor struct {
	URI    string `json:"uri"`
	Handle string `json:"handle"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
}

// ListCollection is one collection on the list.
type ListCollection struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Feed  string `json:"feed"`
}

// List is the hub's list: its follows (asked or accepted), its blocks
// and its collections.
func (c *Curator) List(ctx context.Context, feeds *Feeds) (*ListView, error) {
	v := &ListView{Actor: c.Federation.InstanceURI(), Follows: []ListedActor{}, Blocks: []string{}, Collections: []ListCollection{}}
	follows, err := c.Store.CuratedFollows(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range follows {
		if f.State == store.FollowRejected {
			continue // a choice the target refused is not shared
		}
		v.Follows = append(v.Follows, ListedActor{URI: f.Actor.URI, Handle: "@" + f.Actor.Username + "@" + f.Actor.Domain,
			Kind: f.Actor.Kind, Name: f.Actor.DisplayName})
	}
	blocks, err := c.Store.BlockedHosts(ctx)
	if err != nil {
		return nil, err
	}
	v.Blocks = append(v.Blocks, blocks...)
	colls, err := c.Store.Collections(ctx, false)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(feeds.PublicURL.String(), "/")
	for _, col := range colls {
		v.Collections = append(v.Collections, ListCollection{Title: col.Title, URL: base + "/collections/" + col.Slug,
			Feed: feeds.CollectionFeedURL(col.Slug)})
	}
	return v, nil
}

// ErrNotAChannel: what a curator named to feature on the home page is an
// instance, not a channel or an account.
var ErrNotAChannel = errors.New("that is a whole instance, not a channel or an account")

// FeatureChannel puts a channel on the home page's "channels to discover",
// with an optional note: one of this hub's channels by its handle (with
// or without @), or a remote channel, account or podcast as Follow takes
// it (@name@host or its address).
func (c *Curator) FeatureChannel(ctx context.Context, target, note string, by *store.User) (*store.Actor, error) {
	target = strings.TrimSpace(target)
	var a *store.Actor
	var err error
	if handle := strings.TrimPrefix(target, "@"); handle != "" && !strings.ContainsAny(handle, "@/:.") {
		var ch *store.Channel
		if ch, err = c.Store.LocalChannel(ctx, strings.ToLower(handle)); err == nil {
			a, err = c.Store.ActorByID(ctx, ch.ActorID)
		}
	} else {
		a, err = c.Federation.ResolveTarget(ctx, target)
	}
	if err != nil {
		return nil, err
	}
	if a.Kind == "Application" || a.Kind == "Service" {
		return nil, ErrNotAChannel
	}
	var userID int64
	if by != nil {
		userID = by.ID
	}
	return a, c.Store.FeatureChannel(ctx, a.ID, strings.TrimSpace(note), userID)
}

// HomeChannel is a channel to discover as the home page shows it.
type HomeChannel struct {
	*store.HomeChannel
	Name string // its display name, else its handle
	Link string // its page: here for this hub's channels, else its own
	Here bool   // one of this hub's channels
}

// HomeChannels lists the channels to discover, in the curators' order.
func (c *Curator) HomeChannels(ctx context.Context) ([]HomeChannel, error) {
	hcs, err := c.Store.HomeChannels(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]HomeChannel, 0, len(hcs))
	for _, h := range hcs {
		a := h.Actor
		v := HomeChannel{HomeChannel: h, Name: a.DisplayName, Here: a.Local()}
		switch {
		case v.Here:
			v.Link = "/c/" + a.Username
		case a.URL != "":
			v.Link = a.URL
		default:
			v.Link = a.URI
		}
		if v.Name == "" {
			v.Name = a.Username
		}
		out = append(out, v)
	}
	return out, nil
}

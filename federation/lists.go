package federation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/store"
)

// The hub's curation list is its instance actor's: what it follows (its
// "following" collection), the instances it blocks ("blocks") and what
// its collections hold (each collection, a Playlist). Each change is
// announced to the instance actor's followers as an Add or a Remove on
// that collection, in one delivery job; a hub that follows ours with a
// list mode turns them into proposals.

// ListCollection is the URI of the hub's following or blocks collection.
func (s *Service) ListCollection(which string) string { return s.base + "/actor/" + which }

// hostURI is how the list names an instance: its root URL.
func (s *Service) hostURI(host string) string { return s.remoteScheme() + "://" + host + "/" }

// announceList queues the instance actor's Add or Remove of object on
// target, one of its collections, to its followers.
func (s *Service) announceList(ctx context.Context, tx *store.Tx, verb, object, target string) error {
	inst, err := s.InstanceActor(ctx)
	if err != nil {
		return err
	}
	from := s.ActorURI(inst)
	id, err := tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: inst.ID, Type: verb, ObjectURI: object},
		func(id int64) (string, error) {
			return marshal(map[string]any{"@context": ap.ContextActivityStreams, "id": s.ActivityURI(id), "type": verb,
				"actor": from, "object": object, "target": target, "to": []string{from + "/followers"}})
		})
	if err != nil {
		return err
	}
	return s.queueDelivery(ctx, tx, id)
}

// SetInstancePolicy sets the hub's policy toward host; blocking (or
// lifting a block) is announced on the hub's list.
func (s *Service) SetInstancePolicy(ctx context.Context, host, policy string) error {
	host = strings.ToLower(host)
	before, err := s.store.InstancePolicy(ctx, host)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := s.store.SetInstancePolicy(ctx, host, policy); err != nil {
		return err
	}
	verb := ""
	switch {
	case policy == store.PolicyBlock && before != store.PolicyBlock:
		verb = "Add"
	case policy != store.PolicyBlock && before == store.PolicyBlock:
		verb = "Remove"
	}
	if verb == "" {
		return nil
	}
	// The instance actor exists before the transaction: making it inside
	// would wait on the transaction's own write lock on SQLite.
	if _, err := s.InstanceActor(ctx); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		return s.announceList(ctx, tx, verb, s.hostURI(host), s.ListCollection("blocks"))
	})
}

// AnnounceCollectionChange tells the hubs that subscribe to ours that an
// item went into one of its collections (added) or out of it.
func (s *Service) AnnounceCollectionChange(ctx context.Context, c *store.Collection, it *store.Item, added bool) error {
	verb, object := "Remove", it.OriginURI
	if added {
		verb = "Add"
	}
	if object == "" {
		object = s.ItemURI(it.PublicID)
	}
	if _, err := s.InstanceActor(ctx); err != nil { // before the transaction, as in SetInstancePolicy
		return err
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error { return s.announceList(ctx, tx, verb, object, s.CollectionURI(c.Slug)) })
}

// collectionOfList reports whether uri names one of a hub's collections
// (/collections/SLUG), the shape this hub gives its own.
func collectionOfList(uri string) bool {
	u, err := url.Parse(uri)
	if err != nil {
		return false
	}
	slug, ok := strings.CutPrefix(u.Path, "/collections/")
	return ok && slug != "" && !strings.Contains(slug, "/")
}

// onListChange turns an Add or a Remove on a followed hub's following or
// blocks collection into a proposal, applied at once in auto mode. Lists
// are bounded (store.MaxPendingProposals, store.MaxProposalsPerHour):
// what goes beyond is refused and logged.
func (s *Service) onListChange(ctx context.Context, act *ap.Activity) error {
	if act.Target == nil || act.Target.ID == "" {
		return ignored("%s without a target", act.Type)
	}
	sender := act.Actor.ID
	coll := act.Target.ID
	if hostOf(coll) != hostOf(sender) {
		return ignored("%s on a collection of another host", act.Type)
	}
	which := coll[strings.LastIndex(coll, "/")+1:]
	a, err := s.store.RemoteActorByURI(ctx, sender)
	if errors.Is(err, store.ErrNotFound) {
		return ignored("%s from an actor we do not follow", act.Type)
	}
	if err != nil {
		return err
	}
	cf, err := s.store.CuratedFollowOf(ctx, a.ID)
	if errors.Is(err, store.ErrNotFound) || err == nil && (cf.State != store.FollowAccepted || cf.Settings.ListMode == store.ListOff || cf.Settings.ListMode == "") {
		return ignored("%s from a hub whose list we do not subscribe to", act.Type)
	}
	if err != nil {
		return err
	}
	obj := act.Object.ID
	var action, target, collection string
	switch {
	case which == "following":
		action, target = store.ProposeFollow, obj
		if act.Type == "Remove" {
			action = store.ProposeUnfollow
		}
		if u, err := url.Parse(obj); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return ignored("the list names %q, not an actor", obj)
		}
		if s.localPath(obj) != "" {
			return ignored("the list names one of ours")
		}
	case which == "blocks":
		action, target = store.ProposeBlock, hostOf(obj)
		if act.Type == "Remove" {
			action = store.ProposeUnblock
		}
		if target == "" || !validHost(target) || target == s.host {
			return ignored("the list names %q, not another instance", obj)
		}
	case collectionOfList(coll):
		action, target, collection = store.ProposeCollect, obj, coll
		if act.Type == "Remove" {
			action = store.ProposeUncollect
		}
		if u, err := url.Parse(obj); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return ignored("the collection names %q, not an item", obj)
		}
	default:
		return ignored("%s on %s, which is not a curation list", act.Type, coll)
	}
	id, ok, err := s.store.AddProposal(ctx, cf.FollowID, action, target, collection, act.ID)
	if errors.Is(err, store.ErrTooManyProposals) {
		s.log.Warn("refused a list proposal", "list", sender, "action", action, "target", target, "reason", err.Error())
		return ignored("%v", err)
	}
	if err != nil || !ok {
		return err
	}
	s.log.Info("list proposal", "id", id, "list", sender, "action", action, "target", target, "mode", cf.Settings.ListMode)
	if cf.Settings.ListMode != store.ListAuto {
		return nil
	}
	p, err := s.store.ProposalByID(ctx, id)
	if err != nil {
		return err
	}
	return s.applyProposal(ctx, p, "auto: list of "+sender, true)
}

// ApplyProposal carries a pending proposal out: follow or unfollow the
// actor, block or unblock the instance, put an item in (or take it out
// of) this hub's copy of the list's collection. A failure is recorded on the
// proposal with its reason (and returned).
func (s *Service) ApplyProposal(ctx context.Context, p *store.Proposal, by string) error {
	return s.applyProposal(ctx, p, by, false)
}

// applyProposal is ApplyProposal, by a curator or (auto) by the list's
// auto mode.
func (s *Service) applyProposal(ctx context.Context, p *store.Proposal, by string, auto bool) error {
	if p.State != store.ProposalPending {
		return fmt.Errorf("proposal %d is %s, not pending", p.ID, p.State)
	}
	var err error
	switch p.Action {
	case store.ProposeFollow:
		var a *store.Actor
		if a, err = s.RemoteActor(ctx, p.Target); err == nil {
			if _, err = s.store.CuratedFollowOf(ctx, a.ID); errors.Is(err, store.ErrNotFound) {
				_, err = s.FollowRemote(ctx, a, p.Target, store.FollowSettings{Review: true, ListMode: store.ListOff}, 0)
			}
		}
	case store.ProposeUnfollow:
		var a *store.Actor
		if a, err = s.store.RemoteActorByURI(ctx, p.Target); err == nil {
			err = s.UnfollowRemote(ctx, a)
		}
		if errors.Is(err, store.ErrNotFound) {
			err = nil // not followed here: nothing to undo
		}
	case store.ProposeBlock:
		err = s.SetInstancePolicy(ctx, p.Target, store.PolicyBlock)
	case store.ProposeUnblock:
		var before string
		if before, err = s.store.InstancePolicy(ctx, p.Target); err == nil && before == store.PolicyBlock {
			err = s.SetInstancePolicy(ctx, p.Target, store.PolicyNone)
		}
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		}
	case store.ProposeCollect:
		err = s.collect(ctx, p, by, auto)
	case store.ProposeUncollect:
		err = s.uncollect(ctx, p)
	default:
		err = fmt.Errorf("unknown action %q", p.Action)
	}
	state, note := store.ProposalApplied, ""
	if err != nil {
		state, note = store.ProposalFailed, err.Error()
	}
	if _, derr := s.store.DecideProposal(ctx, p.ID, state, by, note); derr != nil {
		return derr
	}
	return err
}

// collect puts the proposal's item into this hub's copy of the list's
// collection, made on first use from the Playlist the list's hub serves.
// An item the hub does not have yet is fetched from its origin and
// indexed as one from the list's hub: accepted when a curator applied the
// proposal, and as the hub's policies say in auto mode (a limited
// instance's item waits for review, a blocked one's is refused).
func (s *Service) collect(ctx context.Context, p *store.Proposal, by string, auto bool) error {
	it, err := s.itemFromList(ctx, p, by, auto)
	if err != nil {
		return err
	}
	c, err := s.store.CollectionBySource(ctx, p.Collection)
	if errors.Is(err, store.ErrNotFound) {
		c, err = s.copyCollection(ctx, p.Collection)
	}
	if err != nil {
		return err
	}
	return s.store.AddToCollection(ctx, c.ID, it.ID, "")
}

// uncollect takes the proposal's item out of the copy; what is not there
// is nothing to undo.
func (s *Service) uncollect(ctx context.Context, p *store.Proposal) error {
	c, err := s.store.CollectionBySource(ctx, p.Collection)
	if err == nil {
		var it *store.Item
		if it, err = s.localItem(ctx, p.Target); err == nil {
			err = s.store.RemoveFromCollection(ctx, c.ID, it.ID)
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// localItem finds an item of this hub by its ActivityPub id: one of ours
// (/i/ID), or an indexed remote item by its origin's id.
func (s *Service) localItem(ctx context.Context, uri string) (*store.Item, error) {
	if path := s.localPath(uri); path != "" {
		id, ok := strings.CutPrefix(path, "/i/")
		if !ok || id == "" || strings.Contains(id, "/") {
			return nil, store.ErrNotFound
		}
		return s.store.ItemByPublicID(ctx, id)
	}
	return s.store.ItemByOriginURI(ctx, uri)
}

// itemFromList finds the proposal's item, or fetches and indexes it.
func (s *Service) itemFromList(ctx context.Context, p *store.Proposal, by string, auto bool) (*store.Item, error) {
	it, err := s.localItem(ctx, p.Target)
	if errors.Is(err, store.ErrNotFound) && s.localPath(p.Target) == "" {
		// Never fetch from a blocked instance.
		if blocked, err := s.store.SenderBlocked(ctx, hostOf(p.Target), ""); err != nil || blocked {
			if err == nil {
				err = fmt.Errorf("%s is on a blocked instance", p.Target)
			}
			return nil, err
		}
		var body []byte
		if body, err = s.fetch(ctx, p.Target); err != nil {
			return nil, fmt.Errorf("fetch %s: %w", p.Target, err)
		}
		obj, derr := ap.DecodeObject(body)
		switch {
		case derr != nil:
			return nil, fmt.Errorf("%s: %w", p.Target, derr)
		case obj.ID != p.Target:
			return nil, fmt.Errorf("%s answered as %s", p.Target, obj.ID)
		case !mediaObject(obj):
			return nil, fmt.Errorf("%s is a %s, not a video or an episode", p.Target, obj.Type)
		}
		src := &indexSource{via: p.From, accepted: by, settings: store.FollowSettings{Review: false, AllowSensitive: true}}
		if err := s.indexFrom(ctx, p.From.URI, obj, src); err != nil {
			return nil, err
		}
		if it, err = s.store.ItemByOriginURI(ctx, p.Target); err != nil {
			return nil, err
		}
		if it.ReviewState == store.ReviewPending && !auto {
			// A curator applied the proposal: that is their decision.
			_, err = s.store.DecideReview(ctx, []int64{it.ID}, store.ReviewAccepted, 0, by)
		}
	}
	return it, err
}

// copyCollection makes this hub's copy of another hub's collection, named
// as its Playlist says.
func (s *Service) copyCollection(ctx context.Context, uri string) (*store.Collection, error) {
	body, err := s.fetch(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("fetch the collection %s: %w", uri, err)
	}
	obj, err := ap.DecodeObject(body)
	if err != nil {
		return nil, fmt.Errorf("the collection %s: %w", uri, err)
	}
	if obj.ID != uri {
		return nil, fmt.Errorf("the collection %s answered as %s", uri, obj.ID)
	}
	host := hostOf(uri)
	title := strings.TrimSpace(obj.Name)
	if title == "" {
		title = path.Base(uri)
	}
	title = clip(title+" ("+host+")", 200)
	desc := obj.Content
	if obj.MediaType != "text/markdown" {
		desc = s.markup.Text(desc)
	}
	desc = clip(strings.TrimSpace(desc), 1000)
	return s.store.CopyCollection(ctx, uri, collectionSlug(path.Base(uri)+"-"+host), title, desc)
}

// collectionSlug keeps the letters, digits and dashes of s, in lower
// case, at most 60 of them.
func collectionSlug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '-' || r == '.' || r == '_':
			b.WriteByte('-')
		}
		if b.Len() >= 60 {
			break
		}
	}
	if b.Len() == 0 {
		return "collection"
	}
	return strings.Trim(b.String(), "-")
}

// clip cuts s to at most n runes.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

package federation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/store"
)

// The hub's curation list is its instance actor's: what it follows (its
// "following" collection) and the instances it blocks ("blocks"). Each
// change is announced to the instance actor's followers as an Add or a
// Remove on that collection, in one delivery job; a hub that follows ours
// with a list mode turns them into proposals.

// ListCollection is the URI of the hub's following or blocks collection.
func (s *Service) ListCollection(which string) string { return s.base + "/actor/" + which }

// hostURI is how the list names an instance: its root URL.
func (s *Service) hostURI(host string) string { return s.remoteScheme() + "://" + host + "/" }

// announceList queues the instance actor's Add or Remove of object on its
// collection, to its followers.
func (s *Service) announceList(ctx context.Context, tx *store.Tx, verb, object, which string) error {
	inst, err := s.InstanceActor(ctx)
	if err != nil {
		return err
	}
	from := s.ActorURI(inst)
	id, err := tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: inst.ID, Type: verb, ObjectURI: object},
		func(id int64) (string, error) {
			return marshal(map[string]any{"@context": ap.ContextActivityStreams, "id": s.ActivityURI(id), "type": verb,
				"actor": from, "object": object, "target": s.ListCollection(which), "to": []string{from + "/followers"}})
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
	return s.store.InTx(ctx, func(tx *store.Tx) error { return s.announceList(ctx, tx, verb, s.hostURI(host), "blocks") })
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
	var action, target string
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
	default:
		return ignored("%s on %s, which is not a curation list", act.Type, coll)
	}
	id, ok, err := s.store.AddProposal(ctx, cf.FollowID, action, target, act.ID)
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
	return s.ApplyProposal(ctx, p, "auto: list of "+sender)
}

// ApplyProposal carries a pending proposal out: follow or unfollow the
// actor, block or unblock the instance. A failure is recorded on the
// proposal with its reason (and returned).
func (s *Service) ApplyProposal(ctx context.Context, p *store.Proposal, by string) error {
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

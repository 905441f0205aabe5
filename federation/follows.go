package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/store"
)

// maxNodeInfoBody bounds the NodeInfo documents read to find an instance.
const maxNodeInfoBody = 256 << 10

// ResolveTarget finds the remote actor a curator means by target:
// "@name@host" (WebFinger), an actor's URL, or a bare host (the instance's
// actor, found through NodeInfo: PeerTube's Application actor is
// acct:peertube@host, Mastodon's and Archipel's /actor, GoToSocial's
// acct:host@host). The actor is fetched (signed) and stored.
func (s *Service) ResolveTarget(ctx context.Context, target string) (*store.Actor, error) {
	t := strings.TrimSpace(target)
	lower := strings.ToLower(t)
	switch {
	case t == "":
		return nil, errors.New("give a handle (@name@host), an actor URL or a host")
	case strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://"):
		u, err := url.Parse(t)
		if err != nil || !validHost(u.Host) || u.User != nil {
			return nil, fmt.Errorf("%q is not a URL of an actor", target)
		}
		if u.Path == "" || u.Path == "/" {
			return s.instanceActorOf(ctx, strings.ToLower(u.Host))
		}
		u.Fragment = ""
		return s.refreshTarget(ctx, u.String())
	case strings.Contains(strings.TrimPrefix(t, "@"), "@"):
		acct, err := s.parseHandle(t)
		if err != nil {
			return nil, fmt.Errorf("%q is not a handle: %v", target, err)
		}
		user, host, _ := strings.Cut(strings.TrimPrefix(acct.resource, "acct:"), "@")
		uri, err := s.webfingerActor(ctx, user, host)
		if err != nil {
			return nil, err
		}
		return s.refreshTarget(ctx, uri)
	case validHost(lower):
		return s.instanceActorOf(ctx, lower)
	}
	return nil, fmt.Errorf("%q is neither a handle (@name@host), an actor URL nor a host", target)
}

// refreshTarget fetches an actor that is to be followed; a local one is
// refused.
func (s *Service) refreshTarget(ctx context.Context, uri string) (*store.Actor, error) {
	if s.localPath(uri) != "" {
		return nil, errors.New("that actor is on this hub")
	}
	a, err := s.RefreshActor(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("cannot fetch the actor %s: %w", uri, err)
	}
	return a, nil
}

// instanceActorOf finds a server's instance actor: which software it runs
// (NodeInfo) decides where to look first.
func (s *Service) instanceActorOf(ctx context.Context, host string) (*store.Actor, error) {
	if host == strings.ToLower(s.host) {
		return nil, errors.New("that is this hub")
	}
	software, err := s.nodeInfoSoftware(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("%s does not look like a fediverse server: %w", host, err)
	}
	base := s.remoteScheme() + "://" + host
	tryAcct := func(user string) func() (string, error) {
		return func() (string, error) { return s.webfingerActor(ctx, user, host) }
	}
	tryURL := func(u string) func() (string, error) { return func() (string, error) { return u, nil } }
	hostname := host
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
		hostname = h
	}
	var tries []func() (string, error)
	switch software {
	case "peertube":
		tries = append(tries, tryAcct("peertube"))
	case "gotosocial":
		tries = append(tries, tryAcct(hostname))
	case "mastodon", "archipel", "castopod":
		tries = append(tries, tryURL(base+"/actor"))
	}
	tries = append(tries, tryAcct(hostname), tryURL(base+"/actor"), tryAcct("peertube"))
	var errs []error
	for _, try := range tries {
		uri, err := try()
		if err == nil {
			var a *store.Actor
			if a, err = s.refreshTarget(ctx, uri); err == nil {
				return a, nil
			}
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("no instance actor found on %s (%s): %w", host, software, errors.Join(errs...))
}

// nodeInfoSoftware reads the software name from host's NodeInfo.
func (s *Service) nodeInfoSoftware(ctx context.Context, host string) (string, error) {
	base := s.remoteScheme() + "://" + host
	resp, err := s.client.GetLimit(ctx, base+"/.well-known/nodeinfo", "application/json", maxNodeInfoBody, nil)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("%s/.well-known/nodeinfo answered %d", base, resp.StatusCode)
	}
	var index struct {
		Links []struct{ Rel, Href string } `json:"links"`
	}
	if err := json.Unmarshal(resp.Body, &index); err != nil {
		return "", fmt.Errorf("NodeInfo index: %v", err)
	}
	href := ""
	for _, l := range index.Links {
		if strings.HasPrefix(l.Rel, "http://nodeinfo.diaspora.software/ns/schema/2.") && hostOf(l.Href) == host {
			href = l.Href // the last listed is the newest schema
		}
	}
	if href == "" {
		return "", errors.New("NodeInfo lists no 2.x document on its own host")
	}
	resp, err = s.client.GetLimit(ctx, href, "application/json", maxNodeInfoBody, nil)
	if err != nil {
		return "", err
	}
	var doc struct {
		Software struct{ Name string } `json:"software"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(resp.Body, &doc) != nil || doc.Software.Name == "" {
		return "", fmt.Errorf("NodeInfo %s has no software name", href)
	}
	return strings.ToLower(doc.Software.Name), nil
}

// FollowRemote makes the hub (its instance actor) follow target with the
// curator's settings: the Follow goes to the target's inbox in one job.
// Following again resends the Follow and updates the settings.
func (s *Service) FollowRemote(ctx context.Context, target *store.Actor, input string, set store.FollowSettings, userID int64) (*store.CuratedFollow, error) {
	if target.Local() {
		return nil, errors.New("that actor is on this hub")
	}
	if blocked, err := s.store.SenderBlocked(ctx, target.Domain, target.URI); err != nil || blocked {
		if err == nil {
			err = fmt.Errorf("%s is blocked on this hub", target.URI)
		}
		return nil, err
	}
	inst, err := s.InstanceActor(ctx)
	if err != nil {
		return nil, err
	}
	from := s.ActorURI(inst)
	_, known := s.store.CuratedFollowOf(ctx, target.ID)
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		if errors.Is(known, store.ErrNotFound) {
			// A new follow is news for the hubs that share our list.
			if err := s.announceList(ctx, tx, "Add", target.URI, s.ListCollection("following")); err != nil {
				return err
			}
		}
		var followURI string
		id, err := tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: inst.ID, Type: "Follow", ObjectURI: target.URI, Inboxes: []string{target.Inbox}},
			func(id int64) (string, error) {
				followURI = s.ActivityURI(id)
				return marshal(map[string]any{"@context": ap.ContextActivityStreams, "id": followURI, "type": "Follow",
					"actor": from, "object": target.URI, "to": []string{target.URI}})
			})
		if err != nil {
			return err
		}
		if _, err := tx.PutCuratedFollow(ctx, inst.ID, target.ID, followURI, input, set, userID); err != nil {
			return err
		}
		return s.queueDelivery(ctx, tx, id)
	})
	if err != nil {
		return nil, err
	}
	return s.store.CuratedFollowOf(ctx, target.ID)
}

// UnfollowRemote ends the hub's follow of target: Undo{Follow} goes to
// its inbox, and the follow is forgotten (indexed items stay).
func (s *Service) UnfollowRemote(ctx context.Context, target *store.Actor) error {
	inst, err := s.InstanceActor(ctx)
	if err != nil {
		return err
	}
	f, err := s.store.FollowOf(ctx, inst.ID, target.ID)
	if err != nil {
		return err
	}
	from := s.ActorURI(inst)
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		id, err := tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: inst.ID, Type: "Undo", ObjectURI: f.ActivityURI, Inboxes: []string{target.Inbox}},
			func(id int64) (string, error) {
				return marshal(map[string]any{"@context": ap.ContextActivityStreams, "id": s.ActivityURI(id), "type": "Undo",
					"actor": from, "to": []string{target.URI},
					"object": map[string]any{"id": f.ActivityURI, "type": "Follow", "actor": from, "object": target.URI}})
			})
		if err != nil {
			return err
		}
		if err := tx.DeleteFollow(ctx, inst.ID, target.ID); err != nil {
			return err
		}
		if err := s.announceList(ctx, tx, "Remove", target.URI, s.ListCollection("following")); err != nil {
			return err
		}
		return s.queueDelivery(ctx, tx, id)
	})
}

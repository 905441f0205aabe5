package federation_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// TestSharedListsAreBounded subscribes to a hub's list and has it propose
// far too much: a thousand follows. Only store.MaxProposalsPerHour are
// recorded; the rest are refused, and the refusal is logged. In auto
// mode, a proposed block is applied at once; a list change from a hub the
// hub does not subscribe to is ignored.
func TestSharedListsAreBounded(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHub(t, s, hubOptions{})
		r := newRemote(t)
		list := r.actor("hub")
		target := subscribeList(t, h, r, list)
		add := func(n int, object, which string) {
			t.Helper()
			if code, body := r.post(h.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
				"id": fmt.Sprintf("%s/activities/add-%d", r.base(), n), "type": "Add", "actor": list,
				"object": object, "target": list + "/" + which}); code != http.StatusAccepted {
				t.Fatalf("Add %d: %d %s", n, code, body)
			}
		}
		const flood = 1000
		for i := range flood {
			add(i, fmt.Sprintf("https://spam%d.example/users/bot", i), "following")
		}
		eventually(t, "the flood is drained", func() bool {
			var pending int
			_ = s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox_activities WHERE state = 'pending'`).Scan(&pending)
			return pending == 0
		})
		ps, err := s.Proposals(ctx, store.ProposalPending, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != store.MaxProposalsPerHour {
			t.Fatalf("%d proposals recorded from a flood of %d, want %d", len(ps), flood, store.MaxProposalsPerHour)
		}
		if !strings.Contains(h.logText(), "refused a list proposal") || !strings.Contains(h.logText(), "bounded") {
			t.Fatal("the refusals are not logged")
		}
		if n := len(r.activities("Follow")); n != 1 {
			t.Fatalf("review mode followed %d actors by itself", n-1)
		}

		// Auto mode: a block is applied at once.
		if _, err := h.fed.FollowRemote(ctx, target, list, store.FollowSettings{Review: true, ListMode: store.ListAuto}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB().ExecContext(ctx, `DELETE FROM list_proposals`); err != nil {
			t.Fatal(err)
		}
		add(flood+1, "https://bad.example/", "blocks")
		eventually(t, "the proposed block is applied", func() bool {
			p, err := s.InstancePolicy(ctx, "bad.example")
			return err == nil && p == store.PolicyBlock
		})

		// A hub we do not subscribe to proposes nothing.
		other := newRemote(t)
		if code, _ := other.post(h.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": other.base() + "/activities/x", "type": "Add", "actor": other.actor("hub"),
			"object": "https://evil.example/", "target": other.actor("hub") + "/blocks"}); code != http.StatusAccepted {
			t.Fatalf("stranger's Add: %d", code)
		}
		eventually(t, "the stranger's Add is ignored", func() bool {
			return strings.Contains(h.logText(), "from an actor we do not follow") || strings.Contains(h.logText(), "whose list we do not subscribe to")
		})
		if p, _ := s.InstancePolicy(ctx, "evil.example"); p == store.PolicyBlock {
			t.Fatal("a stranger's list blocked an instance")
		}
	})
}

// subscribeList follows the remote hub's actor list with its list in
// review mode, and has the remote accept.
func subscribeList(t *testing.T, h *hub, r *remote, list string) *store.Actor {
	t.Helper()
	ctx := context.Background()
	target, err := h.fed.RemoteActor(ctx, list)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.fed.FollowRemote(ctx, target, list, store.FollowSettings{Review: true, ListMode: store.ListReview}, 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the Follow arrives", func() bool { return len(r.activities("Follow")) == 1 })
	if code, body := r.post(h.url+"/actor/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": r.base() + "/accepts/1", "type": "Accept", "actor": list, "object": r.activities("Follow")[0]}); code != http.StatusAccepted {
		t.Fatalf("Accept: %d %s", code, body)
	}
	eventually(t, "the follow is accepted", func() bool {
		f, err := h.s.CuratedFollowOf(ctx, target.ID)
		return err == nil && f.State == store.FollowAccepted
	})
	return target
}

// TestSharedListCollections subscribes to a hub's list, which adds to its
// collection a video the hub has never seen: the proposal, once applied,
// fetches and indexes the video (accepted: a curator chose it) and puts
// it into the hub's copy of the collection, named after the Playlist.
// The Remove that follows takes it out again. An Add naming no item, and
// one whose item is on a blocked instance, change nothing: the first is
// ignored, the second fails with its reason.
func TestSharedListCollections(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHub(t, s, hubOptions{})
		r := newRemote(t)
		peerTube(r)
		list := r.actor("hub")
		subscribeList(t, h, r, list)
		coll := r.base() + "/collections/science"
		r.serveDoc("/collections/science", map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": coll,
			"type": "Playlist", "name": "Science picks", "content": "<p>Films <b>we</b> like</p>", "attributedTo": []string{list}})
		videoID := r.base() + "/videos/watch/sea"
		r.serveDoc("/videos/watch/sea", peerTubeVideo(r, videoID, "Seaside", "fr", r.base()+"/static/web-videos/sea-720.mp4"))

		n := 0
		change := func(verb, object string) {
			t.Helper()
			n++
			if code, body := r.post(h.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
				"id": fmt.Sprintf("%s/activities/coll-%d", r.base(), n), "type": verb, "actor": list,
				"object": object, "target": coll}); code != http.StatusAccepted {
				t.Fatalf("%s: %d %s", verb, code, body)
			}
		}
		pending := func(action string) *store.Proposal {
			t.Helper()
			var got *store.Proposal
			eventually(t, "a "+action+" proposal", func() bool {
				ps, _ := s.Proposals(ctx, store.ProposalPending, 10)
				for _, p := range ps {
					if p.Action == action {
						got = p
					}
				}
				return got != nil
			})
			return got
		}

		change("Add", videoID)
		p := pending(store.ProposeCollect)
		if p.Target != videoID || p.Collection != coll {
			t.Fatalf("collect proposal = %+v", p)
		}
		if _, err := s.ItemByOriginURI(ctx, videoID); err == nil {
			t.Fatal("the item was indexed before anyone applied the proposal")
		}
		if err := h.fed.ApplyProposal(ctx, p, "cora"); err != nil {
			t.Fatal(err)
		}
		item, err := s.ItemByOriginURI(ctx, videoID)
		if err != nil || item.ReviewState != store.ReviewAccepted || item.Title != "Seaside" {
			t.Fatalf("the collected item = %+v, %v", item, err)
		}
		c, err := s.CollectionBySource(ctx, coll)
		if err != nil || c.Title != "Science picks ("+r.host()+")" || c.Description != "Films we like" || c.Count != 1 {
			t.Fatalf("the copy = %+v, %v", c, err)
		}
		entries, err := s.CollectionEntries(ctx, c.ID, false)
		if err != nil || len(entries) != 1 || entries[0].Item.ID != item.ID {
			t.Fatalf("the copy's entries = %+v, %v", entries, err)
		}
		if log, _ := s.ReviewDecisions(ctx, 10); len(log) == 0 || log[0].DecidedBy != "cora" {
			t.Fatalf("the acceptance is not logged as cora's: %+v", log)
		}

		change("Remove", videoID)
		if err := h.fed.ApplyProposal(ctx, pending(store.ProposeUncollect), "cora"); err != nil {
			t.Fatal(err)
		}
		if entries, _ := s.CollectionEntries(ctx, c.ID, true); len(entries) != 0 {
			t.Fatalf("the item is still in the copy: %+v", entries)
		}

		// Not an item: ignored. An item of a blocked instance: refused on apply.
		change("Add", "javascript:alert(1)")
		eventually(t, "the Add naming no item is ignored", func() bool { return strings.Contains(h.logText(), "not an item") })
		if err := s.SetInstancePolicy(ctx, "blocked.example", store.PolicyBlock); err != nil {
			t.Fatal(err)
		}
		change("Add", "https://blocked.example/videos/1")
		bad := pending(store.ProposeCollect)
		if err := h.fed.ApplyProposal(ctx, bad, "cora"); err == nil || !strings.Contains(err.Error(), "blocked") {
			t.Fatalf("collecting a blocked instance's item: %v", err)
		}
		if got, _ := s.ProposalByID(ctx, bad.ID); got.State != store.ProposalFailed || !strings.Contains(got.Note, "blocked") {
			t.Fatalf("the failed proposal = %+v", got)
		}

		// Auto mode applies at once, but the hub's policies still hold: an
		// item of a limited instance goes into the copy and waits for review.
		target, err := s.RemoteActorByURI(ctx, list)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.fed.FollowRemote(ctx, target, list, store.FollowSettings{Review: true, ListMode: store.ListAuto}, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.SetInstancePolicy(ctx, r.host(), store.PolicyLimit); err != nil {
			t.Fatal(err)
		}
		second := r.base() + "/videos/watch/dunes"
		r.serveDoc("/videos/watch/dunes", peerTubeVideo(r, second, "Dunes", "fr", r.base()+"/static/web-videos/dunes-720.mp4"))
		change("Add", second)
		eventually(t, "auto mode puts the limited instance's item in the copy", func() bool {
			entries, _ := s.CollectionEntries(ctx, c.ID, true)
			return len(entries) == 1 && entries[0].Item.OriginURI == second
		})
		if it, err := s.ItemByOriginURI(ctx, second); err != nil || it.ReviewState != store.ReviewPending {
			t.Fatalf("the auto-collected item of a limited instance = %+v, %v", it, err)
		}
	})
}

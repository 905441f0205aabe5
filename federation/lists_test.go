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
			f, err := s.CuratedFollowOf(ctx, target.ID)
			return err == nil && f.State == store.FollowAccepted
		})
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

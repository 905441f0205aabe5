package federation_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// statusServer answers every POST with status and counts them.
func statusServer(t *testing.T, status int) (*httptest.Server, *atomic.Int64) {
	n := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, n
}

func (h *hub) addFollower(inbox, shared string) {
	h.t.Helper()
	ctx := context.Background()
	a, err := h.s.UpsertRemoteActor(ctx, store.Actor{Kind: "Person", Username: "x", URI: inbox + "#actor", Inbox: inbox, SharedInbox: shared})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.s.UpsertFollow(ctx, a.ID, h.channel.ActorID, store.FollowAccepted, inbox+"#follow"); err != nil {
		h.t.Fatal(err)
	}
}

// Only failed inboxes become retry jobs: a 500 is retried later, a 410 is
// final; followers on one server get one request to its shared inbox;
// deleting the item cancels the pending retry of its Create.
func TestRetriesAndCancel(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHub(t, s, hubOptions{})
		ok := newRemote(t)
		failing, failCount := statusServer(t, http.StatusInternalServerError)
		gone, goneCount := statusServer(t, http.StatusGone)
		// Three followers on the healthy server share its inbox.
		for _, name := range []string{"a", "b", "c"} {
			h.addFollower(ok.actor(name)+"/inbox", ok.base()+"/inbox")
		}
		h.addFollower(failing.URL+"/users/x/inbox", "")
		h.addFollower(gone.URL+"/users/y/inbox", "")

		item := h.publishItem("Retry me")
		eventually(t, "the fan-out", func() bool {
			return len(ok.activities("Create")) == 1 && failCount.Load() == 1 && goneCount.Load() == 1
		})
		eventually(t, "the retry job", func() bool {
			return h.countRows("delivery_jobs", "inbox = $1", failing.URL+"/users/x/inbox") == 1
		})
		if n := h.countRows("delivery_jobs", "inbox = $1", gone.URL+"/users/y/inbox"); n != 0 {
			t.Errorf("a 410 inbox got %d retry jobs", n)
		}
		var retryJob int64
		if err := s.DB().QueryRowContext(ctx, `SELECT job_id FROM delivery_jobs WHERE inbox = $1`, failing.URL+"/users/x/inbox").Scan(&retryJob); err != nil {
			t.Fatal(err)
		}
		var state string
		var scheduled time.Time
		if err := s.DB().QueryRowContext(ctx, `SELECT state, scheduled_at FROM river_job WHERE id = $1`, retryJob).Scan(&state, &scheduled); err != nil {
			t.Fatal(err)
		}
		if state != "scheduled" || time.Until(scheduled) < 30*time.Second {
			t.Errorf("retry job: %s at %v", state, scheduled)
		}
		in, err := s.InstanceByDomain(ctx, store.HostOf(failing.URL))
		if err != nil || in.FailureCount != 1 {
			t.Errorf("failing host health: %+v %v", in, err)
		}

		if err := h.lib.Delete(ctx, item); err != nil {
			t.Fatal(err)
		}
		if err := s.DB().QueryRowContext(ctx, `SELECT state FROM river_job WHERE id = $1`, retryJob).Scan(&state); err != nil {
			t.Fatal(err)
		}
		if state != "cancelled" {
			t.Errorf("the Create's retry is %s after the item was deleted", state)
		}
		eventually(t, "the Delete", func() bool { return len(ok.activities("Delete")) == 1 })
	})
}

// A host that keeps failing is parked: its deliveries wait without a
// request until it is probed again; one success unparks it.
func TestHostParking(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fail := []store.DeliveryOutcome{{Host: "dead.example", Failed: 1}}
		for i := 0; i < 4; i++ {
			if err := s.RecordDeliveries(ctx, fail, 5, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now()
		if p, _ := s.ParkedHosts(ctx, []string{"dead.example"}, now); p["dead.example"] {
			t.Fatal("parked after 4 failures")
		}
		if err := s.RecordDeliveries(ctx, fail, 5, time.Hour); err != nil {
			t.Fatal(err)
		}
		if p, _ := s.ParkedHosts(ctx, []string{"dead.example", "other.example"}, now); !p["dead.example"] || p["other.example"] {
			t.Fatalf("parking: %v", p)
		}
		if p, _ := s.ParkedHosts(ctx, []string{"dead.example"}, now.Add(2*time.Hour)); p["dead.example"] {
			t.Error("still parked after parkFor")
		}
		if err := s.RecordDeliveries(ctx, []store.DeliveryOutcome{{Host: "dead.example", Delivered: 1}}, 5, time.Hour); err != nil {
			t.Fatal(err)
		}
		if p, _ := s.ParkedHosts(ctx, []string{"dead.example"}, now); p["dead.example"] {
			t.Error("a success did not unpark")
		}
	})
}

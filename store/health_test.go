package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// healthJob stands in for a delivery retry job.
type healthJob struct {
	Inbox string `json:"inbox"`
}

func (healthJob) Kind() string { return "health_test" }

// queueRetry records a retry job for inbox, scheduled in an hour, as the
// delivery job does.
func queueRetry(t *testing.T, s *store.Store, q jobs.Queue, activityID int64, inbox string) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if id, err = q.InsertTx(ctx, tx, healthJob{Inbox: inbox}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
			return err
		}
		return tx.AddDeliveryJob(ctx, id, activityID, inbox)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func remoteActor(t *testing.T, s *store.Store, host, name string) *store.Actor {
	t.Helper()
	uri := "https://" + host + "/users/" + name
	a, err := s.UpsertRemoteActor(context.Background(), store.Actor{Kind: "Person", URI: uri, Username: name, Inbox: uri + "/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func follow(t *testing.T, s *store.Store, follower, target int64, state string) {
	t.Helper()
	if _, err := s.UpsertFollow(context.Background(), follower, target, state, fmt.Sprintf("https://x.example/f/%d-%d", follower, target)); err != nil {
		t.Fatal(err)
	}
}

func TestHealthPerInstance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := jobs.Migrate(ctx, s); err != nil {
			t.Fatal(err)
		}
		runner, err := jobs.New(s, nil, jobs.Config{NodeName: "health-test"})
		if err != nil {
			t.Fatal(err)
		}
		alice, bob := newUser(t, s, "alice", store.RoleCreator), newUser(t, s, "bob", store.RoleCreator)

		// good.example: two of its actors followed by us (one by both
		// users: counted once), one asked, one following us.
		g1, g2, g3 := remoteActor(t, s, "good.example", "g1"), remoteActor(t, s, "good.example", "g2"), remoteActor(t, s, "good.example", "g3")
		follow(t, s, alice.ActorID, g1.ID, store.FollowAccepted)
		follow(t, s, bob.ActorID, g1.ID, store.FollowAccepted)
		follow(t, s, alice.ActorID, g2.ID, store.FollowAccepted)
		follow(t, s, bob.ActorID, g3.ID, store.FollowPending)
		follow(t, s, g3.ID, alice.ActorID, store.FollowAccepted)
		// A remote actor following a remote actor is none of ours.
		d1 := remoteActor(t, s, "dead.example", "d1")
		follow(t, s, d1.ID, g2.ID, store.FollowAccepted)
		follow(t, s, d1.ID, bob.ActorID, store.FollowAccepted)
		follow(t, s, remoteActor(t, s, "dead.example", "d2").ID, bob.ActorID, store.FollowPending)

		if err := s.RecordDeliveries(ctx, []store.DeliveryOutcome{{Host: "good.example", Delivered: 3}}, 5, time.Hour); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			o := []store.DeliveryOutcome{{Host: "dead.example", Failed: 2, Error: fmt.Sprintf("HTTP 50%d", i)}}
			if err := s.RecordDeliveries(ctx, o, 5, 6*time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RecordDeliveries(ctx, []store.DeliveryOutcome{{Host: "flaky.example", Failed: 1, Error: "dial tcp: connection refused"}}, 5, time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := s.SetInstancePolicy(ctx, "bad.example", store.PolicyBlock); err != nil {
			t.Fatal(err)
		}
		if err := s.SetInstancePolicy(ctx, "quiet.example", store.PolicyMute); err != nil {
			t.Fatal(err)
		}

		var act int64
		err = s.InTx(ctx, func(tx *store.Tx) (err error) {
			act, err = tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: alice.ActorID, Type: "Create", Public: true},
				func(int64) (string, error) { return "{}", nil })
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		queueRetry(t, s, runner, act, "https://dead.example/inbox")
		queueRetry(t, s, runner, act, "https://DEAD.example/users/d1/inbox")
		cancelled := queueRetry(t, s, runner, act, "https://dead.example/users/d2/inbox")
		queueRetry(t, s, runner, act, "https://flaky.example/inbox")
		queueRetry(t, s, runner, act, "") // a fan-out
		if err := runner.Cancel(ctx, cancelled); err != nil {
			t.Fatal(err)
		}

		now := time.Now()
		page, total, err := s.FederationHealth(ctx, store.HealthFilter{}, now)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		by := map[string]*store.InstanceHealth{}
		for _, h := range page {
			order = append(order, h.Domain)
			by[h.Domain] = h
		}
		want := []string{"dead.example", "flaky.example", "bad.example", "quiet.example", "good.example"}
		if total != 5 || fmt.Sprint(order) != fmt.Sprint(want) {
			t.Fatalf("problems first: %v (total %d), want %v", order, total, want)
		}
		dead := by["dead.example"]
		if !dead.Parked(now) || dead.ParkedReason != "HTTP 504" || dead.LastError != "HTTP 504" || dead.FailureCount != 5 ||
			dead.FailedCount != 10 || dead.Queue != 2 || dead.Following != 0 || dead.Followers != 1 {
			t.Errorf("dead.example: %+v", dead)
		}
		if d := dead.ParkedUntil.Sub(now); d < 5*time.Hour || d > 7*time.Hour {
			t.Errorf("parked for %v, want 6h", d)
		}
		flaky := by["flaky.example"]
		if flaky.Parked(now) || flaky.ParkedReason != "" || flaky.LastError != "dial tcp: connection refused" || flaky.Queue != 1 {
			t.Errorf("flaky.example: %+v", flaky)
		}
		good := by["good.example"]
		if good.Following != 2 || good.FollowingPending != 1 || good.Followers != 1 || good.LastSuccessAt == nil ||
			good.DeliveredCount != 3 || good.FailureCount != 0 || good.Queue != 0 {
			t.Errorf("good.example: %+v", good)
		}
		if by["bad.example"].Policy != store.PolicyBlock || by["quiet.example"].Policy != store.PolicyMute {
			t.Errorf("policies: %+v %+v", by["bad.example"], by["quiet.example"])
		}

		sum, err := s.FederationHealthSummary(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if *sum != (store.HealthSummary{Instances: 5, Parked: 1, Failing: 2, Blocked: 1, Muted: 1, Queue: 3, FanOuts: 1}) {
			t.Errorf("summary %+v", sum)
		}

		// A success unparks and clears the reason, keeping the last error.
		if err := s.RecordDeliveries(ctx, []store.DeliveryOutcome{{Host: "dead.example", Delivered: 1}}, 5, time.Hour); err != nil {
			t.Fatal(err)
		}
		dead, err = s.InstanceHealthByDomain(ctx, "dead.example")
		if err != nil {
			t.Fatal(err)
		}
		if dead.Parked(now) || dead.ParkedReason != "" || dead.LastError != "HTTP 504" || dead.Queue != 2 || dead.Followers != 1 {
			t.Errorf("after a success: %+v", dead)
		}

		for _, c := range []struct {
			f    store.HealthFilter
			want string
		}{
			{store.HealthFilter{Sort: store.HealthSortDomain, Limit: 2}, "[bad.example dead.example]"},
			{store.HealthFilter{Sort: store.HealthSortDomain, Limit: 2, Offset: 4}, "[quiet.example]"},
			{store.HealthFilter{Sort: store.HealthSortQueue, Limit: 2}, "[dead.example flaky.example]"},
			{store.HealthFilter{Sort: store.HealthSortRecent, Limit: 2}, "[dead.example good.example]"},
			{store.HealthFilter{Domain: "AD.EX", Sort: store.HealthSortDomain}, "[bad.example dead.example]"},
			{store.HealthFilter{Domain: "%"}, "[]"},
		} {
			page, _, err := s.FederationHealth(ctx, c.f, now)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range page {
				got = append(got, h.Domain)
			}
			if fmt.Sprint(got) != c.want {
				t.Errorf("%+v: %v, want %s", c.f, got, c.want)
			}
		}
	})
}

func TestHubActivity(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		alice := newUser(t, s, "alice", store.RoleCreator)
		c, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: alice.ID, Handle: "talks", Kind: store.KindPodcast, Title: "Talks"})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		since := now.Truncate(24*time.Hour).AddDate(0, 0, -30)
		day := func(n int) time.Time { return since.AddDate(0, 0, n).Add(13 * time.Hour) }
		var items []store.ImportedItem
		for i, d := range []int{-3, 2, 2, 9, 45} { // before the window, 2 on day 2, day 9, in the future
			items = append(items, store.ImportedItem{ChannelID: c.ID, Kind: store.ItemEpisode, Title: fmt.Sprint("e", i),
				FeedGUID: fmt.Sprint("g", i), SourceName: "x", EpisodeType: "full", PublishedAt: day(d)})
		}
		ids, err := s.InsertImportedItems(ctx, items, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := remoteActor(t, s, "fans.example", "fan")
		for i, d := range []int{2, 9, 9} {
			if _, err := s.InsertComment(ctx, store.Comment{ItemID: ids[1], AuthorID: r.ID, URI: fmt.Sprint("https://fans.example/c/", i),
				ContentHTML: "hi", State: "visible", PublishedAt: day(d)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.InsertComment(ctx, store.Comment{ItemID: ids[1], AuthorID: r.ID, URI: "https://fans.example/c/held",
			ContentHTML: "hm", State: "held", PublishedAt: day(9)}); err != nil {
			t.Fatal(err)
		}
		follow(t, s, r.ID, alice.ActorID, store.FollowAccepted)
		follow(t, s, alice.ActorID, remoteActor(t, s, "other.example", "o").ID, store.FollowPending)

		a, err := s.HubActivity(ctx, since, now.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		d := func(n int) time.Time { return since.AddDate(0, 0, n) }
		today := now.Truncate(24 * time.Hour)
		check := func(name string, got []store.DayCount, want ...store.DayCount) {
			t.Helper()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %v, want %v", name, got, want)
			}
		}
		check("items", a.Items, store.DayCount{Day: d(2), Count: 2}, store.DayCount{Day: d(9), Count: 1})
		check("comments", a.Comments, store.DayCount{Day: d(2), Count: 1}, store.DayCount{Day: d(9), Count: 2})
		check("followers", a.Followers, store.DayCount{Day: today, Count: 1})
		check("instances known", a.InstancesKnown, store.DayCount{Day: today, Count: 2})
		check("instances federating", a.InstancesFederating, store.DayCount{Day: today, Count: 1})
		if a.InstancesKnownBefore != 0 || a.InstancesFederatingBefore != 0 {
			t.Errorf("before: %d, %d", a.InstancesKnownBefore, a.InstancesFederatingBefore)
		}
		a, err = s.HubActivity(ctx, now.Add(24*time.Hour), now.Add(48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if a.InstancesKnownBefore != 2 || a.InstancesFederatingBefore != 1 || len(a.InstancesKnown) != 0 {
			t.Errorf("tomorrow: %+v", a)
		}
	})
}

package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// healthRemote records a remote actor on host.
func healthRemote(t testing.TB, s *store.Store, host, name string) *store.Actor {
	t.Helper()
	uri := "https://" + host + "/users/" + name
	a, err := s.UpsertRemoteActor(context.Background(), store.Actor{Kind: store.ActorPerson, URI: uri, Username: name, Inbox: uri + "/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func healthFollow(t testing.TB, s *store.Store, follower, target int64, state string) {
	t.Helper()
	if _, err := s.UpsertFollow(context.Background(), follower, target, state, fmt.Sprintf("https://f.example/%d/%d", follower, target)); err != nil {
		t.Fatal(err)
	}
}

// healthRetries queues delivery retry jobs for inboxes as the delivery job
// does (a River job and its delivery_jobs row), scheduled in an hour.
func healthRetries(t testing.TB, s *store.Store, actorID int64, inboxes ...string) {
	t.Helper()
	ctx := context.Background()
	q, err := jobs.New(s, nil, jobs.Config{NodeName: "health-inserter"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.InTx(ctx, func(tx *store.Tx) error {
		act, err := tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: actorID, Type: "Create", Public: true},
			func(int64) (string, error) { return "{}", nil })
		if err != nil {
			return err
		}
		for _, in := range inboxes {
			id, err := q.InsertTx(ctx, tx, federation.DeliverArgs{ActivityID: act, Inbox: in, Attempt: 1},
				&river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
			if err != nil {
				return err
			}
			if err := tx.AddDeliveryJob(ctx, id, act, in); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var (
	healthRowRE = regexp.MustCompile(`(?s)<tr[^>]*>\s*<th scope="row"><a href="/admin/federation/([^"]+)">.*?</tr>`)
	cellRE      = regexp.MustCompile(`(?s)<td>(.*?)</td>`)
	tagRE       = regexp.MustCompile(`<[^>]+>`)
)

// healthRows returns the health table's rows: domain, then the cells'
// text (state, we follow, follow us, last success, failures, queue).
func healthRows(body string) [][]string {
	var rows [][]string
	for _, m := range healthRowRE.FindAllStringSubmatch(body, -1) {
		row := []string{m[1]}
		for _, c := range cellRE.FindAllStringSubmatch(m[0], -1) {
			text := strings.Join(strings.Fields(tagRE.ReplaceAllString(c[1], " ")), " ")
			row = append(row, unescapeHTML(text))
		}
		rows = append(rows, row)
	}
	return rows
}

func TestFederationHealthPage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newMediaHarness(t, s, mediaOptions{federation: true})
		createUser(t, s, "root", store.RoleAdmin)
		createUser(t, s, "cura", store.RoleCurator)
		maker := createUser(t, s, "maker", store.RoleCreator)
		ch := createChannel(t, s, maker, "talks", store.KindPodcast)

		// good.example: we follow two of its actors (and asked a third);
		// one follows our channel. dead.example: two followers, failing
		// until parked, with retries waiting.
		g1, g2, g3 := healthRemote(t, s, "good.example", "g1"), healthRemote(t, s, "good.example", "g2"), healthRemote(t, s, "good.example", "g3")
		healthFollow(t, s, maker.ActorID, g1.ID, store.FollowAccepted)
		healthFollow(t, s, ch.ActorID, g1.ID, store.FollowAccepted)
		healthFollow(t, s, maker.ActorID, g2.ID, store.FollowAccepted)
		healthFollow(t, s, maker.ActorID, g3.ID, store.FollowPending)
		healthFollow(t, s, g3.ID, ch.ActorID, store.FollowAccepted)
		healthFollow(t, s, healthRemote(t, s, "dead.example", "d1").ID, ch.ActorID, store.FollowAccepted)
		healthFollow(t, s, healthRemote(t, s, "dead.example", "d2").ID, maker.ActorID, store.FollowAccepted)
		record := func(o store.DeliveryOutcome) {
			t.Helper()
			if err := s.RecordDeliveries(ctx, []store.DeliveryOutcome{o}, 5, 6*time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		record(store.DeliveryOutcome{Host: "good.example", Delivered: 4})
		for range 5 {
			record(store.DeliveryOutcome{Host: "dead.example", Failed: 1, Error: "HTTP 503 Service Unavailable"})
		}
		record(store.DeliveryOutcome{Host: "flaky.example", Failed: 1, Error: "dial tcp: connection <refused>"})
		if err := s.SetInstancePolicy(ctx, "bad.example", store.PolicyBlock); err != nil {
			t.Fatal(err)
		}
		if err := s.SetInstancePolicy(ctx, "quiet.example", store.PolicyMute); err != nil {
			t.Fatal(err)
		}
		healthRetries(t, s, ch.ActorID, "https://dead.example/inbox", "https://dead.example/users/d1/inbox",
			"https://dead.example/users/d2/inbox", "https://flaky.example/inbox")

		// Anonymous visitors sign in first; creators may not look.
		r := h.browser().get("/admin/federation")
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/login?next=%2Fadmin%2Ffederation" {
			t.Errorf("anonymous sent to %q", loc)
		}
		wantStatus(t, h.browser().get("/admin/federation/dead.example"), http.StatusSeeOther)
		creator := h.browser()
		creator.login("maker")
		wantStatus(t, creator.get("/admin/federation"), http.StatusForbidden)
		wantStatus(t, creator.get("/admin/federation/dead.example"), http.StatusForbidden)
		if r := creator.get("/"); strings.Contains(r.body, `href="/admin/federation"`) {
			t.Error("a creator is shown the health page's link")
		}

		admin := h.browser()
		admin.login("root")
		wantStatus(t, admin.get("/admin/federation"), http.StatusOK)
		curator := h.browser()
		curator.login("cura")
		home := curator.get("/")
		wantContains(t, home.body, `<a href="/admin/federation">Federation</a>`, `<a href="/about/activity">Activity</a>`)
		r = curator.get("/admin/federation")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "5 instances known: 1 parked, 2 failing, 1 blocked, 1 muted.", "4 retries and 0 deliveries to everyone are waiting.")
		dead, err := s.InstanceByDomain(ctx, "dead.example")
		if err != nil || dead.ParkedUntil == nil {
			t.Fatalf("dead.example: %+v, %v", dead, err)
		}
		got := fmt.Sprint(healthRows(r.body))
		// Problems first: parked, failing, blocked, muted, then the rest.
		want := fmt.Sprint([][]string{
			{"dead.example", "Parked until " + dead.ParkedUntil.UTC().Format("2006-01-02 15:04") + " UTC: HTTP 503 Service Unavailable",
				"0", "2", "never", "5 HTTP 503 Service Unavailable", "3"},
			{"flaky.example", "Failing", "0", "0", "never", "1 dial tcp: connection <refused>", "1"},
			{"bad.example", "Blocked", "0", "0", "never", "0", "0"},
			{"quiet.example", "Muted", "0", "0", "never", "0", "0"},
			{"good.example", "OK", "2 (+1 asked)", "1", "just now", "0", "0"},
		})
		if got != want {
			t.Errorf("rows:\n%s\nwant\n%s", got, want)
		}
		wantContains(t, r.body, "dial tcp: connection &lt;refused&gt;") // escaped

		r = curator.get("/admin/federation/dead.example")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "<h1>dead.example</h1>", "Parked", "after 5 failures in a row; the last: HTTP 503 Service Unavailable",
			"<dt>Following us</dt><dd>2 actors there</dd>", "<dt>Retries waiting</dt><dd>3</dd>")
		wantStatus(t, curator.get("/admin/federation/nowhere.example"), http.StatusNotFound)

		// Sorting and filtering.
		r = curator.get("/admin/federation?sort=domain&domain=AD.EX")
		if rows := healthRows(r.body); len(rows) != 2 || rows[0][0] != "bad.example" || rows[1][0] != "dead.example" {
			t.Errorf("filtered by domain: %v", rows)
		}
		r = curator.get("/admin/federation?sort=queue")
		if rows := healthRows(r.body); len(rows) != 5 || rows[0][0] != "dead.example" || rows[1][0] != "flaky.example" {
			t.Errorf("by queue: %v", rows)
		}

		// A thousand more instances: pages of 50, small pages.
		many := make([]store.DeliveryOutcome, 1000)
		for i := range many {
			many[i] = store.DeliveryOutcome{Host: fmt.Sprintf("i%04d.example", i), Delivered: 1}
		}
		if err := s.RecordDeliveries(ctx, many, 5, time.Hour); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		r = curator.get("/admin/federation")
		took := time.Since(start)
		wantStatus(t, r, http.StatusOK)
		if len(r.body) > 60<<10 {
			t.Errorf("page of 1,005 instances: %d bytes", len(r.body))
		}
		rows := healthRows(r.body)
		if len(rows) != healthPageSize || rows[0][0] != "dead.example" {
			t.Errorf("first page: %d rows, first %v", len(rows), rows[0])
		}
		wantContains(t, r.body, "1–50 of 1005", `href="/admin/federation?page=2" rel="next"`)
		t.Logf("first page of 1,005 instances: %d bytes in %v", len(r.body), took)
		r = curator.get("/admin/federation?sort=domain&page=21")
		rows = healthRows(r.body)
		if len(rows) != 5 || rows[4][0] != "quiet.example" {
			t.Errorf("last page by domain: %v", rows)
		}
		wantContains(t, r.body, "1001–1005 of 1005", `href="/admin/federation?page=20&amp;sort=domain" rel="prev"`)
		wantNotContains(t, r.body, `rel="next"`)
	})
}

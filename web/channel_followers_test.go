package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// remoteActor records a remote Person called name on remote.example.
func remoteActor(t *testing.T, s *store.Store, name, displayName string) *store.Actor {
	t.Helper()
	a, err := s.UpsertRemoteActor(context.Background(), store.Actor{Kind: "Person", Username: name, DisplayName: displayName,
		URI: "https://remote.example/users/" + name, URL: "https://remote.example/@" + name,
		Inbox: "https://remote.example/users/" + name + "/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// follow records follower's follow of the channel in state.
func follow(t *testing.T, s *store.Store, follower *store.Actor, c *store.Channel, state string) *store.Follow {
	t.Helper()
	f, err := s.UpsertFollow(context.Background(), follower.ID, c.ActorID, state, "https://remote.example/follows/"+follower.Username)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// countRows counts the rows of a query with one argument.
func countRows(t *testing.T, s *store.Store, query string, arg any) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRowContext(context.Background(), query, arg).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestChannelFollowersFederated covers the federation side of a channel's
// page: the handle to follow it by and its follower count for everyone,
// and for its owner the manual approval switch and the pending requests.
func TestChannelFollowersFederated(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		alice := createUser(t, s, "alice", store.RoleCreator)
		createUser(t, s, "mallory", store.RoleCreator)
		createUser(t, s, "root", store.RoleAdmin)
		c := createChannel(t, s, alice, "clips", store.KindVideo)
		other := createChannel(t, s, alice, "talks", store.KindPodcast)
		h := newMediaHarness(t, s, mediaOptions{federation: true})

		// Everyone sees the handle, a copy button for scripts, and the count.
		anon := h.browser()
		r := anon.get("/c/clips")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body,
			`<label for="fediverse-handle">Follow from the fediverse</label>`,
			`<input id="fediverse-handle" class="handle" type="text" value="@clips@`+h.host+`" readonly`,
			`<button type="button" data-copy="fediverse-handle" data-copy-status="fediverse-handle-status" hidden>Copy</button>`,
			`<p class="status" id="fediverse-handle-status" role="status" aria-live="polite" data-msg-done="Copied %s to the clipboard."`,
			`<script src="/static/copy.js?v=`,
			`<p class="meta followers">0 followers</p>`)
		wantNotContains(t, r.body, "/followers/manual", "Follow requests")

		m := regexp.MustCompile(`<script src="(/static/copy\.js\?v=[0-9a-f]{12})" defer>`).FindStringSubmatch(r.body)
		if m == nil {
			t.Fatal("no fingerprinted copy script")
		}
		js := anon.get(m[1])
		wantStatus(t, js, http.StatusOK)
		if cc := js.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("copy.js Cache-Control = %q", cc)
		}
		wantContains(t, js.body, "data-copy", "button.hidden = false")

		// Only accepted followers count.
		follow(t, s, remoteActor(t, s, "carol", "Carol"), c, store.FollowAccepted)
		follow(t, s, remoteActor(t, s, "erin", ""), other, store.FollowAccepted)
		wantContains(t, anon.get("/c/clips").body, `<p class="meta followers">1 follower</p>`)

		// The owner turns on manual approval.
		owner := h.browser()
		owner.login("alice")
		r = owner.get("/c/clips")
		wantContains(t, r.body, `action="/c/clips/followers/manual"`, "new followers are accepted automatically",
			`<input type="hidden" name="manual" value="on">`, "Approve new followers by hand")
		wantNotContains(t, r.body, "Follow requests")
		r = owner.submit("/c/clips", "/c/clips/followers/manual", nil)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/c/clips" {
			t.Errorf("Location = %q", loc)
		}
		if a, err := s.ActorByID(ctx, c.ActorID); err != nil || !a.ManuallyApproves {
			t.Fatalf("after turning manual approval on: %+v, %v", a, err)
		}
		r = owner.get("/c/clips")
		wantContains(t, r.body, "New followers wait until you accept them.", `<input type="hidden" name="manual" value="off">`,
			"Accept new followers automatically")

		// Two requests wait: Bob (with a display name) and Dave.
		bob := follow(t, s, remoteActor(t, s, "bob", "Bob B."), c, store.FollowPending)
		dave := follow(t, s, remoteActor(t, s, "dave", ""), c, store.FollowPending)
		r = owner.get("/c/clips")
		bobAccept := "/c/clips/followers/" + strconv.FormatInt(bob.ID, 10) + "/accept"
		daveReject := "/c/clips/followers/" + strconv.FormatInt(dave.ID, 10) + "/reject"
		wantContains(t, r.body, "Follow requests (2)",
			`<span class="follower-name">Bob B.</span> <a class="handle" href="https://remote.example/@bob" rel="nofollow noopener">@bob@remote.example</a>`,
			`<span class="follower-name">@dave@remote.example</span>`,
			`action="`+bobAccept+`"`, `action="`+daveReject+`"`, `aria-label="Accept @bob@remote.example"`)
		// Admins see them too.
		admin := h.browser()
		admin.login("root")
		wantContains(t, admin.get("/c/clips").body, "Follow requests (2)", `action="`+bobAccept+`"`)

		// Others see neither, and may not answer or switch.
		mallory := h.browser()
		mallory.login("mallory")
		wantNotContains(t, mallory.get("/c/clips").body, "Follow requests", "/followers/manual", "@bob@remote.example")
		token := formFields(t, mallory.get("/").body, "/logout")
		r = mallory.post(bobAccept, token)
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r.body, "Only the owner of @clips and admins can manage its followers.")
		wantStatus(t, mallory.post(daveReject, token), http.StatusForbidden)
		form := url.Values{csrfField: token[csrfField], "manual": {"off"}}
		wantStatus(t, mallory.post("/c/clips/followers/manual", form), http.StatusForbidden)
		// Signed out: sign in first.
		anonToken := formFields(t, anon.get("/login").body, "/login")
		r = anon.post(bobAccept, url.Values{csrfField: anonToken[csrfField]})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/login?next=") {
			t.Errorf("Location = %q", loc)
		}
		// Without the form token, nothing happens.
		wantStatus(t, owner.post(bobAccept, url.Values{}), http.StatusForbidden)
		if f, err := s.FollowByID(ctx, bob.ID); err != nil || f.State != store.FollowPending {
			t.Fatalf("after refused answers: %+v, %v", f, err)
		}
		if a, _ := s.ActorByID(ctx, c.ActorID); !a.ManuallyApproves {
			t.Fatal("manual approval was switched off by someone else")
		}

		// Unknown requests, requests for another channel and bad ids are not found.
		ownerToken := formFields(t, owner.get("/").body, "/logout")
		talksFollow := follow(t, s, remoteActor(t, s, "frank", ""), other, store.FollowPending)
		for _, path := range []string{
			"/c/clips/followers/999999/accept",
			"/c/clips/followers/" + strconv.FormatInt(talksFollow.ID, 10) + "/accept",
			"/c/clips/followers/x/reject",
			"/c/nobody/followers/" + strconv.FormatInt(bob.ID, 10) + "/accept",
		} {
			wantStatus(t, owner.post(path, ownerToken), http.StatusNotFound)
		}
		// A switch value other than on or off is refused.
		wantStatus(t, owner.post("/c/clips/followers/manual", url.Values{csrfField: ownerToken[csrfField], "manual": {"maybe"}}),
			http.StatusBadRequest)

		// The owner accepts Bob: accepted, and an Accept is queued for him.
		jobsBefore, _ := s.CountDeliveryJobs(ctx)
		r = owner.submit("/c/clips", bobAccept, nil)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/c/clips" {
			t.Errorf("Location after accepting = %q", loc)
		}
		if f, err := s.FollowByID(ctx, bob.ID); err != nil || f.State != store.FollowAccepted {
			t.Fatalf("after accepting: %+v, %v", f, err)
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM outbox_activities WHERE actor_id = $1 AND type = 'Accept'`, c.ActorID); n != 1 {
			t.Errorf("%d Accept activities in the outbox, want 1", n)
		}
		if n, _ := s.CountDeliveryJobs(ctx); n != jobsBefore+1 {
			t.Errorf("%d delivery jobs after accepting, want %d", n, jobsBefore+1)
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM delivery_jobs WHERE inbox = $1`, "https://remote.example/users/bob/inbox"); n != 1 {
			t.Errorf("%d delivery jobs to Bob's inbox, want 1", n)
		}
		r = owner.get("/c/clips")
		wantContains(t, r.body, `<p class="meta followers">2 followers</p>`, "Follow requests (1)")
		wantNotContains(t, r.body, bobAccept)
		// Answering twice is a conflict.
		r = owner.post(bobAccept, ownerToken)
		wantStatus(t, r, http.StatusConflict)
		wantContains(t, r.body, "already been answered")

		// The owner rejects Dave: the follow is gone and a Reject is queued.
		r = owner.submit("/c/clips", daveReject, nil)
		wantStatus(t, r, http.StatusSeeOther)
		if _, err := s.FollowByID(ctx, dave.ID); err != store.ErrNotFound {
			t.Errorf("Dave's follow after rejecting: %v", err)
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM outbox_activities WHERE actor_id = $1 AND type = 'Reject'`, c.ActorID); n != 1 {
			t.Errorf("%d Reject activities in the outbox, want 1", n)
		}
		r = owner.get("/c/clips")
		wantContains(t, r.body, `<p class="meta followers">2 followers</p>`)
		wantNotContains(t, r.body, "Follow requests")

		// The owner turns manual approval off again.
		r = owner.submit("/c/clips", "/c/clips/followers/manual", nil)
		wantStatus(t, r, http.StatusSeeOther)
		if a, _ := s.ActorByID(ctx, c.ActorID); a.ManuallyApproves {
			t.Error("manual approval still on")
		}
	})
}

// TestChannelPageWithoutFederation hides every federation bit when the hub
// does not federate.
func TestChannelPageWithoutFederation(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		alice := createUser(t, s, "alice", store.RoleCreator)
		createChannel(t, s, alice, "clips", store.KindVideo)
		h := newMediaHarness(t, s, mediaOptions{})
		b := h.browser()
		b.login("alice")
		r := b.get("/c/clips")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `<p class="handle">@clips@`+h.host+`</p>`, `<link rel="canonical" href="http://`+h.host+`/c/clips">`,
			`<meta property="og:type" content="website">`)
		wantNotContains(t, r.body, "fediverse-handle", "followers", "application/activity+json")
		// The feeds do not need federation (copy.js serves their copy button).
		wantContains(t, r.body, `id="feed-url"`, "copy.js")
		token := formFields(t, r.body, "/logout")
		token.Set("manual", "on")
		wantStatus(t, b.post("/c/clips/followers/manual", token), http.StatusNotFound)
	})
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// TestInstancePolicyForms sets policies from the federation pages: a
// curator blocks an instance the hub has never seen (it is purged and
// shown blocked), mutes another from its own page, and is refused a bad
// host name; only an admin switches the federation mode.
func TestInstancePolicyForms(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newMediaHarness(t, s, mediaOptions{federation: true})
		createUser(t, s, "root", store.RoleAdmin)
		createUser(t, s, "cura", store.RoleCurator)
		maker := createUser(t, s, "maker", store.RoleCreator)
		spammer := healthRemote(t, s, "spam.example", "bot")
		healthFollow(t, s, spammer.ID, maker.ActorID, store.FollowAccepted)

		creator := h.browser()
		creator.login("maker")
		wantStatus(t, creator.post("/admin/federation/policy", url.Values{"domain": {"spam.example"}, "policy": {"block"}}), http.StatusForbidden)

		curator := h.browser()
		curator.login("cura")
		r := curator.submit("/admin/federation", "/admin/federation/policy", url.Values{"domain": {"Spam.Example"}, "policy": {"block"}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("blocking: status %d; logs:\n%s", r.StatusCode, h.logs.String())
		}
		if loc := r.Header.Get("Location"); loc != "/admin/federation/spam.example?done=block" {
			t.Fatalf("after blocking: sent to %q", loc)
		}
		if p, err := s.InstancePolicy(ctx, "spam.example"); err != nil || p != store.PolicyBlock {
			t.Fatalf("spam.example policy = %q, %v", p, err)
		}
		if _, err := s.RemoteActorByURI(ctx, spammer.URI); err == nil {
			t.Fatal("the blocked instance's actor is still stored")
		}
		page := curator.get("/admin/federation/spam.example?done=block")
		wantContains(t, page.body, "Policy set to “Block: refuse it and purge what we hold from it”.", `<span class="badge health-bad">Blocked</span>`, `<option value="block" selected>`)

		healthRemote(t, s, "quiet.example", "q")
		if err := s.SetInstancePolicy(ctx, "quiet.example", store.PolicyNone); err != nil {
			t.Fatal(err)
		}
		r = curator.submit("/admin/federation/quiet.example", "/admin/federation/policy", url.Values{"policy": {"mute"}})
		wantStatus(t, r, http.StatusSeeOther)
		if p, _ := s.InstancePolicy(ctx, "quiet.example"); p != store.PolicyMute {
			t.Fatalf("quiet.example policy = %q", p)
		}
		for _, bad := range []url.Values{{"domain": {"not a host"}, "policy": {"block"}}, {"domain": {"ok.example"}, "policy": {"obliterate"}}} {
			r = curator.submit("/admin/federation", "/admin/federation/policy", bad)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r.body, "Give an instance")
		}

		// The mode: curators see no switch and are refused; the admin flips it.
		wantNotContains(t, curator.get("/admin/federation").body, `action="/admin/federation/mode"`)
		wantStatus(t, curator.post("/admin/federation/mode", url.Values{"mode": {"allowlist"}}), http.StatusForbidden)
		admin := h.browser()
		admin.login("root")
		r = admin.submit("/admin/federation", "/admin/federation/mode", nil)
		wantStatus(t, r, http.StatusSeeOther)
		if m, _ := s.FederationMode(ctx); m != store.FederationAllowlist {
			t.Fatalf("mode = %q after the admin's switch", m)
		}
		wantContains(t, admin.get("/admin/federation?mode_done=1").body, "The federation mode is changed.", "allowlist (only allowed instances)")
	})
}

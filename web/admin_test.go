package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestAdminPagesAreForAdmins(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		createUser(t, s, "root", store.RoleAdmin)
		createUser(t, s, "cura", store.RoleCurator)
		createUser(t, s, "maker", store.RoleCreator)

		anon := h.browser()
		for page, next := range map[string]string{"/admin/users": "%2Fadmin%2Fusers", "/admin/settings": "%2Fadmin%2Fsettings"} {
			r := anon.get(page)
			wantStatus(t, r, http.StatusSeeOther)
			if loc := r.Header.Get("Location"); loc != "/login?next="+next {
				t.Errorf("anonymous sent from %s to %q", page, loc)
			}
		}
		for _, name := range []string{"cura", "maker"} {
			b := h.browser()
			b.login(name)
			wantStatus(t, b.get("/admin/users"), http.StatusForbidden)
			wantStatus(t, b.get("/admin/settings"), http.StatusForbidden)
			// Posting with a valid token is refused all the same.
			token := formFields(t, b.get("/").body, "/logout").Get(csrfField)
			r := b.post("/admin/users/"+name+"/role", url.Values{csrfField: {token}, "role": {store.RoleAdmin}})
			wantStatus(t, r, http.StatusForbidden)
			r = b.post("/admin/settings", url.Values{csrfField: {token}, "name": {"Mine now"}})
			wantStatus(t, r, http.StatusForbidden)
			if r := b.get("/"); strings.Contains(r.body, `href="/admin/users"`) {
				t.Errorf("%s is shown the admin link", name)
			}
		}
		if u, _ := s.UserByUsername(context.Background(), "maker"); u.Role != store.RoleCreator {
			t.Fatalf("a creator made itself %s", u.Role)
		}
		if a, _ := s.About(context.Background()); a.Name != "" {
			t.Fatalf("a non-admin renamed the hub: %q", a.Name)
		}
		admin := h.browser()
		admin.login("root")
		wantContains(t, admin.get("/").body, `<a href="/admin/users">Admin</a>`)
	})
}

func TestAdminUsers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHarness(t, s)
		createUser(t, s, "root", store.RoleAdmin)
		createUser(t, s, "bob", store.RoleCreator)
		admin := h.browser()
		admin.login("root")
		role := func(name string) string {
			u, err := s.UserByUsername(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			return u.Role
		}

		r := admin.get("/admin/users")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "<h1>Accounts</h1>", `<tr id="user-bob">`, `<tr id="user-root">`,
			`@root <span class="meta">(you)</span>`,
			`<label class="visually-hidden" for="role-bob">Role of @bob</label>`,
			`<option value="creator" selected>Creator</option>`, `<option value="admin" selected>Admin</option>`,
			`<form method="post" action="/admin/users/bob/disable" class="inline">`, `<td><time datetime="`)
		wantNotContains(t, r.body, `action="/admin/users/root/disable"`)

		// The last admin cannot step down: the page says why.
		r = admin.submit("/admin/users", "/admin/users/root/role", url.Values{"role": {store.RoleCurator}})
		wantStatus(t, r, http.StatusConflict)
		wantContains(t, r.body, `<p class="alert" role="alert">@root is the hub’s last admin: make another account admin first, then change this one.</p>`)
		if role("root") != store.RoleAdmin {
			t.Fatal("the last admin was demoted")
		}
		r = admin.submit("/admin/users", "/admin/users/bob/role", url.Values{"role": {"owner"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "That role does not exist")
		// No form disables oneself; a forged one is refused.
		token := formFields(t, admin.get("/admin/users").body, "/admin/users/bob/disable")
		r = admin.post("/admin/users/root/disable", token)
		wantStatus(t, r, http.StatusConflict)
		wantContains(t, r.body, "You cannot disable your own account.")

		// Bob becomes a curator, then an admin; then root may step down.
		r = admin.submit("/admin/users", "/admin/users/bob/role", url.Values{"role": {store.RoleCurator}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/admin/users?done=role&role=curator&user=bob" {
			t.Fatalf("redirected to %q", loc)
		}
		wantContains(t, admin.get(r.Header.Get("Location")).body, `<p class="notice" role="status">@bob is now a curator.</p>`)
		if role("bob") != store.RoleCurator {
			t.Fatalf("bob is %s", role("bob"))
		}
		wantStatus(t, admin.submit("/admin/users", "/admin/users/bob/role", url.Values{"role": {store.RoleAdmin}}), http.StatusSeeOther)
		wantNotContains(t, admin.get("/admin/users?done=role&role=admin&user=mallory").body, "@mallory")

		// Disabling bob signs him out; enabling lets him back.
		bob := h.browser()
		bob.login("bob")
		wantStatus(t, bob.get("/admin/users"), http.StatusOK)
		r = admin.submit("/admin/users", "/admin/users/bob/disable", nil)
		wantStatus(t, r, http.StatusSeeOther)
		wantContains(t, admin.get(r.Header.Get("Location")).body, "@bob is disabled and signed out everywhere.",
			`<span class="badge health-bad">Disabled</span>`, `action="/admin/users/bob/enable"`)
		wantStatus(t, bob.get("/admin/users"), http.StatusSeeOther)
		wantStatus(t, admin.submit("/admin/users", "/admin/users/bob/enable", nil), http.StatusSeeOther)
		bob.login("bob")
		wantStatus(t, bob.get("/admin/users"), http.StatusOK)

		// root steps down, with bob admin: back home, no longer an admin.
		r = admin.submit("/admin/users", "/admin/users/root/role", url.Values{"role": {store.RoleCreator}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/" || role("root") != store.RoleCreator {
			t.Fatalf("stepping down: to %q, role %s", loc, role("root"))
		}
		wantStatus(t, admin.get("/admin/users"), http.StatusForbidden)
		// A form for a missing account.
		form := formFields(t, bob.get("/admin/users").body, "/admin/users/bob/role")
		form.Set("role", store.RoleCurator)
		r = bob.post("/admin/users/nobody/role", form)
		wantStatus(t, r, http.StatusNotFound)
		wantContains(t, r.body, "There is no account @nobody.")
	})
}

func TestAdminSettingsAndAbout(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		createUser(t, s, "root", store.RoleAdmin)
		admin := h.browser()
		admin.login("root")
		anon := h.browser()

		// Nothing set: the default name, and /about says so.
		r := anon.get("/about")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "<h1>About Archipel</h1>", "The admins have not written rules yet.", "No contact address is given.",
			`<a href="/about">About</a>`)
		wantNotContains(t, r.body, `href="/admin/settings"`)

		// Invalid: the page keeps what was typed and marks the fields.
		long := strings.Repeat("n", maxHubName+1)
		bad := url.Values{"name": {long}, "description": {"Films & <talks>."}, "rules": {"Be kind.\r\nNo spam."},
			"contact": {"not an address"}}
		r = admin.submit("/admin/settings", "/admin/settings", bad)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "The settings were not saved: correct the fields marked below.",
			`value="`+long+`"`, "The name is too long: at most 60 characters.",
			`id="name" name="name" type="text"`, `aria-describedby="name-hint name-error" aria-invalid="true"`,
			`value="not an address"`, "Enter an e-mail address such as admin@example.org.",
			">Films &amp; &lt;talks&gt;.</textarea>", ">Be kind.\nNo spam.</textarea>")
		wantNotContains(t, r.body, `aria-describedby="rules-hint rules-error"`)
		for _, contact := range []string{"Admin <a@b.example>", "a@b", "a@@b.example", "a b@c.example", "@b.example"} {
			bad.Set("name", "Les Îles")
			bad.Set("contact", contact)
			r = admin.submit("/admin/settings", "/admin/settings", bad)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r.body, "correct the field marked below", "Enter an e-mail address")
		}
		if a, _ := s.About(context.Background()); a != (store.About{}) {
			t.Fatalf("invalid settings were saved: %+v", a)
		}

		// Valid: saved, and the name is the hub's everywhere.
		good := url.Values{"name": {"  Les Îles "}, "description": {"Films from the islands."},
			"rules": {"Be kind.\r\nNo spam.\r\n"}, "contact": {"admin@islands.example"}}
		r = admin.submit("/admin/settings", "/admin/settings", good)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/admin/settings?done=saved" {
			t.Fatalf("redirected to %q", loc)
		}
		r = admin.get("/admin/settings?done=saved")
		wantContains(t, r.body, "The settings are saved.", `value="Les Îles"`, `<a class="brand" href="/">Les Îles</a>`)
		want := store.About{Name: "Les Îles", Description: "Films from the islands.", Rules: "Be kind.\nNo spam.", Contact: "admin@islands.example"}
		if a, _ := s.About(context.Background()); a != want {
			t.Fatalf("About = %+v", a)
		}
		r = anon.get("/about")
		wantContains(t, r.body, "<title>About · Les Îles</title>", "<h1>About Les Îles</h1>",
			`<p class="lede description">Films from the islands.</p>`, `<div class="plain-text">Be kind.`+"\n"+`No spam.</div>`,
			`<a href="mailto:admin@islands.example">admin@islands.example</a>`)
		wantContains(t, anon.get("/").body, "<h1>Les Îles</h1>")
		wantContains(t, admin.get("/about").body, `<a href="/admin/settings">Edit this page</a>`)

		// Emptied, the configured name is back.
		r = admin.submit("/admin/settings", "/admin/settings", url.Values{"name": {""}, "description": {""}, "rules": {""}, "contact": {""}})
		wantStatus(t, r, http.StatusSeeOther)
		wantContains(t, anon.get("/").body, "<h1>Archipel</h1>")
	})
}

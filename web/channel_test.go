package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestCreatorCreatesChannel(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		createUser(t, s, "alice", store.RoleCreator)
		h := newHarness(t, s)
		b := h.browser()
		b.login("alice")

		r := b.get("/channels/new")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `<label for="handle">Handle</label>`, `<label for="title">Title</label>`,
			`<label for="description">Description</label>`, `<label for="language">Language</label>`,
			`<legend>Kind</legend>`, `value="video" checked`)

		r = b.submit("/channels/new", "/channels", url.Values{
			"handle": {"Night_Sky"}, "kind": {"podcast"}, "title": {"Night Sky"},
			"description": {"Stars & planets,\nweekly."}, "language": {"en"},
		})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/c/night_sky" {
			t.Fatalf("Location = %q, want /c/night_sky", loc)
		}
		c, err := s.LocalChannel(context.Background(), "night_sky")
		if err != nil {
			t.Fatal(err)
		}
		if c.OwnerUsername != "alice" || c.Kind != store.KindPodcast || c.Language != "en" {
			t.Errorf("stored channel = %+v", c)
		}

		r = b.get("/c/night_sky")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "<title>Night Sky · Archipel</title>", "<h1>Night Sky</h1>",
			"Stars &amp; planets,\nweekly.", `<span class="badge">Podcast</span> channel`,
			"@night_sky@"+h.host, "<dd>@alice</dd>", "<dd>en</dd>")

		// Anyone, signed in or not, sees it on the home page.
		r = h.browser().get("/")
		wantContains(t, r.body, `<a href="/c/night_sky">Night Sky</a>`)
	})
}

func TestAdminMayCreateChannel(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		createUser(t, s, "root", store.RoleAdmin)
		b := newHarness(t, s).browser()
		b.login("root")
		wantContains(t, b.get("/").body, "@root (admin)", `<a href="/channels/new">New channel</a>`)
		r := b.submit("/channels/new", "/channels", url.Values{"handle": {"news"}, "kind": {"video"}})
		wantStatus(t, r, http.StatusSeeOther)
		// The title defaults to the handle.
		wantContains(t, b.get("/c/news").body, "<h1>news</h1>", `<span class="badge">Video</span>`)
	})
}

func TestChannelNewNeedsSignIn(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		b := newHarness(t, s).browser()
		r := b.get("/channels/new")
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/login?next=%2Fchannels%2Fnew" {
			t.Errorf("Location = %q", loc)
		}
		// A signed-out POST with a valid token is sent to sign in too.
		form := formFields(t, b.get("/login").body, "/login")
		form.Set("handle", "x")
		form.Set("kind", "video")
		r = b.post("/channels", form)
		wantStatus(t, r, http.StatusSeeOther)
		if _, err := s.LocalChannel(context.Background(), "x"); err != store.ErrNotFound {
			t.Errorf("anonymous channel created: %v", err)
		}
	})
}

func TestCuratorCannotCreateChannel(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		createUser(t, s, "carol", store.RoleCurator)
		b := newHarness(t, s).browser()
		b.login("carol")

		r := b.get("/")
		wantContains(t, r.body, "@carol (curator)", "Sign out")
		wantNotContains(t, r.body, "New channel")

		r = b.get("/channels/new")
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r.body, "<h1>Not allowed</h1>", "Only creators and admins can create channels", `<a href="/">`)

		form := formFields(t, b.get("/").body, "/logout") // a valid token
		form.Set("handle", "curated")
		form.Set("kind", "video")
		r = b.post("/channels", form)
		wantStatus(t, r, http.StatusForbidden)
		if _, err := s.LocalChannel(context.Background(), "curated"); err != store.ErrNotFound {
			t.Errorf("curator created a channel: %v", err)
		}
	})
}

func TestChannelFormErrors(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		alice := createUser(t, s, "alice", store.RoleCreator)
		createUser(t, s, "bob", store.RoleCreator)
		if _, err := (&accounts.Service{Store: s}).CreateChannel(context.Background(), alice,
			accounts.ChannelInput{Handle: "existing", Kind: store.KindVideo}); err != nil {
			t.Fatal(err)
		}
		b := newHarness(t, s).browser()
		b.login("alice")

		for _, tc := range []struct {
			handle, message string
		}{
			{"Bob", "Handle &#34;bob&#34; is already taken by a user or a channel."}, // a user's name
			{"existing", "Handle &#34;existing&#34; is already taken by a user or a channel."},
			{"Bad Handle!", "Handle may contain only letters a–z, digits 0–9 and underscores."},
			{"", "Handle is required."},
		} {
			r := b.submit("/channels/new", "/channels", url.Values{
				"handle": {tc.handle}, "kind": {"podcast"}, "title": {"My <Title>"},
				"description": {"Typed\ndescription"}, "language": {"fr-CA"},
			})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r.body,
				`<p class="field-error" id="handle-error">`+tc.message+`</p>`,
				`<input id="handle" name="handle" type="text" value="`+tc.handle+`"`,
				`aria-describedby="handle-hint handle-error" aria-invalid="true"`,
				`role="alert"`,
				// Everything else typed is kept.
				`value="My &lt;Title&gt;"`, ">Typed\ndescription</textarea>", `value="fr-CA"`, `value="podcast" checked`,
			)
			wantNotContains(t, r.body, `value="video" checked`, `id="title-error"`)
		}

		r := b.submit("/channels/new", "/channels", url.Values{"handle": {"fine"}, "kind": {"radio"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, `<p class="field-error" id="kind-error">Kind must be video or podcast.</p>`,
			`<fieldset class="field" aria-describedby="kind-error">`, `value="fine"`)

		channels, err := s.ListChannels(context.Background(), store.ChannelFilter{})
		if err != nil || len(channels) != 1 {
			t.Errorf("channels after failed attempts: %d, %v", len(channels), err)
		}
	})
}

func TestChannelPageNotFound(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		b := newHarness(t, s).browser()
		r := b.get("/c/nobody")
		wantStatus(t, r, http.StatusNotFound)
		wantContains(t, r.body, "<h1>Channel not found</h1>", "There is no channel @nobody on this hub", `<a href="/">`)
	})
}

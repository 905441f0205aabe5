package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

const expiredText = "The form you sent has expired"

func TestPostWithoutCSRFTokenIsRefused(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		createUser(t, s, "alice", store.RoleCreator)
		h := newHarness(t, s)
		b := h.browser()
		b.get("/login") // the browser has a CSRF cookie, but the form lacks the field

		r := b.post("/login", url.Values{"username": {"alice"}, "password": {testPassword}})
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r.body, "This form has expired", expiredText, "Reload the page and try again", `<a href="/">`)
		if setCookie(r.Response, sessionCookie) != nil {
			t.Error("sign-in without a CSRF token set a session")
		}

		// A forged or foreign token is no better.
		other := h.browser()
		foreign := formFields(t, other.get("/login").body, "/login").Get(csrfField)
		flipped := "0" + foreign[1:]
		if foreign[0] == '0' {
			flipped = "1" + foreign[1:]
		}
		for _, tok := range []string{"nope", foreign, flipped} {
			r = b.post("/login", url.Values{"username": {"alice"}, "password": {testPassword}, csrfField: {tok}})
			wantStatus(t, r, http.StatusForbidden)
		}
		// Without any CSRF cookie, the token of another browser is refused.
		fresh := h.browser()
		r = fresh.post("/login", url.Values{"username": {"alice"}, "password": {testPassword}, csrfField: {foreign}})
		wantStatus(t, r, http.StatusForbidden)

		// Signed in, creating a channel without the token fails and creates nothing.
		b.login("alice")
		r = b.post("/channels", url.Values{"handle": {"sneaky"}, "kind": {"video"}})
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r.body, expiredText)
		if _, err := s.LocalChannel(context.Background(), "sneaky"); err != store.ErrNotFound {
			t.Errorf("channel created without a CSRF token: %v", err)
		}
		// Signing out without the token does not sign out.
		r = b.post("/logout", url.Values{})
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, b.get("/").body, "@alice (creator)")
		// Even a POST to an unknown path is checked.
		wantStatus(t, b.post("/nowhere", url.Values{}), http.StatusForbidden)
	})
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		createUser(t, s, "alice", store.RoleCreator)
		b := newHarness(t, s).browser()
		form := formFields(t, b.get("/login").body, "/login")
		form.Set("username", "alice")
		form.Set("password", testPassword)

		for _, hdr := range []http.Header{
			{"Sec-Fetch-Site": {"cross-site"}},
			{"Origin": {"https://evil.example"}},
		} {
			r := b.request(http.MethodPost, "/login", form, hdr)
			wantStatus(t, r, http.StatusForbidden)
			wantContains(t, r.body, "sent from another site")
		}
		// A same-origin browser request with the token goes through.
		r := b.request(http.MethodPost, "/login", form, http.Header{
			"Sec-Fetch-Site": {"same-origin"},
			"Origin":         {b.base.Scheme + "://" + b.base.Host},
		})
		wantStatus(t, r, http.StatusSeeOther)
	})
}

func TestCSRFSecretSharedByNodes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		d := testDeps(t, s, "http://localhost:8080", &syncBuffer{})
		one, err := newServer(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		// A second node, and New again on the same registry, both work.
		two, err := newServer(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if len(one.csrfSecret) != 32 || string(one.csrfSecret) != string(two.csrfSecret) {
			t.Fatalf("secrets differ or are not 32 bytes: %x %x", one.csrfSecret, two.csrfSecret)
		}
		if v, err := s.Setting(context.Background(), "csrf_secret"); err != nil || len(v) != 64 {
			t.Errorf("csrf_secret setting = %q, %v", v, err)
		}
		value, _ := randomToken()
		if one.signCSRF(value) != two.signCSRF(value) {
			t.Error("the nodes sign CSRF tokens differently")
		}
	})
}

func TestPublicOriginTrustedBehindProxy(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		createUser(t, s, "alice", store.RoleCreator)
		h, err := New(context.Background(), testDeps(t, s, "https://hub.example", &syncBuffer{}))
		if err != nil {
			t.Fatal(err)
		}
		// The proxy forwards to an internal Host; the browser's Origin is
		// the public URL and it sends no Sec-Fetch-Site.
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://10.0.0.5:8080/login", nil))
		form := formFields(t, rec.Body.String(), "/login")
		form.Set("username", "alice")
		form.Set("password", testPassword)
		post := func(origin string) int {
			req := httptest.NewRequest(http.MethodPost, "http://10.0.0.5:8080/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", origin)
			req.AddCookie(setCookie(rec.Result(), csrfCookie))
			out := httptest.NewRecorder()
			h.ServeHTTP(out, req)
			return out.Code
		}
		if code := post("https://evil.example"); code != http.StatusForbidden {
			t.Errorf("foreign origin: status %d, want 403", code)
		}
		if code := post("https://hub.example"); code != http.StatusSeeOther {
			t.Errorf("public origin: status %d, want 303", code)
		}
	})
}

package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestLoginSuccess(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		alice := createUser(t, s, "alice", store.RoleCreator)
		b := newHarness(t, s).browser()

		r := b.get("/login?next=/channels/new")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `<label for="username">Username</label>`, `<label for="password">Password</label>`,
			`<input type="hidden" name="next" value="/channels/new">`)
		csrf := setCookie(r.Response, csrfCookie)
		if csrf == nil || !csrf.HttpOnly || csrf.SameSite != http.SameSiteLaxMode || csrf.Secure || csrf.Path != "/" {
			t.Fatalf("CSRF cookie = %+v", csrf)
		}

		form := formFields(t, r.body, "/login")
		form.Set("username", "  Alice ") // case and spaces do not matter
		form.Set("password", testPassword)
		r = b.post("/login", form)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/channels/new" {
			t.Errorf("Location = %q, want /channels/new", loc)
		}
		c := setCookie(r.Response, sessionCookie)
		if c == nil {
			t.Fatal("no session cookie")
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" {
			t.Errorf("session cookie attributes: %+v", c)
		}
		if c.MaxAge != int(DefaultSessionTTL.Seconds()) {
			t.Errorf("MaxAge = %d, want %d", c.MaxAge, int(DefaultSessionTTL.Seconds()))
		}
		if len(c.Value) != 43 {
			t.Errorf("token %q is not 32 bytes of base64url", c.Value)
		}
		// The CSRF cookie is replaced at sign-in.
		if nc := setCookie(r.Response, csrfCookie); nc == nil || nc.Value == csrf.Value {
			t.Errorf("CSRF cookie not rotated at sign-in: %+v", nc)
		}

		// The database holds the hash of the token, never the token.
		u, err := s.SessionUser(context.Background(), hashToken(c.Value))
		if err != nil || u.ID != alice.ID {
			t.Fatalf("SessionUser(hash) = %v, %v", u, err)
		}
		if _, err := s.SessionUser(context.Background(), c.Value); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("raw token found as a session: %v", err)
		}
		if u, _ := s.UserByID(context.Background(), alice.ID); u.LastLoginAt == nil {
			t.Error("last_login_at not recorded")
		}

		r = b.get("/")
		wantContains(t, r.body, "@alice (creator)")
		// Signed in, the sign-in page moves on.
		r = b.get("/login")
		wantStatus(t, r, http.StatusSeeOther)
	})
}

func TestLoginSecureCookiesOnHTTPS(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		createUser(t, s, "alice", store.RoleCreator)
		d := testDeps(t, s, "https://archipel.example", &syncBuffer{})
		h, err := New(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://archipel.example/login", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /login: %d", rec.Code)
		}
		csrf := setCookie(rec.Result(), csrfCookie)
		if csrf == nil || !csrf.Secure || !csrf.HttpOnly {
			t.Fatalf("CSRF cookie = %+v, want Secure and HttpOnly", csrf)
		}
		form := formFields(t, rec.Body.String(), "/login")
		form.Set("username", "alice")
		form.Set("password", testPassword)
		req := httptest.NewRequest(http.MethodPost, "https://archipel.example/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(csrf)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("POST /login: %d\n%s", rec.Code, rec.Body)
		}
		c := setCookie(rec.Result(), sessionCookie)
		if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie = %+v, want Secure, HttpOnly, SameSite=Lax", c)
		}
		for _, line := range rec.Header().Values("Set-Cookie") {
			if !strings.Contains(line, "; Secure") {
				t.Errorf("Set-Cookie %q lacks Secure", line)
			}
		}
	})
}

func TestLoginFailures(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		createUser(t, s, "alice", store.RoleCreator)
		disabled := createUser(t, s, "dora", store.RoleCreator)
		if _, err := s.DB().Exec(`UPDATE users SET disabled = TRUE WHERE id = $1`, disabled.ID); err != nil {
			t.Fatal(err)
		}
		b := newHarness(t, s).browser()
		const typed = "Hunter2-secret-pw"

		try := func(username, password string) *response {
			t.Helper()
			r := b.submit("/login", "/login", url.Values{"username": {username}, "password": {password}})
			wantStatus(t, r, http.StatusUnauthorized)
			if setCookie(r.Response, sessionCookie) != nil {
				t.Error("a failed sign-in set a session cookie")
			}
			wantContains(t, r.body, "Incorrect username or password.", `role="alert"`,
				`value="`+username+`"`, `aria-invalid="true"`)
			wantNotContains(t, r.body, password)
			return r
		}
		wrongPassword := try("alice", typed)
		unknownUser := try("nobody", typed)
		disabledUser := try("dora", testPassword)

		// Apart from the typed username, the pages are identical.
		a := strings.ReplaceAll(wrongPassword.body, `value="alice"`, `value="X"`)
		u := strings.ReplaceAll(unknownUser.body, `value="nobody"`, `value="X"`)
		d := strings.ReplaceAll(disabledUser.body, `value="dora"`, `value="X"`)
		if a != u || a != d {
			t.Errorf("failed sign-in pages differ:\n%s\n----\n%s\n----\n%s", a, u, d)
		}
		if strings.Contains(b.h.logs.String(), typed) {
			t.Error("the password was logged")
		}
	})
}

func TestLoginNextStaysOnSite(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		createUser(t, s, "alice", store.RoleCreator)
		for next, want := range map[string]string{
			"//evil.example/x":      "/",
			"https://evil.example/": "/",
			`/\evil.example`:        "/",
			"/c/talks?x=1":          "/c/talks?x=1",
		} {
			b := newHarness(t, s).browser()
			r := b.submit("/login", "/login", url.Values{"username": {"alice"}, "password": {testPassword}, "next": {next}})
			wantStatus(t, r, http.StatusSeeOther)
			if loc := r.Header.Get("Location"); loc != want {
				t.Errorf("next=%q: Location = %q, want %q", next, loc, want)
			}
		}
	})
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                "/",
		"/":               "/",
		"/channels/new":   "/channels/new",
		"/c/x?y=z#f":      "/c/x?y=z#f",
		"//evil.example":  "/",
		"///evil.example": "/",
		`/\evil.example`:  "/",
		"http://x/":       "/",
		"javascript:x":    "/",
		"relative":        "/",
		"/a\nb":           "/",
		"/a\x00b":         "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLogoutEndsSessionOnServer(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		createUser(t, s, "alice", store.RoleCreator)
		h := newHarness(t, s)
		b := h.browser()
		b.login("alice")
		token := b.cookie(sessionCookie)
		if token == "" {
			t.Fatal("no session cookie after sign-in")
		}

		r := b.submit("/", "/logout", nil)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/" {
			t.Errorf("Location = %q", loc)
		}
		if c := setCookie(r.Response, sessionCookie); c == nil || c.MaxAge >= 0 {
			t.Errorf("session cookie not expired: %+v", c)
		}
		if b.cookie(sessionCookie) != "" {
			t.Error("the browser kept its session cookie")
		}
		if _, err := s.SessionUser(context.Background(), hashToken(token)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session still in the database: %v", err)
		}

		// Replaying the old cookie does not sign in.
		thief := h.browser()
		thief.c.Jar.SetCookies(thief.base, []*http.Cookie{{Name: sessionCookie, Value: token}})
		r = thief.get("/")
		wantContains(t, r.body, `<a href="/login">Sign in</a>`)
		wantNotContains(t, r.body, "@alice")
		r = thief.get("/channels/new")
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/login?next=%2Fchannels%2Fnew" {
			t.Errorf("Location = %q", loc)
		}
	})
}

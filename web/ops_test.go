package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestNotFoundPage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		b := newHarness(t, s).browser()
		for _, path := range []string{"/no/such/page", "/static/missing.css", "/static/", "/login/extra"} {
			r := b.get(path)
			wantStatus(t, r, http.StatusNotFound)
			if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("%s: Content-Type = %q", path, ct)
			}
			wantContains(t, r.body, "<title>Page not found · Archipel</title>", "<h1>Page not found</h1>",
				"There is nothing at this address.", `<a href="/">Go to the home page</a>`)
		}
	})
}

func TestHealthz(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		b := h.browser()
		r := b.get("/healthz")
		wantStatus(t, r, http.StatusOK)
		if strings.TrimSpace(r.body) != "ok" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("healthz = %q (%s)", r.body, r.Header.Get("Content-Type"))
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		r = b.get("/healthz")
		wantStatus(t, r, http.StatusServiceUnavailable)
		if strings.TrimSpace(r.body) != "database unavailable" {
			t.Errorf("healthz = %q", r.body)
		}
		wantContains(t, h.logs.String(), "health check: database unavailable")
	})
}

func TestMetrics(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		b := newHarness(t, s).browser()
		b.get("/")
		b.get("/")
		b.get("/nothing/here/1")
		b.get("/nothing/here/2")
		b.request("BREW", "/", nil, nil)
		r := b.get("/metrics")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body,
			`archipel_http_requests_total{code="200",method="GET",route="GET /{$}"} 2`,
			`archipel_http_requests_total{code="404",method="GET",route="/"} 2`,
			`archipel_http_requests_total{code="403",method="other",route="/"} 1`,
			`archipel_http_request_duration_seconds_count{method="GET",route="GET /{$}"} 2`,
			`# TYPE archipel_http_request_duration_seconds histogram`,
		)
		// Paths never become labels.
		wantNotContains(t, r.body, "/nothing/here", "go_goroutines")
	})
}

func TestRequestID(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		b := h.browser()
		r := b.request(http.MethodGet, "/", nil, http.Header{"X-Request-Id": {"trace-42.A_b"}})
		if got := r.Header.Get("X-Request-ID"); got != "trace-42.A_b" {
			t.Errorf("echoed X-Request-ID = %q", got)
		}
		generated := regexp.MustCompile(`^[0-9a-f]{16}$`)
		for _, in := range []string{"", "bad id!", strings.Repeat("a", 65), "é"} {
			var hdr http.Header
			if in != "" {
				hdr = http.Header{"X-Request-Id": {in}}
			}
			r := b.request(http.MethodGet, "/healthz", nil, hdr)
			if got := r.Header.Get("X-Request-ID"); !generated.MatchString(got) {
				t.Errorf("incoming %q: X-Request-ID = %q, want 16 hex", in, got)
			}
		}
		logs := h.logs.String()
		wantContains(t, logs, `"request_id":"trace-42.A_b"`, `"msg":"http request"`, `"route":"GET /{$}"`,
			`"method":"GET"`, `"path":"/"`, `"status":200`)
		wantContains(t, logs, `"level":"DEBUG","msg":"http request"`) // /healthz logs at Debug
	})
}

func TestPanicGivesFriendly500(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		logs := &syncBuffer{}
		srv, err := newServer(context.Background(), testDeps(t, s, "http://localhost:8080", logs))
		if err != nil {
			t.Fatal(err)
		}
		h := srv.chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic("kaboom")
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
		if rec.Code != http.StatusInternalServerError {
			t.Fatalf("status %d", rec.Code)
		}
		wantContains(t, rec.Body.String(), "<h1>Something went wrong</h1>", `<a href="/">`)
		wantNotContains(t, rec.Body.String(), "kaboom")
		wantContains(t, logs.String(), "panic while serving a request", "kaboom", "goroutine ", `"status":500`)
	})
}

func TestTemplateErrorGives500(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		srv, err := newServer(context.Background(), testDeps(t, s, "http://localhost:8080", &syncBuffer{}))
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		// The home template expects a homePage; a string makes it fail midway.
		srv.render(rec, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusOK, "home", "", "not a page")
		if rec.Code != http.StatusInternalServerError {
			t.Fatalf("status %d", rec.Code)
		}
		wantContains(t, rec.Body.String(), "<h1>Something went wrong</h1>")
		if strings.Count(rec.Body.String(), "<html") != 1 {
			t.Errorf("half a page was sent:\n%s", rec.Body)
		}
	})
}

func TestStaticAssets(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		b := newHarness(t, s).browser()
		home := b.get("/").body
		m := regexp.MustCompile(`<link rel="stylesheet" href="(/static/style.css\?v=[0-9a-f]{12})">`).FindStringSubmatch(home)
		if m == nil {
			t.Fatalf("no fingerprinted style sheet link in:\n%s", home)
		}
		r := b.get(m[1])
		wantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
			t.Errorf("Content-Type = %q", ct)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("Cache-Control = %q", cc)
		}
		wantContains(t, r.body, "prefers-color-scheme: dark", ":focus-visible")
		if r.Header.Get("Set-Cookie") != "" {
			t.Error("static file response sets a cookie")
		}
		r = b.get("/static/favicon.svg")
		wantStatus(t, r, http.StatusOK)
		if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=3600" {
			t.Errorf("Cache-Control = %q", cc)
		}
	})
}

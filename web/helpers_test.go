package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/store"
)

const testPassword = "correct horse battery"

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a running web shell on a loopback test server.
type harness struct {
	t    testing.TB
	s    *store.Store
	srv  *httptest.Server
	logs *syncBuffer
	host string // PublicURL.Host
}

func testDeps(t testing.TB, s *store.Store, publicURL string, logs io.Writer) Deps {
	t.Helper()
	u, err := url.Parse(publicURL)
	if err != nil {
		t.Fatal(err)
	}
	return Deps{
		Store:     s,
		Accounts:  &accounts.Service{Store: s},
		Logger:    slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		PublicURL: u,
		Registry:  prometheus.NewRegistry(),
		Version:   "v0.0.0-test",
	}
}

func newHarness(t testing.TB, s *store.Store) *harness { return newHarnessWith(t, s, nil) }

// newHarnessWith is newHarness with tweak applied to the dependencies.
func newHarnessWith(t testing.TB, s *store.Store, tweak func(*Deps)) *harness {
	t.Helper()
	h := &harness{t: t, s: s, logs: &syncBuffer{}}
	h.srv = httptest.NewUnstartedServer(nil)
	public := "http://" + h.srv.Listener.Addr().String()
	d := testDeps(t, s, public, h.logs)
	if tweak != nil {
		tweak(&d)
	}
	h.host = d.PublicURL.Host
	handler, err := New(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	h.srv.Config.Handler = handler
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	return h
}

// createUser makes an account with testPassword.
func createUser(t testing.TB, s *store.Store, name, role string) *store.User {
	t.Helper()
	u, err := (&accounts.Service{Store: s}).CreateUser(context.Background(), name, role, "", testPassword)
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so that tests see each 303.
type browser struct {
	t    testing.TB
	h    *harness
	c    *http.Client
	base *url.URL
}

func (h *harness) browser() *browser {
	h.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	base, _ := url.Parse(h.srv.URL)
	return &browser{t: h.t, h: h, base: base, c: &http.Client{
		Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// response is a read response.
type response struct {
	*http.Response
	body string
}

func (b *browser) do(req *http.Request) *response {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return &response{Response: resp, body: string(body)}
}

func (b *browser) request(method, path string, form url.Values, header http.Header) *response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base.String()+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return b.do(req)
}

func (b *browser) get(path string) *response {
	b.t.Helper()
	return b.request(http.MethodGet, path, nil, nil)
}

func (b *browser) post(path string, form url.Values) *response {
	b.t.Helper()
	return b.request(http.MethodPost, path, form, nil)
}

var (
	formRE   = regexp.MustCompile(`(?s)<form[^>]*\saction="([^"]*)"[^>]*>(.*?)</form>`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// formFields returns the hidden fields of the page's form posting to
// action, as a browser would send them.
func formFields(t testing.TB, page, action string) url.Values {
	t.Helper()
	for _, m := range formRE.FindAllStringSubmatch(page, -1) {
		if m[1] != action {
			continue
		}
		v := url.Values{}
		for _, f := range hiddenRE.FindAllStringSubmatch(m[2], -1) {
			v.Set(f[1], unescapeHTML(f[2]))
		}
		return v
	}
	t.Fatalf("no form posting to %s in page:\n%s", action, page)
	return nil
}

func unescapeHTML(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&#43;", "+").Replace(s)
}

// submit loads page, fills in the form posting to action with fields (on
// top of its hidden fields, CSRF token included) and sends it.
func (b *browser) submit(page, action string, fields url.Values) *response {
	b.t.Helper()
	r := b.get(page)
	if r.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s: status %d", page, r.StatusCode)
	}
	form := formFields(b.t, r.body, action)
	for k, vs := range fields {
		form[k] = vs
	}
	return b.post(action, form)
}

// login signs in and checks that it worked.
func (b *browser) login(username string) {
	b.t.Helper()
	r := b.submit("/login", "/login", url.Values{"username": {username}, "password": {testPassword}})
	if r.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign in as %s: status %d, body:\n%s", username, r.StatusCode, r.body)
	}
}

// cookie returns the browser's cookie called name, or "".
func (b *browser) cookie(name string) string {
	for _, c := range b.c.Jar.Cookies(b.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie returns the Set-Cookie of r called name, or nil.
func setCookie(r *http.Response, name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func wantStatus(t testing.TB, r *response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body:\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, r.body)
	}
}

func wantContains(t testing.TB, body string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(body, sub) {
			t.Errorf("body lacks %q; body:\n%s", sub, body)
		}
	}
}

func wantNotContains(t testing.TB, body string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if strings.Contains(body, sub) {
			t.Errorf("body unexpectedly contains %q; body:\n%s", sub, body)
		}
	}
}

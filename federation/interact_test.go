package federation_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/federation/httpclient"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// mastodon stands in for a Mastodon instance's WebFinger: it knows
// acct:NAME@HOST and http://HOST/@NAME, HOST being the Host it is asked
// as, and answers according to NAME:
//
//	alice   the subscribe template http://HOST/authorize_interaction?uri={uri}
//	nolink  no subscribe link
//	evil    a javascript: template
//	nouri   a template without {uri}
//	rel     a scheme-relative template
//	huge    a 100 KiB answer
//	garbage not JSON
//
// and 404 for anyone else.
type mastodon struct {
	srv     *httptest.Server
	mu      sync.Mutex
	gets    int
	accepts []string
}

func newMastodon(t *testing.T) *mastodon {
	t.Helper()
	m := &mastodon{}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *mastodon) host() string { return strings.TrimPrefix(m.srv.URL, "http://") }

func (m *mastodon) requests() (int, []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gets, append([]string(nil), m.accepts...)
}

func (m *mastodon) serve(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.gets++
	m.accepts = append(m.accepts, r.Header.Get("Accept"))
	m.mu.Unlock()
	if r.URL.Path != "/.well-known/webfinger" {
		http.NotFound(w, r)
		return
	}
	resource := r.URL.Query().Get("resource")
	var name string
	switch {
	case strings.HasPrefix(resource, "acct:") && strings.HasSuffix(resource, "@"+r.Host):
		name = strings.TrimSuffix(strings.TrimPrefix(resource, "acct:"), "@"+r.Host)
	case strings.HasPrefix(resource, "http://"+r.Host+"/@"):
		name = strings.TrimPrefix(resource, "http://"+r.Host+"/@")
	}
	links := []map[string]string{
		{"rel": "self", "type": "application/activity+json", "href": "http://" + r.Host + "/users/" + name},
	}
	subscribe := func(template string) {
		links = append(links, map[string]string{"rel": "http://ostatus.org/schema/1.0/subscribe", "template": template})
	}
	switch name {
	case "alice":
		subscribe("http://" + r.Host + "/authorize_interaction?uri={uri}")
	case "nolink":
	case "evil":
		subscribe("javascript:alert(document.cookie)//{uri}")
	case "nouri":
		subscribe("http://" + r.Host + "/authorize_interaction")
	case "rel":
		subscribe("//" + r.Host + "/authorize_interaction?uri={uri}")
	case "huge":
		links = append(links, map[string]string{"rel": "padding", "href": strings.Repeat("x", 100<<10)})
		subscribe("http://" + r.Host + "/authorize_interaction?uri={uri}")
	case "garbage":
		_, _ = io.WriteString(w, "<html>not webfinger</html>")
		return
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/jrd+json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"subject": "acct:" + name + "@" + r.Host, "links": links})
}

// closedAddr is a loopback host:port nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// InteractURL looks a handle up with WebFinger and fills its server's
// subscribe template with the escaped id of our object.
func TestInteractURL(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		m := newMastodon(t)
		h := newHub(t, s, hubOptions{noRunner: true, hostMap: map[string]string{"masto.test:80": m.host()}})
		ctx := context.Background()
		item := h.publishItem("Interacting")
		itemURI := h.fed.ItemURI(item.PublicID)
		want := "http://" + m.host() + "/authorize_interaction?uri=" + url.QueryEscape(itemURI)

		for _, handle := range []string{
			"alice@" + m.host(),
			"@alice@" + m.host(),
			"acct:alice@" + m.host(),
			"ACCT:alice@" + strings.ToUpper(m.host()),
			"  alice@" + m.host() + "\n",
			"http://" + m.host() + "/@alice",
		} {
			got, err := h.fed.InteractURL(ctx, handle, itemURI)
			if err != nil || got != want {
				t.Errorf("%q: %q, %v; want %q", handle, got, err, want)
			}
		}
		gets, accepts := m.requests()
		for _, a := range accepts {
			if a != "application/jrd+json" {
				t.Errorf("WebFinger Accept = %q", a)
			}
		}
		if gets != 6 {
			t.Errorf("%d WebFinger requests, want 6", gets)
		}

		// A host name, through the HostMap, as in the other tests.
		got, err := h.fed.InteractURL(ctx, "alice@masto.test", itemURI)
		if w := "http://masto.test/authorize_interaction?uri=" + url.QueryEscape(itemURI); err != nil || got != w {
			t.Errorf("alice@masto.test: %q, %v; want %q", got, err, w)
		}

		// A local comment is an object too; its id is escaped the same way.
		commentURI := h.url + "/comments/42"
		got, err = h.fed.InteractURL(ctx, "alice@"+m.host(), commentURI)
		if w := "http://" + m.host() + "/authorize_interaction?uri=" + url.QueryEscape(commentURI); err != nil || got != w {
			t.Errorf("comment: %q, %v; want %q", got, err, w)
		}

		// The hub's own WebFinger works as a remote server's would.
		got, err = h.fed.InteractURL(ctx, "carol@"+h.fed.Host(), itemURI)
		if w := h.url + "/authorize_interaction?uri=" + url.QueryEscape(itemURI); err != nil || got != w {
			t.Errorf("carol@%s: %q, %v; want %q", h.fed.Host(), got, err, w)
		}

		// Servers that cannot be asked.
		for _, handle := range []string{
			"alice@" + closedAddr(t),          // dead
			"nobody@" + m.host(),              // 404
			"garbage@" + m.host(),             // not a JRD
			"huge@" + m.host(),                // over 64 KiB
			"http://" + m.host() + "/@nobody", // 404 by URL
		} {
			_, err := h.fed.InteractURL(ctx, handle, itemURI)
			var ie *federation.InteractError
			if !errors.Is(err, federation.ErrNoInstance) || !errors.As(err, &ie) || ie.Host == "" {
				t.Errorf("%q: %v, want ErrNoInstance", handle, err)
			}
		}
		if _, err := h.fed.InteractURL(ctx, "huge@"+m.host(), itemURI); !errors.Is(err, httpclient.ErrTooLarge) {
			t.Errorf("huge: %v, want ErrTooLarge", err)
		}

		// Servers without a usable template: none, a javascript: one,
		// one without {uri}, a scheme-relative one.
		for _, name := range []string{"nolink", "evil", "nouri", "rel"} {
			got, err := h.fed.InteractURL(ctx, name+"@"+m.host(), itemURI)
			if !errors.Is(err, federation.ErrNoTemplate) || got != "" {
				t.Errorf("%s: %q, %v; want ErrNoTemplate", name, got, err)
			}
		}

		// Not handles at all: nothing is asked.
		before, _ := m.requests()
		for _, handle := range []string{
			"", "   ", "alice", "alice@", "@" + m.host(), "@alice", "alice@@" + m.host(),
			"alice@" + m.host() + "/path", "alice@" + m.host() + "?x=1", "alice@" + m.host() + "#x",
			"al ice@" + m.host(), "al/ice@" + m.host(), "alice@ho st", "alice@host:", "alice@host:99999",
			"alice@host:0", "alice@-host.example", "alice@[::1", "alice@bob@" + m.host(),
			"javascript:alert(1)", "javascript:alert(1)@" + m.host(), "ftp://" + m.host() + "/@alice",
			"http://bob@" + m.host() + "/@alice", "https:///@alice", "mailto:alice@" + m.host(),
			"alice@" + strings.Repeat("a", 64) + ".example", "alice@" + strings.Repeat("x", 600),
		} {
			_, err := h.fed.InteractURL(ctx, handle, itemURI)
			if !errors.Is(err, federation.ErrBadHandle) {
				t.Errorf("%q: %v, want ErrBadHandle", handle, err)
			}
		}
		if after, _ := m.requests(); after != before {
			t.Errorf("malformed handles made %d requests", after-before)
		}

		// Only our items and comments are passed on.
		for _, uri := range []string{
			"", "https://elsewhere.example/i/" + item.PublicID, m.srv.URL + "/users/alice",
			h.url + "/c/news", h.url + "/i/" + item.PublicID + "/replies", h.url + "/i/" + item.PublicID + "?x=1",
			h.url + "/i/" + item.PublicID + "#x", h.url + "/comments/0", h.url + "/comments/01", h.url + "/comments/x",
			h.url + "/i/", h.url + "/i/a%20b", "javascript:alert(1)",
		} {
			if _, err := h.fed.InteractURL(ctx, "alice@"+m.host(), uri); !errors.Is(err, federation.ErrForeignObject) {
				t.Errorf("object %q: %v, want ErrForeignObject", uri, err)
			}
		}
	})
}

// Without AllowPrivateAddresses a loopback server is never contacted.
func TestInteractPrivateAddressRefused(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		no := false
		m := newMastodon(t)
		h := newHub(t, s, hubOptions{allowPrivate: &no, noRunner: true, hostMap: map[string]string{"masto.test:80": m.host()}})
		item := h.publishItem("Private")
		for _, handle := range []string{"alice@" + m.host(), "alice@masto.test", "http://" + m.host() + "/@alice"} {
			_, err := h.fed.InteractURL(context.Background(), handle, h.fed.ItemURI(item.PublicID))
			if !errors.Is(err, federation.ErrNoInstance) || !errors.Is(err, httpclient.ErrForbiddenAddress) {
				t.Errorf("%q: %v, want ErrNoInstance and ErrForbiddenAddress", handle, err)
			}
		}
		if gets, _ := m.requests(); gets != 0 {
			t.Errorf("the private address was contacted %d times", gets)
		}
	})
}

// The /interact page: the form, the redirect, the plain-language errors.
func TestInteractPage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		m := newMastodon(t)
		h := newHub(t, s, hubOptions{noRunner: true})
		item := h.publishItem("Episode <1>")
		itemURI := h.fed.ItemURI(item.PublicID)
		jar, _ := cookiejar.New(nil)
		client := &http.Client{
			Jar:           jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		get := func(q url.Values) (*http.Response, string) {
			t.Helper()
			req, _ := http.NewRequest("GET", h.url+"/interact?"+q.Encode(), nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp, string(body)
		}

		// The form.
		resp, body := get(url.Values{"uri": {itemURI}})
		if resp.StatusCode != 200 {
			t.Fatalf("form: %d\n%s", resp.StatusCode, body)
		}
		for _, want := range []string{
			`<form method="get" action="/interact"`,
			`<label for="handle">Your handle on your fediverse server</label>`,
			`id="handle" name="handle"`, `placeholder="you@your.server"`,
			`<input type="hidden" name="uri" value="` + itemURI + `">`,
			`Episode &lt;1&gt;`, `<button type="submit">`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the form lacks %s\n%s", want, body)
			}
		}

		// The lookup and the redirect, remembering the handle.
		handle := "alice@" + m.host()
		resp, body = get(url.Values{"uri": {itemURI}, "handle": {handle}})
		want := "http://" + m.host() + "/authorize_interaction?uri=" + url.QueryEscape(itemURI)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Fatalf("lookup: %d to %q, want 303 to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), want, body)
		}
		var cookie *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "interact_handle" {
				cookie = c
			}
		}
		if cookie == nil || cookie.SameSite != http.SameSiteLaxMode || cookie.MaxAge < 364*24*3600 {
			t.Errorf("cookie %+v", cookie)
		}
		resp, body = get(url.Values{"uri": {itemURI}})
		if resp.StatusCode != 200 || !strings.Contains(body, `value="`+handle+`"`) {
			t.Errorf("the handle is not filled in again: %d\n%s", resp.StatusCode, body)
		}

		// A comment works the same way.
		commentURI := h.url + "/comments/7"
		resp, _ = get(url.Values{"uri": {commentURI}, "handle": {"@" + handle}})
		if want := "http://" + m.host() + "/authorize_interaction?uri=" + url.QueryEscape(commentURI); resp.StatusCode != 303 || resp.Header.Get("Location") != want {
			t.Errorf("comment: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}

		// Errors, in plain language, with the form again.
		for _, c := range []struct {
			handle string
			status int
			says   string
		}{
			{"", 400, "Enter your handle"},
			{"not a handle", 400, "is not a fediverse handle"},
			{"alice@" + closedAddr(t), 502, "did not answer, or does not know this account"},
			{"nobody@" + m.host(), 502, "does not know this account"},
			{"nolink@" + m.host(), 502, "does not support opening posts from other servers"},
			{"evil@" + m.host(), 502, "does not support opening posts from other servers"},
		} {
			resp, body := get(url.Values{"uri": {itemURI}, "handle": {c.handle}})
			if resp.StatusCode != c.status || !strings.Contains(body, c.says) || !strings.Contains(body, `role="alert"`) ||
				!strings.Contains(body, `<label for="handle">`) {
				t.Errorf("%q: %d, want %d saying %q\n%s", c.handle, resp.StatusCode, c.status, c.says, body)
			}
			if strings.Contains(body, "javascript:") {
				t.Errorf("%q: the page shows javascript:", c.handle)
			}
		}

		// Only our own objects: no open redirect, no proxying.
		for _, uri := range []string{"", "https://elsewhere.example/i/abc", m.srv.URL + "/users/alice", h.url + "/c/news", "javascript:alert(1)"} {
			for _, q := range []url.Values{{"uri": {uri}}, {"uri": {uri}, "handle": {handle}}} {
				resp, _ := get(q)
				if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
					t.Errorf("%v: %d, want 400", q, resp.StatusCode)
				}
			}
		}
		// An item of ours that does not exist (or is not published).
		if resp, _ := get(url.Values{"uri": {h.url + "/i/nosuchitem00"}, "handle": {handle}}); resp.StatusCode != 404 {
			t.Errorf("missing item: %d, want 404", resp.StatusCode)
		}
	})
}

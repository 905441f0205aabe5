package httpclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testUA = "Archipel/test (+https://hub.example)"

// countingServer is a loopback test server that counts the connections it
// accepts and the requests it serves.
type countingServer struct {
	*httptest.Server
	conns    atomic.Int64
	requests atomic.Int64
}

func newCountingServer(t *testing.T, h http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *countingServer) port() string {
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return port
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.UserAgent == "" {
		cfg.UserAgent = testUA
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// fakeSigner stamps every request with a fresh sequence number, like a real
// signer stamps a fresh Date and Signature.
type fakeSigner struct {
	mu     sync.Mutex
	n      int
	urls   []string
	bodies [][]byte
}

func (s *fakeSigner) SignRequest(r *http.Request, body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.urls = append(s.urls, r.URL.String())
	s.bodies = append(s.bodies, body)
	r.Header.Set("X-Test-Signature", strconv.Itoa(s.n))
	return nil
}

func TestNewConfig(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New without UserAgent: want error")
	}
	if _, err := New(Config{UserAgent: "a\r\nX-Evil: 1"}); err == nil {
		t.Error("New with CRLF in UserAgent: want error")
	}
	if _, err := New(Config{UserAgent: testUA, Timeout: -1}); err == nil {
		t.Error("New with negative Timeout: want error")
	}
	c, err := New(Config{UserAgent: testUA})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		UserAgent:       testUA,
		Timeout:         10 * time.Second,
		MaxBody:         2 << 20,
		MaxRedirects:    3,
		MaxConnsPerHost: 8,
		IdleConnTimeout: 90 * time.Second,
	}
	if !reflect.DeepEqual(c.cfg, want) {
		t.Errorf("defaults: got %+v, want %+v", c.cfg, want)
	}
	tr := c.transport
	if tr.Proxy != nil {
		t.Error("transport has a proxy function: environment proxies must not be used")
	}
	if tr == http.DefaultTransport {
		t.Error("client uses http.DefaultTransport")
	}
	if !tr.ForceAttemptHTTP2 || tr.TLSHandshakeTimeout != 10*time.Second ||
		tr.ResponseHeaderTimeout <= 0 || tr.ResponseHeaderTimeout > want.Timeout ||
		tr.MaxConnsPerHost != 8 || tr.IdleConnTimeout != 90*time.Second {
		t.Errorf("transport settings: %+v", tr)
	}
}

func TestIsPublic(t *testing.T) {
	forbidden := []string{
		"127.0.0.1", "127.255.255.254", "::1",
		"10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.1.1", "fc00::1", "fd12:3456::1",
		"169.254.169.254", "fe80::1", "fe80::1%eth0",
		"0.0.0.0", "::", "0.1.2.3",
		"224.0.0.1", "239.255.255.250", "ff02::1", "ff05::2", "ff0e::1",
		"100.64.0.1", "100.127.255.255",
		"255.255.255.255", "240.0.0.1",
		"192.0.0.8", "198.18.0.1", "198.19.255.255",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:100.64.0.1", "::ffff:0.0.0.0",
		"64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b:1::808:808",
		"fec0::1",
	}
	public := []string{
		"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "172.15.255.255", "100.63.255.255", "100.128.0.1",
		"192.0.1.1", "198.20.0.1", "223.255.255.255", "11.0.0.1", "169.253.0.1",
		"2001:4860:4860::8888", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808",
	}
	for _, s := range forbidden {
		if isPublic(netip.MustParseAddr(s)) {
			t.Errorf("isPublic(%s) = true, want false", s)
		}
	}
	for _, s := range public {
		if !isPublic(netip.MustParseAddr(s)) {
			t.Errorf("isPublic(%s) = false, want true", s)
		}
	}
	if isPublic(netip.Addr{}) {
		t.Error("isPublic(zero Addr) = true")
	}
}

// TestControl checks the dial-time hook directly: it is what refuses a host
// name (or a redirect target, or a rebound DNS answer) that resolves to a
// private address.
func TestControl(t *testing.T) {
	c := newClient(t, Config{})
	for _, addr := range []string{"127.0.0.1:80", "[::1]:443", "[::ffff:10.1.2.3]:80", "169.254.169.254:80", "[fe80::1%lo]:80", "garbage"} {
		if err := c.control(context.Background(), "tcp4", addr, nil); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("control(%s) = %v, want ErrForbiddenAddress", addr, err)
		}
	}
	if err := c.control(context.Background(), "udp4", "8.8.8.8:53", nil); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("control(udp) = %v, want ErrForbiddenAddress", err)
	}
	for _, addr := range []string{"8.8.8.8:443", "[2001:4860:4860::8888]:443"} {
		if err := c.control(context.Background(), "tcp6", addr, nil); err != nil {
			t.Errorf("control(%s) = %v, want nil", addr, err)
		}
	}
	open := newClient(t, Config{AllowPrivate: true})
	if err := open.control(context.Background(), "tcp4", "127.0.0.1:80", nil); err != nil {
		t.Errorf("AllowPrivate: control(127.0.0.1) = %v", err)
	}
}

func TestForbiddenDestinations(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "{}")
	})
	port := srv.port()
	c := newClient(t, Config{})
	sign := &fakeSigner{}
	cases := []struct{ url, host string }{
		{"http://127.0.0.1:" + port + "/users/a", "127.0.0.1"},
		{"http://[::1]:" + port + "/users/a", "::1"},
		{"http://[::ffff:127.0.0.1]:" + port + "/users/a", "::ffff:127.0.0.1"},
		{"http://10.1.2.3:" + port + "/users/a", "10.1.2.3"},
		{"http://localhost:" + port + "/users/a", "localhost"},
		{"http://169.254.169.254/latest/meta-data/", "169.254.169.254"},
	}
	for _, tc := range cases {
		t.Run(tc.host, func(t *testing.T) {
			_, err := c.Get(context.Background(), tc.url, "", sign)
			if !errors.Is(err, ErrForbiddenAddress) {
				t.Fatalf("Get: err = %v, want ErrForbiddenAddress", err)
			}
			if !strings.Contains(err.Error(), tc.host) {
				t.Errorf("error %q does not name the host %s", err, tc.host)
			}
			_, err = c.Post(context.Background(), tc.url, "", []byte("{}"), sign)
			if !errors.Is(err, ErrForbiddenAddress) {
				t.Fatalf("Post: err = %v, want ErrForbiddenAddress", err)
			}
		})
	}
	if n := srv.conns.Load(); n != 0 {
		t.Errorf("server accepted %d connections, want 0", n)
	}
	if n := srv.requests.Load(); n != 0 {
		t.Errorf("server got %d requests, want 0", n)
	}
}

func TestAllowPrivate(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("User-Agent"); got != testUA {
			t.Errorf("User-Agent = %q, want %q", got, testUA)
		}
		if got := r.Header.Get("Accept"); got != AcceptActivityJSON {
			t.Errorf("Accept = %q, want %q", got, AcceptActivityJSON)
		}
		w.Header().Set("Content-Type", "application/activity+json")
		io.WriteString(w, `{"id":"x"}`)
	})
	c := newClient(t, Config{AllowPrivate: true})
	for _, u := range []string{srv.URL + "/a", "http://localhost:" + srv.port() + "/b"} {
		resp, err := c.Get(context.Background(), u, "", nil)
		if err != nil {
			t.Fatalf("Get %s: %v", u, err)
		}
		if resp.StatusCode != 200 || string(resp.Body) != `{"id":"x"}` || resp.URL != u ||
			resp.Header.Get("Content-Type") != "application/activity+json" {
			t.Errorf("Get %s: %+v", u, resp)
		}
	}
	if n := srv.requests.Load(); n != 2 {
		t.Errorf("server got %d requests, want 2", n)
	}
}

func TestGetHeaders(t *testing.T) {
	var got http.Header
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
	})
	c := newClient(t, Config{AllowPrivate: true})
	if _, err := c.Get(context.Background(), srv.URL, "application/jrd+json", &fakeSigner{}); err != nil {
		t.Fatal(err)
	}
	if got.Get("User-Agent") != testUA || got.Get("Accept") != "application/jrd+json" || got.Get("X-Test-Signature") != "1" {
		t.Errorf("request headers: %v", got)
	}
}

func TestSchemes(t *testing.T) {
	c := newClient(t, Config{AllowPrivate: true})
	for _, u := range []string{"ftp://example.com/x", "file:///etc/passwd", "gopher://example.com/", "//example.com/x", "example.com/x"} {
		if _, err := c.Get(context.Background(), u, "", nil); !errors.Is(err, ErrScheme) {
			t.Errorf("Get %q: err = %v, want ErrScheme", u, err)
		}
	}
	if _, err := c.Get(context.Background(), "http:///nohost", "", nil); err == nil {
		t.Error("Get of a URL without host: want error")
	}
}

func TestRedirectsFollowedAndResigned(t *testing.T) {
	var mu sync.Mutex
	var seen []string // "path sig"
	var srvURL string
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path+" "+r.Header.Get("X-Test-Signature"))
		mu.Unlock()
		if r.Header.Get("User-Agent") != testUA {
			t.Errorf("%s: User-Agent = %q", r.URL.Path, r.Header.Get("User-Agent"))
		}
		switch r.URL.Path {
		case "/start":
			http.Redirect(w, r, srvURL+"/hop1", http.StatusMovedPermanently) // absolute
		case "/hop1":
			w.Header().Set("Location", "hop2") // relative to /hop1
			w.WriteHeader(http.StatusFound)
			io.WriteString(w, "moved")
		case "/hop2":
			http.Redirect(w, r, "/final?x=1", http.StatusPermanentRedirect) // path-absolute
		case "/final":
			io.WriteString(w, "done")
		default:
			http.NotFound(w, r)
		}
	})
	srvURL = srv.URL
	c := newClient(t, Config{AllowPrivate: true})
	sign := &fakeSigner{}
	resp, err := c.Get(context.Background(), srv.URL+"/start", "", sign)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || string(resp.Body) != "done" || resp.URL != srv.URL+"/final?x=1" {
		t.Errorf("response: status %d body %q url %s", resp.StatusCode, resp.Body, resp.URL)
	}
	want := []string{"/start 1", "/hop1 2", "/hop2 3", "/final 4"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("server saw %v, want %v (each hop freshly signed)", seen, want)
	}
	wantURLs := []string{srv.URL + "/start", srv.URL + "/hop1", srv.URL + "/hop2", srv.URL + "/final?x=1"}
	if fmt.Sprint(sign.urls) != fmt.Sprint(wantURLs) {
		t.Errorf("signer saw %v, want %v", sign.urls, wantURLs)
	}
}

func TestTooManyRedirects(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
		http.Redirect(w, r, "/r/"+strconv.Itoa(n+1), http.StatusFound)
	})
	c := newClient(t, Config{AllowPrivate: true, MaxRedirects: 2})
	_, err := c.Get(context.Background(), srv.URL+"/r/0", "", nil)
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("err = %v, want ErrTooManyRedirects", err)
	}
	if n := srv.requests.Load(); n != 3 {
		t.Errorf("server got %d requests, want 3 (the first and 2 redirects)", n)
	}

	// GetJSON too.
	if _, err := c.GetJSON(context.Background(), srv.URL+"/r/0", nil); !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("GetJSON: err = %v, want ErrTooManyRedirects", err)
	}
}

func TestRedirectSchemeRefused(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "ftp://example.com/file")
		w.WriteHeader(http.StatusFound)
	})
	c := newClient(t, Config{AllowPrivate: true})
	if _, err := c.Get(context.Background(), srv.URL, "", nil); !errors.Is(err, ErrScheme) {
		t.Fatalf("err = %v, want ErrScheme", err)
	}
}

// TestRedirectToPrivateRefused narrows the client's address policy so that
// only the first test server is reachable, as if it were a public host, and
// checks that its redirects to private destinations are refused: IP literals
// up front, and a host name at dial time, on the address it resolves to.
func TestRedirectToPrivateRefused(t *testing.T) {
	target := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secret")
	})
	var location string
	public := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, location, http.StatusFound)
	})
	publicAddr := netip.MustParseAddrPort(public.Listener.Addr().String())

	c := newClient(t, Config{})
	c.allowed = func(ap netip.AddrPort) bool { return ap == publicAddr || isPublic(ap.Addr()) }

	for _, loc := range []string{
		"http://localhost:" + target.port() + "/", // name: refused at dial time
		"http://127.0.0.1:" + target.port() + "/", // literal: refused up front
		"http://[::1]:" + target.port() + "/",
		"http://10.0.0.1/",
		"http://169.254.169.254/latest/meta-data/",
	} {
		location = loc
		_, err := c.Get(context.Background(), public.URL, "", nil)
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("redirect to %s: err = %v, want ErrForbiddenAddress", loc, err)
		}
	}
	if n := public.requests.Load(); n != 5 {
		t.Errorf("public server got %d requests, want 5", n)
	}
	if n := target.conns.Load(); n != 0 {
		t.Errorf("private server accepted %d connections, want 0", n)
	}
}

func TestPostDoesNotFollowRedirects(t *testing.T) {
	var gotBody []byte
	var gotCT, gotSig string
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			t.Error("POST redirect was followed")
			return
		}
		if r.Method != http.MethodPost {
			t.Errorf("method = %s", r.Method)
		}
		gotBody, _ = io.ReadAll(r.Body)
		gotCT = r.Header.Get("Content-Type")
		gotSig = r.Header.Get("X-Test-Signature")
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	c := newClient(t, Config{AllowPrivate: true})
	sign := &fakeSigner{}
	body := []byte(`{"type":"Follow"}`)
	resp, err := c.Post(context.Background(), srv.URL+"/inbox", "", body, sign)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "/elsewhere" {
		t.Errorf("response: %d %v", resp.StatusCode, resp.Header)
	}
	if !bytes.Equal(gotBody, body) || gotCT != ContentTypeActivityJSON || gotSig != "1" {
		t.Errorf("server got body %q content-type %q signature %q", gotBody, gotCT, gotSig)
	}
	if len(sign.bodies) != 1 || !bytes.Equal(sign.bodies[0], body) {
		t.Errorf("signer saw bodies %q", sign.bodies)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("server got %d requests, want 1", n)
	}

	// An explicit content type is kept.
	const ldjson = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	if _, err := c.Post(context.Background(), srv.URL+"/inbox", ldjson, body, nil); err != nil {
		t.Fatal(err)
	}
	if gotCT != ldjson {
		t.Errorf("Content-Type = %q, want %q", gotCT, ldjson)
	}
}

func TestBodyCap(t *testing.T) {
	const limit = 1024
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("chunked") != "" {
			// No Content-Length: the cap must hold while reading.
			for range n {
				w.Write([]byte("x"))
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Write(bytes.Repeat([]byte("x"), n))
	})
	c := newClient(t, Config{AllowPrivate: true, MaxBody: limit})
	for _, q := range []string{"", "&chunked=1"} {
		resp, err := c.Get(context.Background(), srv.URL+"/?n="+strconv.Itoa(limit)+q, "", nil)
		if err != nil || len(resp.Body) != limit {
			t.Errorf("body of exactly MaxBody%s: %v", q, err)
		}
		_, err = c.Get(context.Background(), srv.URL+"/?n="+strconv.Itoa(limit+1)+q, "", nil)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("body of MaxBody+1%s: err = %v, want ErrTooLarge", q, err)
		}
		_, err = c.GetJSON(context.Background(), srv.URL+"/?n=100000"+q, nil)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("GetJSON of a big body%s: err = %v, want ErrTooLarge", q, err)
		}
	}
}

func TestTimeout(t *testing.T) {
	// A server that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})

	c := newClient(t, Config{AllowPrivate: true, Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err = c.Get(context.Background(), "http://"+ln.Addr().String()+"/slow", "", nil)
	if err == nil {
		t.Fatal("Get of a silent server: want error")
	}
	if !errors.Is(err, context.DeadlineExceeded) && !os.IsTimeout(err) {
		t.Errorf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Get took %s with a 200ms timeout", d)
	}
	_, err = c.Post(context.Background(), "http://"+ln.Addr().String()+"/inbox", "", []byte("{}"), nil)
	if !errors.Is(err, context.DeadlineExceeded) && !os.IsTimeout(err) {
		t.Errorf("Post: err = %v, want a timeout", err)
	}
}

func TestTimeoutWhileReadingBody(t *testing.T) {
	release := make(chan struct{})
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	c := newClient(t, Config{AllowPrivate: true, Timeout: 200 * time.Millisecond})
	_, err := c.Get(context.Background(), srv.URL, "", nil)
	if !errors.Is(err, context.DeadlineExceeded) && !os.IsTimeout(err) {
		t.Errorf("err = %v, want a timeout", err)
	}
}

func TestStatusErrorAndRetryAfter(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/busy":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/gone":
			w.WriteHeader(http.StatusGone)
			io.WriteString(w, `{"error":"Gone"}`)
		case "/ok":
			io.WriteString(w, `{"ok":true}`)
		}
	})
	c := newClient(t, Config{AllowPrivate: true})

	body, err := c.GetJSON(context.Background(), srv.URL+"/ok", nil)
	if err != nil || string(body) != `{"ok":true}` {
		t.Errorf("GetJSON /ok = %q, %v", body, err)
	}

	_, err = c.GetJSON(context.Background(), srv.URL+"/busy", nil)
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *StatusError", err)
	}
	if se.StatusCode != 429 || se.RetryAfter != 2*time.Minute || se.URL != srv.URL+"/busy" {
		t.Errorf("StatusError = %+v", se)
	}
	if !strings.Contains(se.Error(), "429") || !strings.Contains(se.Error(), srv.URL+"/busy") {
		t.Errorf("Error() = %q", se.Error())
	}

	_, err = c.GetJSON(context.Background(), srv.URL+"/gone", nil)
	if !errors.As(err, &se) || se.StatusCode != http.StatusGone || se.RetryAfter != 0 {
		t.Errorf("GetJSON /gone: %v", err)
	}

	// Get returns any status as a response.
	resp, err := c.Get(context.Background(), srv.URL+"/gone", "", nil)
	if err != nil || resp.StatusCode != http.StatusGone || string(resp.Body) != `{"error":"Gone"}` {
		t.Errorf("Get /gone = %+v, %v", resp, err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 5 ", 5 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"soon", 0},
		{"1.5", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"Sat, 21 Nov 2026 12:10:00 GMT", 10 * time.Minute},
		{"Saturday, 21-Nov-26 12:01:00 GMT", time.Minute}, // RFC 850
		{"Sat Nov 21 12:00:30 2026", 30 * time.Second},    // asctime
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"99999999999999999999", 0}, // does not parse as int64
		{"9999999999999", maxDuration},
	}
	for _, tc := range cases {
		h := http.Header{}
		if tc.value != "" {
			h.Set("Retry-After", tc.value)
		}
		if got := RetryAfter(h, now); got != tc.want {
			t.Errorf("RetryAfter(%q) = %s, want %s", tc.value, got, tc.want)
		}
	}
}

func TestSignerError(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	c := newClient(t, Config{AllowPrivate: true})
	boom := errors.New("no key")
	_, err := c.Get(context.Background(), srv.URL, "", signerFunc(func(*http.Request, []byte) error { return boom }))
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the signer's error", err)
	}
	if n := srv.requests.Load(); n != 0 {
		t.Errorf("server got %d requests after a signing failure", n)
	}
}

type signerFunc func(*http.Request, []byte) error

func (f signerFunc) SignRequest(r *http.Request, body []byte) error { return f(r, body) }

func TestErrorsAreURLErrors(t *testing.T) {
	c := newClient(t, Config{})
	_, err := c.Get(context.Background(), "http://10.0.0.1/x", "", nil)
	var ue *url.Error
	if !errors.As(err, &ue) || ue.Op != "Get" || ue.URL != "http://10.0.0.1/x" {
		t.Errorf("err = %#v, want a *url.Error for Get http://10.0.0.1/x", err)
	}
}

// Package httpclient is the one outbound HTTP client for all federation
// traffic: signed GETs of actors, keys and objects, and deliveries to
// inboxes.
//
// It refuses to connect to loopback, private, link-local and other
// non-public addresses (unless Config.AllowPrivate is set), checking both
// IP-literal URLs up front and, at dial time, the address a host name
// actually resolved to, so DNS rebinding cannot slip past it. It never uses
// an environment proxy, caps response bodies, bounds every request with a
// timeout, follows redirects for GET only (re-validating and re-signing
// every hop) and never follows them for POST.
package httpclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Media types used by default.
const (
	// AcceptActivityJSON is the Accept header of a GET when none is given.
	AcceptActivityJSON = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	// ContentTypeActivityJSON is the Content-Type of a POST when none is given.
	ContentTypeActivityJSON = "application/activity+json"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout         = 10 * time.Second
	DefaultMaxBody         = 2 << 20
	DefaultMaxRedirects    = 3
	DefaultMaxConnsPerHost = 8
	DefaultIdleConnTimeout = 90 * time.Second
)

// drainLimit is how much of an unwanted body (a redirect's, or the rest of
// an oversized one) is read to let the connection be reused; beyond it the
// connection is closed instead.
const drainLimit = 64 << 10

// Errors returned (wrapped) by the client for requests it refuses to make
// or responses it refuses to read. Test for them with errors.Is.
var (
	// ErrForbiddenAddress means the destination is, or resolves to, a
	// loopback, private, link-local, CGNAT, unspecified, multicast or
	// otherwise non-public address and Config.AllowPrivate is false.
	ErrForbiddenAddress = errors.New("httpclient: destination address not allowed")
	// ErrTooLarge means the response body is over Config.MaxBody.
	ErrTooLarge = errors.New("httpclient: response body too large")
	// ErrTooManyRedirects means a GET was redirected more than
	// Config.MaxRedirects times.
	ErrTooManyRedirects = errors.New("httpclient: too many redirects")
	// ErrScheme means a URL, or a redirect target, is not http or https.
	ErrScheme = errors.New("httpclient: URL scheme must be http or https")
)

// Config configures a Client. Zero values take the documented defaults;
// negative values are an error.
type Config struct {
	// UserAgent is sent with every request, e.g.
	// "Archipel/1.2.3 (+https://hub.example)". Required.
	UserAgent string
	// AllowPrivate allows loopback, private, link-local, CGNAT,
	// unspecified, multicast and reserved destination addresses. Only for
	// tests and closed development setups.
	AllowPrivate bool
	// Timeout bounds a whole call to Get, Post or GetJSON, including every
	// redirect hop and reading the body. 0 means DefaultTimeout (10s).
	Timeout time.Duration
	// MaxBody caps the response body; a bigger one is ErrTooLarge. 0 means
	// DefaultMaxBody (2 MiB).
	MaxBody int64
	// MaxRedirects is how many redirects a GET follows. 0 means
	// DefaultMaxRedirects (3). POST never follows redirects.
	MaxRedirects int
	// MaxConnsPerHost caps the connections to one host. 0 means
	// DefaultMaxConnsPerHost (8).
	MaxConnsPerHost int
	// IdleConnTimeout is how long an idle keep-alive connection is kept.
	// 0 means DefaultIdleConnTimeout (90s).
	IdleConnTimeout time.Duration
	// HostMap, for tests, dials another address in place of a host:port
	// ("gts.test:80" → "127.0.0.3:41234"), as an /etc/hosts entry would.
	// The address check still applies to the address dialled.
	HostMap map[string]string
}

// Signer signs a request just before it is sent. Each redirect hop is a new
// request and is signed afresh. body is the request body (nil for GET).
type Signer interface {
	SignRequest(r *http.Request, body []byte) error
}

// Response is a response read in full (up to Config.MaxBody, or the cap
// given to GetLimit).
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte // at most Config.MaxBody (or GetLimit's cap) bytes
	URL        string // the final URL, after redirects
}

// StatusError is the error of GetJSON for a non-2xx response.
type StatusError struct {
	URL        string
	StatusCode int
	// RetryAfter is the response's Retry-After (seconds or HTTP date) as a
	// duration from when the response was read; 0 if none.
	RetryAfter time.Duration
}

// Error implements error.
func (e *StatusError) Error() string {
	s := fmt.Sprintf("httpclient: GET %s: status %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Client is the federation HTTP client. It is safe for concurrent use and
// should be shared: it holds a connection pool.
type Client struct {
	cfg       Config
	hc        *http.Client
	transport *http.Transport
	// allowed reports whether a destination may be dialled. It is a field
	// so that tests in this package can narrow it to one test server.
	allowed func(netip.AddrPort) bool
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.UserAgent == "" {
		return nil, errors.New("httpclient: Config.UserAgent is required")
	}
	if strings.ContainsFunc(cfg.UserAgent, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return nil, errors.New("httpclient: Config.UserAgent contains control characters")
	}
	if cfg.Timeout < 0 || cfg.MaxBody < 0 || cfg.MaxRedirects < 0 || cfg.MaxConnsPerHost < 0 || cfg.IdleConnTimeout < 0 {
		return nil, errors.New("httpclient: negative value in Config")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	if cfg.MaxConnsPerHost == 0 {
		cfg.MaxConnsPerHost = DefaultMaxConnsPerHost
	}
	if cfg.IdleConnTimeout == 0 {
		cfg.IdleConnTimeout = DefaultIdleConnTimeout
	}

	c := &Client{cfg: cfg}
	c.allowed = func(ap netip.AddrPort) bool { return cfg.AllowPrivate || isPublic(ap.Addr()) }

	dialer := &net.Dialer{
		Timeout:        cfg.Timeout,
		KeepAlive:      30 * time.Second,
		ControlContext: c.control,
	}
	c.transport = &http.Transport{
		Proxy: nil, // never an environment proxy: it would bypass the address check
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to, ok := cfg.HostMap[addr]; ok {
				addr = to
			}
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil && errors.Is(err, ErrForbiddenAddress) {
				host, _, _ := net.SplitHostPort(addr)
				return nil, fmt.Errorf("refusing to connect to %s: %w", host, err)
			}
			return conn, err
		},
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    min(10*time.Second, cfg.Timeout),
		ResponseHeaderTimeout:  cfg.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           0, // no global cap: a full pool races with evictions in net/http; IdleConnTimeout bounds idle connections
		MaxIdleConnsPerHost:    cfg.MaxConnsPerHost,
		MaxConnsPerHost:        cfg.MaxConnsPerHost,
		IdleConnTimeout:        cfg.IdleConnTimeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	c.hc = &http.Client{
		Transport: c.transport,
		// Redirects are followed by Get itself, to re-check and re-sign
		// every hop.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// CloseIdleConnections closes the idle keep-alive connections of the pool.
func (c *Client) CloseIdleConnections() { c.transport.CloseIdleConnections() }

// Get fetches rawURL with the given Accept header (empty means
// AcceptActivityJSON), signed by sign when it is not nil, following up to
// Config.MaxRedirects redirects. Any HTTP status is returned as a Response;
// errors are transport errors and the client's refusals (ErrForbiddenAddress,
// ErrScheme, ErrTooManyRedirects, ErrTooLarge), wrapped in a *url.Error.
func (c *Client) Get(ctx context.Context, rawURL, accept string, sign Signer) (*Response, error) {
	if accept == "" {
		accept = AcceptActivityJSON
	}
	return c.do(ctx, http.MethodGet, rawURL, accept, "", nil, sign, c.cfg.MaxBody)
}

// GetLimit is Get with a smaller cap on the response body, for small
// documents such as WebFinger answers: a body over maxBody bytes is
// ErrTooLarge. A maxBody of 0, or over Config.MaxBody, means
// Config.MaxBody.
func (c *Client) GetLimit(ctx context.Context, rawURL, accept string, maxBody int64, sign Signer) (*Response, error) {
	if maxBody <= 0 || maxBody > c.cfg.MaxBody {
		maxBody = c.cfg.MaxBody
	}
	if accept == "" {
		accept = AcceptActivityJSON
	}
	return c.do(ctx, http.MethodGet, rawURL, accept, "", nil, sign, maxBody)
}

// Post sends body to rawURL with contentType (empty means
// ContentTypeActivityJSON), signed by sign when it is not nil. Redirects are
// not followed: a 3xx is returned as the Response. Errors are as for Get.
func (c *Client) Post(ctx context.Context, rawURL, contentType string, body []byte, sign Signer) (*Response, error) {
	if contentType == "" {
		contentType = ContentTypeActivityJSON
	}
	if body == nil {
		body = []byte{}
	}
	return c.do(ctx, http.MethodPost, rawURL, AcceptActivityJSON, contentType, body, sign, c.cfg.MaxBody)
}

// GetJSON is Get with the ActivityPub Accept header that returns only the
// body, and a *StatusError for a non-2xx status.
func (c *Client) GetJSON(ctx context.Context, rawURL string, sign Signer) ([]byte, error) {
	resp, err := c.Get(ctx, rawURL, "", sign)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &StatusError{
			URL:        resp.URL,
			StatusCode: resp.StatusCode,
			RetryAfter: RetryAfter(resp.Header, time.Now()),
		}
	}
	return resp.Body, nil
}

// RetryAfter parses the Retry-After header of h, either delay-seconds or an
// HTTP date, as a duration from now. It is 0 when the header is absent,
// invalid or in the past.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(maxDuration/time.Second) {
			return maxDuration
		}
		return time.Duration(n) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}

const maxDuration = time.Duration(1<<63 - 1)

func (c *Client) do(ctx context.Context, method, rawURL, accept, contentType string, body []byte, sign Signer, maxBody int64) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	op := method[:1] + strings.ToLower(method[1:]) // "Get", "Post", as net/http names them
	u, err := url.Parse(rawURL)
	if err == nil {
		err = c.checkURL(u)
	}
	if err != nil {
		return nil, &url.Error{Op: op, URL: rawURL, Err: err}
	}

	for hops := 0; ; hops++ {
		resp, err := c.send(ctx, method, u, accept, contentType, body, sign)
		if err != nil {
			return nil, err
		}
		loc := resp.Header.Get("Location")
		if method != http.MethodGet || !isRedirect(resp.StatusCode) || loc == "" {
			return c.read(ctx, op, u, resp, maxBody)
		}
		discard(resp.Body)
		if hops >= c.cfg.MaxRedirects {
			return nil, &url.Error{Op: op, URL: u.String(), Err: fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, c.cfg.MaxRedirects)}
		}
		next, err := u.Parse(loc)
		if err == nil {
			err = c.checkURL(next)
		}
		if err != nil {
			return nil, &url.Error{Op: op, URL: u.String(), Err: fmt.Errorf("redirect to %q: %w", loc, err)}
		}
		u = next
	}
}

// checkURL refuses what can be refused before dialling: a scheme other than
// http or https, a missing host, and an IP-literal host that is not allowed.
// Host names are checked at dial time, on the addresses they resolve to.
func (c *Client) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: %q", ErrScheme, u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("httpclient: URL has no host")
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return nil // a name: checked when dialled
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return fmt.Errorf("httpclient: invalid port %q", port)
	}
	if !c.allowed(netip.AddrPortFrom(addr, uint16(p))) {
		return fmt.Errorf("refusing to connect to %s: %w", host, ErrForbiddenAddress)
	}
	return nil
}

func (c *Client) send(ctx context.Context, method string, u *url.URL, accept, contentType string, body []byte, sign Signer) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept", accept)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if sign != nil {
		if err := sign.SignRequest(req, body); err != nil {
			return nil, &url.Error{Op: req.Method[:1] + strings.ToLower(req.Method[1:]), URL: u.String(), Err: fmt.Errorf("httpclient: signing: %w", err)}
		}
	}
	return c.hc.Do(req)
}

// read reads and closes the body of resp, at most maxBody bytes.
func (c *Client) read(ctx context.Context, op string, u *url.URL, resp *http.Response, maxBody int64) (*Response, error) {
	tooLarge := func() (*Response, error) {
		return nil, &url.Error{Op: op, URL: u.String(), Err: fmt.Errorf("%w (limit %d bytes)", ErrTooLarge, maxBody)}
	}
	if resp.ContentLength > maxBody {
		resp.Body.Close() // not worth draining
		return tooLarge()
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		resp.Body.Close()
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w: reading body: %v", ctxErr, err)
		}
		return nil, &url.Error{Op: op, URL: u.String(), Err: err}
	}
	if int64(len(data)) > maxBody {
		resp.Body.Close()
		return tooLarge()
	}
	resp.Body.Close()
	return &Response{
		StatusCode: resp.StatusCode,
		Header:     resp.Header,
		Body:       data,
		URL:        u.String(),
	}, nil
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// discard drains a little of body, so that its connection can be reused,
// and closes it.
func discard(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, drainLimit)
	body.Close()
}

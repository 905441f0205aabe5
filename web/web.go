// Package web is Archipel's web shell: the HTML pages people use in a
// browser (home, sign-in, channels), plus /healthz and /metrics. It is plain
// net/http: a ServeMux with method patterns, html/template pages rendered in
// one layout, embedded templates and static files, and a short middleware
// chain (request ID, access log, metrics, panic recovery, security headers,
// cross-origin protection, CSRF tokens).
package web

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/store"
)

// hubName is the name shown in page titles and the header.
const hubName = "Archipel"

// DefaultSessionTTL is how long a sign-in lasts when Deps.SessionTTL is 0.
const DefaultSessionTTL = 30 * 24 * time.Hour

// Deps is what the web shell needs from the rest of the program.
type Deps struct {
	Store      *store.Store
	Accounts   *accounts.Service
	Logger     *slog.Logger
	PublicURL  *url.URL             // e.g. http://localhost:8080; cookies get Secure when the scheme is https
	Registry   *prometheus.Registry // web registers its HTTP metrics here; GET /metrics serves it
	SessionTTL time.Duration        // 0 means DefaultSessionTTL
	Version    string
}

// server holds the dependencies and the parsed templates; one per New.
type server struct {
	store      *store.Store
	accounts   *accounts.Service
	logger     *slog.Logger
	publicURL  *url.URL
	registry   *prometheus.Registry
	sessionTTL time.Duration
	version    string

	secure     bool   // cookies get the Secure attribute
	csrfSecret []byte // HMAC key binding CSRF tokens to their cookie
	pages      map[string]*template.Template
	styleURL   string // /static/style.css?v=<content hash>
	styleHash  string
	metrics    *httpMetrics
	mux        *http.ServeMux
}

// New builds the web handler. It reads (or creates, once for every node
// sharing the database) the CSRF secret, registers the HTTP metrics on
// d.Registry and parses the templates.
func New(ctx context.Context, d Deps) (http.Handler, error) {
	s, err := newServer(ctx, d)
	if err != nil {
		return nil, err
	}
	return s.chain(s.routes()), nil
}

func newServer(ctx context.Context, d Deps) (*server, error) {
	switch {
	case d.Store == nil:
		return nil, errors.New("web: Deps.Store is required")
	case d.Accounts == nil:
		return nil, errors.New("web: Deps.Accounts is required")
	case d.PublicURL == nil || d.PublicURL.Host == "":
		return nil, errors.New("web: Deps.PublicURL must be an absolute URL")
	case d.PublicURL.Scheme != "http" && d.PublicURL.Scheme != "https":
		return nil, fmt.Errorf("web: public URL %s must use http or https", d.PublicURL.Redacted())
	}
	s := &server{
		store:      d.Store,
		accounts:   d.Accounts,
		logger:     d.Logger,
		publicURL:  d.PublicURL,
		registry:   d.Registry,
		sessionTTL: d.SessionTTL,
		version:    d.Version,
		secure:     d.PublicURL.Scheme == "https",
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.sessionTTL <= 0 {
		s.sessionTTL = DefaultSessionTTL
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}

	secret, err := d.Store.SettingOrInit(ctx, "csrf_secret", func() (string, error) {
		return randomHex(32)
	})
	if err != nil {
		return nil, fmt.Errorf("web: cannot load the CSRF secret: %w", err)
	}
	s.csrfSecret, err = hex.DecodeString(secret)
	if err != nil || len(s.csrfSecret) < 32 {
		return nil, errors.New("web: the csrf_secret setting is not 32 or more hex-encoded bytes")
	}

	if s.metrics, err = newHTTPMetrics(s.registry); err != nil {
		return nil, err
	}
	if err := s.loadTemplates(); err != nil {
		return nil, err
	}
	if err := s.loadStatic(); err != nil {
		return nil, err
	}
	return s, nil
}

// routes registers every page. Each handler goes through s.route, which
// records the matched pattern for logs and metrics and checks the CSRF token
// of state-changing requests.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	s.mux = mux
	s.route("GET /{$}", s.handleHome)
	s.route("GET /login", s.handleLoginForm)
	s.route("POST /login", s.handleLogin)
	s.route("POST /logout", s.handleLogout)
	s.route("GET /channels/new", s.handleChannelNew)
	s.route("POST /channels", s.handleChannelCreate)
	s.route("GET /c/{handle}", s.handleChannel)
	s.route("GET /healthz", s.handleHealth)
	s.route("GET /metrics", s.handleMetrics())
	s.route("GET /static/", s.handleStatic)
	s.route("/", s.handleNotFound)

	cop := http.NewCrossOriginProtection()
	// Behind a proxy that rewrites Host, the public origin still counts as
	// this site for browsers that send Origin without Sec-Fetch-Site.
	if err := cop.AddTrustedOrigin(s.publicURL.Scheme + "://" + s.publicURL.Host); err != nil {
		s.logger.Warn("cannot trust the public URL's origin", "error", err)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.notePattern(r)
		s.state(r).logger.Warn("cross-origin request refused",
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		s.renderError(w, r, http.StatusForbidden, "Request refused",
			"This form was sent from another site, so it was refused. Go back to the page on this site, reload it and try again.")
	}))
	return cop.Handler(mux)
}

// route registers h on pattern behind the per-route checks.
func (s *server) route(pattern string, h http.HandlerFunc) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := s.state(r)
		st.pattern = r.Pattern
		if !safeMethod(r.Method) && !s.checkCSRF(w, r) {
			st.logger.Warn("CSRF token missing or invalid", "route", r.Pattern)
			s.renderError(w, r, http.StatusForbidden, "This form has expired",
				"The form you sent has expired or was opened in another session. Reload the page and try again.")
			return
		}
		h(w, r)
	}))
}

// notePattern records the route a request would have matched, for requests
// refused before reaching the mux.
func (s *server) notePattern(r *http.Request) {
	if s.mux == nil {
		return
	}
	if _, p := s.mux.Handler(r); p != "" {
		s.state(r).pattern = p
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// Package web is Archipel's web shell: the HTML pages people use in a
// browser (home, sign-in, channels, uploads, items), the JSON API under
// /api/ (tus uploads and items), media files under /media/, link previews
// (OpenGraph on the pages, /oembed and the embeddable player
// /i/{id}/embed), plus /healthz and /metrics. It is plain
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
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/config"
	"github.com/archipel/archipel/curation"
	"github.com/archipel/archipel/curation/podimport"
	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/markup"
	"github.com/archipel/archipel/media"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
)

// defaultHubName is the hub's name when its admins set none (see hubName).
const defaultHubName = "Archipel"

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

	// Library is the media library. When nil, the upload, item, media and
	// JSON item routes are not registered.
	Library *library.Library
	// Federation serves the ActivityPub side; nil: the hub does not
	// federate (no discovery, actors or inboxes).
	Federation *federation.Service
	// Uploads receives tus uploads at /api/uploads/; required with Library.
	// The caller sets Dir, BasePath ("/api/uploads/"), MaxSize, Expiry and
	// Logger; New fills in Owner, Accept and Complete (they need the
	// server), so one Uploads serves one handler. MaxSize also caps the
	// no-JavaScript upload form, whose files are spooled in Dir too.
	Uploads *media.Uploads
	// FeedItems is how many items a channel's feed lists; 0: the default.
	FeedItems int
	// Importer imports podcasts from their feeds (/import, with Library);
	// nil: no import pages.
	Importer *podimport.Importer
	// Tracker is the WebTorrent tracker, served at /tracker/socket; nil:
	// none (the .torrent files still announce it).
	Tracker http.Handler
	// P2P turns on the peer-to-peer player (WebTorrent, with the web seed
	// as fallback) on item pages; off, pages play plain HTTP.
	P2P bool
	// ICEServers are the STUN and TURN servers given to players' WebRTC;
	// none by default.
	ICEServers []config.ICEServer
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
	library    *library.Library // nil: no media routes
	uploads    *media.Uploads
	markup     *markup.Renderer
	federation *federation.Service // nil: no ActivityPub routes
	feeds      *curation.Feeds     // nil without a library
	feedCache  feedCache
	importer   *podimport.Importer // nil: no import pages
	tracker    http.Handler        // nil: no /tracker/socket
	p2p        bool                // the player shares over WebTorrent
	curator    *curation.Curator   // with federation: the curators' pages
	iceJSON    string              // the players' RTCIceServer list

	secure        bool                    // cookies get the Secure attribute
	csrfSecret    []byte                  // HMAC key binding CSRF tokens to their cookie
	locales       *localizer              // the catalogues: English and French
	templates     map[string]*templateSet // the pages, by language
	styleURL      string                  // /static/style.css?v=<content hash>
	styleHash     string
	scriptURL     string            // /static/upload.js?v=<content hash>
	copyScriptURL string            // /static/copy.js?v=<content hash>
	itemScriptURL string            // /static/item.js?v=<content hash>
	static        map[string]string // fingerprinted /static/ paths → content hash
	metrics       *httpMetrics
	mux           *http.ServeMux
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
	case d.Library != nil && (d.Uploads == nil || d.Uploads.Dir == ""):
		return nil, errors.New("web: Deps.Uploads with a Dir is required with Deps.Library")
	case d.Library != nil && d.Uploads.BasePath != uploadsPath:
		return nil, fmt.Errorf("web: Deps.Uploads.BasePath must be %q", uploadsPath)
	}
	s := &server{
		store:      d.Store,
		accounts:   d.Accounts,
		logger:     d.Logger,
		publicURL:  d.PublicURL,
		registry:   d.Registry,
		sessionTTL: d.SessionTTL,
		version:    d.Version,
		library:    d.Library,
		uploads:    d.Uploads,
		secure:     d.PublicURL.Scheme == "https",
		markup:     markup.New(),
		federation: d.Federation,
		importer:   d.Importer,
		tracker:    d.Tracker,
		p2p:        d.P2P,
		iceJSON:    iceServersJSON(d.ICEServers),
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
	if s.locales, err = newLocalizer(); err != nil {
		return nil, err
	}
	if err := s.loadTemplates(); err != nil {
		return nil, err
	}
	if err := s.loadStatic(); err != nil {
		return nil, err
	}
	if s.library != nil {
		s.feeds = &curation.Feeds{Store: s.store, Library: s.library, Federation: s.federation, Markup: s.markup,
			PublicURL: s.publicURL, Limit: d.FeedItems}
		s.uploads.Owner = s.uploadOwner
		s.uploads.Accept = s.acceptUpload
		s.uploads.Complete = s.completeUpload
		s.uploads.Localize = func(r *http.Request, msg string) string { return s.tr(r).detail(msg) }
	}
	return s, nil
}

// routes registers every page. Each handler goes through s.route, which
// records the matched pattern for logs and metrics and checks the CSRF token
// of state-changing requests; the JSON API goes through s.apiRoute, which
// also takes bearer tokens.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	s.mux = mux
	s.route("GET /{$}", s.handleHome)
	if s.tracker != nil {
		s.route("GET /tracker/socket", s.serveTracker)
	}
	s.route("GET /lang/{lang}", s.handleLanguage)
	s.route("GET /login", s.handleLoginForm)
	s.route("POST /login", s.handleLogin)
	s.route("POST /logout", s.handleLogout)
	s.route("GET /channels/new", s.handleChannelNew)
	s.route("POST /channels", s.handleChannelCreate)
	s.route("GET /c/{handle}", s.handleChannel)
	s.route("GET /search", s.handleSearch)
	s.apiRoute("GET /api/search", s.handleAPISearch)
	s.adminRoutes()
	s.route("GET /oembed", s.handleOEmbed)
	s.route("GET /healthz", s.handleHealth)
	s.route("GET /metrics", s.handleMetrics())
	s.route("GET /static/", s.handleStatic)
	if s.library != nil {
		s.route("GET /c/{handle}/upload", s.handleUploadForm)
		// The form's multipart body is streamed to disk: the handler checks
		// its CSRF field itself instead of letting route parse the body.
		s.streamRoute("POST /c/{handle}/upload", s.handleUploadSubmit)
		s.route("GET /i/{id}", s.handleItem)
		s.route("GET /i/{id}/chapters.json", s.handleItemChapters)
		s.streamRoute("POST /i/{id}/transcript", s.handleItemTranscript)
		for format := range feedFormats {
			s.route("GET /c/{handle}/feed."+format, s.handleChannelFeed(format))
		}
		s.route("GET /feeds.opml", s.handleFeedsOPML)
		s.route("GET /c/{handle}/feed-settings", s.handleFeedSettings)
		s.route("POST /c/{handle}/feed-settings", s.handleFeedSettingsSave)
		s.streamRoute("POST /c/{handle}/artwork", s.handleChannelArtwork)
		s.importRoutes()
		s.route("GET /i/{id}/edit", s.handleItemEdit)
		s.route("POST /i/{id}/edit", s.handleItemUpdate)
		// The one page other sites may frame (see allowFraming).
		s.route("GET /i/{id}/embed", s.handleItemEmbed)
		s.route("POST /i/{id}/publish", s.handleItemPublish)
		s.route("POST /i/{id}/retry", s.handleItemRetry)
		s.route("POST /i/{id}/delete", s.handleItemDelete)
		s.route("GET /media/{key...}", s.handleMedia)
		s.route("GET /torrents/{file}", s.handleTorrent)
		s.collectionRoutes()

		tus := s.serveUploads(s.uploads.Handler())
		s.apiRoute(uploadsPath, tus)
		s.apiRoute(uploadsPath+"{id}", tus)
		s.apiRoute("GET /api/items/{id}", s.handleAPIItem)
		s.apiRoute("POST /api/items/{id}/publish", s.handleAPIItemPublish)
		s.apiRoute("POST /api/items/{id}/retry", s.handleAPIItemRetry)
		s.apiRoute("DELETE /api/items/{id}", s.handleAPIItemDelete)
		s.apiRoute("GET /api/channels/{handle}/items", s.handleAPIChannelItems)
	}
	// Creator applications need no media library: outside its block.
	s.applicationRoutes()
	cop := http.NewCrossOriginProtection()
	if s.federation != nil {
		s.federationRoutes(cop)
		s.curationRoutes()
		// A channel's owner decides who follows it, from its page.
		s.route("POST /c/{handle}/followers/manual", s.handleChannelManualApproval)
		s.route("POST /c/{handle}/followers/{id}/accept", s.handleFollowAnswer(true))
		s.route("POST /c/{handle}/followers/{id}/reject", s.handleFollowAnswer(false))
		if s.library != nil {
			s.commentRoutes()
		}
		s.healthRoutes()
	}
	s.mux.HandleFunc("/api/", s.handleAPINotFound)
	s.route("/", s.handleNotFound)

	// Behind a proxy that rewrites Host, the public origin still counts as
	// this site for browsers that send Origin without Sec-Fetch-Site.
	if err := cop.AddTrustedOrigin(s.publicURL.Scheme + "://" + s.publicURL.Host); err != nil {
		s.logger.Warn("cannot trust the public URL's origin", "error", err)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.notePattern(r)
		s.state(r).logger.Warn("cross-origin request refused",
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		if isAPI(r) {
			writeJSONError(w, http.StatusForbidden, "This request was sent from another site, so it was refused.")
			return
		}
		s.renderError(w, r, http.StatusForbidden, "error.cross_origin", "error.cross_origin.message")
	}))
	return cop.Handler(mux)
}

// commentRoutes registers the comments on items: their threads show on the
// items' pages (see comments.go), where signed-in people post and
// moderators moderate; each channel has a moderation page; comments have
// ActivityPub ids, RSS feeds and a JSON API.
func (s *server) commentRoutes() {
	s.route("POST /i/{id}/comments", s.handleCommentPost)
	s.route("GET /i/{id}/comments.rss", s.handleItemCommentsFeed)
	s.route("GET /comments/{id}", s.handleComment)
	s.route("GET /comments/{id}/replies", s.handleCommentReplies)
	s.route("POST /comments/{id}/approve", s.handleCommentModerate(true))
	s.route("POST /comments/{id}/reject", s.handleCommentModerate(false))
	s.route("POST /comments/{id}/delete", s.handleCommentDelete)
	s.route("POST /comments/{id}/block", s.handleCommentBlock)
	s.route("GET /c/{handle}/comments", s.handleChannelComments)
	s.route("POST /c/{handle}/comments/settings", s.handleChannelCommentSettings)
	s.route("POST /c/{handle}/blocks/{id}/delete", s.handleChannelUnblock)
	s.route("GET /c/{handle}/comments.rss", s.handleChannelCommentsFeed)
	s.apiRoute("GET /api/items/{id}/comments", s.handleAPIItemComments)
	s.apiRoute("POST /api/items/{id}/comments", s.handleAPICommentPost)
}

// route registers h on pattern behind the per-route checks.
func (s *server) route(pattern string, h http.HandlerFunc) {
	s.handle(pattern, h, true)
}

// streamRoute registers h like route, except that the form's CSRF token is
// not checked: h streams a body that parsing the form would consume, so it
// must check the token itself (see csrfTokenValid).
func (s *server) streamRoute(pattern string, h http.HandlerFunc) {
	s.handle(pattern, h, false)
}

func (s *server) handle(pattern string, h http.HandlerFunc, checkForm bool) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := s.state(r)
		st.pattern = r.Pattern
		if checkForm && !safeMethod(r.Method) && !s.checkCSRF(w, r) {
			s.formExpired(w, r)
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

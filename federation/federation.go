// Package federation makes a hub an ActivityPub server: discovery
// (WebFinger, host-meta, NodeInfo), actors for the instance, accounts and
// channels, videos and episodes as objects, signed inboxes whose activities
// are stored and then processed as jobs, and the delivery of what local
// actors publish, one job per activity.
//
// Sub-packages hold the parts that know nothing of the hub: ap (the
// vocabulary), httpsig (signatures), httpclient (the one outbound client),
// keys (the remote key cache) and deliver (the fan-out engine).
package federation

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archipel/archipel/federation/deliver"
	"github.com/archipel/archipel/federation/httpclient"
	"github.com/archipel/archipel/federation/httpsig"
	"github.com/archipel/archipel/federation/keys"
	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/markup"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
)

// InstanceActorName is the username of the instance's Application actor.
// PeerTube looks up "peertube@host" to follow an instance, so WebFinger
// answers that name too.
const InstanceActorName = "archipel"

// Defaults of Config.
const (
	DefaultDateWindow   = time.Hour
	DefaultMaxInboxBody = 1 << 20
	// Park a host after this many failed deliveries in a row, for ParkFor.
	DefaultParkAfter = 5
	DefaultParkFor   = 6 * time.Hour
	// MaxAttempts bounds the retries of one inbox (about three days).
	MaxAttempts = 15
)

// Config is what the federation service needs.
type Config struct {
	Store     *store.Store
	Library   *library.Library
	PublicURL *url.URL
	Version   string
	Logger    *slog.Logger
	Registry  *prometheus.Registry // nil: metrics are not registered

	// AllowPrivateAddresses lets outbound requests reach loopback and
	// private addresses (tests, closed networks).
	AllowPrivateAddresses bool
	DateWindow            time.Duration // accepted clock skew of signed requests
	MaxInboxBody          int64
	Now                   func() time.Time
	// HostMap, for tests, maps host:port to the loopback address serving
	// it (see httpclient.Config.HostMap).
	HostMap map[string]string

	// Delivery tuning; zero values take the deliver package's defaults.
	MaxInFlight int
	PerHost     int
	Timeout     time.Duration
}

// Service is the federation side of one hub.
type Service struct {
	store     *store.Store
	library   *library.Library
	base      string // public URL without a trailing slash
	host      string // public host[:port]
	version   string
	log       *slog.Logger
	now       func() time.Time
	client    *httpclient.Client
	keys      *keys.Cache
	verifier  *httpsig.Verifier
	maxBody   int64
	engine    deliver.Engine
	gate      *deliver.Gate // bounds concurrent RSA signing to the cores
	parkAfter int
	parkFor   time.Duration
	markup    *markup.Renderer
	metrics   *metrics
	// allowPrivate lets remote items' media live on private addresses
	// (tests, closed networks), as outbound requests may.
	allowPrivate bool

	queueMu sync.RWMutex
	queue   jobs.Queue

	inboxBatch inboxBatcher

	signersMu sync.Mutex
	signers   map[int64]*rsa.PrivateKey // local actor id → parsed key
}

// New builds the service. Call SetQueue once the job runner exists.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.PublicURL == nil || cfg.PublicURL.Host == "" {
		return nil, errors.New("federation: Store and an absolute PublicURL are required")
	}
	s := &Service{
		store:     cfg.Store,
		library:   cfg.Library,
		base:      strings.TrimRight(cfg.PublicURL.String(), "/"),
		host:      strings.ToLower(cfg.PublicURL.Host),
		version:   cfg.Version,
		log:       cfg.Logger,
		now:       cfg.Now,
		maxBody:   cfg.MaxInboxBody,
		parkAfter: DefaultParkAfter,
		parkFor:   DefaultParkFor,
		markup:    markup.New(),
		signers:   map[int64]*rsa.PrivateKey{},

		allowPrivate: cfg.AllowPrivateAddresses,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxInboxBody
	}
	window := cfg.DateWindow
	if window <= 0 {
		window = DefaultDateWindow
	}
	s.verifier = &httpsig.Verifier{Window: window, Now: s.now}
	var err error
	s.client, err = httpclient.New(httpclient.Config{
		UserAgent:    fmt.Sprintf("Archipel/%s (+%s)", cfg.Version, s.base),
		AllowPrivate: cfg.AllowPrivateAddresses,
		Timeout:      cfg.Timeout,
		HostMap:      cfg.HostMap,
	})
	if err != nil {
		return nil, err
	}
	s.inboxBatch.s = s
	s.keys = keys.New(s.fetchKey, keys.Options{Now: s.now})
	s.gate = deliver.NewGate(0)
	s.engine = deliver.Engine{Gate: s.gate, Logger: s.log, MaxInFlight: cfg.MaxInFlight, PerHost: cfg.PerHost, Timeout: cfg.Timeout, Now: s.now}
	if s.metrics, err = newMetrics(cfg.Registry, s); err != nil {
		return nil, err
	}
	return s, nil
}

// SetQueue gives the service the job queue it enqueues processing and
// deliveries on.
func (s *Service) SetQueue(q jobs.Queue) {
	s.queueMu.Lock()
	s.queue = q
	s.queueMu.Unlock()
}

func (s *Service) jobs() (jobs.Queue, error) {
	s.queueMu.RLock()
	defer s.queueMu.RUnlock()
	if s.queue == nil {
		return nil, errors.New("federation: no job queue")
	}
	return s.queue, nil
}

// Client is the outbound HTTP client all federation traffic goes through.
func (s *Service) Client() *httpclient.Client { return s.client }

// Host is the public host[:port] of the hub, as in @user@host.
func (s *Service) Host() string { return s.host }

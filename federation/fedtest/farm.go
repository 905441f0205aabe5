// Package fedtest provides test helpers for federation code: a Farm of fake
// remote servers with signature-checking inboxes.
//
// The servers verify HTTP signatures with code independent of Archipel's own
// (github.com/go-fed/httpsig) plus a Digest check written here, so a test that
// delivers to a Farm checks our signer against a second implementation.
package fedtest

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gofed "github.com/go-fed/httpsig"
)

// Mode is how one farm server answers deliveries with a valid signature.
// Requests with a bad signature or digest are answered 401 in every mode.
type Mode int

const (
	// Healthy accepts the delivery: 202 Accepted.
	Healthy Mode = iota
	// Hang reads the request and never answers, until the client gives up
	// or the farm closes.
	Hang
	// Fail500 answers 500 Internal Server Error.
	Fail500
	// Gone410 answers 410 Gone.
	Gone410
	// RateLimited answers 429 Too Many Requests with Retry-After: 120.
	RateLimited
)

// String returns the mode's name.
func (m Mode) String() string {
	switch m {
	case Healthy:
		return "healthy"
	case Hang:
		return "hang"
	case Fail500:
		return "fail500"
	case Gone410:
		return "gone410"
	case RateLimited:
		return "ratelimited"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// Limits of the fake servers.
const (
	// MaxBody is the largest delivery body a farm server reads.
	MaxBody = 1 << 20
	// KeptBodies is how many of the latest bodies each server keeps.
	KeptBodies = 4
	// DefaultSkew is the accepted distance between a request's Date and the
	// farm's clock when FarmConfig.Skew is 0.
	DefaultSkew = time.Hour
	// RetryAfterSeconds is the Retry-After value of RateLimited servers.
	RetryAfterSeconds = 120
)

// requiredHeaders must all be covered by a delivery's signature.
var requiredHeaders = [...]string{"(request-target)", "host", "date", "digest"}

// FarmConfig configures StartFarm.
type FarmConfig struct {
	// N is the number of servers, each on its own 127.0.0.1 port.
	N int
	// Modes gives server i's initial mode; nil means all Healthy.
	Modes func(i int) Mode
	// KeyPEM returns the public key for a signature's keyId (a test passes a
	// map lookup, see KeyMap). Required.
	KeyPEM func(keyID string) (crypto.PublicKey, error)
	// Now is the servers' clock for the Date check; nil means time.Now.
	Now func() time.Time
	// Skew is how far a request's Date may be from Now; 0 means DefaultSkew,
	// negative disables the check.
	Skew time.Duration
	// Logger receives one debug line per rejected request; nil discards.
	Logger *slog.Logger
}

// KeyMap returns a FarmConfig.KeyPEM that looks keyIDs up in keys.
func KeyMap(keys map[string]crypto.PublicKey) func(keyID string) (crypto.PublicKey, error) {
	return func(keyID string) (crypto.PublicKey, error) {
		k, ok := keys[keyID]
		if !ok {
			return nil, fmt.Errorf("fedtest: unknown keyId %q", keyID)
		}
		return k, nil
	}
}

// Farm is N fake remote servers on loopback, each a real http.Server on its
// own 127.0.0.1 port (so each is a distinct host:port), accepting POST /inbox.
// It is safe for concurrent use.
type Farm struct {
	cfg      FarmConfig
	servers  []*server
	rejected atomic.Int64
	total    atomic.Int64
	closing  chan struct{} // closed by Close: releases Hang handlers
	close    sync.Once
}

// server is one fake remote.
type server struct {
	farm     *Farm
	inbox    string
	ln       net.Listener
	srv      *http.Server
	mode     atomic.Int32
	received atomic.Int64 // accepted
	verified atomic.Int64 // passed verification, in any mode

	mu     sync.Mutex
	bodies [][]byte // the latest KeptBodies bodies, oldest first
}

// StartFarm starts cfg.N servers. Close the Farm when done.
func StartFarm(cfg FarmConfig) (*Farm, error) {
	if cfg.N < 0 {
		return nil, errors.New("fedtest: negative N")
	}
	if cfg.KeyPEM == nil {
		return nil, errors.New("fedtest: FarmConfig.KeyPEM is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Skew == 0 {
		cfg.Skew = DefaultSkew
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Farm{cfg: cfg, closing: make(chan struct{})}
	f.servers = make([]*server, 0, cfg.N)
	for i := range cfg.N {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("fedtest: listen for server %d: %w", i, err)
		}
		s := &server{farm: f, ln: ln, inbox: "http://" + ln.Addr().String() + "/inbox"}
		if cfg.Modes != nil {
			s.mode.Store(int32(cfg.Modes(i)))
		}
		s.srv = &http.Server{
			Handler:           s,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
		}
		f.servers = append(f.servers, s)
		go s.srv.Serve(ln) //nolint:errcheck // returns http.ErrServerClosed on Close
	}
	return f, nil
}

// Inboxes returns http://127.0.0.1:PORT/inbox for each server, index i.
func (f *Farm) Inboxes() []string {
	out := make([]string, len(f.servers))
	for i, s := range f.servers {
		out[i] = s.inbox
	}
	return out
}

// Received returns the number of valid, signature-verified deliveries that
// server i accepted (answered 2xx).
func (f *Farm) Received(i int) int { return int(f.servers[i].received.Load()) }

// Verified returns the number of requests to server i that passed signature
// and digest verification, whatever the server's mode answered (Received
// counts only those it accepted).
func (f *Farm) Verified(i int) int { return int(f.servers[i].verified.Load()) }

// Rejected returns the number of requests refused for a bad signature or
// digest (answered 401) across the farm.
func (f *Farm) Rejected() int { return int(f.rejected.Load()) }

// Total returns the number of valid deliveries accepted across the farm.
func (f *Farm) Total() int { return int(f.total.Load()) }

// Bodies returns copies of the latest bodies (at most KeptBodies) accepted by
// server i, oldest first.
func (f *Farm) Bodies(i int) [][]byte {
	s := f.servers[i]
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(s.bodies))
	for j, b := range s.bodies {
		out[j] = bytes.Clone(b)
	}
	return out
}

// SetMode changes how server i answers from now on.
func (f *Farm) SetMode(i int, m Mode) { f.servers[i].mode.Store(int32(m)) }

// Mode returns server i's current mode.
func (f *Farm) Mode(i int) Mode { return Mode(f.servers[i].mode.Load()) }

// Close closes all servers and their connections and releases hanging
// handlers. It is safe to call more than once.
func (f *Farm) Close() {
	f.close.Do(func() {
		close(f.closing)
		var wg sync.WaitGroup
		for _, s := range f.servers {
			wg.Go(func() { s.srv.Close() })
		}
		wg.Wait()
	})
}

// ServeHTTP handles one request to a farm server.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/inbox" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if err := s.farm.verify(r, body); err != nil {
		s.farm.rejected.Add(1)
		s.farm.cfg.Logger.Debug("fedtest: rejected delivery", "inbox", s.inbox, "err", err)
		http.Error(w, "signature rejected", http.StatusUnauthorized)
		return
	}
	s.verified.Add(1)
	switch Mode(s.mode.Load()) {
	case Healthy:
		s.accept(body)
		w.WriteHeader(http.StatusAccepted)
	case Hang:
		select {
		case <-s.farm.closing:
		case <-r.Context().Done():
		}
	case Fail500:
		http.Error(w, "internal error", http.StatusInternalServerError)
	case Gone410:
		http.Error(w, "gone", http.StatusGone)
	case RateLimited:
		w.Header().Set("Retry-After", fmt.Sprint(RetryAfterSeconds))
		http.Error(w, "slow down", http.StatusTooManyRequests)
	default:
		http.Error(w, "bad farm mode", http.StatusInternalServerError)
	}
}

// accept counts a valid delivery and keeps its body.
func (s *server) accept(body []byte) {
	s.mu.Lock()
	if len(s.bodies) == KeptBodies {
		s.bodies = slices.Delete(s.bodies, 0, 1)
	}
	s.bodies = append(s.bodies, body)
	s.mu.Unlock()
	s.received.Add(1)
	s.farm.total.Add(1)
}

// verify checks r's Digest against body, the Date against the farm clock, the
// headers covered by the signature, and the signature itself with go-fed's
// verifier and the key FarmConfig.KeyPEM returns for its keyId.
func (f *Farm) verify(r *http.Request, body []byte) error {
	// Digest: our own check, independent of both signers.
	want := sha256.Sum256(body)
	if err := checkDigest(r.Header.Values("Digest"), want[:]); err != nil {
		return err
	}
	// Date.
	if f.cfg.Skew > 0 {
		date, err := http.ParseTime(r.Header.Get("Date"))
		if err != nil {
			return fmt.Errorf("date: %w", err)
		}
		if d := f.cfg.Now().Sub(date); d > f.cfg.Skew || d < -f.cfg.Skew {
			return fmt.Errorf("date %s is %s away from now", date.Format(time.RFC3339), d)
		}
	}
	// Coverage: the signature must cover the request target, host, date and
	// digest, or the digest check above proves nothing.
	covered, err := signedHeaders(r.Header.Get("Signature"))
	if err != nil {
		return err
	}
	for _, h := range requiredHeaders {
		if !slices.Contains(covered, h) {
			return fmt.Errorf("signature does not cover %q (covers %q)", h, covered)
		}
	}
	// Signature, by go-fed/httpsig.
	v, err := gofed.NewVerifier(r)
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	pub, err := f.cfg.KeyPEM(v.KeyId())
	if err != nil {
		return fmt.Errorf("key %q: %w", v.KeyId(), err)
	}
	if err := v.Verify(pub, gofed.RSA_SHA256); err != nil {
		return fmt.Errorf("signature with key %q: %w", v.KeyId(), err)
	}
	return nil
}

// checkDigest requires exactly one Digest header holding a SHA-256 value equal
// to sum (several comma-separated algorithms are allowed; SHA-256 must be one).
func checkDigest(values []string, sum []byte) error {
	if len(values) != 1 {
		return fmt.Errorf("digest: want one Digest header, got %d", len(values))
	}
	for part := range strings.SplitSeq(values[0], ",") {
		alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(alg, "SHA-256") {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(val)
		if err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		if subtle.ConstantTimeCompare(got, sum) != 1 {
			return errors.New("digest: does not match the body")
		}
		return nil
	}
	return fmt.Errorf("digest: no SHA-256 value in %q", values[0])
}

// signedHeaders returns the lower-cased headers parameter of a draft-cavage
// Signature header ("date" alone when absent, as the draft says).
func signedHeaders(sig string) ([]string, error) {
	if sig == "" {
		return nil, errors.New("signature: no Signature header")
	}
	for param := range strings.SplitSeq(sig, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(param), "=")
		if !ok || !strings.EqualFold(k, "headers") {
			continue
		}
		v = strings.Trim(v, `"`)
		return strings.Fields(strings.ToLower(v)), nil
	}
	return []string{"date"}, nil
}

// Package tracker is a private WebTorrent tracker: a WebSocket endpoint that
// keeps swarms of browser peers and relays their WebRTC offers and answers,
// following the JSON protocol of the JS bittorrent-tracker 11.x server.
//
// info_hash, peer_id, to_peer_id and offer_id travel as 20-character "binary
// strings" whose code points 0–255 are bytes. They are kept as Go strings of
// those code points (valid UTF-8, so encoding/json writes them back
// unchanged) and converted to raw bytes only for map keys.
package tracker

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Tracker. Zero values take the documented defaults.
type Config struct {
	// Known reports whether the tracker serves a swarm. A nil Known refuses
	// every swarm: the tracker is private.
	Known func(infoHash [20]byte) bool
	// MaxPeersPerSwarm bounds a swarm's peers; default 200.
	MaxPeersPerSwarm int
	// MaxMessageBytes bounds one incoming message; default 64 KiB (SDP
	// offers exceed 32 KiB). A larger message closes the socket with 1009.
	MaxMessageBytes int64
	// AnnouncesPerMinute bounds announces and scrapes per remote IP;
	// default 120, with a burst of the same size.
	AnnouncesPerMinute int
	// Interval is the announce interval told to peers; default 120 s.
	Interval time.Duration
	// Logger receives debug and warning lines; default slog.Default().
	Logger *slog.Logger
	// Registerer, when set, receives the tracker's metrics.
	Registerer prometheus.Registerer
	// Now is the clock; default time.Now.
	Now func() time.Time
}

const (
	writeTimeout = 10 * time.Second
	pingInterval = 60 * time.Second
	sendQueue    = 64 // queued outgoing messages per socket before it counts as stuck
	maxOffers    = 10 // offers relayed per announce (browsers send up to 5)
	maxScrape    = 100
	maxStrikes   = 3 // consecutive rate-limited announces before the socket is closed
	maxIPBuckets = 10000
)

// Tracker serves the WebTorrent tracker protocol over WebSocket.
type Tracker struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	swarms  map[[20]byte]*swarm
	conns   map[*conn]struct{}
	buckets map[string]*bucket
}

type swarm struct {
	peers      map[[20]byte]*peer
	complete   int
	downloaded int
}

type peer struct {
	c      *conn
	id     string // binary string, as received
	seeder bool
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a Tracker, registering its metrics when cfg.Registerer is set.
func New(cfg Config) (*Tracker, error) {
	if cfg.MaxPeersPerSwarm <= 0 {
		cfg.MaxPeersPerSwarm = 200
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 64 << 10
	}
	if cfg.AnnouncesPerMinute <= 0 {
		cfg.AnnouncesPerMinute = 120
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 120 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &Tracker{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "tracker"),
		swarms:  make(map[[20]byte]*swarm),
		conns:   make(map[*conn]struct{}),
		buckets: make(map[string]*bucket),
	}
	m, err := newMetrics(t, cfg.Registerer)
	if err != nil {
		return nil, err
	}
	t.metrics = m
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t, nil
}

// Stats returns the seeders and leechers of a swarm.
func (t *Tracker) Stats(infoHash [20]byte) (complete, incomplete int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.swarms[infoHash]
	if s == nil {
		return 0, 0
	}
	return s.complete, len(s.peers) - s.complete
}

// Close closes every socket and waits for their handlers to return. Later
// requests get 503.
func (t *Tracker) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	conns := make([]*conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	t.cancel()
	for _, c := range conns {
		c.ws.CloseNow()
	}
	t.wg.Wait()
	return nil
}

// ServeHTTP accepts a WebSocket and serves it until it closes. Any origin
// may connect, as with other WebTorrent trackers: the socket carries no
// credentials and the tracker only serves known swarms.
func (t *Tracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		http.Error(w, "tracker closed", http.StatusServiceUnavailable)
		return
	}
	t.wg.Add(1)
	t.mu.Unlock()
	defer t.wg.Done()

	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		t.log.Debug("websocket accept failed", "err", err)
		return
	}
	ws.SetReadLimit(t.cfg.MaxMessageBytes)
	c := &conn{
		t:      t,
		ws:     ws,
		ip:     remoteIP(r),
		out:    make(chan []byte, sendQueue),
		closeq: make(chan closeReq, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		swarms: make(map[[20]byte]*peer),
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		ws.CloseNow()
		return
	}
	t.conns[c] = struct{}{}
	t.mu.Unlock()

	go c.writeLoop()
	closing := c.readLoop()
	t.dropConn(c)
	if closing {
		// The writer flushes what is queued, then runs the close handshake.
		select {
		case <-c.done:
		case <-time.After(writeTimeout + 5*time.Second):
		}
	} else {
		ws.CloseNow() // unblocks a pending write or ping at once
		close(c.stop)
		<-c.done
	}
	ws.CloseNow()
}

// dropConn removes c and all its peers.
func (t *Tracker) dropConn(c *conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.conns, c)
	for ih, p := range c.swarms {
		t.removePeerLocked(ih, p)
	}
	clear(c.swarms)
}

func (t *Tracker) removePeerLocked(ih [20]byte, p *peer) {
	s := t.swarms[ih]
	if s == nil {
		return
	}
	key := toBytes20(p.id)
	if s.peers[key] != p {
		return
	}
	delete(s.peers, key)
	if p.seeder {
		s.complete--
	}
	if len(s.peers) == 0 {
		delete(t.swarms, ih)
	}
}

// allow takes one token from the IP's bucket.
func (t *Tracker) allow(ip string) bool {
	now := t.cfg.Now()
	rate := float64(t.cfg.AnnouncesPerMinute) / 60 // tokens per second
	burst := float64(t.cfg.AnnouncesPerMinute)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.buckets) >= maxIPBuckets {
		for k, b := range t.buckets {
			if b.tokens+now.Sub(b.last).Seconds()*rate >= burst {
				delete(t.buckets, k)
			}
		}
	}
	b := t.buckets[ip]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		t.buckets[ip] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(burst, b.tokens+el*rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// pickOthers returns up to n random peers of s other than self.
func pickOthers(s *swarm, self [20]byte, n int) []*peer {
	if n <= 0 {
		return nil
	}
	all := make([]*peer, 0, len(s.peers))
	for k, p := range s.peers {
		if k != self {
			all = append(all, p)
		}
	}
	rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	if len(all) > n {
		all = all[:n]
	}
	return all
}

var errBadBinary = errors.New("not a 20-character binary string")

// fromBinary converts a binary string (code points 0–255) to 20 bytes.
func fromBinary(s string) ([20]byte, error) {
	var b [20]byte
	i := 0
	for _, r := range s {
		if r > 0xff || i >= 20 {
			return b, errBadBinary
		}
		b[i] = byte(r)
		i++
	}
	if i != 20 {
		return b, errBadBinary
	}
	return b, nil
}

// toBytes20 is fromBinary for strings already validated.
func toBytes20(s string) [20]byte {
	b, _ := fromBinary(s)
	return b
}

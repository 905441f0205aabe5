// Package seed makes the hub a BitTorrent peer of its own renditions: an
// anacrolix/torrent client that seeds published items' torrents over TCP
// and, through the hub's WebTorrent tracker, over WebRTC to browsers.
//
// Files are read through media.Storage and never written: the seeder only
// uploads. Every piece counts as complete without a hash check, because
// the torrent was hashed from the very file (keys never change content).
//
// Each torrent announced to a WebSocket tracker keeps one WebRTC offer
// pending, with about seven sockets and fifteen goroutines (measured by
// BenchmarkSeedCost), so only the WebRTCTorrents most recently published
// are announced there; the next ones, up to MaxTorrents, are seeded over
// TCP only (to BitTorrent clients that have their magnet link, which
// names the hub as a peer), and every file keeps its web seed.
package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/archipel/archipel/media"
	mtorrent "github.com/archipel/archipel/media/torrent"
	"github.com/archipel/archipel/store"
)

// PeerIDPrefix starts the seeder's BitTorrent peer id (BEP 20), so that
// players can tell the hub from other viewers.
const PeerIDPrefix = "-AP0001-"

// Config configures a Seeder. Zero values take the documented defaults.
type Config struct {
	Store     *store.Store
	Storage   media.Storage
	PublicURL *url.URL
	// TrackerURL is where the seeder announces; default the hub's own
	// tracker (torrent.TrackerURL of PublicURL).
	TrackerURL string
	// ListenHost and ListenPort are where BitTorrent TCP peers connect;
	// default all addresses, port 0 (any free port).
	ListenHost string
	ListenPort int
	// ICEServers are the STUN and TURN servers given to WebRTC; default
	// none (host candidates only), which suits a server with a public
	// address. Behind NAT, configure a STUN server.
	ICEServers []webrtc.ICEServer
	// MaxTorrents bounds how many torrents are seeded; default 1000.
	MaxTorrents int
	// WebRTCTorrents bounds how many of them, the most recent, are
	// announced to the WebSocket tracker for browsers; default 100,
	// negative: none.
	WebRTCTorrents int
	// NoUpload keeps the client connected but uploading nothing.
	NoUpload bool
	// Interval is how often the seeded set is compared with the
	// database; default one minute (and soon after each publication).
	Interval   time.Duration
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Seeder seeds the hub's torrents.
type Seeder struct {
	cfg  Config
	log  *slog.Logger
	cl   *torrent.Client
	wake chan struct{}

	mu      sync.Mutex
	seeding map[metainfo.Hash]*seeded
}

type seeded struct {
	t      *torrent.Torrent
	key    string
	size   int64
	webRTC bool // announced to the WebSocket tracker
}

// New starts the BitTorrent client; Run keeps its torrents in step with
// the database.
func New(cfg Config) (*Seeder, error) {
	if cfg.Store == nil || cfg.Storage == nil || cfg.PublicURL == nil {
		return nil, errors.New("seed: Store, Storage and PublicURL are required")
	}
	if cfg.MaxTorrents <= 0 {
		cfg.MaxTorrents = 1000
	}
	if cfg.WebRTCTorrents == 0 {
		cfg.WebRTCTorrents = 100
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.TrackerURL == "" {
		cfg.TrackerURL = mtorrent.TrackerURL(cfg.PublicURL)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Seeder{cfg: cfg, log: cfg.Logger.With("component", "seed"), wake: make(chan struct{}, 1),
		seeding: map[metainfo.Hash]*seeded{}}

	tc := torrent.NewDefaultClientConfig()
	tc.Seed = true
	tc.NoDHT = true
	tc.DisableUTP = true
	tc.DisableWebseeds = true // the hub has every byte already
	tc.NoDefaultPortForwarding = true
	tc.NoUpload = cfg.NoUpload
	tc.ListenPort = cfg.ListenPort
	if cfg.ListenHost != "" {
		host := cfg.ListenHost
		tc.ListenHost = func(string) string { return host }
		if ip := net.ParseIP(host); ip != nil {
			tc.DisableIPv6, tc.DisableIPv4 = ip.To4() != nil, ip.To4() == nil
		}
	}
	tc.ICEServerList = cfg.ICEServers
	tc.Bep20 = PeerIDPrefix
	tc.HTTPUserAgent = "Archipel"
	tc.ExtendedHandshakeClientVersion = "Archipel"
	tc.DefaultStorage = readOnly{s}
	// anacrolix logs each peer's comings and goings; keep its warnings.
	tc.Slogger = slog.New(levelFloor{cfg.Logger.With("component", "bittorrent").Handler(), slog.LevelWarn})
	cl, err := torrent.NewClient(tc)
	if err != nil {
		return nil, fmt.Errorf("seed: start the BitTorrent client: %w", err)
	}
	s.cl = cl
	if cfg.Registerer != nil {
		if err := s.register(cfg.Registerer); err != nil {
			cl.Close()
			return nil, err
		}
	}
	return s, nil
}

// Run reconciles the seeded torrents with the database until ctx ends,
// then closes the client.
func (s *Seeder) Run(ctx context.Context) {
	defer s.Close()
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	for {
		if err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("reconcile seeded torrents", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.wake:
			// Publication wakes us inside its transaction: let it commit.
			select {
			case <-ctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
}

// Wake asks Run to reconcile soon.
func (s *Seeder) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Reconcile seeds the MaxTorrents most recent published torrents, the
// first WebRTCTorrents of them over WebRTC too, and drops the others.
func (s *Seeder) Reconcile(ctx context.Context) error {
	files, err := s.cfg.Store.SeedFiles(ctx, s.cfg.MaxTorrents)
	if err != nil {
		return err
	}
	type wanted struct {
		f      *store.SeedFile
		webRTC bool
	}
	want := make(map[metainfo.Hash]wanted, len(files))
	for i, f := range files {
		var ih metainfo.Hash
		if err := ih.FromHexString(f.InfoHash); err != nil {
			s.log.Warn("bad infohash", "info_hash", f.InfoHash, "error", err)
			continue
		}
		want[ih] = wanted{f, i < s.cfg.WebRTCTorrents}
	}
	s.mu.Lock()
	var drop []*torrent.Torrent
	for ih, sd := range s.seeding {
		// A torrent that leaves the WebRTC tier is added again without
		// its tracker: anacrolix cannot take a tracker away.
		if w, ok := want[ih]; !ok || w.webRTC != sd.webRTC {
			if sd.t != nil {
				drop = append(drop, sd.t)
			}
			delete(s.seeding, ih)
		}
	}
	s.mu.Unlock()
	for _, t := range drop {
		t.Drop()
	}
	for ih, w := range want {
		s.mu.Lock()
		_, have := s.seeding[ih]
		s.mu.Unlock()
		if have {
			continue
		}
		if err := s.add(ctx, ih, w.f, w.webRTC); err != nil {
			s.log.Warn("cannot seed", "key", w.f.StorageKey, "info_hash", w.f.InfoHash, "error", err)
		}
	}
	return nil
}

func (s *Seeder) add(ctx context.Context, ih metainfo.Hash, f *store.SeedFile, webRTC bool) error {
	file, err := s.cfg.Storage.Open(ctx, f.StorageKey)
	if err != nil {
		return err
	}
	size := file.Size()
	file.Close()
	info, err := mtorrent.Parse(f.Info)
	if err != nil {
		return err
	}
	if size != info.Length || info.Hash != ih {
		return fmt.Errorf("stored file is %d bytes, torrent says %d (infohash %x)", size, info.Length, info.Hash)
	}
	sd := &seeded{key: f.StorageKey, size: size, webRTC: webRTC}
	s.mu.Lock()
	s.seeding[ih] = sd // before adding: the storage looks the key up
	s.mu.Unlock()
	spec := &torrent.TorrentSpec{AddTorrentOpts: torrent.AddTorrentOpts{InfoHash: ih, InfoBytes: f.Info}}
	if webRTC {
		spec.Trackers = [][]string{{s.cfg.TrackerURL}}
	}
	t, _, err := s.cl.AddTorrentSpec(spec)
	if err != nil {
		s.mu.Lock()
		delete(s.seeding, ih)
		s.mu.Unlock()
		return err
	}
	s.mu.Lock()
	sd.t = t
	s.mu.Unlock()
	return nil
}

// SeedingWebRTC is how many torrents are seeded over WebRTC now.
func (s *Seeder) SeedingWebRTC() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sd := range s.seeding {
		if sd.webRTC {
			n++
		}
	}
	return n
}

// Seeding is how many torrents are seeded now.
func (s *Seeder) Seeding() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seeding)
}

// Uploaded is how many bytes of data the seeder has sent to peers.
func (s *Seeder) Uploaded() int64 {
	st := s.cl.Stats()
	return st.BytesWrittenData.Int64()
}

// Close stops seeding: peers are disconnected and trackers told.
func (s *Seeder) Close() {
	s.cl.Close()
}

// ItemPublished, ItemUpdated and ItemDeleting make the seeder a
// library.Events: publishing or deleting an item reconciles soon.
func (s *Seeder) ItemPublished(context.Context, *store.Tx, int64) error { s.Wake(); return nil }

// ItemUpdated implements library.Events (nothing to do).
func (s *Seeder) ItemUpdated(context.Context, *store.Tx, *store.Item) error { return nil }

// ItemDeleting implements library.Events.
func (s *Seeder) ItemDeleting(context.Context, *store.Tx, *store.Item) ([]int64, error) {
	s.Wake()
	return nil, nil
}

func (s *Seeder) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "archipel_seed_torrents", Help: "Torrents the hub seeds."},
			func() float64 { return float64(s.Seeding()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "archipel_seed_webrtc_torrents", Help: "Torrents the hub seeds over WebRTC too."},
			func() float64 { return float64(s.SeedingWebRTC()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "archipel_seed_uploaded_bytes_total", Help: "Bytes of media the hub sent to BitTorrent and WebRTC peers."},
			func() float64 { return float64(s.Uploaded()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "archipel_seed_peers", Help: "Peers connected to the hub's seeder."},
			func() float64 { return float64(s.cl.Stats().ActivePeers) }),
	} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// readOnly is the seeder's storage: pieces read from media.Storage, all
// complete, none written.
type readOnly struct{ s *Seeder }

func (r readOnly) OpenTorrent(_ context.Context, info *metainfo.Info, ih metainfo.Hash) (storage.TorrentImpl, error) {
	r.s.mu.Lock()
	sd := r.s.seeding[ih]
	r.s.mu.Unlock()
	if sd == nil {
		return storage.TorrentImpl{}, fmt.Errorf("seed: %s is not seeded here", ih.HexString())
	}
	f := &lazyFile{storage: r.s.cfg.Storage, key: sd.key}
	return storage.TorrentImpl{
		Piece: func(p metainfo.Piece) storage.PieceImpl { return piece{f: f, off: p.Offset(), n: p.Length()} },
		Close: f.Close,
	}, nil
}

// lazyFile opens its stored file at the first read and keeps it open
// until the torrent is dropped: most seeded torrents are never read.
type lazyFile struct {
	storage media.Storage
	key     string
	mu      sync.Mutex
	f       media.File
}

func (l *lazyFile) ReadAt(b []byte, off int64) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		f, err := l.storage.Open(context.Background(), l.key)
		if err != nil {
			return 0, err
		}
		l.f = f
	}
	if ra, ok := l.f.(io.ReaderAt); ok {
		return ra.ReadAt(b, off)
	}
	if _, err := l.f.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(l.f, b)
}

func (l *lazyFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

type piece struct {
	f      *lazyFile
	off, n int64
}

var errReadOnly = errors.New("seed: the hub's media are read-only")

func (p piece) ReadAt(b []byte, off int64) (int, error) {
	if off >= p.n {
		return 0, io.EOF
	}
	eof := false
	if int64(len(b)) > p.n-off {
		b, eof = b[:p.n-off], true
	}
	n, err := p.f.ReadAt(b, p.off+off)
	if err == nil && eof {
		err = io.EOF
	}
	return n, err
}

func (piece) WriteAt([]byte, int64) (int, error) { return 0, errReadOnly }
func (piece) MarkComplete() error                { return nil }
func (piece) MarkNotComplete() error             { return errReadOnly }
func (piece) Completion() storage.Completion {
	return storage.Completion{Ok: true, Complete: true}
}

// levelFloor drops records below a level.
type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (l levelFloor) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= l.min && l.Handler.Enabled(ctx, lv)
}

func (l levelFloor) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFloor{l.Handler.WithAttrs(a), l.min}
}
func (l levelFloor) WithGroup(n string) slog.Handler {
	return levelFloor{l.Handler.WithGroup(n), l.min}
}

// Addrs are where the seeder accepts BitTorrent TCP peers.
func (s *Seeder) Addrs() []net.Addr { return s.cl.ListenAddrs() }

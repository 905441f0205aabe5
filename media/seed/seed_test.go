package seed_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/archipel/archipel/media"
	"github.com/archipel/archipel/media/seed"
	mtorrent "github.com/archipel/archipel/media/torrent"
	"github.com/archipel/archipel/media/tracker"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

type fixture struct {
	t          testing.TB
	s          *store.Store
	storage    *media.LocalStorage
	channel    *store.Channel
	n          int
	infoHashes [][20]byte // of what publish stored
}

func newFixture(t testing.TB) *fixture {
	s := storetest.Open(t, store.SQLite) // SeedFiles is proven on both engines by the store suite
	st, err := media.NewLocalStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := s.CreateUser(ctx, store.NewUser{Username: "alice", Role: store.RoleCreator, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: u.ID, Kind: store.KindVideo, Handle: "clips", Title: "Clips"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, s: s, storage: st, channel: c}
}

// publish stores size random bytes as a published item's 360p rendition
// with its torrent (the file itself is left out when !stored).
func (f *fixture) publish(size int, stored bool) (data []byte, info *mtorrent.Info) {
	f.t.Helper()
	f.n++
	ctx := context.Background()
	data = make([]byte, size)
	r := rand.New(rand.NewPCG(uint64(f.n), 7))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	var item *store.Item
	if err := f.s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		item, err = tx.CreateItem(ctx, store.NewItem{ChannelID: f.channel.ID, Kind: store.ItemVideo, Title: "Clip", PublishWhenReady: true})
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	key := "items/" + item.PublicID + "/1/360p.mp4"
	info, err := mtorrent.Build(bytes.NewReader(data), "360p.mp4", int64(size))
	if err != nil {
		f.t.Fatal(err)
	}
	if stored {
		if _, _, err := f.storage.Put(ctx, key, bytes.NewReader(data)); err != nil {
			f.t.Fatal(err)
		}
	}
	if _, err := f.s.FinishItem(ctx, item.ID, time.Second, []store.MediaFile{{Rendition: "360p", MimeType: "video/mp4",
		Size: int64(size), StorageKey: key, Height: 360,
		Torrent: &store.Torrent{InfoHash: info.HexHash(), PieceLength: info.PieceLength, Info: info.Bytes}}}, nil); err != nil {
		f.t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // distinct publication times
	f.infoHashes = append(f.infoHashes, info.Hash)
	return data, info
}

// leech downloads info over BitTorrent TCP from addr with a plain
// anacrolix client (no tracker, no DHT, no web seed) and returns the bytes.
func leech(t *testing.T, info *mtorrent.Info, addr string) []byte {
	t.Helper()
	cfg := torrent.NewDefaultClientConfig()
	cfg.DataDir = t.TempDir()
	cfg.NoDHT, cfg.DisableUTP, cfg.DisableTrackers, cfg.DisableWebtorrent, cfg.DisableWebseeds = true, true, true, true, true
	cfg.DisableIPv6, cfg.ListenPort, cfg.NoDefaultPortForwarding = true, 0, true
	cfg.ListenHost = func(string) string { return "127.0.0.1" }
	cfg.Slogger = slog.New(slog.DiscardHandler)
	cl, err := torrent.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	mi, err := metainfo.Load(bytes.NewReader(mtorrent.File(info, "", "")))
	if err != nil {
		t.Fatal(err)
	}
	tor, err := cl.AddTorrent(mi)
	if err != nil {
		t.Fatal(err)
	}
	tor.AddPeers([]torrent.PeerInfo{{Addr: stringAddr(addr), Trusted: true}})
	tor.DownloadAll()
	select {
	case <-tor.Complete().On():
	case <-time.After(60 * time.Second):
		t.Fatalf("download incomplete after 60 s: %d of %d bytes", tor.BytesCompleted(), tor.Length())
	}
	b, err := os.ReadFile(filepath.Join(cfg.DataDir, info.Name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type stringAddr string

func (a stringAddr) String() string { return string(a) }

// TestSeederServesTorrentsOverTCP seeds published items' files and checks
// that a BitTorrent client gets them byte for byte; the seeded set follows
// --seed-max (newest first) and skips files that are missing.
func TestSeederServesTorrentsOverTCP(t *testing.T) {
	f := newFixture(t)
	first, firstInfo := f.publish(1<<20+12345, true) // 5 pieces

	// A real tracker, so that the seeder's announces land somewhere.
	tr, err := tracker.New(tracker.Config{Known: func([20]byte) bool { return true }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	srv := httptest.NewServer(tr)
	defer srv.Close()
	public, _ := url.Parse(srv.URL)

	logs := &syncWriter{w: &strings.Builder{}}
	s, err := seed.New(seed.Config{Store: f.s, Storage: f.storage, PublicURL: public, ListenHost: "127.0.0.1",
		MaxTorrents: 2, WebRTCTorrents: 1, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.Seeding(); n != 1 {
		t.Fatalf("seeding %d torrents, want 1", n)
	}
	addr := s.Addrs()[0].String()
	if got := leech(t, firstInfo, addr); !bytes.Equal(got, first) {
		t.Fatalf("downloaded %d bytes that differ from the %d stored", len(got), len(first))
	}
	if up := s.Uploaded(); up < int64(len(first)) {
		t.Fatalf("the seeder counts %d bytes uploaded, want at least %d", up, len(first))
	}

	// Two more: the newest two are seeded, the first is dropped.
	second, secondInfo := f.publish(300<<10, true)
	third, thirdInfo := f.publish(200<<10, true)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n, w := s.Seeding(), s.SeedingWebRTC(); n != 2 || w != 1 {
		t.Fatalf("seeding %d torrents, %d over WebRTC; want 2 (MaxTorrents), 1 (WebRTCTorrents)", n, w)
	}
	// Only the newest is announced to the WebSocket tracker.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if complete, _ := tr.Stats(thirdInfo.Hash); complete == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the newest torrent is not announced to the tracker")
		}
	}
	if complete, _ := tr.Stats(secondInfo.Hash); complete != 0 {
		t.Fatal("a torrent beyond WebRTCTorrents is announced to the tracker")
	}
	if got := leech(t, thirdInfo, addr); !bytes.Equal(got, third) {
		t.Fatal("third file differs")
	}
	if got := leech(t, secondInfo, addr); !bytes.Equal(got, second) {
		t.Fatal("second file differs")
	}

	// A newer item whose file is missing is skipped with a warning; the
	// others stay seeded.
	f.publish(1000, false)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.Seeding(); n != 1 {
		t.Fatalf("seeding %d torrents, want 1 (the missing file is skipped)", n)
	}
	if !strings.Contains(logs.String(), "cannot seed") {
		t.Fatalf("no warning for the missing file; logs:\n%s", logs.String())
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.(*strings.Builder).String()
}

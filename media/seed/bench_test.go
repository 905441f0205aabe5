package seed_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/archipel/archipel/media/seed"
	"github.com/archipel/archipel/media/tracker"
)

// BenchmarkSeedCost seeds 500 published torrents and reports what they
// cost the process: resident memory, Go heap, open file descriptors
// (sockets among them) and goroutines, in all and per torrent, against the
// idle client. "webrtc": each is announced to the hub's WebTorrent tracker
// (in process, on loopback) and keeps its pending WebRTC offer; measured
// once all are announced. "tcp": seeded over BitTorrent TCP only.
func BenchmarkSeedCost(b *testing.B) {
	b.Run("webrtc", func(b *testing.B) { benchSeedCost(b, true) })
	b.Run("tcp", func(b *testing.B) { benchSeedCost(b, false) })
}

func benchSeedCost(b *testing.B, webRTC bool) {
	const n = 500
	for b.Loop() {
		f := newFixture(b)
		for range n {
			f.publish(64<<10, true)
		}
		tr, err := tracker.New(tracker.Config{Known: func([20]byte) bool { return true }, AnnouncesPerMinute: 100 * n,
			MaxMessageBytes: 1 << 20, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(tr)
		public, _ := url.Parse(srv.URL)
		tiers := -1
		if webRTC {
			tiers = n
		}
		s, err := seed.New(seed.Config{Store: f.s, Storage: f.storage, PublicURL: public, ListenHost: "127.0.0.1",
			MaxTorrents: n, WebRTCTorrents: tiers, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		idle := measure()
		start := time.Now()
		if err := s.Reconcile(context.Background()); err != nil {
			b.Fatal(err)
		}
		// Wait until every swarm on the tracker holds the seeder.
		deadline := time.Now().Add(2 * time.Minute)
		for webRTC {
			announced := 0
			for _, ih := range f.infoHashes {
				if complete, _ := tr.Stats(ih); complete > 0 {
					announced++
				}
			}
			if announced == n {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d torrents announced after 2 minutes", announced, n)
			}
			time.Sleep(200 * time.Millisecond)
		}
		took := time.Since(start)
		time.Sleep(2 * time.Second) // let ICE gathering settle
		full := measure()
		b.ReportMetric(float64(s.Seeding()), "torrents")
		b.ReportMetric(took.Seconds(), "announce-s")
		b.ReportMetric(full.rssMB-idle.rssMB, "MB-rss")
		b.ReportMetric(full.heapMB-idle.heapMB, "MB-heap")
		b.ReportMetric((full.rssMB-idle.rssMB)*1024/n, "KB-rss/torrent")
		b.ReportMetric(float64(full.fds-idle.fds), "fds")
		b.ReportMetric(float64(full.sockets-idle.sockets), "sockets")
		b.ReportMetric(float64(full.goroutines-idle.goroutines), "goroutines")
		b.ReportMetric(float64(full.goroutines-idle.goroutines)/n, "goroutines/torrent")
		s.Close()
		srv.Close()
		tr.Close()
	}
}

type usage struct {
	rssMB, heapMB            float64
	fds, sockets, goroutines int
}

func measure() usage {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	u := usage{heapMB: float64(ms.HeapInuse) / (1 << 20), goroutines: runtime.NumGoroutine()}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
				u.rssMB = float64(kb) / 1024
			}
		}
	}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		u.fds = len(ents)
		for _, e := range ents {
			if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(target, "socket:") {
				u.sockets++
			}
		}
	}
	return u
}

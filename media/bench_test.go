package media

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archipel/archipel/media/mediatest"
)

const (
	benchFileSize  = 64 << 20
	benchRangeSize = 1 << 20
	benchKey       = "bench/video.mp4"
)

// benchStorage writes a 64 MiB pseudo-random file at benchKey.
func benchStorage(b *testing.B) *LocalStorage {
	b.Helper()
	st, err := NewLocalStorage(filepath.Join(b.TempDir(), "media"))
	if err != nil {
		b.Fatal(err)
	}
	src := io.LimitReader(rand.NewChaCha8([32]byte{1, 2, 3}), benchFileSize)
	if _, _, err := st.Put(context.Background(), benchKey, src); err != nil {
		b.Fatal(err)
	}
	return st
}

// benchServer serves the bench file with ServeFile.
func benchServer(b *testing.B, st *LocalStorage) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ServeFile(w, r, st, strings.TrimPrefix(r.URL.Path, "/"), "video/mp4", `"bench"`, true)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// rangeFetcher GETs random 1 MiB ranges of the bench file over keep-alive
// connections.
type rangeFetcher struct {
	client *http.Client
	buf    []byte
}

func newRangeFetcher(b *testing.B) *rangeFetcher {
	tr := &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	return &rangeFetcher{client: &http.Client{Transport: tr}, buf: make([]byte, 256<<10)}
}

func (f *rangeFetcher) fetch(b *testing.B, url string, start int64) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", start, start+benchRangeSize-1))
	resp, err := f.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.CopyBuffer(io.Discard, resp.Body, f.buf)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusPartialContent || n != benchRangeSize {
		b.Fatalf("%s: status %d, %d bytes", url, resp.StatusCode, n)
	}
}

func randomStart(rng *rand.Rand) int64 {
	return rng.Int64N(benchFileSize - benchRangeSize + 1)
}

// BenchmarkRangeThroughput fetches random 1 MiB ranges of a 64 MiB file
// served by ServeFile on a loopback httptest server.
func BenchmarkRangeThroughput(b *testing.B) {
	st := benchStorage(b)
	url := benchServer(b, st).URL + "/" + benchKey
	f := newRangeFetcher(b)
	rng := rand.New(rand.NewPCG(1, 2))
	b.SetBytes(benchRangeSize)
	b.ReportAllocs()
	for b.Loop() {
		f.fetch(b, url, randomStart(rng))
	}
}

// BenchmarkRangeRatio runs the same fetch loop against ServeFile and
// against nginx (sendfile on) serving the same file, alternating, and
// reports each one's throughput and ratio = ours/nginx. It is skipped when
// nginx is not installed.
func BenchmarkRangeRatio(b *testing.B) {
	st := benchStorage(b)
	nginxURL, ok := mediatest.StartNginx(b, st.Root, benchKey, map[string]string{"mp4": "video/mp4"})
	if !ok {
		b.Skip("nginx is not installed: no ratio to measure")
	}
	ours := benchServer(b, st).URL + "/" + benchKey
	theirs := nginxURL + "/" + benchKey
	f := newRangeFetcher(b)
	f.fetch(b, ours, 0) // warm both connections up
	f.fetch(b, theirs, 0)

	rng := rand.New(rand.NewPCG(3, 4))
	var oursTime, theirTime time.Duration
	n := 0
	b.SetBytes(2 * benchRangeSize)
	for b.Loop() {
		start := randomStart(rng)
		// Alternate who goes first so the page cache favours neither.
		t0 := time.Now()
		if n%2 == 0 {
			f.fetch(b, ours, start)
			t1 := time.Now()
			f.fetch(b, theirs, start)
			oursTime += t1.Sub(t0)
			theirTime += time.Since(t1)
		} else {
			f.fetch(b, theirs, start)
			t1 := time.Now()
			f.fetch(b, ours, start)
			theirTime += t1.Sub(t0)
			oursTime += time.Since(t1)
		}
		n++
	}
	mb := float64(n) * benchRangeSize / 1e6
	oursMBs, theirMBs := mb/oursTime.Seconds(), mb/theirTime.Seconds()
	b.ReportMetric(oursMBs, "ours-MB/s")
	b.ReportMetric(theirMBs, "nginx-MB/s")
	b.ReportMetric(oursMBs/theirMBs, "ratio")
}

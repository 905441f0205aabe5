package media

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		b.Skip("nginx is not installed: no ratio to measure")
	}
	st := benchStorage(b)
	ours := benchServer(b, st).URL + "/" + benchKey
	theirs := startNginx(b, nginx, st.Root) + "/" + benchKey
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

// startNginx runs nginx in the foreground, one process, serving root on a
// free loopback port, and returns its base URL. It is stopped at cleanup.
func startNginx(b *testing.B, nginx, root string) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	dir := b.TempDir()
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
error_log %[1]s/error.log warn;
pid %[1]s/nginx.pid;
events { worker_connections 64; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	types { video/mp4 mp4; }
	server {
		listen %[2]s;
		root %[3]s;
	}
}
`, dir, addr, root)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(nginx, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", confPath)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	b.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	url := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			b.Fatalf("nginx exited: %v\n%s", err, log)
		default:
		}
		resp, err := http.Get(url + "/" + benchKey)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			b.Fatalf("nginx answered %d\n%s", resp.StatusCode, log)
		}
		if time.Now().After(deadline) {
			b.Fatalf("nginx did not start: %v", err)
		}
	}
}

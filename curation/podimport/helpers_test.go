package podimport

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/federation/httpclient"
	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/media"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/transcode"
)

// env is an importer on a fresh database, with a media library whose jobs
// are queued but not worked, and a loopback server for the feeds and
// their files.
type env struct {
	t       *testing.T
	s       *store.Store
	im      *Importer
	lib     *library.Library
	storage *media.LocalStorage
	owner   *store.User
	srv     *httptest.Server
	files   *fileServer
}

func newEnv(t *testing.T, s *store.Store) *env {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, s); err != nil {
		t.Fatal(err)
	}
	storage, err := media.NewLocalStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := url.Parse("http://hub.test")
	lib := &library.Library{Store: s, Storage: storage, Transcoder: &transcode.Runner{}, WorkDir: t.TempDir(), PublicURL: pub}
	workers := river.NewWorkers()
	river.AddWorker(workers, &library.TranscodeWorker{Library: lib})
	runner, err := jobs.New(s, workers, jobs.Config{NodeName: "podimport-test", RescueAfter: time.Hour, ShutdownTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	lib.Queue = runner
	im := &Importer{
		Store: s, Accounts: &accounts.Service{Store: s}, Library: lib, Fetcher: HTTP{Client: testClient(t, true)},
		WorkDir: t.TempDir(), ProgressInterval: 20 * time.Millisecond,
	}
	owner, err := im.Accounts.CreateUser(ctx, "maker", store.RoleCreator, "", "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, s: s, im: im, lib: lib, storage: storage, owner: owner, files: &fileServer{routes: map[string]http.HandlerFunc{}}}
	e.srv = httptest.NewServer(e.files)
	t.Cleanup(e.srv.Close)
	return e
}

func testClient(t *testing.T, allowPrivate bool) *httpclient.Client {
	t.Helper()
	c, err := httpclient.New(httpclient.Config{UserAgent: "archipel-test", AllowPrivate: allowPrivate, MaxBody: DefaultMaxFeed, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fileServer serves routes by path and counts requests.
type fileServer struct {
	mu       sync.Mutex
	routes   map[string]http.HandlerFunc
	requests []*http.Request
}

func (f *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	h := f.routes[r.URL.Path]
	f.requests = append(f.requests, r)
	f.mu.Unlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h(w, r)
}

func (f *fileServer) handle(path string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[path] = h
}

// requestsTo returns the requests made for path so far.
func (f *fileServer) requestsTo(path string) []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*http.Request
	for _, r := range f.requests {
		if r.URL.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// serve serves body at path with a content type, Range and ETag.
func (e *env) serve(path, contentType string, body []byte) string {
	etag := fmt.Sprintf(`"%x"`, len(body))
	e.files.handle(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("ETag", etag)
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(body)))
	})
	return e.srv.URL + path
}

// feed serves an RSS document at path and returns its URL.
func (e *env) feed(path, doc string) string {
	return e.serve(path, "application/rss+xml", []byte(doc))
}

func (e *env) url(path string) string { return e.srv.URL + path }

// run imports feedURL with opts (owner: the env's creator).
func (e *env) run(feedURL string, opts Options) (*Result, error) {
	e.t.Helper()
	opts.FeedURL = feedURL
	if opts.Owner == nil {
		opts.Owner = e.owner
	}
	return e.im.Run(context.Background(), opts)
}

func (e *env) mustRun(feedURL string, opts Options) *Result {
	e.t.Helper()
	res, err := e.run(feedURL, opts)
	if err != nil {
		e.t.Fatalf("import %s: %v", feedURL, err)
	}
	return res
}

// items returns the channel's items by feed guid (every state).
func (e *env) items(ch *store.Channel) map[string]*store.Item {
	e.t.Helper()
	list, err := e.s.ListItems(context.Background(), store.ItemFilter{ChannelID: ch.ID, Limit: 100000})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]*store.Item{}
	for _, it := range list {
		out[it.Title] = it
	}
	return out
}

func (e *env) mediaFiles(it *store.Item) map[string]*store.MediaFile {
	e.t.Helper()
	fs, err := e.s.MediaFiles(context.Background(), it.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]*store.MediaFile{}
	for _, f := range fs {
		out[f.Rendition] = f
	}
	return out
}

// rss wraps channel content in an RSS document with the usual namespaces.
func rss(channel string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
  xmlns:podcast="https://podcastindex.org/namespace/1.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
` + channel + `
</channel>
</rss>
`
}

// item is a minimal RSS item with an enclosure.
func item(guid, title, enclosure string) string {
	return fmt.Sprintf(`<item><guid isPermaLink="false">%s</guid><title>%s</title>
<pubDate>Mon, 02 Jan 2023 15:04:05 +0000</pubDate>
<enclosure url="%s" length="1000" type="audio/mpeg"/></item>
`, guid, title, enclosure)
}

// generate makes an audio file with ffmpeg's lavfi sources.
func generate(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	for _, bin := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not found: %v", bin, err)
		}
	}
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("ffmpeg", append(append([]string{"-nostdin", "-hide_banner", "-v", "error", "-y"}, args...), out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func count(t *testing.T, s *store.Store, table string) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

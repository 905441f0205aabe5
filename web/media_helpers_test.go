package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/curation/podimport"
	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/federation/httpclient"
	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/media"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/media/seed"
	"github.com/archipel/archipel/media/tracker"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/transcode"
)

// testMaxUpload is the harness's upload limit.
const testMaxUpload = 4 << 20

var (
	sampleOnce sync.Once
	sampleDir  string
	sampleMP4  []byte
	sampleErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sampleDir != "" {
		os.RemoveAll(sampleDir)
	}
	os.Exit(code)
}

// sampleVideo returns a 2-second 320×240 H.264/AAC MP4 made by ffmpeg, once
// per test binary.
func sampleVideo(t testing.TB) []byte {
	t.Helper()
	for _, bin := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not found: %v", bin, err)
		}
	}
	sampleOnce.Do(func() {
		if sampleDir, sampleErr = os.MkdirTemp("", "archipel-web-test-"); sampleErr != nil {
			return
		}
		out := filepath.Join(sampleDir, "x.mp4")
		cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y",
			"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
			"-t", "2", "-c:v", "libx264", "-c:a", "aac", out)
		if b, err := cmd.CombinedOutput(); err != nil {
			sampleErr = fmt.Errorf("ffmpeg: %v\n%s", err, b)
			return
		}
		sampleMP4, sampleErr = os.ReadFile(out)
	})
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	return sampleMP4
}

// mediaHarness is a running web shell with a real media library, tus
// uploads and a job runner working the transcoding queue.
type mediaHarness struct {
	*harness
	lib     *library.Library
	storage *media.LocalStorage
	uploads *media.Uploads
	fed     *federation.Service // with mediaOptions.federation
	seeder  *seed.Seeder        // with mediaOptions.p2p
	// webSeedDown makes /media/ answer 503, as a web seed that is down.
	webSeedDown atomic.Bool
}

type mediaOptions struct {
	brokenWorker bool // the job's ffmpeg does not exist, so transcoding fails
	// federation gives the hub a federation service (the library's events
	// go to it). Its jobs are queued but not worked: the runner does not
	// work the federation queue, so nothing is sent anywhere.
	federation bool
	// allowPrivate lets the federation service reach loopback servers (a
	// fake remote instance on 127.0.0.1).
	allowPrivate bool
	feedItems    int // Deps.FeedItems
	// imports gives the hub a podcast importer (allowed to reach loopback)
	// whose jobs the runner works.
	imports bool
	// p2p gives the hub its WebTorrent tracker, a seeder on loopback
	// (reconciled by the test, not by a loop) and the P2P player.
	p2p bool
}

func newMediaHarness(t testing.TB, s *store.Store, opt mediaOptions) *mediaHarness {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, s); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, s: s, logs: &syncBuffer{}}
	h.srv = httptest.NewUnstartedServer(nil)
	d := testDeps(t, s, "http://"+h.srv.Listener.Addr().String(), h.logs)
	h.host = d.PublicURL.Host

	storage, err := media.NewLocalStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lib := &library.Library{
		Store: s, Storage: storage, Transcoder: &transcode.Runner{Threads: 2, Logger: d.Logger},
		WorkDir: t.TempDir(), PublicURL: d.PublicURL, Logger: d.Logger,
	}
	worker := lib
	if opt.brokenWorker {
		copied := *lib
		copied.Transcoder = &transcode.Runner{FFmpeg: filepath.Join(t.TempDir(), "no-such-ffmpeg"), Logger: d.Logger}
		worker = &copied
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &library.TranscodeWorker{Library: worker})
	var fed *federation.Service
	if opt.federation {
		if fed, err = federation.New(federation.Config{Store: s, Library: lib, PublicURL: d.PublicURL, Logger: d.Logger,
			AllowPrivateAddresses: opt.allowPrivate}); err != nil {
			t.Fatal(err)
		}
		lib.Events, worker.Events = fed, fed
		// Registered so that their jobs may be inserted; never worked here.
		river.AddWorker(workers, &federation.DeliverWorker{Service: fed})
		river.AddWorker(workers, &federation.InboxWorker{Service: fed})
		river.AddWorker(workers, &federation.MirrorWorker{Service: fed})
	}
	if opt.imports {
		client, err := httpclient.New(httpclient.Config{UserAgent: "archipel-test", AllowPrivate: true, MaxBody: podimport.DefaultMaxFeed})
		if err != nil {
			t.Fatal(err)
		}
		d.Importer = &podimport.Importer{Store: s, Accounts: d.Accounts, Library: lib, Fetcher: podimport.HTTP{Client: client},
			WorkDir: t.TempDir(), Logger: d.Logger, ProgressInterval: 50 * time.Millisecond}
		river.AddWorker(workers, &podimport.Worker{Importer: d.Importer})
	}
	runner, err := jobs.New(s, workers, jobs.Config{
		NodeName: "web-test", Workers: 1, Queues: map[string]int{library.TranscodeQueue: 1},
		RescueAfter: time.Hour, ShutdownTimeout: 10 * time.Second, Logger: d.Logger, Work: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	lib.Queue, worker.Queue = runner, runner
	if fed != nil {
		fed.SetQueue(runner)
		d.Federation = fed
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := runner.Stop(); err != nil {
			t.Errorf("stop the job runner: %v", err)
		}
	})

	uploads := &media.Uploads{Dir: t.TempDir(), BasePath: "/api/uploads/", MaxSize: testMaxUpload, Expiry: time.Hour, Logger: d.Logger}
	d.Library, d.Uploads, d.FeedItems = lib, uploads, opt.feedItems
	mh := &mediaHarness{harness: h, lib: lib, storage: storage, uploads: uploads, fed: fed}
	if opt.p2p {
		known := &library.KnownTorrents{Store: s, TTL: time.Millisecond}
		tr, err := tracker.New(tracker.Config{Known: known.Known, Logger: d.Logger})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Close() })
		d.Tracker, d.P2P = tr, true
		if mh.seeder, err = seed.New(seed.Config{Store: s, Storage: storage, PublicURL: d.PublicURL,
			ListenHost: "127.0.0.1", Logger: d.Logger}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(mh.seeder.Close)
	}
	handler, err := New(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	h.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mh.webSeedDown.Load() && strings.HasPrefix(r.URL.Path, "/media/") {
			http.Error(w, "web seed down", http.StatusServiceUnavailable)
			return
		}
		handler.ServeHTTP(w, r)
	})
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	return mh
}

// seedItem creates an item of c as transcoding would leave it, without
// running ffmpeg: published when publish, else a draft, with the usual
// renditions recorded (their files are not stored, which pages never
// notice). Videos get a 640×360 MP4, a 320×180 thumbnail and a 1280×720
// poster; episodes an MP3 (listed first: the higher bitrate) and an AAC
// file.
func seedItem(t testing.TB, s *store.Store, c *store.Channel, title, description string, publish bool) *store.Item {
	t.Helper()
	ctx := context.Background()
	_, kind := library.KindOf(c)
	var item *store.Item
	err := s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		item, err = tx.CreateItem(ctx, store.NewItem{ChannelID: c.ID, Kind: kind, Title: title, Description: description,
			Duration: 2 * time.Second, PublishWhenReady: publish, SourceName: "x"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	key := func(name string) string { return "items/" + item.PublicID + "/1/" + name }
	files := []store.MediaFile{
		{Rendition: "mp3", MimeType: "audio/mpeg", Size: 1000, StorageKey: key("audio.mp3"), Bitrate: 128000},
		{Rendition: "aac", MimeType: "audio/mp4", Size: 900, StorageKey: key("audio.m4a"), Bitrate: 96000},
	}
	if kind == store.ItemVideo {
		files = []store.MediaFile{
			{Rendition: "360p", MimeType: "video/mp4", Size: 5000, StorageKey: key("360p.mp4"), Width: 640, Height: 360, FPS: 25},
			{Rendition: "audio", MimeType: "audio/mp4", Size: 900, StorageKey: key("audio.m4a")},
			{Rendition: "thumbnail", MimeType: "image/jpeg", Size: 100, StorageKey: key("thumbnail.jpg"), Width: 320, Height: 180},
			{Rendition: "poster", MimeType: "image/jpeg", Size: 400, StorageKey: key("poster.jpg"), Width: 1280, Height: 720},
		}
	}
	if _, err := s.FinishItem(ctx, item.ID, 2*time.Second, files, nil); err != nil {
		t.Fatal(err)
	}
	item, err = s.ItemByID(ctx, item.ID)
	if err != nil {
		t.Fatal(err)
	}
	return item
}

// createChannel makes a local channel owned by owner.
func createChannel(t testing.TB, s *store.Store, owner *store.User, handle, kind string) *store.Channel {
	t.Helper()
	c, err := (&accounts.Service{Store: s}).CreateChannel(context.Background(), owner,
		accounts.ChannelInput{Handle: handle, Kind: kind, Title: strings.ToUpper(handle[:1]) + handle[1:]})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// apiToken gives user a personal API token and returns it.
func apiToken(t testing.TB, s *store.Store, user *store.User) string {
	t.Helper()
	token, err := randomToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAPIToken(context.Background(), user.ID, "t", hashToken(token)); err != nil {
		t.Fatal(err)
	}
	return token
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// tusMetadata encodes Upload-Metadata.
func tusMetadata(meta map[string]string) string {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(meta[k])))
	}
	return strings.Join(parts, ",")
}

// tusCreate starts an upload; the response is 201 with a Location, or the
// refusal.
func (b *browser) tusCreate(hdr http.Header, length int, meta map[string]string) *response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base.String()+"/api/uploads/", nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Length", fmt.Sprint(length))
	req.Header.Set("Upload-Metadata", tusMetadata(meta))
	return b.do(req)
}

// tusPatch sends data at offset to the upload at location.
func (b *browser) tusPatch(hdr http.Header, location string, offset int, data []byte) *response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPatch, b.base.String()+location, bytes.NewReader(data))
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Offset", fmt.Sprint(offset))
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	return b.do(req)
}

// tusUpload uploads data in chunks of chunk bytes and returns the final
// PATCH's response (or the creation's refusal).
func (b *browser) tusUpload(hdr http.Header, data []byte, chunk int, meta map[string]string) *response {
	b.t.Helper()
	r := b.tusCreate(hdr, len(data), meta)
	if r.StatusCode != http.StatusCreated {
		return r
	}
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, "/api/uploads/") {
		b.t.Fatalf("Location = %q", loc)
	}
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		r = b.tusPatch(hdr, loc, off, data[off:end])
		if end < len(data) && r.StatusCode != http.StatusNoContent {
			b.t.Fatalf("PATCH at %d: status %d: %s", off, r.StatusCode, r.body)
		}
	}
	return r
}

// itemJSON is an item as the API answers it.
type (
	itemJSON      = library.ItemView
	itemRendition = library.RenditionView
)

func decodeItem(t testing.TB, r *response) *itemJSON {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q; body:\n%s", r.Request.Method, r.Request.URL.Path, ct, r.body)
	}
	var v itemJSON
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("decode item: %v\n%s", err, r.body)
	}
	return &v
}

// jsonError returns the "error" of a JSON error response.
func jsonError(t testing.TB, r *response) string {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q; body:\n%s", r.Request.Method, r.Request.URL.Path, ct, r.body)
	}
	var e struct{ Error string }
	if err := json.Unmarshal([]byte(r.body), &e); err != nil || e.Error == "" {
		t.Fatalf("not a JSON error: %v\n%s", err, r.body)
	}
	return e.Error
}

// waitItem polls GET /api/items/{id} until the item leaves processing.
func (b *browser) waitItem(hdr http.Header, id string) *itemJSON {
	b.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		r := b.request(http.MethodGet, "/api/items/"+id, nil, hdr)
		wantStatus(b.t, r, http.StatusOK)
		v := decodeItem(b.t, r)
		if v.State != store.StateProcessing {
			return v
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("item %s still processing (%d%%) after 45s; logs:\n%s", id, v.Progress, b.h.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// mediaPath turns a media URL of the library into a path on the server.
func (h *mediaHarness) mediaPath(t testing.TB, u string) string {
	t.Helper()
	prefix := h.lib.PublicURL.String() + "/media/"
	if !strings.HasPrefix(u, prefix) {
		t.Fatalf("media URL %q does not start with %q", u, prefix)
	}
	return "/media/" + strings.TrimPrefix(u, prefix)
}

// multipartForm builds the upload form's body: fields in order, the file
// where "file" appears among them.
type formPart struct{ name, value string }

func multipartBody(t testing.TB, parts []formPart, filename string, file []byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.name == "file" {
			fw, err := mw.CreateFormFile("file", filename)
			if err != nil {
				t.Fatal(err)
			}
			fw.Write(file)
			continue
		}
		if err := mw.WriteField(p.name, p.value); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), &buf
}

func (b *browser) postMultipart(path, contentType string, body io.Reader) *response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base.String()+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	return b.do(req)
}

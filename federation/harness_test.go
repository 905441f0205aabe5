package federation_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	gofed "github.com/go-fed/httpsig"
	"github.com/riverqueue/river"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/media"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
	"github.com/archipel/archipel/transcode"
	"github.com/archipel/archipel/web"
)

// hub is a real Archipel hub on loopback: store, job runner, federation
// service and the full web handler.
type hub struct {
	t       testing.TB
	s       *store.Store
	fed     *federation.Service
	lib     *library.Library
	url     string // public URL, e.g. http://127.0.0.1:PORT
	addr    string // where it listens
	owner   *store.User
	channel *store.Channel
	logs    *bytes.Buffer
	logw    *lockedWriter // writes logs
}

type hubOptions struct {
	publicURL    string // "" : http://<listener address>
	now          func() time.Time
	hostMap      map[string]string
	allowPrivate *bool // nil: true
	noRunner     bool
	// sweep, when set, runs the periodic inbox drain at that interval
	// (production: federation.InboxSweepEvery).
	sweep time.Duration
	// queue, when set, wraps the job queue the federation service uses.
	queue   func(jobs.Queue) jobs.Queue
	maxBody int64
	timeout time.Duration // per delivery attempt; 0: 3s
}

func newHub(t *testing.T, s *store.Store, o hubOptions) *hub { return newHubTB(t, s, o) }

func newHubTB(t testing.TB, s *store.Store, o hubOptions) *hub {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, s); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hub{t: t, s: s, addr: ln.Addr().String(), logs: &bytes.Buffer{}}
	h.url = o.publicURL
	if h.url == "" {
		h.url = "http://" + h.addr
	}
	pub, _ := url.Parse(h.url)
	h.logw = &lockedWriter{w: h.logs}
	logger := slog.New(slog.NewTextHandler(h.logw, &slog.HandlerOptions{Level: slog.LevelDebug}))
	storage, err := media.NewLocalStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h.lib = &library.Library{Store: s, Storage: storage, Transcoder: &transcode.Runner{}, WorkDir: t.TempDir(), PublicURL: pub, Logger: logger}
	if o.timeout == 0 {
		o.timeout = 3 * time.Second
	}
	allow := true
	if o.allowPrivate != nil {
		allow = *o.allowPrivate
	}
	h.fed, err = federation.New(federation.Config{
		Store: s, Library: h.lib, PublicURL: pub, Version: "test", Logger: logger,
		AllowPrivateAddresses: allow, Now: o.now, HostMap: o.hostMap, MaxInboxBody: o.maxBody,
		Timeout: o.timeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.lib.Events = h.fed
	workers := river.NewWorkers()
	river.AddWorker(workers, &federation.InboxWorker{Service: h.fed})
	river.AddWorker(workers, &federation.DeliverWorker{Service: h.fed})
	river.AddWorker(workers, &federation.BackfillWorker{Service: h.fed})
	river.AddWorker(workers, &federation.MirrorWorker{Service: h.fed})
	var periodic []*river.PeriodicJob
	if o.sweep > 0 {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(o.sweep),
			func() (river.JobArgs, *river.InsertOpts) { return federation.InboxArgs{}, nil }, nil))
	}
	runner, err := jobs.New(s, workers, jobs.Config{
		NodeName: fmt.Sprintf("fedtest-%d", time.Now().UnixNano()), Workers: 1,
		Queues: map[string]int{federation.QueueFederation: 4}, RescueAfter: time.Hour,
		ShutdownTimeout: 5 * time.Second, Logger: logger, Work: !o.noRunner, Periodic: periodic,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.lib.Queue = runner
	if o.queue != nil {
		h.fed.SetQueue(o.queue(runner))
	} else {
		h.fed.SetQueue(runner)
	}
	if !o.noRunner {
		if err := runner.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = runner.Stop() })
	}
	handler, err := web.New(ctx, web.Deps{
		Store: s, Accounts: &accounts.Service{Store: s}, Logger: logger, PublicURL: pub, Version: "test",
		Library: h.lib, Uploads: &media.Uploads{Dir: t.TempDir(), BasePath: "/api/uploads/", MaxSize: 1 << 20, Expiry: time.Hour},
		Federation: h.fed,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: handler}}
	srv.Start()
	t.Cleanup(srv.Close)

	h.owner, err = (&accounts.Service{Store: s}).CreateUser(ctx, "carol", store.RoleCreator, "", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	h.channel, err = s.CreateChannel(ctx, store.NewChannel{OwnerID: h.owner.ID, Kind: store.KindVideo, Handle: "news", Title: "News", Description: "Daily *news*"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// publishItem creates a transcoded item with two renditions and publishes
// it through the library (which queues the Create).
func (h *hub) publishItem(title string) *store.Item {
	h.t.Helper()
	ctx := context.Background()
	var item *store.Item
	err := h.s.InTx(ctx, func(tx *store.Tx) (err error) {
		item, err = tx.CreateItem(ctx, store.NewItem{ChannelID: h.channel.ID, Kind: store.ItemVideo, Title: title,
			Description: "A <b>test</b> video", Duration: 12 * time.Second})
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	files := []store.MediaFile{
		{Rendition: "720p", MimeType: "video/mp4", Size: 1000, StorageKey: "items/" + item.PublicID + "/1/720p.mp4", Width: 1280, Height: 720, FPS: 30},
		{Rendition: "360p", MimeType: "video/mp4", Size: 500, StorageKey: "items/" + item.PublicID + "/1/360p.mp4", Width: 640, Height: 360, FPS: 30},
		{Rendition: "thumbnail", MimeType: "image/jpeg", Size: 50, StorageKey: "items/" + item.PublicID + "/1/thumbnail.jpg", Width: 320, Height: 180},
	}
	if _, err := h.s.FinishItem(ctx, item.ID, 12*time.Second, files, nil); err != nil {
		h.t.Fatal(err)
	}
	item, err = h.s.ItemByID(ctx, item.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.lib.Publish(ctx, item); err != nil {
		h.t.Fatal(err)
	}
	item, err = h.s.ItemByID(ctx, item.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return item
}

// get fetches path from the hub with an Accept header.
func (h *hub) get(path, accept string) (*http.Response, []byte) {
	h.t.Helper()
	req, _ := http.NewRequest("GET", "http://"+h.addr+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func (h *hub) countRows(table, where string, args ...any) int {
	h.t.Helper()
	var n int
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	if err := h.s.DB().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// eventually polls cond until it holds or 20 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// logText is what the hub logged so far, read under its writer's lock.
func (h *hub) logText() string {
	h.logw.mu.Lock()
	defer h.logw.mu.Unlock()
	return h.logs.String()
}

// remote is a fake fediverse server (Mastodon-shaped) on loopback. It
// signs with go-fed/httpsig and verifies what it receives with go-fed and
// x509, independently of Archipel's own signature code.
type remote struct {
	t        testing.TB
	srv      *httptest.Server
	key      *rsa.PrivateKey
	pubPEM   string
	mu       sync.Mutex
	received []json.RawMessage // verified activities POSTed to its inboxes
	bad      int               // POSTs whose signature or digest failed
	gets     int               // GETs served
	noShared bool              // advertise no sharedInbox (Castopod)
	gone     bool              // actor documents answer 410
	docs     map[string]any    // other documents it serves, by path
	files    map[string][]byte // raw files it serves, by path
}

// serveFile makes the remote serve b at path (a media file).
func (r *remote) serveFile(path string, b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.files == nil {
		r.files = map[string][]byte{}
	}
	r.files[path] = b
}

// serveDoc makes the remote serve v as JSON at path.
func (r *remote) serveDoc(path string, v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.docs == nil {
		r.docs = map[string]any{}
	}
	r.docs[path] = v
}

func newRemote(t *testing.T) *remote { return newRemoteTB(t) }

func newRemoteTB(t testing.TB) *remote {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	r := &remote{t: t, key: key, pubPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *remote) base() string             { return r.srv.URL }
func (r *remote) host() string             { return strings.TrimPrefix(r.srv.URL, "http://") }
func (r *remote) actor(name string) string { return r.srv.URL + "/users/" + name }

func (r *remote) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodPost {
		r.receive(w, req)
		return
	}
	r.mu.Lock()
	r.gets++
	gone := r.gone
	noShared := r.noShared
	extra, isDoc := r.docs[req.URL.Path]
	file, isFile := r.files[req.URL.Path]
	r.mu.Unlock()
	if isFile {
		w.Header().Set("Content-Type", "video/mp4")
		_, _ = w.Write(file)
		return
	}
	if isDoc {
		w.Header().Set("Content-Type", "application/activity+json")
		_ = json.NewEncoder(w).Encode(extra)
		return
	}
	if req.URL.Path == "/.well-known/webfinger" {
		acct := strings.TrimPrefix(req.URL.Query().Get("resource"), "acct:")
		name, host, _ := strings.Cut(acct, "@")
		if host != r.host() {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		_ = json.NewEncoder(w).Encode(map[string]any{"subject": "acct:" + acct, "links": []map[string]string{
			{"rel": "self", "type": "application/activity+json", "href": r.actor(name)},
			{"rel": "http://ostatus.org/schema/1.0/subscribe", "template": r.base() + "/authorize_interaction?uri={uri}"}}})
		return
	}
	if !strings.HasPrefix(req.URL.Path, "/users/") || strings.Count(req.URL.Path, "/") != 2 {
		http.NotFound(w, req)
		return
	}
	if gone {
		http.Error(w, "gone", http.StatusGone)
		return
	}
	name := strings.TrimPrefix(req.URL.Path, "/users/")
	id := r.actor(name)
	doc := map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":       id, "type": "Person", "preferredUsername": name, "name": strings.ToUpper(name),
		"inbox": id + "/inbox", "outbox": id + "/outbox", "followers": id + "/followers", "url": r.srv.URL + "/@" + name,
		"publicKey": map[string]string{"id": id + "#main-key", "owner": id, "publicKeyPem": r.pubPEM},
	}
	if !noShared {
		doc["endpoints"] = map[string]string{"sharedInbox": r.srv.URL + "/inbox"}
	}
	w.Header().Set("Content-Type", "application/activity+json")
	_ = json.NewEncoder(w).Encode(doc)
}

// receive verifies a POST with go-fed/httpsig against the sender's key,
// fetched from the sender with plain net/http and parsed with x509.
func (r *remote) receive(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	sum := sha256.Sum256(body)
	ok := req.Header.Get("Digest") == "SHA-256="+base64.StdEncoding.EncodeToString(sum[:])
	if ok {
		ok = verifyGoFed(req) == nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !ok {
		r.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.received = append(r.received, json.RawMessage(body))
	w.WriteHeader(http.StatusAccepted)
}

func verifyGoFed(req *http.Request) error {
	v, err := gofed.NewVerifier(req)
	if err != nil {
		return err
	}
	keyURL := strings.SplitN(v.KeyId(), "#", 2)[0]
	kreq, _ := http.NewRequest("GET", keyURL, nil)
	kreq.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(kreq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var doc struct {
		PublicKey struct{ ID, Owner, PublicKeyPem string } `json:"publicKey"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return err
	}
	block, _ := pem.Decode([]byte(doc.PublicKey.PublicKeyPem))
	if block == nil {
		return fmt.Errorf("no PEM at %s", keyURL)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return err
	}
	return v.Verify(pub, gofed.RSA_SHA256)
}

// activities returns the received activities of type typ.
func (r *remote) activities(typ string) []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for _, raw := range r.received {
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil && m["type"] == typ {
			out = append(out, m)
		}
	}
	return out
}

// post sends an activity from one of its actors to inbox, signed with
// go-fed (draft-cavage rsa-sha256 over (request-target) host date digest).
func (r *remote) post(inbox string, activity map[string]any) (int, string) {
	body, _ := json.Marshal(activity)
	return r.postRaw(inbox, body, activity["actor"].(string)+"#main-key", nil)
}

func (r *remote) postRaw(inbox string, body []byte, keyID string, tweak func(*http.Request)) (int, string) {
	r.t.Helper()
	req, _ := http.NewRequest("POST", inbox, bytes.NewReader(body))
	req.Host = req.URL.Host
	req.Header.Set("Host", req.URL.Host) // go-fed signs from the header map
	req.Header.Set("Content-Type", "application/activity+json")
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	signer, _, err := gofed.NewSigner([]gofed.Algorithm{gofed.RSA_SHA256}, gofed.DigestSha256,
		[]string{gofed.RequestTarget, "host", "date", "digest"}, gofed.Signature, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := signer.SignRequest(crypto.PrivateKey(r.key), keyID, req, body); err != nil {
		r.t.Fatal(err)
	}
	if tweak != nil {
		tweak(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(msg)
}

var _ = storetest.ForEach

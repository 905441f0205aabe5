package media

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock, safe for the server's goroutines.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// lockedBuffer collects the server's log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (lb *lockedBuffer) Write(p []byte) (int, error) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.b.Write(p)
}

func (lb *lockedBuffer) String() string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.b.String()
}

// completion is one call of Complete as the test saw it.
type completion struct {
	upload Upload
	sha256 string
	size   int64
}

type tusFixture struct {
	srv     *httptest.Server
	uploads *Uploads
	store   *LocalStorage
	clock   *testClock
	log     *lockedBuffer

	mu          sync.Mutex
	completions []completion
}

const tusBase = "/api/uploads/"

func newTusFixture(t *testing.T) *tusFixture {
	t.Helper()
	fx := &tusFixture{
		store: newTestStorage(t),
		clock: &testClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		log:   &lockedBuffer{},
	}
	fx.uploads = &Uploads{
		Dir:      filepath.Join(t.TempDir(), "uploads"),
		BasePath: tusBase,
		MaxSize:  8 << 20,
		Expiry:   time.Hour,
		Logger:   slog.New(slog.NewTextHandler(fx.log, nil)),
		Now:      fx.clock.Now,
		Owner: func(r *http.Request) (int64, bool) {
			id, err := strconv.ParseInt(r.Header.Get("X-Test-User"), 10, 64)
			return id, err == nil
		},
		Accept: func(r *http.Request, owner int64, meta map[string]string) error {
			switch meta["channel"] {
			case "nope":
				return Refuse("unknown channel %q", meta["channel"])
			case "boom":
				return errors.New("database is down")
			}
			return nil
		},
		Complete: func(ctx context.Context, u *Upload) (any, error) {
			switch u.Metadata["outcome"] {
			case "refuse":
				return nil, fmt.Errorf("probe: %w", Refuse("this is not a video"))
			case "fail":
				return nil, errors.New("disk on fire")
			}
			size, sum, err := fx.store.PutFile(ctx, "items/"+u.ID+"/original", u.Path)
			if err != nil {
				return nil, err
			}
			fx.mu.Lock()
			fx.completions = append(fx.completions, completion{upload: *u, sha256: sum, size: size})
			fx.mu.Unlock()
			return map[string]any{"id": u.ID, "sha256": sum, "size": size}, nil
		},
	}
	fx.srv = httptest.NewServer(fx.uploads.Handler())
	t.Cleanup(func() {
		fx.srv.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", fx.log.String())
		}
	})
	return fx
}

// req sends a tus request as user 1 unless header says otherwise; a header
// value of "" removes that header.
func (fx *tusFixture) req(t *testing.T, method, path string, header map[string]string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = fx.srv.URL + path
	}
	req, err := http.NewRequest(method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("X-Test-User", "1")
	if method == "PATCH" {
		req.Header.Set("Content-Type", "application/offset+octet-stream")
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := fx.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("Tus-Resumable"); got != "1.0.0" {
		t.Errorf("%s %s: Tus-Resumable = %q", method, path, got)
	}
	return resp, b
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// create makes an upload of length bytes and returns its URL path.
func (fx *tusFixture) create(t *testing.T, length int, meta string) string {
	t.Helper()
	resp, body := fx.req(t, "POST", tusBase, map[string]string{
		"Upload-Length":   strconv.Itoa(length),
		"Upload-Metadata": meta,
	}, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("create: status %d %s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, tusBase) || len(loc) != len(tusBase)+32 {
		t.Fatalf("Location %q", loc)
	}
	if _, err := http.ParseTime(resp.Header.Get("Upload-Expires")); err != nil {
		t.Fatalf("Upload-Expires %q: %v", resp.Header.Get("Upload-Expires"), err)
	}
	return loc
}

func (fx *tusFixture) offset(t *testing.T, loc string) int64 {
	t.Helper()
	resp, body := fx.req(t, "HEAD", loc, nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("HEAD %s: status %d %s", loc, resp.StatusCode, body)
	}
	n, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		t.Fatalf("Upload-Offset %q", resp.Header.Get("Upload-Offset"))
	}
	return n
}

func (fx *tusFixture) patch(t *testing.T, loc string, offset int64, chunk []byte) (*http.Response, []byte) {
	t.Helper()
	return fx.req(t, "PATCH", loc, map[string]string{"Upload-Offset": strconv.FormatInt(offset, 10)}, bytes.NewReader(chunk))
}

func (fx *tusFixture) uploadFiles(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(fx.uploads.Dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

type completeResult struct {
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

func decodeResult(t *testing.T, resp *http.Response, body []byte) completeResult {
	t.Helper()
	if resp.StatusCode != 200 {
		t.Fatalf("final PATCH: status %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("final PATCH Content-Type %q", ct)
	}
	var res completeResult
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("final PATCH body %q: %v", body, err)
	}
	return res
}

func TestTusOptions(t *testing.T) {
	fx := newTusFixture(t)
	for _, path := range []string{tusBase, tusBase + "0123456789abcdef0123456789abcdef"} {
		resp, _ := fx.req(t, "OPTIONS", path, map[string]string{"Tus-Resumable": "", "X-Test-User": ""}, nil)
		if resp.StatusCode != 204 {
			t.Fatalf("OPTIONS %s: status %d", path, resp.StatusCode)
		}
		want := map[string]string{
			"Tus-Version":   "1.0.0",
			"Tus-Extension": "creation,expiration,termination",
			"Tus-Max-Size":  strconv.Itoa(8 << 20),
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("OPTIONS %s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
}

func TestTusUploadInChunks(t *testing.T) {
	fx := newTusFixture(t)
	data := randomBytes(t, 3<<20)
	meta := "filename " + b64("clip – été.mp4") + ",channel " + b64("music") + ",is_draft"
	loc := fx.create(t, len(data), meta)

	resp, _ := fx.req(t, "HEAD", loc, nil, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Upload-Offset") != "0" ||
		resp.Header.Get("Upload-Length") != strconv.Itoa(len(data)) ||
		resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Upload-Expires") == "" {
		t.Fatalf("HEAD: %d %v", resp.StatusCode, resp.Header)
	}
	echoed, err := parseMetadata(resp.Header.Get("Upload-Metadata"))
	if err != nil || echoed["filename"] != "clip – été.mp4" || echoed["channel"] != "music" {
		t.Fatalf("HEAD Upload-Metadata %q: %v %v", resp.Header.Get("Upload-Metadata"), echoed, err)
	}

	chunks := [][2]int{{0, 1 << 20}, {1 << 20, 2<<20 + 5}, {2<<20 + 5, len(data)}}
	var final completeResult
	for i, c := range chunks {
		resp, body := fx.patch(t, loc, int64(c[0]), data[c[0]:c[1]])
		if i < len(chunks)-1 {
			if resp.StatusCode != 204 {
				t.Fatalf("PATCH %d: status %d %s", i, resp.StatusCode, body)
			}
			if got := resp.Header.Get("Upload-Offset"); got != strconv.Itoa(c[1]) {
				t.Fatalf("PATCH %d: Upload-Offset %q, want %d", i, got, c[1])
			}
			if resp.Header.Get("Upload-Expires") == "" {
				t.Errorf("PATCH %d: no Upload-Expires", i)
			}
			if got := fx.offset(t, loc); got != int64(c[1]) {
				t.Fatalf("HEAD after PATCH %d: %d", i, got)
			}
			continue
		}
		final = decodeResult(t, resp, body)
		if got := resp.Header.Get("Upload-Offset"); got != strconv.Itoa(len(data)) {
			t.Errorf("final Upload-Offset %q", got)
		}
	}
	if final.SHA256 != sha256hex(data) || final.Size != int64(len(data)) || final.ID != strings.TrimPrefix(loc, tusBase) {
		t.Fatalf("result %+v, want sha %s size %d", final, sha256hex(data), len(data))
	}

	fx.mu.Lock()
	comps := fx.completions
	fx.mu.Unlock()
	if len(comps) != 1 {
		t.Fatalf("Complete called %d times", len(comps))
	}
	c := comps[0]
	if c.upload.Owner != 1 || c.upload.Length != int64(len(data)) || c.upload.Offset != int64(len(data)) ||
		c.upload.Metadata["filename"] != "clip – été.mp4" || c.upload.Metadata["channel"] != "music" ||
		c.upload.Metadata["is_draft"] != "" || c.upload.CreatedAt.IsZero() || c.upload.ExpiresAt.IsZero() {
		t.Errorf("Complete got %+v", c.upload)
	}
	if _, ok := c.upload.Metadata["is_draft"]; !ok {
		t.Error("key without value lost")
	}
	if got := readKey(t, fx.store, "items/"+final.ID+"/original"); !bytes.Equal(got, data) {
		t.Fatal("stored file differs")
	}
	if files := fx.uploadFiles(t); len(files) != 0 {
		t.Errorf("upload files left: %v", files)
	}
	resp, _ = fx.req(t, "HEAD", loc, nil, nil)
	if resp.StatusCode != 404 {
		t.Errorf("HEAD after completion: status %d", resp.StatusCode)
	}
	if log := fx.log.String(); !strings.Contains(log, "upload created") || !strings.Contains(log, "upload completed") {
		t.Errorf("log lacks creation or completion:\n%s", log)
	}
}

// cutReader delivers data, then waits for the server to have stored some of
// it, then fails: the client's transport aborts the request and closes the
// connection mid-body.
type cutReader struct {
	data    []byte
	binPath string
}

func (r *cutReader) Read(p []byte) (int, error) {
	if len(r.data) > 0 {
		n := copy(p, r.data)
		r.data = r.data[n:]
		return n, nil
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if fi, err := os.Stat(r.binPath); err == nil && fi.Size() > 0 {
			break
		}
	}
	return 0, errors.New("network cable unplugged")
}

func TestTusResumeAfterCut(t *testing.T) {
	fx := newTusFixture(t)
	data := randomBytes(t, 3<<20)
	loc := fx.create(t, len(data), "filename "+b64("resume.mp4"))
	id := strings.TrimPrefix(loc, tusBase)

	const sent = 1 << 20
	req, err := http.NewRequest("PATCH", fx.srv.URL+loc, &cutReader{data: data[:sent], binPath: filepath.Join(fx.uploads.Dir, id+".bin")})
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(data)) // promises the whole file
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("X-Test-User", "1")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", "0")
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("cut PATCH succeeded: %d", resp.StatusCode)
	}

	// Resume as a client would: HEAD, then PATCH from there. While the
	// server is still finishing the cut request it answers 423 (or 409 if
	// more bytes landed after the HEAD): try again.
	var resumedFrom int64
	var res completeResult
	for attempt := 0; ; attempt++ {
		if attempt == 200 {
			t.Fatal("could not resume")
		}
		off := fx.offset(t, loc)
		if off < 0 || off > sent {
			t.Fatalf("HEAD offset %d, sent %d", off, sent)
		}
		resp, body := fx.patch(t, loc, off, data[off:])
		if resp.StatusCode == http.StatusLocked || resp.StatusCode == http.StatusConflict {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		resumedFrom = off
		res = decodeResult(t, resp, body)
		break
	}
	if resumedFrom <= 0 {
		t.Fatalf("resumed from %d: the bytes that arrived before the cut were lost", resumedFrom)
	}
	t.Logf("cut after %d bytes sent; server kept %d", sent, resumedFrom)
	if res.SHA256 != sha256hex(data) || res.Size != int64(len(data)) {
		t.Fatalf("result %+v, want %s", res, sha256hex(data))
	}
	if got := readKey(t, fx.store, "items/"+id+"/original"); !bytes.Equal(got, data) {
		t.Fatal("stored file differs from the original")
	}
	if !strings.Contains(fx.log.String(), "upload interrupted") {
		t.Error("the cut was not logged")
	}
}

func TestTusProtocolErrors(t *testing.T) {
	fx := newTusFixture(t)
	loc := fx.create(t, 1000, "")

	check := func(name string, resp *http.Response, body []byte, status int, msgPart string) {
		t.Helper()
		if resp.StatusCode != status {
			t.Errorf("%s: status %d, want %d (%s)", name, resp.StatusCode, status, body)
			return
		}
		if msgPart != "" {
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, msgPart) {
				t.Errorf("%s: body %q, want an error containing %q", name, body, msgPart)
			}
		}
	}

	resp, body := fx.req(t, "HEAD", loc, map[string]string{"Tus-Resumable": ""}, nil)
	check("HEAD without Tus-Resumable", resp, body, 412, "")
	if resp.Header.Get("Tus-Version") != "1.0.0" {
		t.Errorf("412 without Tus-Version")
	}
	resp, body = fx.req(t, "POST", tusBase, map[string]string{"Tus-Resumable": "0.2.2", "Upload-Length": "5"}, nil)
	check("POST with old Tus-Resumable", resp, body, 412, "")

	resp, body = fx.req(t, "POST", tusBase, map[string]string{"X-Test-User": "", "Upload-Length": "5"}, nil)
	check("POST unauthenticated", resp, body, 401, "")
	resp, body = fx.req(t, "HEAD", loc, map[string]string{"X-Test-User": ""}, nil)
	check("HEAD unauthenticated", resp, body, 401, "")

	resp, body = fx.req(t, "POST", tusBase, map[string]string{"Upload-Length": strconv.Itoa(8<<20 + 1)}, nil)
	check("POST over MaxSize", resp, body, 413, "8388608 bytes (8.0 MiB)")
	resp, body = fx.req(t, "POST", tusBase, nil, nil)
	check("POST without Upload-Length", resp, body, 400, "Upload-Length")
	resp, body = fx.req(t, "POST", tusBase, map[string]string{"Upload-Length": "-5"}, nil)
	check("POST negative length", resp, body, 400, "")
	resp, body = fx.req(t, "POST", tusBase, map[string]string{"Upload-Length": "+5"}, nil)
	check("POST signed length", resp, body, 400, "")
	resp, body = fx.req(t, "POST", tusBase, map[string]string{"Upload-Defer-Length": "1"}, nil)
	check("POST deferred length", resp, body, 400, "Upload-Defer-Length")
	resp, body = fx.req(t, "POST", tusBase, map[string]string{"Upload-Length": "5", "Upload-Metadata": "filename not_base64!"}, nil)
	check("POST bad metadata", resp, body, 400, "base64")
	resp, body = fx.req(t, "POST", tusBase, map[string]string{"Upload-Length": "5", "Upload-Metadata": "a " + b64("x") + ",a " + b64("y")}, nil)
	check("POST duplicate metadata", resp, body, 400, "duplicate")
	resp, body = fx.req(t, "POST", tusBase, map[string]string{"Upload-Length": "5", "Upload-Metadata": "k " + strings.Repeat("A", 5000)}, nil)
	check("POST huge metadata", resp, body, 400, "too long")
	resp, body = fx.req(t, "POST", tusBase, map[string]string{"Upload-Length": "5"}, strings.NewReader("hello"))
	check("POST with a body", resp, body, 400, "PATCH")
	resp, body = fx.req(t, "GET", tusBase, nil, nil)
	check("GET collection", resp, body, 405, "")
	resp, body = fx.req(t, "GET", loc, nil, nil)
	check("GET upload", resp, body, 405, "")

	// PATCH errors.
	resp, body = fx.req(t, "PATCH", loc, map[string]string{"Upload-Offset": "0", "Content-Type": "application/octet-stream"}, strings.NewReader("abc"))
	check("PATCH wrong content type", resp, body, 415, "application/offset+octet-stream")
	resp, body = fx.patch(t, loc, 5, []byte("abc"))
	check("PATCH wrong offset", resp, body, 409, "")
	resp, body = fx.req(t, "PATCH", loc, map[string]string{"Upload-Offset": ""}, strings.NewReader("abc"))
	check("PATCH without offset", resp, body, 400, "Upload-Offset")
	resp, body = fx.patch(t, loc, 0, make([]byte, 1001))
	check("PATCH longer than Upload-Length", resp, body, 400, "")
	// Same, chunked (no Content-Length): refused after reading, nothing kept.
	resp, body = fx.req(t, "PATCH", loc, map[string]string{"Upload-Offset": "0"}, struct{ io.Reader }{bytes.NewReader(make([]byte, 1001))})
	check("chunked PATCH longer than Upload-Length", resp, body, 400, "")
	if got := fx.offset(t, loc); got != 0 {
		t.Errorf("offset after refused PATCHes: %d", got)
	}
	resp, body = fx.patch(t, loc, 0, []byte("abc"))
	check("PATCH ok", resp, body, 204, "")
	resp, body = fx.patch(t, loc, 0, []byte("abc"))
	check("PATCH stale offset", resp, body, 409, "")

	// Someone else's upload, unknown and malformed IDs.
	resp, body = fx.req(t, "HEAD", loc, map[string]string{"X-Test-User": "2"}, nil)
	check("HEAD by another owner", resp, body, 404, "")
	resp, body = fx.req(t, "PATCH", loc, map[string]string{"X-Test-User": "2", "Upload-Offset": "3"}, strings.NewReader("def"))
	check("PATCH by another owner", resp, body, 404, "")
	resp, body = fx.req(t, "DELETE", loc, map[string]string{"X-Test-User": "2"}, nil)
	check("DELETE by another owner", resp, body, 404, "")
	if got := fx.offset(t, loc); got != 3 {
		t.Errorf("offset after another owner's attempts: %d", got)
	}
	resp, body = fx.req(t, "HEAD", tusBase+"00000000000000000000000000000000", nil, nil)
	check("HEAD unknown", resp, body, 404, "")
	resp, body = fx.req(t, "HEAD", tusBase+"..%2F..%2Fetc%2Fpasswd", nil, nil)
	check("HEAD malformed id", resp, body, 404, "")
	resp, body = fx.req(t, "HEAD", tusBase+"abc/def", nil, nil)
	check("HEAD nested path", resp, body, 404, "")
}

func TestTusAcceptRefusal(t *testing.T) {
	fx := newTusFixture(t)
	resp, body := fx.req(t, "POST", tusBase, map[string]string{"Upload-Length": "5", "Upload-Metadata": "channel " + b64("nope")}, nil)
	if resp.StatusCode != 422 || !strings.Contains(string(body), `unknown channel \"nope\"`) {
		t.Fatalf("refused: status %d %s", resp.StatusCode, body)
	}
	resp, body = fx.req(t, "POST", tusBase, map[string]string{"Upload-Length": "5", "Upload-Metadata": "channel " + b64("boom")}, nil)
	if resp.StatusCode != 500 || strings.Contains(string(body), "database") {
		t.Fatalf("failing Accept: status %d %s", resp.StatusCode, body)
	}
	if files := fx.uploadFiles(t); len(files) != 0 {
		t.Errorf("refused uploads left files: %v", files)
	}
}

func TestTusCompleteRefusal(t *testing.T) {
	fx := newTusFixture(t)
	for _, c := range []struct {
		outcome string
		status  int
		msg     string
	}{
		{"refuse", 422, "this is not a video"},
		{"fail", 500, "internal error"},
	} {
		loc := fx.create(t, 10, "outcome "+b64(c.outcome))
		resp, body := fx.patch(t, loc, 0, []byte("0123456789"))
		var e struct{ Error string }
		json.Unmarshal(body, &e)
		if resp.StatusCode != c.status || e.Error != c.msg || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: status %d %s", c.outcome, resp.StatusCode, body)
		}
		resp, _ = fx.req(t, "HEAD", loc, nil, nil)
		if resp.StatusCode != 404 {
			t.Errorf("%s: HEAD after completion: %d", c.outcome, resp.StatusCode)
		}
	}
	if files := fx.uploadFiles(t); len(files) != 0 {
		t.Errorf("upload files left: %v", files)
	}
}

func TestTusTermination(t *testing.T) {
	fx := newTusFixture(t)
	loc := fx.create(t, 100, "")
	fx.patch(t, loc, 0, []byte("some bytes"))
	resp, body := fx.req(t, "DELETE", loc, nil, nil)
	if resp.StatusCode != 204 {
		t.Fatalf("DELETE: status %d %s", resp.StatusCode, body)
	}
	for _, m := range []string{"HEAD", "DELETE"} {
		if resp, _ := fx.req(t, m, loc, nil, nil); resp.StatusCode != 404 {
			t.Errorf("%s after DELETE: status %d", m, resp.StatusCode)
		}
	}
	if resp, _ := fx.patch(t, loc, 10, []byte("x")); resp.StatusCode != 404 {
		t.Errorf("PATCH after DELETE: status %d", resp.StatusCode)
	}
	if files := fx.uploadFiles(t); len(files) != 0 {
		t.Errorf("files left: %v", files)
	}
	// X-HTTP-Method-Override lets a POST stand for DELETE.
	loc = fx.create(t, 100, "")
	resp, _ = fx.req(t, "POST", loc, map[string]string{"X-HTTP-Method-Override": "DELETE"}, nil)
	if resp.StatusCode != 204 {
		t.Errorf("overridden DELETE: status %d", resp.StatusCode)
	}
}

func TestTusExpiry(t *testing.T) {
	fx := newTusFixture(t)
	t0 := fx.clock.Now()
	loc := fx.create(t, 100, "")
	resp, _ := fx.req(t, "HEAD", loc, nil, nil)
	if got, want := resp.Header.Get("Upload-Expires"), t0.Add(time.Hour).Format(http.TimeFormat); got != want {
		t.Errorf("Upload-Expires %q, want %q", got, want)
	}

	// A PATCH touches the upload: it lives on.
	fx.clock.Set(t0.Add(50 * time.Minute))
	if resp, body := fx.patch(t, loc, 0, []byte("abc")); resp.StatusCode != 204 {
		t.Fatalf("PATCH: %d %s", resp.StatusCode, body)
	}
	fx.clock.Set(t0.Add(70 * time.Minute))
	if got := fx.offset(t, loc); got != 3 {
		t.Fatalf("offset %d", got)
	}
	if n, err := fx.uploads.Sweep(context.Background()); n != 0 || err != nil {
		t.Fatalf("early Sweep = %d, %v", n, err)
	}

	// Not touched for an hour: expired.
	fx.clock.Set(t0.Add(111 * time.Minute))
	fresh := fx.create(t, 100, "")
	for _, m := range []string{"HEAD", "PATCH"} {
		resp, body := fx.req(t, m, loc, map[string]string{"Upload-Offset": "3"}, strings.NewReader("def"))
		if resp.StatusCode != 410 && resp.StatusCode != 404 {
			t.Errorf("%s expired: status %d %s", m, resp.StatusCode, body)
		}
	}
	if files := fx.uploadFiles(t); len(files) != 4 {
		t.Fatalf("before Sweep: %v", files)
	}
	n, err := fx.uploads.Sweep(context.Background())
	if n != 1 || err != nil {
		t.Fatalf("Sweep = %d, %v; want 1", n, err)
	}
	id := strings.TrimPrefix(loc, tusBase)
	for _, ext := range []string{".bin", ".json"} {
		if _, err := os.Stat(filepath.Join(fx.uploads.Dir, id+ext)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived Sweep: %v", ext, err)
		}
	}
	if resp, _ := fx.req(t, "HEAD", loc, nil, nil); resp.StatusCode != 404 {
		t.Errorf("HEAD after Sweep: %d", resp.StatusCode)
	}
	if got := fx.offset(t, fresh); got != 0 {
		t.Errorf("fresh upload offset %d", got)
	}

	// An orphaned data file (no sidecar) older than the expiry goes too.
	orphan := filepath.Join(fx.uploads.Dir, "0123456789abcdef0123456789abcdef.bin")
	os.WriteFile(orphan, []byte("x"), 0o640)
	old := fx.clock.Now().Add(-2 * time.Hour)
	os.Chtimes(orphan, old, old)
	if n, err := fx.uploads.Sweep(context.Background()); n != 1 || err != nil {
		t.Fatalf("orphan Sweep = %d, %v", n, err)
	}
	if files := fx.uploadFiles(t); len(files) != 2 {
		t.Errorf("after orphan Sweep: %v", files)
	}
}

func TestTusConcurrentPatchLocked(t *testing.T) {
	fx := newTusFixture(t)
	loc := fx.create(t, 1<<20, "")
	id := strings.TrimPrefix(loc, tusBase)

	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PATCH", fx.srv.URL+loc, pr)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("X-Test-User", "1")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", "0")
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := fx.srv.Client().Do(req)
		if err != nil {
			done <- nil
			return
		}
		resp.Body.Close()
		done <- resp
	}()
	pw.Write(make([]byte, 100<<10))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if fi, err := os.Stat(filepath.Join(fx.uploads.Dir, id+".bin")); err == nil && fi.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("first PATCH never wrote")
		}
	}

	if resp, body := fx.patch(t, loc, 0, []byte("x")); resp.StatusCode != http.StatusLocked {
		t.Errorf("second PATCH: status %d %s, want 423", resp.StatusCode, body)
	}
	if resp, _ := fx.req(t, "DELETE", loc, nil, nil); resp.StatusCode != http.StatusLocked {
		t.Errorf("DELETE during PATCH: status %d, want 423", resp.StatusCode)
	}
	if resp, _ := fx.req(t, "HEAD", loc, nil, nil); resp.StatusCode != 200 {
		t.Errorf("HEAD during PATCH: status %d", resp.StatusCode)
	}
	pw.Close()
	resp := <-done
	if resp == nil || resp.StatusCode != 204 || resp.Header.Get("Upload-Offset") != strconv.Itoa(100<<10) {
		t.Fatalf("first PATCH: %+v", resp)
	}
	if resp, _ := fx.patch(t, loc, 100<<10, []byte("x")); resp.StatusCode != 204 {
		t.Errorf("PATCH after the first finished: status %d", resp.StatusCode)
	}
}

func TestTusHandlerNeedsConfig(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Handler without Owner did not panic")
		}
	}()
	(&Uploads{Dir: t.TempDir(), BasePath: "/u/", Complete: func(context.Context, *Upload) (any, error) { return nil, nil }}).Handler()
}

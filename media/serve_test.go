package media

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// serveFixture is a 5 MiB random file in LocalStorage behind ServeFile:
// /immutable/ and /short/ serve it with and without immutable caching.
type serveFixture struct {
	srv  *httptest.Server
	data []byte
	etag string
}

func newServeFixture(t *testing.T) *serveFixture {
	t.Helper()
	st := newTestStorage(t)
	data := randomBytes(t, 5<<20)
	_, sum, err := st.Put(context.Background(), "items/v1/720p-abcdef01.mp4", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	etag := `"` + sum[:32] + `"`
	mux := http.NewServeMux()
	mux.HandleFunc("/immutable/{key...}", func(w http.ResponseWriter, r *http.Request) {
		ServeFile(w, r, st, r.PathValue("key"), "video/mp4", etag, true)
	})
	mux.HandleFunc("/short/{key...}", func(w http.ResponseWriter, r *http.Request) {
		ServeFile(w, r, st, r.PathValue("key"), "video/mp4", etag, false)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &serveFixture{srv: srv, data: data, etag: etag}
}

func (fx *serveFixture) do(t *testing.T, method, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, fx.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := fx.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

const serveKey = "/immutable/items/v1/720p-abcdef01.mp4"

func TestServeFileFull(t *testing.T) {
	fx := newServeFixture(t)
	resp, body := fx.do(t, "GET", serveKey, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !bytes.Equal(body, fx.data) {
		t.Fatalf("body differs (%d bytes)", len(body))
	}
	want := map[string]string{
		"Content-Type":           "video/mp4",
		"Accept-Ranges":          "bytes",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "public, max-age=31536000, immutable",
		"Etag":                   fx.etag,
		"Content-Length":         strconv.Itoa(len(fx.data)),
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if resp.Header.Get("Last-Modified") == "" {
		t.Error("no Last-Modified")
	}

	resp, _ = fx.do(t, "GET", "/short/items/v1/720p-abcdef01.mp4", nil)
	if got := resp.Header.Get("Cache-Control"); got != "public, max-age=300" {
		t.Errorf("Cache-Control (not immutable) = %q", got)
	}

	resp, body = fx.do(t, "GET", "/immutable/items/v1/missing.mp4", nil)
	if resp.StatusCode != 404 {
		t.Errorf("missing: status %d %q", resp.StatusCode, body)
	}
	resp, _ = fx.do(t, "POST", serveKey, nil)
	if resp.StatusCode != 405 {
		t.Errorf("POST: status %d", resp.StatusCode)
	}
}

func TestServeFileRanges(t *testing.T) {
	fx := newServeFixture(t)
	size := len(fx.data)
	cases := []struct {
		rng        string
		start, end int // inclusive
	}{
		{"bytes=0-0", 0, 0},
		{"bytes=100-1099", 100, 1099},
		{"bytes=-500", size - 500, size - 1},
		{"bytes=5242000-", 5242000, size - 1},
		{"bytes=5000000-99999999", 5000000, size - 1},
	}
	for _, c := range cases {
		resp, body := fx.do(t, "GET", serveKey, map[string]string{"Range": c.rng})
		if resp.StatusCode != 206 {
			t.Errorf("%s: status %d", c.rng, resp.StatusCode)
			continue
		}
		if !bytes.Equal(body, fx.data[c.start:c.end+1]) {
			t.Errorf("%s: body differs (%d bytes)", c.rng, len(body))
		}
		wantCR := fmt.Sprintf("bytes %d-%d/%d", c.start, c.end, size)
		if got := resp.Header.Get("Content-Range"); got != wantCR {
			t.Errorf("%s: Content-Range %q, want %q", c.rng, got, wantCR)
		}
		if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(c.end-c.start+1) {
			t.Errorf("%s: Content-Length %q", c.rng, got)
		}
		if got := resp.Header.Get("Content-Type"); got != "video/mp4" {
			t.Errorf("%s: Content-Type %q", c.rng, got)
		}
	}

	// Unsatisfiable.
	resp, _ := fx.do(t, "GET", serveKey, map[string]string{"Range": "bytes=999999999-"})
	if resp.StatusCode != 416 {
		t.Errorf("unsatisfiable: status %d", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Content-Range"), fmt.Sprintf("bytes */%d", size); got != want {
		t.Errorf("unsatisfiable: Content-Range %q, want %q", got, want)
	}
}

func TestServeFileMultiRange(t *testing.T) {
	fx := newServeFixture(t)
	size := len(fx.data)
	resp, body := fx.do(t, "GET", serveKey, map[string]string{"Range": "bytes=0-9,1000-1999,-100"})
	if resp.StatusCode != 206 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/byteranges" {
		t.Fatalf("Content-Type %q: %v", resp.Header.Get("Content-Type"), err)
	}
	if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		t.Errorf("Content-Length %q, body %d", cl, len(body))
	}
	want := [][2]int{{0, 9}, {1000, 1999}, {size - 100, size - 1}}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			if i != len(want) {
				t.Fatalf("%d parts, want %d", i, len(want))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(want) {
			t.Fatalf("too many parts")
		}
		got, _ := io.ReadAll(part)
		w := want[i]
		if !bytes.Equal(got, fx.data[w[0]:w[1]+1]) {
			t.Errorf("part %d differs", i)
		}
		if cr, wcr := part.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-%d/%d", w[0], w[1], size); cr != wcr {
			t.Errorf("part %d Content-Range %q, want %q", i, cr, wcr)
		}
		if ct := part.Header.Get("Content-Type"); ct != "video/mp4" {
			t.Errorf("part %d Content-Type %q", i, ct)
		}
	}
}

func TestServeFileHead(t *testing.T) {
	fx := newServeFixture(t)
	resp, body := fx.do(t, "HEAD", serveKey, nil)
	if resp.StatusCode != 200 || len(body) != 0 {
		t.Fatalf("HEAD: status %d, %d body bytes", resp.StatusCode, len(body))
	}
	if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(len(fx.data)) {
		t.Errorf("HEAD Content-Length %q", got)
	}
	if got := resp.Header.Get("Accept-Ranges"); got != "bytes" {
		t.Errorf("HEAD Accept-Ranges %q", got)
	}
	resp, body = fx.do(t, "HEAD", serveKey, map[string]string{"Range": "bytes=100-199"})
	if resp.StatusCode != 206 || len(body) != 0 || resp.Header.Get("Content-Length") != "100" {
		t.Errorf("HEAD range: status %d, %d body bytes, Content-Length %q",
			resp.StatusCode, len(body), resp.Header.Get("Content-Length"))
	}
}

func TestServeFileConditional(t *testing.T) {
	fx := newServeFixture(t)
	full, _ := fx.do(t, "GET", serveKey, nil)
	lastMod := full.Header.Get("Last-Modified")

	resp, body := fx.do(t, "GET", serveKey, map[string]string{"If-None-Match": fx.etag})
	if resp.StatusCode != 304 || len(body) != 0 {
		t.Errorf("If-None-Match: status %d, %d bytes", resp.StatusCode, len(body))
	}
	if resp.Header.Get("Etag") != fx.etag {
		t.Errorf("304 Etag %q", resp.Header.Get("Etag"))
	}
	resp, _ = fx.do(t, "GET", serveKey, map[string]string{"If-None-Match": `"other", ` + fx.etag})
	if resp.StatusCode != 304 {
		t.Errorf("If-None-Match list: status %d", resp.StatusCode)
	}
	resp, body = fx.do(t, "GET", serveKey, map[string]string{"If-None-Match": `"other"`})
	if resp.StatusCode != 200 || !bytes.Equal(body, fx.data) {
		t.Errorf("If-None-Match other: status %d", resp.StatusCode)
	}

	resp, body = fx.do(t, "GET", serveKey, map[string]string{"If-Modified-Since": lastMod})
	if resp.StatusCode != 304 || len(body) != 0 {
		t.Errorf("If-Modified-Since: status %d, %d bytes", resp.StatusCode, len(body))
	}
	resp, _ = fx.do(t, "GET", serveKey, map[string]string{"If-Modified-Since": "Mon, 02 Jan 2006 15:04:05 GMT"})
	if resp.StatusCode != 200 {
		t.Errorf("If-Modified-Since old: status %d", resp.StatusCode)
	}

	resp, body = fx.do(t, "GET", serveKey, map[string]string{"Range": "bytes=0-99", "If-Range": `"wrong"`})
	if resp.StatusCode != 200 || !bytes.Equal(body, fx.data) {
		t.Errorf("If-Range wrong: status %d, %d bytes; want 200 full", resp.StatusCode, len(body))
	}
	resp, body = fx.do(t, "GET", serveKey, map[string]string{"Range": "bytes=0-99", "If-Range": fx.etag})
	if resp.StatusCode != 206 || !bytes.Equal(body, fx.data[:100]) {
		t.Errorf("If-Range right: status %d, %d bytes; want 206", resp.StatusCode, len(body))
	}
	resp, _ = fx.do(t, "GET", serveKey, map[string]string{"If-Match": `"wrong"`})
	if resp.StatusCode != 412 {
		t.Errorf("If-Match wrong: status %d", resp.StatusCode)
	}
}

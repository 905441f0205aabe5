package fedtest_test

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	gofed "github.com/go-fed/httpsig"

	"github.com/archipel/archipel/federation/fedtest"
	"github.com/archipel/archipel/federation/httpsig"
)

const keyID = "https://hub.example/actor#main-key"

// signer returns our signer and a farm KeyPEM that knows its key.
func signer(t *testing.T) (*httpsig.Signer, func(string) (crypto.PublicKey, error)) {
	t.Helper()
	key, _, _, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &httpsig.Signer{KeyID: keyID, Key: key},
		fedtest.KeyMap(map[string]crypto.PublicKey{keyID: &key.PublicKey})
}

// post sends body to inbox, signed by s unless s is nil; tamper may change
// the request after signing.
func post(t *testing.T, inbox string, body []byte, s interface {
	SignRequest(*http.Request, []byte) error
}, tamper func(*http.Request)) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if s != nil {
		if err := s.SignRequest(req, body); err != nil {
			t.Fatal(err)
		}
	}
	if tamper != nil {
		tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestFarmModes(t *testing.T) {
	s, keys := signer(t)
	modes := []fedtest.Mode{fedtest.Healthy, fedtest.Fail500, fedtest.Gone410, fedtest.RateLimited}
	f, err := fedtest.StartFarm(fedtest.FarmConfig{
		N:      len(modes),
		Modes:  func(i int) fedtest.Mode { return modes[i] },
		KeyPEM: keys,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	inboxes := f.Inboxes()
	seen := map[string]bool{}
	for _, in := range inboxes {
		if !strings.HasPrefix(in, "http://127.0.0.1:") || !strings.HasSuffix(in, "/inbox") || seen[in] {
			t.Fatalf("bad or duplicate inbox %q", in)
		}
		seen[in] = true
	}
	want := []int{http.StatusAccepted, http.StatusInternalServerError, http.StatusGone, http.StatusTooManyRequests}
	for i, in := range inboxes {
		resp := post(t, in, []byte(`{"n":1}`), s, nil)
		if resp.StatusCode != want[i] {
			t.Errorf("server %d (%v): status %d, want %d", i, modes[i], resp.StatusCode, want[i])
		}
		if modes[i] == fedtest.RateLimited && resp.Header.Get("Retry-After") != "120" {
			t.Errorf("Retry-After = %q", resp.Header.Get("Retry-After"))
		}
	}
	if f.Received(0) != 1 || f.Total() != 1 || f.Rejected() != 0 {
		t.Fatalf("received %d, total %d, rejected %d; want 1, 1, 0", f.Received(0), f.Total(), f.Rejected())
	}
	for i := 1; i < len(modes); i++ {
		if f.Received(i) != 0 || f.Verified(i) != 1 {
			t.Errorf("server %d: received %d, verified %d; want 0, 1", i, f.Received(i), f.Verified(i))
		}
	}

	f.SetMode(1, fedtest.Healthy)
	if resp := post(t, inboxes[1], []byte(`{"n":2}`), s, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("after SetMode: status %d", resp.StatusCode)
	}
	if f.Received(1) != 1 || f.Total() != 2 {
		t.Fatalf("after SetMode: received %d, total %d", f.Received(1), f.Total())
	}
}

func TestFarmRejects(t *testing.T) {
	s, keys := signer(t)
	other, _ := signer(t)
	f, err := fedtest.StartFarm(fedtest.FarmConfig{N: 1, KeyPEM: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := f.Inboxes()[0]
	body := []byte(`{"type":"Create"}`)

	cases := []struct {
		name   string
		signer interface {
			SignRequest(*http.Request, []byte) error
		}
		tamper func(*http.Request)
	}{
		{"unsigned", nil, nil},
		{"wrong key", other, nil},
		{"digest changed", s, func(r *http.Request) { r.Header.Set("Digest", httpsig.Digest([]byte("other"))) }},
		{"no digest", s, func(r *http.Request) { r.Header.Del("Digest") }},
		{"date changed", s, func(r *http.Request) {
			r.Header.Set("Date", time.Now().Add(time.Minute).UTC().Format(http.TimeFormat))
		}},
		{"stale date", &httpsig.Signer{KeyID: keyID, Key: s.Key, Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }}, nil},
		{"signature garbled", s, func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `signature="`, `signature="AAAA`, 1))
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := post(t, in, body, c.signer, c.tamper)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			if f.Rejected() != i+1 {
				t.Fatalf("Rejected() = %d, want %d", f.Rejected(), i+1)
			}
		})
	}
	// A digest that is not covered by the signature proves nothing.
	t.Run("digest not covered", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, in, bytes.NewReader(body))
		req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		req.Header.Set("Host", req.URL.Host) // go-fed signs from the header map
		gs, _, err := gofed.NewSigner([]gofed.Algorithm{gofed.RSA_SHA256}, gofed.DigestSha256,
			[]string{gofed.RequestTarget, "host", "date"}, gofed.Signature, 0)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Digest", httpsig.Digest(body))
		if err := gs.SignRequest(s.Key, keyID, req, nil); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
	if f.Total() != 0 {
		t.Fatalf("Total() = %d after only bad requests", f.Total())
	}
	// And a good one still passes.
	if resp := post(t, in, body, s, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("valid delivery: status %d", resp.StatusCode)
	}
}

func TestFarmGoFedSigner(t *testing.T) {
	// The farm accepts go-fed's own signatures too, so it is not tuned to ours.
	s, keys := signer(t)
	f, err := fedtest.StartFarm(fedtest.FarmConfig{N: 1, KeyPEM: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	body := []byte(`{"type":"Like"}`)
	req, _ := http.NewRequest(http.MethodPost, f.Inboxes()[0], bytes.NewReader(body))
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	req.Header.Set("Host", req.URL.Host) // go-fed signs from the header map
	gs, _, err := gofed.NewSigner([]gofed.Algorithm{gofed.RSA_SHA256}, gofed.DigestSha256,
		[]string{gofed.RequestTarget, "host", "date", "digest"}, gofed.Signature, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.SignRequest(s.Key, keyID, req, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestFarmBodiesKeepsLatest(t *testing.T) {
	s, keys := signer(t)
	f, err := fedtest.StartFarm(fedtest.FarmConfig{N: 2, KeyPEM: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for n := range 6 {
		post(t, f.Inboxes()[1], fmt.Appendf(nil, `{"n":%d}`, n), s, nil)
	}
	got := f.Bodies(1)
	if len(got) != fedtest.KeptBodies {
		t.Fatalf("%d bodies kept, want %d", len(got), fedtest.KeptBodies)
	}
	for j, b := range got {
		if want := fmt.Sprintf(`{"n":%d}`, j+2); string(b) != want {
			t.Errorf("body %d = %s, want %s", j, b, want)
		}
	}
	if len(f.Bodies(0)) != 0 || f.Received(1) != 6 {
		t.Fatalf("server 0 bodies %d, server 1 received %d", len(f.Bodies(0)), f.Received(1))
	}
}

func TestFarmNotInbox(t *testing.T) {
	_, keys := signer(t)
	f, err := fedtest.StartFarm(fedtest.FarmConfig{N: 1, KeyPEM: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := f.Inboxes()[0]
	resp, err := http.Get(in)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /inbox: %d", resp.StatusCode)
	}
	resp, err = http.Post(strings.TrimSuffix(in, "inbox")+"outbox", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST /outbox: %d", resp.StatusCode)
	}
}

func TestFarmHangUntilClose(t *testing.T) {
	s, keys := signer(t)
	f, err := fedtest.StartFarm(fedtest.FarmConfig{
		N:      3,
		Modes:  func(int) fedtest.Mode { return fedtest.Hang },
		KeyPEM: keys,
	})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{}`)

	// A client that gives up releases the handler.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.Inboxes()[0], bytes.NewReader(body))
	if err := s.SignRequest(req, body); err != nil {
		t.Fatal(err)
	}
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("a hanging server answered")
	}

	// Close releases the others.
	var wg sync.WaitGroup
	for _, in := range f.Inboxes()[1:] {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, in, bytes.NewReader(body))
			if err := s.SignRequest(req, body); err != nil {
				t.Error(err)
				return
			}
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	done := make(chan struct{})
	go func() { f.Close(); wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release hanging requests")
	}
	f.Close() // idempotent
	if f.Total() != 0 || f.Rejected() != 0 {
		t.Fatalf("total %d rejected %d", f.Total(), f.Rejected())
	}
}

func TestStartFarmNeedsKeys(t *testing.T) {
	if _, err := fedtest.StartFarm(fedtest.FarmConfig{N: 1}); err == nil {
		t.Fatal("StartFarm without KeyPEM succeeded")
	}
}

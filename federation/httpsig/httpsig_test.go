package httpsig_test

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	gofed "github.com/go-fed/httpsig"

	"github.com/archipel/archipel/federation/httpsig"
)

// fixtureDir holds requests captured byte for byte from a GoToSocial server
// (see its README.md). They are copied byte-exact into federation/testdata.
const fixtureDir = "../testdata/gotosocial"

// captureTime lies within the captures' Date headers (12:01-12:05 GMT).
var captureTime = time.Date(2026, 11, 21, 12, 3, 0, 0, time.UTC)

// fixtureKeyFiles is how a key fetcher would resolve the fixtures' keyIds.
var fixtureKeyFiles = map[string]string{
	"http://gts.test/users/admin/main-key":    "admin.pub",
	"http://gts.test/users/bob/main-key":      "bob.pub",
	"http://gts.test/users/gts.test/main-key": "instance.pub",
}

var sentinels = []error{httpsig.ErrNoSignature, httpsig.ErrMalformed, httpsig.ErrStaleDate, httpsig.ErrDigest, httpsig.ErrBadSignature}

func requireFixtures(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(fixtureDir, "README.md")); err != nil {
		abs, _ := filepath.Abs(fixtureDir)
		t.Fatalf("GoToSocial fixtures missing: expected them at %s (federation/testdata/gotosocial): %v", abs, err)
	}
}

// readFixture parses a captured request as a server would and reads its body.
func readFixture(t *testing.T, name string) (*http.Request, []byte) {
	t.Helper()
	requireFixtures(t)
	f, err := os.Open(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	req, err := http.ReadRequest(bufio.NewReader(f))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatalf("%s: reading body: %v", name, err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return req, body
}

func readPublicKey(t *testing.T, file string) crypto.PublicKey {
	t.Helper()
	requireFixtures(t)
	b, err := os.ReadFile(filepath.Join(fixtureDir, file))
	if err != nil {
		t.Fatal(err)
	}
	key, err := httpsig.ParsePublicKeyPEM(string(b))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return key
}

// checkSentinel fails unless err wraps want and no other sentinel.
func checkSentinel(t *testing.T, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", want)
	}
	for _, s := range sentinels {
		if got := errors.Is(err, s); got != (s == want) {
			t.Fatalf("error %q: errors.Is(%v) = %v, want it to wrap only %v", err, s, got, want)
		}
	}
}

func parseAndVerify(v *httpsig.Verifier, r *http.Request, body []byte, key crypto.PublicKey) (*httpsig.Signature, error) {
	sig, err := v.Parse(r, body)
	if err != nil {
		return nil, err
	}
	return sig, sig.Verify(key)
}

type manifestEntry struct {
	File           string `json:"file"`
	Method         string `json:"method"`
	Date           string `json:"date"`
	KeyID          string `json:"keyId"`
	AlgorithmLabel string `json:"algorithm_label"`
	SignedHeaders  string `json:"signed_headers"`
	PublicKeyFile  string `json:"public_key_file"`
}

func TestGoToSocialFixtures(t *testing.T) {
	requireFixtures(t)
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.http"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 20 {
		t.Fatalf("found %d .http fixtures in %s, want 20", len(files), fixtureDir)
	}
	raw, err := os.ReadFile(filepath.Join(fixtureDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest []manifestEntry
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	byFile := make(map[string]manifestEntry)
	for _, m := range manifest {
		byFile[m.File] = m
	}
	pinned := &httpsig.Verifier{Now: func() time.Time { return captureTime }}

	posts := 0
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			m, ok := byFile[name]
			if !ok {
				t.Fatalf("%s is not in manifest.json", name)
			}
			req, body := readFixture(t, name)
			sig, err := pinned.Parse(req, body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			keyFile, ok := fixtureKeyFiles[sig.KeyID]
			if !ok {
				t.Fatalf("unexpected keyId %q", sig.KeyID)
			}
			if sig.KeyID != m.KeyID || keyFile != m.PublicKeyFile {
				t.Errorf("keyId %q (%s), manifest says %q (%s)", sig.KeyID, keyFile, m.KeyID, m.PublicKeyFile)
			}
			if err := sig.Verify(readPublicKey(t, keyFile)); err != nil {
				t.Fatalf("Verify with %s: %v", keyFile, err)
			}
			if sig.Algorithm != m.AlgorithmLabel {
				t.Errorf("Algorithm = %q, manifest says %q", sig.Algorithm, m.AlgorithmLabel)
			}
			if got := strings.Join(sig.Headers, " "); got != m.SignedHeaders {
				t.Errorf("Headers = %q, manifest says %q", got, m.SignedHeaders)
			}
			if req.Method != m.Method {
				t.Errorf("method %s, manifest says %s", req.Method, m.Method)
			}
			if req.Method == http.MethodPost {
				posts++
				// GoToSocial's own Digest header is an independent check of Digest.
				if got, want := httpsig.Digest(body), req.Header.Get("Digest"); got != want {
					t.Errorf("Digest(body) = %q, GoToSocial sent %q", got, want)
				}
			}

			// The same with the clock pinned to the file's own Date and a tight window.
			date, err := http.ParseTime(m.Date)
			if err != nil {
				t.Fatal(err)
			}
			own := &httpsig.Verifier{Window: time.Minute, Now: func() time.Time { return date.Add(20 * time.Second) }}
			if _, err := parseAndVerify(own, req, body, readPublicKey(t, keyFile)); err != nil {
				t.Fatalf("with Now = Date+20s: %v", err)
			}
		})
	}
	if posts != 19 {
		t.Errorf("verified %d POSTs, want 19", posts)
	}
}

var sigParamRE = regexp.MustCompile(`(\w+)="([^"]*)"`)

// sigParams splits a cavage Signature header the simple way, for editing.
func sigParams(h string) [][2]string {
	var out [][2]string
	for _, m := range sigParamRE.FindAllStringSubmatch(h, -1) {
		out = append(out, [2]string{m[1], m[2]})
	}
	return out
}

func joinSigParams(ps [][2]string) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%s=%q", p[0], p[1])
	}
	return strings.Join(parts, ",")
}

// editSigParam replaces one parameter of r's Signature header.
func editSigParam(r *http.Request, name, value string) {
	ps := sigParams(r.Header.Get("Signature"))
	for i := range ps {
		if ps[i][0] == name {
			ps[i][1] = value
		}
	}
	r.Header.Set("Signature", joinSigParams(ps))
}

func TestRefusals(t *testing.T) {
	const (
		post = "01-follow.http"            // admin, POST with body
		get  = "20-signed-get-by-gts.http" // admin, GET
	)
	admin := "admin.pub"
	tests := []struct {
		name    string
		fixture string
		key     string
		edit    func(r *http.Request, body []byte, v *httpsig.Verifier) []byte
		want    error // nil: must verify
	}{
		{"untouched POST", post, admin, nil, nil},
		{"untouched GET", get, admin, nil, nil},
		{"forged signature", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			ps := sigParams(r.Header.Get("Signature"))
			for i := range ps {
				if ps[i][0] == "signature" {
					b, _ := base64.StdEncoding.DecodeString(ps[i][1])
					b[17] ^= 0x01
					ps[i][1] = base64.StdEncoding.EncodeToString(b)
				}
			}
			r.Header.Set("Signature", joinSigParams(ps))
			return body
		}, httpsig.ErrBadSignature},
		{"body changed", post, admin, func(_ *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			return bytes.Replace(body, []byte(`"Follow"`), []byte(`"Block"`), 1)
		}, httpsig.ErrDigest},
		{"body appended", post, admin, func(_ *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			return append(slices.Clone(body), ' ')
		}, httpsig.ErrDigest},
		{"stale date", post, admin, func(r *http.Request, body []byte, v *httpsig.Verifier) []byte {
			d, _ := http.ParseTime(r.Header.Get("Date"))
			v.Now = func() time.Time { return d.Add(2 * time.Hour) }
			return body
		}, httpsig.ErrStaleDate},
		{"future date", post, admin, func(r *http.Request, body []byte, v *httpsig.Verifier) []byte {
			d, _ := http.ParseTime(r.Header.Get("Date"))
			v.Now = func() time.Time { return d.Add(-2 * time.Hour) }
			return body
		}, httpsig.ErrStaleDate},
		{"outside a custom window", get, admin, func(r *http.Request, body []byte, v *httpsig.Verifier) []byte {
			d, _ := http.ParseTime(r.Header.Get("Date"))
			v.Window, v.Now = time.Minute, func() time.Time { return d.Add(2 * time.Minute) }
			return body
		}, httpsig.ErrStaleDate},
		{"inside a custom window", get, admin, func(r *http.Request, body []byte, v *httpsig.Verifier) []byte {
			d, _ := http.ParseTime(r.Header.Get("Date"))
			v.Window, v.Now = time.Minute, func() time.Time { return d.Add(-50 * time.Second) }
			return body
		}, nil},
		{"no Date header", get, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Header.Del("Date")
			return body
		}, httpsig.ErrStaleDate},
		{"unparsable Date", get, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Header.Set("Date", "yesterday at noon")
			return body
		}, httpsig.ErrStaleDate},
		{"no Signature", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Header.Del("Signature")
			return body
		}, httpsig.ErrNoSignature},
		{"other Authorization scheme", get, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Header.Del("Signature")
			r.Header.Set("Authorization", "Bearer abc")
			return body
		}, httpsig.ErrNoSignature},
		{"POST without digest coverage", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			editSigParam(r, "headers", "(request-target) host date")
			return body
		}, httpsig.ErrMalformed},
		{"date not covered", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			editSigParam(r, "headers", "(request-target) host digest")
			return body
		}, httpsig.ErrMalformed},
		{"host not covered", get, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			editSigParam(r, "headers", "(request-target) date")
			return body
		}, httpsig.ErrMalformed},
		{"request-target not covered", get, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			editSigParam(r, "headers", "host date")
			return body
		}, httpsig.ErrMalformed},
		{"covered header absent", get, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			editSigParam(r, "headers", "(request-target) host date x-absent")
			return body
		}, httpsig.ErrMalformed},
		{"no Digest header", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Header.Del("Digest")
			return body
		}, httpsig.ErrDigest},
		{"Digest with unknown algorithm only", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Header.Set("Digest", "MD5=Q2hlY2sgSW50ZWdyaXR5IQ==")
			return body
		}, httpsig.ErrDigest},
		{"correct SHA-512 Digest, but not the signed one", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			sum := sha512.Sum512(body)
			r.Header.Set("Digest", "SHA-512="+base64.StdEncoding.EncodeToString(sum[:]))
			return body
		}, httpsig.ErrBadSignature},
		{"GET with an undigested body", get, admin, func(_ *http.Request, _ []byte, _ *httpsig.Verifier) []byte {
			return []byte("{}")
		}, httpsig.ErrDigest},
		{"wrong key", post, "bob.pub", nil, httpsig.ErrBadSignature},
		{"path changed", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.URL.Path = "/users/alice/inbox"
			return body
		}, httpsig.ErrBadSignature},
		{"host changed", get, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Host = "evil.test"
			return body
		}, httpsig.ErrBadSignature},
		{"relabelled rsa-sha512", get, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			editSigParam(r, "algorithm", "rsa-sha512")
			return body
		}, httpsig.ErrBadSignature},
		{"garbage header", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Header.Set("Signature", "garbage!!!")
			return body
		}, httpsig.ErrMalformed},
		{"unterminated quote", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Header.Set("Signature", `keyId="http://gts.test/users/admin/main-key,headers="date"`)
			return body
		}, httpsig.ErrMalformed},
		{"no signature parameter", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			ps := slices.DeleteFunc(sigParams(r.Header.Get("Signature")), func(p [2]string) bool { return p[0] == "signature" })
			r.Header.Set("Signature", joinSigParams(ps))
			return body
		}, httpsig.ErrMalformed},
		{"no keyId", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			editSigParam(r, "keyId", "")
			return body
		}, httpsig.ErrMalformed},
		{"signature not base64", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			editSigParam(r, "signature", "%%%not base64%%%")
			return body
		}, httpsig.ErrMalformed},
		{"unsupported algorithm", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			editSigParam(r, "algorithm", "hmac-sha256")
			return body
		}, httpsig.ErrMalformed},
		{"duplicate parameter", post, admin, func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Header.Set("Signature", r.Header.Get("Signature")+`,keyId="http://evil.test/key"`)
			return body
		}, httpsig.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, body := readFixture(t, tc.fixture)
			v := &httpsig.Verifier{Now: func() time.Time { return captureTime }}
			if tc.edit != nil {
				body = tc.edit(req, body, v)
			}
			_, err := parseAndVerify(v, req, body, readPublicKey(t, tc.key))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			checkSentinel(t, err, tc.want)
			t.Logf("refused as wanted: %v", err)
		})
	}
}

// TestHeaderForms checks the tolerated spellings of a real signature:
// parameters in another order with extra spaces, and the older
// "Authorization: Signature ..." form.
func TestHeaderForms(t *testing.T) {
	key := readPublicKey(t, "admin.pub")
	v := &httpsig.Verifier{Now: func() time.Time { return captureTime }}
	forms := map[string]func(r *http.Request){
		"reordered, spaced": func(r *http.Request) {
			ps := sigParams(r.Header.Get("Signature"))
			slices.Reverse(ps)
			parts := make([]string, len(ps))
			for i, p := range ps {
				parts[i] = fmt.Sprintf(" %s = \"%s\" ", p[0], p[1])
			}
			r.Header.Set("Signature", strings.Join(parts, " , "))
		},
		"Authorization": func(r *http.Request) {
			r.Header.Set("Authorization", "Signature "+r.Header.Get("Signature"))
			r.Header.Del("Signature")
		},
		"unquoted algorithm": func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm=hs2019`, 1))
		},
		"no algorithm": func(r *http.Request) {
			ps := slices.DeleteFunc(sigParams(r.Header.Get("Signature")), func(p [2]string) bool { return p[0] == "algorithm" })
			r.Header.Set("Signature", joinSigParams(ps))
		},
	}
	for name, edit := range forms {
		t.Run(name, func(t *testing.T) {
			req, body := readFixture(t, "01-follow.http")
			edit(req)
			sig, err := parseAndVerify(v, req, body, key)
			if err != nil {
				t.Fatalf("%v (Signature %q, Authorization %q)", err, req.Header.Get("Signature"), req.Header.Get("Authorization"))
			}
			if sig.KeyID != "http://gts.test/users/admin/main-key" {
				t.Errorf("KeyID = %q", sig.KeyID)
			}
		})
	}
}

// loopbackResult is what the test server learnt about one request.
type loopbackResult struct {
	ours, goFed, digest error
	goFedKeyID          string
	sig                 *httpsig.Signature
	header              http.Header
}

// loopbackServer starts a real HTTP server that checks every request with
// this package, with go-fed/httpsig, and recomputes the Digest itself.
func loopbackServer(t *testing.T, pub crypto.PublicKey) (*httptest.Server, <-chan loopbackResult) {
	results := make(chan loopbackResult, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		res := loopbackResult{header: r.Header.Clone()}
		res.sig, res.ours = (&httpsig.Verifier{}).Parse(r, body)
		if res.ours == nil {
			res.ours = res.sig.Verify(pub)
		}
		sum := sha256.Sum256(body)
		switch got := r.Header.Get("Digest"); {
		case len(body) > 0 && got != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]):
			res.digest = fmt.Errorf("Digest %q does not match the received body", got)
		case len(body) == 0 && r.Method == http.MethodGet && got != "":
			res.digest = fmt.Errorf("unexpected Digest %q on a GET", got)
		}
		if r.Header.Get("Signature-Input") == "" {
			gv, err := gofed.NewVerifier(r) // note: adds Host to r.Header
			if err == nil {
				res.goFedKeyID = gv.KeyId()
				err = gv.Verify(pub, gofed.RSA_SHA256)
			}
			res.goFed = err
		}
		results <- res
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return srv, results
}

func send(t *testing.T, srv *httptest.Server, req *http.Request, results <-chan loopbackResult) loopbackResult {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("server answered %s", resp.Status)
	}
	return <-results
}

func TestSignerVerifiedByGoFed(t *testing.T) {
	key, _, _, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv, results := loopbackServer(t, &key.PublicKey)
	const keyID = "https://hub.example/c/news#main-key"
	signer := &httpsig.Signer{KeyID: keyID, Key: key}
	activity := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow","actor":"https://hub.example/c/news","object":"https://peer.example/users/bob"}`)

	tests := []struct {
		method, path string
		body         []byte
		headers      string
		// go-fed/httpsig builds (request-target) from the decoded
		// r.URL.Path, not the path as sent, so it cannot check a
		// percent-encoded path; the draft (and Mastodon) use the path as sent.
		goFedDecodesPath bool
	}{
		{http.MethodGet, "/users/bob", nil, "(request-target) host date", false},
		{http.MethodGet, "/users/bob/outbox?page=2&q=a%2Fb", nil, "(request-target) host date", false},
		{http.MethodGet, "/users/b%C3%B6b%2Fx/outbox", nil, "(request-target) host date", true},
		{http.MethodPost, "/users/bob/inbox", activity, "(request-target) host date digest", false},
		{http.MethodPost, "/inbox?x=1", []byte{}, "(request-target) host date digest", false},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var body io.Reader
			if tc.body != nil {
				body = bytes.NewReader(tc.body)
			}
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/activity+json")
			if err := signer.SignRequest(req, tc.body); err != nil {
				t.Fatal(err)
			}
			h := req.Header.Get("Signature")
			for _, want := range []string{`keyId="` + keyID + `"`, `algorithm="rsa-sha256"`, `headers="` + tc.headers + `"`} {
				if !strings.Contains(h, want) {
					t.Errorf("Signature %q lacks %s", h, want)
				}
			}
			res := send(t, srv, req, results)
			if res.goFed != nil && !tc.goFedDecodesPath {
				t.Errorf("go-fed/httpsig rejects our signature: %v", res.goFed)
			}
			if res.goFedKeyID != keyID {
				t.Errorf("go-fed read keyId %q", res.goFedKeyID)
			}
			if res.digest != nil {
				t.Error(res.digest)
			}
			if res.ours != nil {
				t.Errorf("our verifier rejects our signature: %v", res.ours)
			} else if got := strings.Join(res.sig.Headers, " "); got != tc.headers || res.sig.KeyID != keyID || res.sig.Algorithm != "rsa-sha256" {
				t.Errorf("parsed %q %q %q", res.sig.KeyID, res.sig.Algorithm, got)
			}
		})
	}
}

func TestRoundTripInProcess(t *testing.T) {
	key, _, _, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, keyID := range []string{"https://hub.example/c/news#main-key", "https://hub.example/users/news/main-key"} {
		signer := &httpsig.Signer{KeyID: keyID, Key: key, Now: func() time.Time { return now }}
		body := []byte(`{"type":"Like"}`)
		req, _ := http.NewRequest(http.MethodPost, "https://peer.example/inbox", bytes.NewReader(body))
		if err := signer.SignRequest(req, body); err != nil {
			t.Fatal(err)
		}
		if got := req.Header.Get("Date"); got != "Wed, 02 Jan 2030 03:04:05 GMT" {
			t.Errorf("Date = %q", got)
		}
		v := &httpsig.Verifier{Now: func() time.Time { return now.Add(time.Minute) }}
		sig, err := parseAndVerify(v, req, body, &key.PublicKey)
		if err != nil {
			t.Fatalf("%s: %v", keyID, err)
		}
		if sig.KeyID != keyID {
			t.Errorf("KeyID = %q, want %q", sig.KeyID, keyID)
		}
		other, _, _, _ := httpsig.GenerateKey()
		checkSentinel(t, sig.Verify(&other.PublicKey), httpsig.ErrBadSignature)
	}
}

// TestSignedWithoutDigestCoverage signs a POST as if it had no body, then
// adds a correct Digest the signature does not cover.
func TestSignedWithoutDigestCoverage(t *testing.T) {
	key, _, _, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"Delete"}`)
	req := httptest.NewRequest(http.MethodPost, "http://hub.test/inbox", bytes.NewReader(body))
	if err := (&httpsig.Signer{KeyID: "http://peer.test/actor#main-key", Key: key}).SignRequest(req, nil); err != nil {
		t.Fatal(err)
	}
	v := &httpsig.Verifier{}
	_, err = v.Parse(req, body)
	checkSentinel(t, err, httpsig.ErrDigest) // no Digest at all
	req.Header.Set("Digest", httpsig.Digest(body))
	_, err = v.Parse(req, body)
	checkSentinel(t, err, httpsig.ErrMalformed) // Digest present but unsigned
}

func TestResign(t *testing.T) {
	key, _, _, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	t2 := t1.Add(90 * time.Second)
	clock := t1
	signer := &httpsig.Signer{KeyID: "https://hub.example/c/news#main-key", Key: key, Now: func() time.Time { return clock }}
	body := []byte(`{"type":"Announce"}`)
	req, _ := http.NewRequest(http.MethodPost, "https://peer.example/inbox", bytes.NewReader(body))
	if err := signer.SignRequest(req, body); err != nil {
		t.Fatal(err)
	}
	first := req.Clone(req.Context())
	clock = t2
	if err := signer.SignRequest(req, body); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Date", "Digest", "Signature"} {
		if n := len(req.Header.Values(name)); n != 1 {
			t.Errorf("%d %s headers after re-signing", n, name)
		}
	}
	if first.Header.Get("Date") == req.Header.Get("Date") {
		t.Errorf("Date unchanged: %q", req.Header.Get("Date"))
	}
	if first.Header.Get("Signature") == req.Header.Get("Signature") {
		t.Error("Signature unchanged")
	}
	v := &httpsig.Verifier{Window: 5 * time.Minute, Now: func() time.Time { return t2 }}
	for name, r := range map[string]*http.Request{"first": first, "second": req} {
		if _, err := parseAndVerify(v, r, body, &key.PublicKey); err != nil {
			t.Errorf("%s signature: %v", name, err)
		}
	}
	// With the first Date but the second signature, nothing matches.
	mixed := req.Clone(req.Context())
	mixed.Header.Set("Date", first.Header.Get("Date"))
	_, err = parseAndVerify(v, mixed, body, &key.PublicKey)
	checkSentinel(t, err, httpsig.ErrBadSignature)
}

// cavageSign signs r independently of the package, from the draft's rules,
// and sets its Signature header.
func cavageSign(t *testing.T, r *http.Request, alg string, headers []string, extra string, sign func([]byte) []byte) {
	t.Helper()
	var lines []string
	for _, h := range headers {
		switch h {
		case "(request-target)":
			lines = append(lines, h+": "+strings.ToLower(r.Method)+" "+r.URL.RequestURI())
		case "host":
			lines = append(lines, "host: "+r.Host)
		case "(created)":
			lines = append(lines, "(created): 1893456000")
		default:
			lines = append(lines, h+": "+strings.Join(r.Header.Values(h), ", "))
		}
	}
	sig := base64.StdEncoding.EncodeToString(sign([]byte(strings.Join(lines, "\n"))))
	params := `keyId="https://peer.example/key"`
	if alg != "" {
		params += `,algorithm="` + alg + `"`
	}
	r.Header.Set("Signature", params+`,headers="`+strings.Join(headers, " ")+`"`+extra+`,signature="`+sig+`"`)
}

func TestIndependentlySignedCavage(t *testing.T) {
	rsaKey, _, _, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := func(h crypto.Hash) func([]byte) []byte {
		return func(msg []byte) []byte {
			d := h.New()
			d.Write(msg)
			s, err := rsa.SignPKCS1v15(rand.Reader, rsaKey, h, d.Sum(nil))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	ed := func(msg []byte) []byte { return ed25519.Sign(edKey, msg) }
	std := []string{"(request-target)", "host", "date", "digest"}
	now := time.Unix(1893456000, 0)

	tests := []struct {
		name    string
		alg     string
		headers []string
		extra   string
		sign    func([]byte) []byte
		pub     crypto.PublicKey
		want    error
	}{
		{"rsa-sha256", "rsa-sha256", std, "", pkcs1(crypto.SHA256), &rsaKey.PublicKey, nil},
		{"hs2019 RSA", "hs2019", std, "", pkcs1(crypto.SHA256), &rsaKey.PublicKey, nil},
		{"no algorithm", "", std, "", pkcs1(crypto.SHA256), &rsaKey.PublicKey, nil},
		{"rsa-sha512", "rsa-sha512", std, "", pkcs1(crypto.SHA512), &rsaKey.PublicKey, nil},
		{"rsa-sha256 labelled, SHA-512 signed", "rsa-sha256", std, "", pkcs1(crypto.SHA512), &rsaKey.PublicKey, httpsig.ErrBadSignature},
		{"hs2019 is not SHA-512", "hs2019", std, "", pkcs1(crypto.SHA512), &rsaKey.PublicKey, httpsig.ErrBadSignature},
		{"hs2019 Ed25519", "hs2019", std, "", ed, edPub, nil},
		{"ed25519", "ed25519", std, "", ed, edPub, nil},
		{"Ed25519 key for an RSA signature", "rsa-sha256", std, "", pkcs1(crypto.SHA256), edPub, httpsig.ErrBadSignature},
		{"more headers, multiple values", "rsa-sha256",
			[]string{"(request-target)", "host", "date", "digest", "content-type", "x-multi"}, "",
			pkcs1(crypto.SHA256), &rsaKey.PublicKey, nil},
		{"(created)", "hs2019", append(slices.Clone(std), "(created)"), ",created=1893456000",
			pkcs1(crypto.SHA256), &rsaKey.PublicKey, nil},
		{"(created) without parameter", "hs2019", append(slices.Clone(std), "(created)"), "",
			pkcs1(crypto.SHA256), &rsaKey.PublicKey, httpsig.ErrMalformed},
		{"expired", "hs2019", std, ",expires=1893455000", pkcs1(crypto.SHA256), &rsaKey.PublicKey, httpsig.ErrStaleDate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(`{"type":"Create"}`)
			req := httptest.NewRequest(http.MethodPost, "http://hub.test/users/alice/inbox?a=1&b=%2F", bytes.NewReader(body))
			req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
			req.Header.Set("Digest", httpsig.Digest(body))
			req.Header.Set("Content-Type", "application/activity+json")
			req.Header.Add("X-Multi", "one")
			req.Header.Add("X-Multi", "two")
			cavageSign(t, req, tc.alg, tc.headers, tc.extra, tc.sign)
			v := &httpsig.Verifier{Now: func() time.Time { return now }}
			_, err := parseAndVerify(v, req, body, tc.pub)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			checkSentinel(t, err, tc.want)
		})
	}
}

func TestDigest(t *testing.T) {
	// SHA-256 of the empty string, a well-known value.
	if got, want := httpsig.Digest(nil), "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; got != want {
		t.Errorf("Digest(nil) = %q, want %q", got, want)
	}
	body := []byte("hello")
	sum := sha256.Sum256(body)
	if got, want := httpsig.Digest(body), "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("Digest = %q, want %q", got, want)
	}
}

func TestKeys(t *testing.T) {
	key, privPEM, pubPEM, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != 2048 {
		t.Errorf("key has %d bits", key.N.BitLen())
	}
	if b, _ := pem.Decode([]byte(privPEM)); b == nil || b.Type != "PRIVATE KEY" {
		t.Errorf("private PEM is not PKCS#8: %q", privPEM)
	}
	if b, _ := pem.Decode([]byte(pubPEM)); b == nil || b.Type != "PUBLIC KEY" {
		t.Errorf("public PEM is not PKIX: %q", pubPEM)
	}
	priv, err := httpsig.ParsePrivateKeyPEM(privPEM)
	if err != nil || !priv.Equal(key) {
		t.Fatalf("ParsePrivateKeyPEM(PKCS#8): %v", err)
	}
	pub, err := httpsig.ParsePublicKeyPEM(pubPEM)
	if err != nil || !key.PublicKey.Equal(pub) {
		t.Fatalf("ParsePublicKeyPEM(PKIX): %v", err)
	}

	pkcs1Priv := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	if priv, err := httpsig.ParsePrivateKeyPEM(pkcs1Priv); err != nil || !priv.Equal(key) {
		t.Errorf("ParsePrivateKeyPEM(PKCS#1): %v", err)
	}
	pkcs1Pub := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&key.PublicKey)}))
	if pub, err := httpsig.ParsePublicKeyPEM(pkcs1Pub); err != nil || !key.PublicKey.Equal(pub) {
		t.Errorf("ParsePublicKeyPEM(PKCS#1): %v", err)
	}

	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(edPub)
	if pub, err := httpsig.ParsePublicKeyPEM(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))); err != nil || !edPub.Equal(pub) {
		t.Errorf("ParsePublicKeyPEM(Ed25519): %v", err)
	}
	der, _ = x509.MarshalPKCS8PrivateKey(edPriv)
	if _, err := httpsig.ParsePrivateKeyPEM(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))); err == nil {
		t.Error("ParsePrivateKeyPEM accepted an Ed25519 key")
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ = x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	if _, err := httpsig.ParsePublicKeyPEM(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))); err == nil {
		t.Error("ParsePublicKeyPEM accepted an ECDSA key")
	}
	for _, bad := range []string{"", "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"} {
		if _, err := httpsig.ParsePublicKeyPEM(bad); err == nil {
			t.Errorf("ParsePublicKeyPEM(%q) succeeded", bad)
		}
		if _, err := httpsig.ParsePrivateKeyPEM(bad); err == nil {
			t.Errorf("ParsePrivateKeyPEM(%q) succeeded", bad)
		}
	}

	// The fixtures' keys are GoToSocial's RSA-2048 PKIX keys.
	for _, file := range fixtureKeyFiles {
		k, ok := readPublicKey(t, file).(*rsa.PublicKey)
		if !ok || k.N.BitLen() != 2048 {
			t.Errorf("%s: not an RSA-2048 key", file)
		}
	}
}

func TestSignerErrors(t *testing.T) {
	key, _, _, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://peer.example/users/bob", nil)
	for name, s := range map[string]*httpsig.Signer{
		"no key":          {KeyID: "https://hub.example/a#main-key"},
		"no key id":       {Key: key},
		"quote in key id": {KeyID: `https://hub.example/a"b`, Key: key},
	} {
		if err := s.SignRequest(req, nil); err == nil {
			t.Errorf("%s: SignRequest succeeded", name)
		}
	}
}

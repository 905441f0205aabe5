package httpsig_test

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/archipel/archipel/federation/httpsig"
)

// RFC 9421 Appendix B.1.2: the test-key-rsa-pss public key.
const rfc9421PSSPublicKey = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----
`

// rfc9421B23 is the example request of RFC 9421 Appendix B.2 with the
// signature of Appendix B.2.3 "Full Coverage using rsa-pss-sha512" (the RFC
// prints it wrapped per RFC 8792; it is one line here).
const rfc9421B23 = "POST /foo?param=Value&Pet=dog HTTP/1.1\r\n" +
	"Host: example.com\r\n" +
	"Date: Tue, 20 Apr 2021 02:07:55 GMT\r\n" +
	"Content-Type: application/json\r\n" +
	"Content-Digest: sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\r\n" +
	"Content-Length: 18\r\n" +
	`Signature-Input: sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"` + "\r\n" +
	"Signature: sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:\r\n" +
	"\r\n" +
	`{"hello": "world"}`

func readRaw(t *testing.T, raw string) (*http.Request, []byte) {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	return req, body
}

func TestRFC9421Vector(t *testing.T) {
	pub, err := httpsig.ParsePublicKeyPEM(rfc9421PSSPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Unix(1618884473, 0)
	v := &httpsig.Verifier{Now: func() time.Time { return created.Add(10 * time.Second) }}

	req, body := readRaw(t, rfc9421B23)
	sig, err := parseAndVerify(v, req, body, pub)
	if err != nil {
		t.Fatalf("RFC 9421 B.2.3 does not verify: %v", err)
	}
	if sig.KeyID != "test-key-rsa-pss" || sig.Algorithm != "" {
		t.Errorf("KeyID %q Algorithm %q", sig.KeyID, sig.Algorithm)
	}
	if got := strings.Join(sig.Headers, " "); got != "date @method @path @query @authority content-type content-digest content-length" {
		t.Errorf("Headers = %q", got)
	}

	refusals := []struct {
		name string
		edit func(r *http.Request, body []byte, v *httpsig.Verifier) []byte
		want error
	}{
		{"body changed", func(_ *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			return []byte(`{"hello": "World"}`)
		}, httpsig.ErrDigest},
		{"stale", func(_ *http.Request, body []byte, v *httpsig.Verifier) []byte {
			v.Now = func() time.Time { return created.Add(2 * time.Hour) }
			return body
		}, httpsig.ErrStaleDate},
		{"query changed", func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.URL.RawQuery = "param=Value&Pet=cat"
			return body
		}, httpsig.ErrBadSignature},
		{"signed as rsa-v1_5-sha256", func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Header.Set("Signature-Input", r.Header.Get("Signature-Input")+`;alg="rsa-v1_5-sha256"`)
			return body
		}, httpsig.ErrBadSignature},
		{"path not covered", func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `"@path" `, "", 1))
			return body
		}, httpsig.ErrMalformed},
		{"no Signature value for the label", func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "sig-b23=", "other=", 1))
			return body
		}, httpsig.ErrMalformed},
		{"garbage Signature-Input", func(r *http.Request, body []byte, _ *httpsig.Verifier) []byte {
			r.Header.Set("Signature-Input", `sig-b23=("date" "@method"`)
			return body
		}, httpsig.ErrMalformed},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			req, body := readRaw(t, rfc9421B23)
			v := &httpsig.Verifier{Now: func() time.Time { return created }}
			body = tc.edit(req, body, v)
			_, err := parseAndVerify(v, req, body, pub)
			checkSentinel(t, err, tc.want)
		})
	}
}

// rfc9421Sign signs r independently of the package, from RFC 9421 Section
// 2.5, covering @method, @target-uri, @authority, date and (with a body)
// content-digest, with the given alg parameter ("" for none).
func rfc9421Sign(t *testing.T, r *http.Request, body []byte, keyID, alg string, created int64, sign func([]byte) []byte) {
	t.Helper()
	u, err := url.Parse(r.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	values := []string{r.Method, u.String(), u.Host, r.Header.Get("Date")}
	names := []string{"@method", "@target-uri", "@authority", "date"}
	if body != nil {
		sum := sha256.Sum256(body)
		r.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
		names = append(names, "content-digest")
		values = append(values, r.Header.Get("Content-Digest"))
	}
	var quoted []string
	var base strings.Builder
	for i, n := range names {
		fmt.Fprintf(&base, "\"%s\": %s\n", n, values[i])
		quoted = append(quoted, `"`+n+`"`)
	}
	params := fmt.Sprintf("(%s);created=%d;keyid=\"%s\"", strings.Join(quoted, " "), created, keyID)
	if alg != "" {
		params += `;alg="` + alg + `"`
	}
	base.WriteString(`"@signature-params": ` + params)
	r.Header.Set("Signature-Input", "sig1="+params)
	r.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(sign([]byte(base.String())))+":")
}

func TestRFC9421IndependentSigner(t *testing.T) {
	key, _, _, err := httpsig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv, results := loopbackServer(t, &key.PublicKey)
	v15 := func(msg []byte) []byte {
		sum := sha256.Sum256(msg)
		s, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	pss := func(msg []byte) []byte {
		sum := sha512.Sum512(msg)
		s, err := rsa.SignPSS(rand.Reader, key, crypto.SHA512, sum[:], &rsa.PSSOptions{SaltLength: sha512.Size})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	body := []byte(`{"type":"Follow"}`)
	tests := []struct {
		name   string
		method string
		body   []byte
		alg    string
		sign   func([]byte) []byte
		want   error
	}{
		{"POST rsa-v1_5-sha256", http.MethodPost, body, "rsa-v1_5-sha256", v15, nil},
		{"POST rsa-pss-sha512", http.MethodPost, body, "rsa-pss-sha512", pss, nil},
		{"POST no alg, v1.5", http.MethodPost, body, "", v15, nil},
		{"POST no alg, PSS", http.MethodPost, body, "", pss, nil},
		{"GET rsa-v1_5-sha256", http.MethodGet, nil, "rsa-v1_5-sha256", v15, nil},
		{"PSS labelled v1.5", http.MethodPost, body, "rsa-v1_5-sha256", pss, httpsig.ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rd io.Reader
			if tc.body != nil {
				rd = bytes.NewReader(tc.body)
			}
			req, err := http.NewRequest(tc.method, srv.URL+"/users/alice/inbox?page=1", rd)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
			rfc9421Sign(t, req, tc.body, "https://peer.example/actor#main-key", tc.alg, now.Unix(), tc.sign)
			res := send(t, srv, req, results)
			if tc.want == nil {
				if res.ours != nil {
					t.Fatalf("want success, got %v", res.ours)
				}
				if res.sig.KeyID != "https://peer.example/actor#main-key" || res.sig.Algorithm != tc.alg {
					t.Errorf("KeyID %q Algorithm %q", res.sig.KeyID, res.sig.Algorithm)
				}
				return
			}
			checkSentinel(t, res.ours, tc.want)
		})
	}
}

package httpsig

import (
	"bufio"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRFC9421Ed25519Vector checks the signature base against RFC 9421
// Appendix B.2.6 ("Signing a Request Using ed25519"), whose signature is
// deterministic. Parse refuses that signature (it covers neither the target
// URI nor Content-Digest), so the base is built directly.
func TestRFC9421Ed25519Vector(t *testing.T) {
	const (
		publicKey = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n"
		input     = `sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`
		signature = "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
		wantBase  = `"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@authority": example.com
"content-type": application/json
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`
	)
	raw := "POST /foo?param=Value&Pet=dog HTTP/1.1\r\n" +
		"Host: example.com\r\n" +
		"Date: Tue, 20 Apr 2021 02:07:55 GMT\r\n" +
		"Content-Type: application/json\r\n" +
		"Content-Digest: sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\r\n" +
		"Content-Length: 18\r\n" +
		"Signature-Input: " + input + "\r\n" +
		"Signature: sig-b26=:" + signature + ":\r\n\r\n" +
		`{"hello": "world"}`
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}

	dict, err := parseDictionary(req.Header.Get("Signature-Input"))
	if err != nil || len(dict) != 1 || !dict[0].isList {
		t.Fatalf("parseDictionary: %v %+v", err, dict)
	}
	var components []string
	for _, it := range dict[0].list {
		components = append(components, it.value.(string))
	}
	base, err := rfc9421Base(req, components, serializeInnerList(dict[0].list, dict[0].params))
	if err != nil {
		t.Fatal(err)
	}
	if base != wantBase {
		t.Fatalf("signature base:\n%s\nwant:\n%s", base, wantBase)
	}
	pub, err := ParsePublicKeyPEM(publicKey)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.StdEncoding.DecodeString(signature)
	s := &Signature{KeyID: "test-key-ed25519", Algorithm: "ed25519", Headers: components, base: base, sig: sig, rfc9421: true}
	if err := s.Verify(pub); err != nil {
		t.Fatalf("RFC 9421 B.2.6 does not verify: %v", err)
	}
	if !ed25519.Verify(pub.(ed25519.PublicKey), []byte(wantBase), sig) {
		t.Fatal("the RFC's own base does not verify")
	}

	v := &Verifier{Now: func() time.Time { return time.Unix(1618884473, 0) }}
	if _, err := v.Parse(req, []byte(`{"hello": "world"}`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("Parse of a signature not covering the target: %v, want ErrMalformed", err)
	}
}

func TestStructuredFields(t *testing.T) {
	good := []struct{ in, out string }{
		{`a=("x" "y");created=1;keyid="k\"q\\"`, `("x" "y");created=1;keyid="k\"q\\"`},
		{`a=()`, `()`},
		{`a=(  "x"   "y" );alg=tok/en:1`, `("x" "y");alg=tok/en:1`},
		{`a=("x";p=?1;q)`, `("x";p;q)`},
		{`a=(:AQID: -12 ?0)`, `(:AQID: -12 ?0)`},
	}
	for _, tc := range good {
		d, err := parseDictionary(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := serializeInnerList(d[0].list, d[0].params); got != tc.out {
			t.Errorf("%s: serialized %s, want %s", tc.in, got, tc.out)
		}
	}
	d, err := parseDictionary(`sha-256=:AAAA:,  sha-512=:AQID:, x, sha-256=:AQ==:`)
	if err != nil || len(d) != 3 || d[0].key != "sha-256" || string(d[0].value.([]byte)) != "\x01" || d[2].value != true {
		t.Errorf("dictionary: %v %+v", err, d)
	}
	for _, bad := range []string{`A=1`, `a=(`, `a=("x"`, `a="x`, `a=1,`, `a=1.5`, `a=:@@@:`, `a=?2`, `a=("x")junk`, `a=1 b=2`, `a="\q"`} {
		if _, err := parseDictionary(bad); err == nil {
			t.Errorf("parseDictionary(%q) succeeded", bad)
		}
	}
}

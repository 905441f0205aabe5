// Package httpsig signs and verifies HTTP requests the way fediverse servers
// (Mastodon, PeerTube, GoToSocial) do.
//
// Outgoing requests are signed with draft-cavage-http-signatures-12
// ("Signature: keyId=...,algorithm="rsa-sha256",headers=...,signature=...")
// over "(request-target) host date" plus "digest" when there is a body, with
// an RFC 3230 "Digest: SHA-256=..." header.
//
// Incoming requests are accepted in that form (algorithm rsa-sha256, hs2019,
// rsa-sha512 or ed25519; hs2019 with an RSA key is RSASSA-PKCS1-v1_5 with
// SHA-256, which is what Mastodon and GoToSocial send) and as RFC 9421 HTTP
// Message Signatures ("Signature-Input" and "Signature") with RFC 9530
// "Content-Digest". Verification is split in two: Verifier.Parse does every
// check that needs no key (syntax, coverage, freshness, body digest) so a
// caller can refuse cheaply before fetching the key named by Signature.KeyID,
// and Signature.Verify does the cryptography.
package httpsig

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors. Every error returned by Verifier.Parse and Signature.Verify
// wraps exactly one of them; test with errors.Is.
var (
	// ErrNoSignature means the request carries no signature (answer 401).
	ErrNoSignature = errors.New("httpsig: request is not signed")
	// ErrMalformed means the signature cannot be used: unparsable header,
	// unsupported algorithm, or a required header that is missing or not
	// covered by the signature (answer 401).
	ErrMalformed = errors.New("httpsig: malformed signature")
	// ErrStaleDate means the Date header (or RFC 9421 created parameter) is
	// missing, unparsable or outside the verifier's window (answer 401).
	ErrStaleDate = errors.New("httpsig: date missing or outside the allowed window")
	// ErrDigest means the body digest header is missing, unusable or does not
	// match the body (answer 400).
	ErrDigest = errors.New("httpsig: body digest missing or wrong")
	// ErrBadSignature means the signature does not verify with the given key
	// (answer 401).
	ErrBadSignature = errors.New("httpsig: signature does not verify")
)

// Signer signs outgoing requests as one actor's key.
type Signer struct {
	KeyID string           // e.g. https://hub.example/c/news#main-key
	Key   *rsa.PrivateKey  // the actor's private key
	Now   func() time.Time // nil: time.Now
}

// SignRequest sets Date (fresh, http.TimeFormat, from Now) and, when body is
// not nil, Digest (SHA-256 of body); then it sets Signature with keyId,
// algorithm="rsa-sha256", headers="(request-target) host date" (plus
// " digest" when body is not nil) and the signature.
//
// The host is r.Host if set, else r.URL.Host. (request-target) is the
// lower-cased method, a space and r.URL.RequestURI(). Each call re-signs,
// overwriting Date, Digest and Signature, so a retry gets a fresh Date.
func (s *Signer) SignRequest(r *http.Request, body []byte) error {
	if s == nil || s.Key == nil {
		return errors.New("httpsig: signer has no key")
	}
	if s.KeyID == "" || strings.ContainsAny(s.KeyID, "\"\r\n") {
		return fmt.Errorf("httpsig: unusable key id %q", s.KeyID)
	}
	if r.URL == nil {
		return errors.New("httpsig: request has no URL")
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	if host == "" {
		return errors.New("httpsig: request has no host")
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	r.Header.Set("Date", now().UTC().Format(http.TimeFormat))
	headers := []string{"(request-target)", "host", "date"}
	if body != nil {
		r.Header.Set("Digest", Digest(body))
		headers = append(headers, "digest")
	} else {
		r.Header.Del("Digest")
	}
	signingString, err := cavageSigningString(r, host, headers, nil)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(signingString))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.Key, crypto.SHA256, sum[:])
	if err != nil {
		return fmt.Errorf("httpsig: signing: %w", err)
	}
	r.Header.Set("Signature", fmt.Sprintf(`keyId="%s",algorithm="rsa-sha256",headers="%s",signature="%s"`,
		s.KeyID, strings.Join(headers, " "), base64.StdEncoding.EncodeToString(sig)))
	return nil
}

// Digest returns the RFC 3230 Digest header value for body:
// "SHA-256=" followed by the standard base64 of its SHA-256.
func Digest(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

// cavageSigningString builds the draft-cavage signing string for the given
// lower-case header names. host is the value used for "host"; params holds
// the signature parameters for "(created)" and "(expires)".
func cavageSigningString(r *http.Request, host string, headers []string, params map[string]string) (string, error) {
	var b strings.Builder
	for i, h := range headers {
		var v string
		switch h {
		case "(request-target)":
			method := r.Method
			if method == "" {
				method = http.MethodGet
			}
			v = strings.ToLower(method) + " " + r.URL.RequestURI()
		case "(created)", "(expires)":
			v = params[strings.Trim(h, "()")]
			if v == "" {
				return "", fmt.Errorf("%w: %s is signed but the %s parameter is missing", ErrMalformed, h, strings.Trim(h, "()"))
			}
		case "host":
			if host == "" {
				return "", fmt.Errorf("%w: signed header host is missing", ErrMalformed)
			}
			v = host
		default:
			var err error
			if v, err = headerValue(r, h); err != nil {
				return "", err
			}
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(h)
		b.WriteString(": ")
		b.WriteString(v)
	}
	return b.String(), nil
}

// headerValue returns the values of header name joined with ", ", or an
// ErrMalformed error when the request lacks it.
func headerValue(r *http.Request, name string) (string, error) {
	vals := r.Header.Values(name)
	if len(vals) == 0 {
		return "", fmt.Errorf("%w: signed header %s is missing", ErrMalformed, name)
	}
	trimmed := make([]string, len(vals))
	for i, v := range vals {
		trimmed[i] = strings.TrimSpace(v)
	}
	return strings.Join(trimmed, ", "), nil
}

// GenerateKey makes an RSA-2048 key and returns it with its PKCS#8
// "PRIVATE KEY" PEM and PKIX "PUBLIC KEY" PEM.
func GenerateKey() (key *rsa.PrivateKey, privatePEM, publicPEM string, err error) {
	key, err = rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, "", "", fmt.Errorf("httpsig: generating key: %w", err)
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, "", "", fmt.Errorf("httpsig: encoding private key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, "", "", fmt.Errorf("httpsig: encoding public key: %w", err)
	}
	privatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}))
	publicPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	return key, privatePEM, publicPEM, nil
}

// ParsePublicKeyPEM parses a "PUBLIC KEY" (PKIX) or "RSA PUBLIC KEY"
// (PKCS#1) PEM block. It returns an *rsa.PublicKey or an ed25519.PublicKey.
func ParsePublicKeyPEM(pemText string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		return nil, errors.New("httpsig: no PEM block in public key")
	}
	// Some servers publish PKCS#1 under the PKIX label and the other way
	// round, so try both encodings whatever the label says.
	if key, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		return key, nil
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("httpsig: parsing %s: %w", block.Type, err)
	}
	switch k := key.(type) {
	case *rsa.PublicKey, ed25519.PublicKey:
		return k, nil
	default:
		return nil, fmt.Errorf("httpsig: unsupported public key type %T", key)
	}
}

// ParsePrivateKeyPEM parses a PKCS#8 ("PRIVATE KEY") or PKCS#1
// ("RSA PRIVATE KEY") RSA private key PEM block.
func ParsePrivateKeyPEM(pemText string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		return nil, errors.New("httpsig: no PEM block in private key")
	}
	if key, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return key, nil
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("httpsig: parsing %s: %w", block.Type, err)
	}
	rsaKey, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("httpsig: private key is %T, not RSA", key)
	}
	return rsaKey, nil
}

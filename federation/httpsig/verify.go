package httpsig

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// defaultWindow is the clock skew allowed when Verifier.Window is zero.
const defaultWindow = time.Hour

// Verifier checks incoming signatures.
type Verifier struct {
	Window time.Duration    // allowed |now - Date| skew; 0 means 1 hour
	Now    func() time.Time // nil: time.Now
}

// Signature is a parsed, freshness- and digest-checked, not yet
// cryptographically verified signature.
type Signature struct {
	KeyID     string
	Algorithm string   // as labelled: "rsa-sha256", "hs2019", or for RFC 9421 the alg param ("" when absent)
	Headers   []string // covered headers/components, lower-case

	base    string // cavage signing string or RFC 9421 signature base
	sig     []byte // signature bytes
	rfc9421 bool   // the signature is an RFC 9421 one
}

// Parse reads the signature of r: an RFC 9421 Signature-Input/Signature pair
// when Signature-Input is present, else a draft-cavage Signature header (or
// "Authorization: Signature ..."). It checks everything that needs no key:
//
//   - the signature covers (request-target), host and date (cavage), or
//     @method, the target (@target-uri, @request-target, or @path with
//     @query) and the authority (@authority, @target-uri or host) (RFC 9421);
//   - the Date header (cavage) or the created parameter (RFC 9421; the Date
//     header when created is absent and date is covered) is within Window of
//     Now, and an expires parameter has not passed;
//   - when body is non-empty or the method is POST, PUT or PATCH, a Digest or
//     Content-Digest header is present, covered by the signature and matches
//     body; any covered digest header is checked in any case. SHA-256 and
//     SHA-512 digests are understood; others are ignored.
//
// body is the full request body, already read by the caller. The returned
// error wraps exactly one of the package's sentinel errors.
func (v *Verifier) Parse(r *http.Request, body []byte) (*Signature, error) {
	if r == nil || r.URL == nil {
		return nil, fmt.Errorf("%w: no request URL", ErrMalformed)
	}
	if len(r.Header.Values("Signature-Input")) > 0 {
		return v.parseRFC9421(r, body)
	}
	raw := strings.TrimSpace(strings.Join(r.Header.Values("Signature"), ","))
	if raw == "" {
		const scheme = "signature "
		auth := strings.TrimSpace(r.Header.Get("Authorization"))
		if len(auth) > len(scheme) && strings.EqualFold(auth[:len(scheme)], scheme) {
			raw = strings.TrimSpace(auth[len(scheme):])
		}
	}
	if raw == "" {
		return nil, ErrNoSignature
	}
	return v.parseCavage(r, body, raw)
}

func (v *Verifier) now() time.Time {
	if v != nil && v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// fresh reports whether t is within the window of now.
func (v *Verifier) fresh(now, t time.Time) bool {
	var w time.Duration
	if v != nil {
		w = v.Window
	}
	if w <= 0 {
		w = defaultWindow
	}
	d := now.Sub(t)
	return d <= w && d >= -w
}

// checkDate checks the request's Date header against the window.
func (v *Verifier) checkDate(r *http.Request, now time.Time) error {
	d := r.Header.Get("Date")
	if d == "" {
		return fmt.Errorf("%w: no Date header", ErrStaleDate)
	}
	t, err := http.ParseTime(d)
	if err != nil {
		return fmt.Errorf("%w: unparsable Date %q", ErrStaleDate, d)
	}
	if !v.fresh(now, t) {
		return fmt.Errorf("%w: Date %q is %s away from now", ErrStaleDate, d, now.Sub(t).Round(time.Second))
	}
	return nil
}

// checkTimes checks the created and expires signature parameters, given as
// Unix times, when present: created must be within the window and expires
// must not have passed.
func (v *Verifier) checkTimes(now time.Time, created, expires int64, hasCreated, hasExpires bool) error {
	if hasCreated {
		if t := time.Unix(created, 0); !v.fresh(now, t) {
			return fmt.Errorf("%w: created %s is %s away from now", ErrStaleDate, t.UTC().Format(time.RFC3339), now.Sub(t).Round(time.Second))
		}
	}
	if hasExpires {
		if t := time.Unix(expires, 0); now.After(t) {
			return fmt.Errorf("%w: signature expired at %s", ErrStaleDate, t.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// requestHost is the host the request was sent to: a Host header if the
// header map has one, else r.Host (where Go's server puts it), else the URL's.
func requestHost(r *http.Request) string {
	if h := r.Header.Get("Host"); h != "" {
		return h
	}
	if r.Host != "" {
		return r.Host
	}
	if r.URL != nil {
		return r.URL.Host
	}
	return ""
}

// parseCavage parses and checks a draft-cavage signature header value.
func (v *Verifier) parseCavage(r *http.Request, body []byte, raw string) (*Signature, error) {
	params, err := parseCavageParams(raw)
	if err != nil {
		return nil, err
	}
	keyID := params["keyid"]
	if keyID == "" {
		return nil, fmt.Errorf("%w: no keyId", ErrMalformed)
	}
	if params["signature"] == "" {
		return nil, fmt.Errorf("%w: no signature parameter", ErrMalformed)
	}
	sig, err := decodeBase64(params["signature"])
	if err != nil {
		return nil, fmt.Errorf("%w: signature parameter is not base64", ErrMalformed)
	}
	alg := strings.ToLower(params["algorithm"])
	switch alg {
	case "", "hs2019", "rsa-sha256", "rsa-sha512", "ed25519":
	default:
		return nil, fmt.Errorf("%w: unsupported algorithm %q", ErrMalformed, params["algorithm"])
	}
	headers := []string{"(created)"} // the draft's default
	if h, ok := params["headers"]; ok {
		headers = strings.Fields(strings.ToLower(h))
	}
	for _, need := range []string{"(request-target)", "host", "date"} {
		if !slices.Contains(headers, need) {
			return nil, fmt.Errorf("%w: signature does not cover %s", ErrMalformed, need)
		}
	}
	var created, expires int64
	_, hasCreated := params["created"]
	_, hasExpires := params["expires"]
	if hasCreated {
		if created, err = strconv.ParseInt(params["created"], 10, 64); err != nil {
			return nil, fmt.Errorf("%w: bad created parameter", ErrMalformed)
		}
	}
	if hasExpires {
		if expires, err = strconv.ParseInt(params["expires"], 10, 64); err != nil {
			return nil, fmt.Errorf("%w: bad expires parameter", ErrMalformed)
		}
	}
	now := v.now()
	if err := v.checkDate(r, now); err != nil {
		return nil, err
	}
	if err := v.checkTimes(now, created, expires, hasCreated, hasExpires); err != nil {
		return nil, err
	}
	if err := checkBody(r, body, headers); err != nil {
		return nil, err
	}
	base, err := cavageSigningString(r, requestHost(r), headers, params)
	if err != nil {
		return nil, err
	}
	return &Signature{KeyID: keyID, Algorithm: alg, Headers: headers, base: base, sig: sig}, nil
}

// parseCavageParams splits a draft-cavage parameter list
// (name="value",name=value,...) into a map keyed by lower-case name. Quoted
// values run to the next double quote; whitespace around names, "=" and
// commas is ignored.
func parseCavageParams(s string) (map[string]string, error) {
	params := make(map[string]string)
	i := 0
	skip := func(set string) {
		for i < len(s) && strings.IndexByte(set, s[i]) >= 0 {
			i++
		}
	}
	for {
		skip(" \t,")
		if i >= len(s) {
			break
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		name := strings.ToLower(s[start:i])
		skip(" \t")
		if name == "" || i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("%w: expected name=value in signature header", ErrMalformed)
		}
		i++
		skip(" \t")
		var value string
		if i < len(s) && s[i] == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("%w: unterminated quoted %s", ErrMalformed, name)
			}
			value = s[i+1 : i+1+end]
			i += end + 2
		} else {
			start := i
			for i < len(s) && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
				i++
			}
			value = s[start:i]
		}
		if _, dup := params[name]; dup {
			return nil, fmt.Errorf("%w: duplicate parameter %s", ErrMalformed, name)
		}
		params[name] = value
		skip(" \t")
		if i < len(s) && s[i] != ',' {
			return nil, fmt.Errorf("%w: junk after parameter %s", ErrMalformed, name)
		}
	}
	return params, nil
}

// decodeBase64 decodes standard base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// checkBody enforces the digest rules of Parse; covered lists the signed
// header names.
func checkBody(r *http.Request, body []byte, covered []string) error {
	digests := r.Header.Values("Digest")
	contentDigests := r.Header.Values("Content-Digest")
	coversDigest := slices.Contains(covered, "digest")
	coversContentDigest := slices.Contains(covered, "content-digest")
	required := len(body) > 0 || r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch
	if required {
		if len(digests) == 0 && len(contentDigests) == 0 {
			return fmt.Errorf("%w: request has a body but no Digest header", ErrDigest)
		}
		if !(coversDigest && len(digests) > 0) && !(coversContentDigest && len(contentDigests) > 0) {
			return fmt.Errorf("%w: signature does not cover the body digest", ErrMalformed)
		}
	}
	if coversDigest {
		if err := matchDigest(digests, body); err != nil {
			return err
		}
	}
	if coversContentDigest {
		if err := matchContentDigest(contentDigests, body); err != nil {
			return err
		}
	}
	return nil
}

// digestOf returns the digest of body under a known algorithm name
// (case-insensitive), or nil.
func digestOf(alg string, body []byte) []byte {
	switch strings.ToLower(alg) {
	case "sha-256":
		sum := sha256.Sum256(body)
		return sum[:]
	case "sha-512":
		sum := sha512.Sum512(body)
		return sum[:]
	}
	return nil
}

// matchDigest checks RFC 3230 Digest values ("SHA-256=<base64>, ...").
func matchDigest(values []string, body []byte) error {
	if len(values) == 0 {
		return fmt.Errorf("%w: no Digest header", ErrDigest)
	}
	known := false
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				return fmt.Errorf("%w: malformed Digest %q", ErrDigest, part)
			}
			want := digestOf(strings.TrimSpace(alg), body)
			if want == nil {
				continue
			}
			known = true
			got, err := decodeBase64(strings.TrimSpace(val))
			if err != nil || subtle.ConstantTimeCompare(got, want) != 1 {
				return fmt.Errorf("%w: %s digest does not match the body", ErrDigest, alg)
			}
		}
	}
	if !known {
		return fmt.Errorf("%w: Digest has no SHA-256 or SHA-512 value", ErrDigest)
	}
	return nil
}

// matchContentDigest checks RFC 9530 Content-Digest values
// ("sha-256=:<base64>:, ...").
func matchContentDigest(values []string, body []byte) error {
	if len(values) == 0 {
		return fmt.Errorf("%w: no Content-Digest header", ErrDigest)
	}
	dict, err := parseDictionary(strings.Join(values, ", "))
	if err != nil {
		return fmt.Errorf("%w: unparsable Content-Digest: %v", ErrDigest, err)
	}
	known := false
	for _, m := range dict {
		want := digestOf(m.key, body)
		if want == nil {
			continue
		}
		known = true
		got, ok := m.value.([]byte)
		if m.isList || !ok || subtle.ConstantTimeCompare(got, want) != 1 {
			return fmt.Errorf("%w: %s content digest does not match the body", ErrDigest, m.key)
		}
	}
	if !known {
		return fmt.Errorf("%w: Content-Digest has no sha-256 or sha-512 value", ErrDigest)
	}
	return nil
}

// Verify checks the signature bytes against pub, an *rsa.PublicKey or an
// ed25519.PublicKey. rsa-sha256, rsa-v1_5-sha256, and hs2019 with an RSA key
// are RSASSA-PKCS1-v1_5 with SHA-256; rsa-sha512 is RSASSA-PKCS1-v1_5 with
// SHA-512; rsa-pss-sha512 is RSASSA-PSS with SHA-512; hs2019 or ed25519 with
// an Ed25519 key is Ed25519. An RFC 9421 signature without alg and with an
// RSA key is accepted as either rsa-v1_5-sha256 or rsa-pss-sha512. Failures
// wrap ErrBadSignature.
func (s *Signature) Verify(pub crypto.PublicKey) error {
	if s == nil {
		return fmt.Errorf("%w: no signature", ErrBadSignature)
	}
	msg := []byte(s.base)
	switch s.Algorithm {
	case "rsa-sha256", "rsa-v1_5-sha256":
		return verifyPKCS1(pub, crypto.SHA256, msg, s.sig)
	case "rsa-sha512":
		return verifyPKCS1(pub, crypto.SHA512, msg, s.sig)
	case "rsa-pss-sha512":
		return verifyPSS(pub, msg, s.sig)
	case "ed25519":
		return verifyEd25519(pub, msg, s.sig)
	case "hs2019", "":
		switch pub.(type) {
		case ed25519.PublicKey:
			return verifyEd25519(pub, msg, s.sig)
		case *rsa.PublicKey:
			err := verifyPKCS1(pub, crypto.SHA256, msg, s.sig)
			if err != nil && s.rfc9421 && verifyPSS(pub, msg, s.sig) == nil {
				return nil
			}
			return err
		}
		return fmt.Errorf("%w: unsupported key type %T", ErrBadSignature, pub)
	}
	return fmt.Errorf("%w: unsupported algorithm %q", ErrBadSignature, s.Algorithm)
}

func rsaKey(pub crypto.PublicKey, alg string) (*rsa.PublicKey, error) {
	key, ok := pub.(*rsa.PublicKey)
	if !ok || key == nil {
		return nil, fmt.Errorf("%w: %s needs an RSA key, got %T", ErrBadSignature, alg, pub)
	}
	return key, nil
}

func verifyPKCS1(pub crypto.PublicKey, h crypto.Hash, msg, sig []byte) error {
	key, err := rsaKey(pub, "RSASSA-PKCS1-v1_5")
	if err != nil {
		return err
	}
	hash := h.New()
	hash.Write(msg)
	if err := rsa.VerifyPKCS1v15(key, h, hash.Sum(nil), sig); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}

func verifyPSS(pub crypto.PublicKey, msg, sig []byte) error {
	key, err := rsaKey(pub, "RSASSA-PSS")
	if err != nil {
		return err
	}
	sum := sha512.Sum512(msg)
	opts := &rsa.PSSOptions{SaltLength: sha512.Size, Hash: crypto.SHA512}
	if err := rsa.VerifyPSS(key, crypto.SHA512, sum[:], sig, opts); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}

func verifyEd25519(pub crypto.PublicKey, msg, sig []byte) error {
	key, ok := pub.(ed25519.PublicKey)
	if !ok || len(key) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: ed25519 needs an Ed25519 key, got %T", ErrBadSignature, pub)
	}
	if !ed25519.Verify(key, msg, sig) {
		return fmt.Errorf("%w: ed25519 verification failed", ErrBadSignature)
	}
	return nil
}

// parseRFC9421 parses and checks an RFC 9421 signature. Of several
// signatures, the first label of Signature-Input that also has a Signature
// value is used.
func (v *Verifier) parseRFC9421(r *http.Request, body []byte) (*Signature, error) {
	inputs, err := parseDictionary(strings.Join(r.Header.Values("Signature-Input"), ", "))
	if err != nil {
		return nil, fmt.Errorf("%w: Signature-Input: %v", ErrMalformed, err)
	}
	sigs, err := parseDictionary(strings.Join(r.Header.Values("Signature"), ", "))
	if err != nil {
		return nil, fmt.Errorf("%w: Signature: %v", ErrMalformed, err)
	}
	var input, sigMember *sfMember
	for i := range inputs {
		for j := range sigs {
			if sigs[j].key == inputs[i].key {
				input, sigMember = &inputs[i], &sigs[j]
				break
			}
		}
		if input != nil {
			break
		}
	}
	if input == nil {
		return nil, fmt.Errorf("%w: no Signature value for any Signature-Input label", ErrMalformed)
	}
	sig, ok := sigMember.value.([]byte)
	if sigMember.isList || !ok || len(sig) == 0 {
		return nil, fmt.Errorf("%w: signature %s is not a byte sequence", ErrMalformed, sigMember.key)
	}
	if !input.isList {
		return nil, fmt.Errorf("%w: Signature-Input %s is not an inner list", ErrMalformed, input.key)
	}

	components := make([]string, 0, len(input.list))
	for _, item := range input.list {
		name, ok := item.value.(string)
		if !ok {
			return nil, fmt.Errorf("%w: component identifier is not a string", ErrMalformed)
		}
		if len(item.params) > 0 {
			return nil, fmt.Errorf("%w: component parameters on %q are not supported", ErrMalformed, name)
		}
		if name == "" || name != strings.ToLower(name) || slices.Contains(components, name) {
			return nil, fmt.Errorf("%w: bad or repeated component %q", ErrMalformed, name)
		}
		components = append(components, name)
	}

	var (
		keyID, alg                   string
		created, expires             int64
		hasCreated, hasExpires, isOK bool
	)
	for _, p := range input.params {
		switch p.key {
		case "keyid":
			keyID, isOK = p.value.(string)
		case "alg":
			alg, isOK = p.value.(string)
		case "created":
			created, isOK = p.value.(int64)
			hasCreated = true
		case "expires":
			expires, isOK = p.value.(int64)
			hasExpires = true
		default: // nonce, tag and extensions
			isOK = true
		}
		if !isOK {
			return nil, fmt.Errorf("%w: bad %s parameter", ErrMalformed, p.key)
		}
	}
	if keyID == "" {
		return nil, fmt.Errorf("%w: no keyid parameter", ErrMalformed)
	}
	switch alg {
	case "", "rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519":
	default:
		return nil, fmt.Errorf("%w: unsupported alg %q", ErrMalformed, alg)
	}

	has := func(c string) bool { return slices.Contains(components, c) }
	if !has("@method") {
		return nil, fmt.Errorf("%w: signature does not cover @method", ErrMalformed)
	}
	noQuery := r.URL.RawQuery == "" && !r.URL.ForceQuery
	if !has("@target-uri") && !has("@request-target") && !(has("@path") && (has("@query") || noQuery)) {
		return nil, fmt.Errorf("%w: signature does not cover @target-uri", ErrMalformed)
	}
	if !has("@authority") && !has("@target-uri") && !has("host") {
		return nil, fmt.Errorf("%w: signature does not cover @authority", ErrMalformed)
	}

	now := v.now()
	switch {
	case hasCreated:
		if err := v.checkTimes(now, created, expires, hasCreated, hasExpires); err != nil {
			return nil, err
		}
	case has("date"):
		if err := v.checkDate(r, now); err != nil {
			return nil, err
		}
		if err := v.checkTimes(now, 0, expires, false, hasExpires); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: no created parameter and Date is not signed", ErrStaleDate)
	}
	if err := checkBody(r, body, components); err != nil {
		return nil, err
	}
	base, err := rfc9421Base(r, components, serializeInnerList(input.list, input.params))
	if err != nil {
		return nil, err
	}
	return &Signature{KeyID: keyID, Algorithm: alg, Headers: components, base: base, sig: sig, rfc9421: true}, nil
}

// rfc9421Base builds the RFC 9421 signature base from the covered
// components and the serialized signature parameters.
func rfc9421Base(r *http.Request, components []string, params string) (string, error) {
	var b strings.Builder
	for _, c := range components {
		v, err := componentValue(r, c)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s: %s\n", serializeBare(c), v)
	}
	b.WriteString(`"@signature-params": `)
	b.WriteString(params)
	return b.String(), nil
}

// componentValue returns the RFC 9421 value of one component of r.
func componentValue(r *http.Request, c string) (string, error) {
	switch c {
	case "@method":
		if r.Method == "" {
			return http.MethodGet, nil
		}
		return r.Method, nil
	case "@scheme":
		return requestScheme(r), nil
	case "@authority":
		return requestAuthority(r), nil
	case "@target-uri":
		return requestScheme(r) + "://" + requestAuthority(r) + r.URL.RequestURI(), nil
	case "@request-target":
		return r.URL.RequestURI(), nil
	case "@path":
		if p := r.URL.EscapedPath(); p != "" {
			return p, nil
		}
		return "/", nil
	case "@query":
		return "?" + r.URL.RawQuery, nil
	case "host":
		if h := requestHost(r); h != "" {
			return h, nil
		}
	}
	if strings.HasPrefix(c, "@") {
		return "", fmt.Errorf("%w: unsupported component %s", ErrMalformed, c)
	}
	return headerValue(r, c)
}

// requestScheme is the URL scheme of r: the URL's if it has one, else an
// X-Forwarded-Proto of http or https set by a reverse proxy, else https for
// TLS connections and http otherwise.
func requestScheme(r *http.Request) string {
	if r.URL.Scheme != "" {
		return strings.ToLower(r.URL.Scheme)
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	if proto = strings.ToLower(strings.TrimSpace(proto)); proto == "http" || proto == "https" {
		return proto
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// requestAuthority is the lower-cased host of r without the scheme's
// default port.
func requestAuthority(r *http.Request) string {
	host := strings.ToLower(requestHost(r))
	switch requestScheme(r) {
	case "https":
		host = strings.TrimSuffix(host, ":443")
	case "http":
		host = strings.TrimSuffix(host, ":80")
	}
	return host
}

// Structured field values (RFC 8941), as much as RFC 9421 and RFC 9530 use:
// dictionaries of items or inner lists, with integer, string, token, byte
// sequence and boolean values. Decimals are not supported.

// sfToken is a structured-field token, kept apart from strings so that it
// serializes without quotes.
type sfToken string

// sfParam is one parameter; value is int64, string, sfToken, []byte or bool.
type sfParam struct {
	key   string
	value any
}

// sfItem is a bare item with its parameters.
type sfItem struct {
	value  any
	params []sfParam
}

// sfMember is one dictionary member: an item (value, params) or an inner
// list (isList, list, params).
type sfMember struct {
	key    string
	value  any
	isList bool
	list   []sfItem
	params []sfParam
}

type sfParser struct {
	s string
	i int
}

func (p *sfParser) errorf(format string, args ...any) error {
	return fmt.Errorf("structured field, offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *sfParser) done() bool { return p.i >= len(p.s) }

func (p *sfParser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *sfParser) skip(set string) {
	for !p.done() && strings.IndexByte(set, p.s[p.i]) >= 0 {
		p.i++
	}
}

// parseDictionary parses an RFC 8941 dictionary; a repeated key keeps its
// first position and its last value.
func parseDictionary(s string) ([]sfMember, error) {
	p := &sfParser{s: s}
	var out []sfMember
	p.skip(" \t")
	for !p.done() {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		m := sfMember{key: key}
		switch {
		case p.peek() != '=':
			m.value = true
			m.params, err = p.parameters()
		case p.i+1 < len(p.s) && p.s[p.i+1] == '(':
			p.i++
			m.isList = true
			m.list, m.params, err = p.innerList()
		default:
			p.i++
			var it sfItem
			it, err = p.item()
			m.value, m.params = it.value, it.params
		}
		if err != nil {
			return nil, err
		}
		if j := slices.IndexFunc(out, func(o sfMember) bool { return o.key == key }); j >= 0 {
			out[j] = m
		} else {
			out = append(out, m)
		}
		p.skip(" \t")
		if p.done() {
			break
		}
		if p.peek() != ',' {
			return nil, p.errorf("expected comma")
		}
		p.i++
		p.skip(" \t")
		if p.done() {
			return nil, p.errorf("trailing comma")
		}
	}
	return out, nil
}

func (p *sfParser) key() (string, error) {
	c := p.peek()
	if !(c >= 'a' && c <= 'z' || c == '*') {
		return "", p.errorf("bad key")
	}
	start := p.i
	for !p.done() {
		c := p.s[p.i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("_-.*", c) >= 0) {
			break
		}
		p.i++
	}
	return p.s[start:p.i], nil
}

func (p *sfParser) innerList() ([]sfItem, []sfParam, error) {
	p.i++ // (
	var items []sfItem
	for !p.done() {
		p.skip(" ")
		if p.peek() == ')' {
			p.i++
			params, err := p.parameters()
			return items, params, err
		}
		it, err := p.item()
		if err != nil {
			return nil, nil, err
		}
		items = append(items, it)
		if c := p.peek(); c != ' ' && c != ')' {
			return nil, nil, p.errorf("bad inner list")
		}
	}
	return nil, nil, p.errorf("unterminated inner list")
}

func (p *sfParser) item() (sfItem, error) {
	v, err := p.bareItem()
	if err != nil {
		return sfItem{}, err
	}
	params, err := p.parameters()
	return sfItem{value: v, params: params}, err
}

func (p *sfParser) parameters() ([]sfParam, error) {
	var params []sfParam
	for p.peek() == ';' {
		p.i++
		p.skip(" ")
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		var v any = true
		if p.peek() == '=' {
			p.i++
			if v, err = p.bareItem(); err != nil {
				return nil, err
			}
		}
		if j := slices.IndexFunc(params, func(o sfParam) bool { return o.key == key }); j >= 0 {
			params[j].value = v
		} else {
			params = append(params, sfParam{key, v})
		}
	}
	return params, nil
}

func (p *sfParser) bareItem() (any, error) {
	c := p.peek()
	switch {
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		if c == '-' {
			p.i++
		}
		digits := p.i
		for !p.done() && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == digits || p.i-digits > 15 || p.peek() == '.' {
			return nil, p.errorf("unsupported number")
		}
		return strconv.ParseInt(p.s[start:p.i], 10, 64)
	case c == '"':
		p.i++
		var b strings.Builder
		for !p.done() {
			c := p.s[p.i]
			p.i++
			switch {
			case c == '"':
				return b.String(), nil
			case c == '\\':
				if n := p.peek(); n != '"' && n != '\\' {
					return nil, p.errorf("bad escape")
				}
				b.WriteByte(p.s[p.i])
				p.i++
			case c < 0x20 || c > 0x7e:
				return nil, p.errorf("bad character in string")
			default:
				b.WriteByte(c)
			}
		}
		return nil, p.errorf("unterminated string")
	case c == ':':
		p.i++
		end := strings.IndexByte(p.s[p.i:], ':')
		if end < 0 {
			return nil, p.errorf("unterminated byte sequence")
		}
		b, err := decodeBase64(p.s[p.i : p.i+end])
		if err != nil {
			return nil, p.errorf("bad base64")
		}
		p.i += end + 1
		return b, nil
	case c == '?':
		if p.i+1 < len(p.s) && (p.s[p.i+1] == '0' || p.s[p.i+1] == '1') {
			p.i += 2
			return p.s[p.i-1] == '1', nil
		}
		return nil, p.errorf("bad boolean")
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*':
		start := p.i
		for !p.done() {
			c := p.s[p.i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~:/", c) >= 0) {
				break
			}
			p.i++
		}
		return sfToken(p.s[start:p.i]), nil
	}
	return nil, p.errorf("unexpected character %q", c)
}

// serializeInnerList serializes an inner list with its parameters as RFC
// 8941 prescribes; this is the value of "@signature-params".
func serializeInnerList(items []sfItem, params []sfParam) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(serializeBare(it.value))
		b.WriteString(serializeParams(it.params))
	}
	b.WriteByte(')')
	b.WriteString(serializeParams(params))
	return b.String()
}

func serializeParams(params []sfParam) string {
	var b strings.Builder
	for _, p := range params {
		b.WriteByte(';')
		b.WriteString(p.key)
		if v, ok := p.value.(bool); !ok || !v {
			b.WriteByte('=')
			b.WriteString(serializeBare(p.value))
		}
	}
	return b.String()
}

func serializeBare(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(x) + `"`
	case sfToken:
		return string(x)
	case []byte:
		return ":" + base64.StdEncoding.EncodeToString(x) + ":"
	case bool:
		if x {
			return "?1"
		}
		return "?0"
	}
	panic(fmt.Sprintf("httpsig: cannot serialize %T", v))
}

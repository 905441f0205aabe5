package keys

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Key is a remote actor's public key.
type Key struct {
	ID        string // the key id as published (publicKey.id)
	Owner     string // the id of the actor that owns the key (publicKey.owner)
	PublicKey crypto.PublicKey
	PEM       string // publicKeyPem as published
}

// Errors of Fetchers, ParseKeyDocument and the Cache.
var (
	// ErrGone means the key or its actor is gone (HTTP 410). A Fetcher
	// wraps it; the Cache then remembers the key as a tombstone.
	ErrGone = errors.New("keys: the key or its actor is gone")
	// ErrNotFound means the fetched document holds no key with that id.
	ErrNotFound = errors.New("keys: no such key in the document")
)

// isActorType reports whether t is an ActivityStreams actor type.
func isActorType(t string) bool {
	switch t {
	case "Person", "Service", "Application", "Group", "Organization":
		return true
	}
	return false
}

// ParseKeyDocument finds the key keyID in the ActivityPub document body.
//
// The document may be an actor whose publicKey is an object or an array of
// objects (Mastodon, PeerTube, ...); a key stub (GoToSocial serves, at the
// <actor>/main-key URL, a Person stub whose top-level id is the actor's, not
// the key's); or a bare key object {id, owner, publicKeyPem}.
//
// The key's id must equal keyID exactly, with one exception: when the
// document holds exactly one key, keyID and the key's id differ only in
// their fragment, and keyID without its fragment is the document's id (a
// server signing with its actor id as keyId, as PeerTube does), that key is
// accepted.
//
// The key's owner is required; when it is missing and the key is embedded
// in an actor, the actor's id is used. An owner on another origin (scheme
// and host) than keyID, or an embedded key owned by another actor than the
// one that embeds it, is refused. The PEM may be PKIX ("PUBLIC KEY") or
// PKCS #1 ("RSA PUBLIC KEY").
func ParseKeyDocument(body []byte, keyID string) (*Key, error) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("keys: parsing key document: %w", err)
	}
	if doc == nil {
		return nil, errors.New("keys: key document is not a JSON object")
	}
	docID, _ := doc["id"].(string)

	type candidate struct {
		obj      map[string]any
		embedded bool // in the publicKey of the document, not the document itself
	}
	var cands []candidate
	switch pk := doc["publicKey"].(type) {
	case map[string]any:
		cands = append(cands, candidate{pk, true})
	case []any:
		for _, v := range pk {
			if m, ok := v.(map[string]any); ok {
				cands = append(cands, candidate{m, true})
			}
		}
	}
	if _, ok := doc["publicKeyPem"]; ok && len(cands) == 0 {
		cands = append(cands, candidate{doc, false}) // a bare key object
	}

	var found *candidate
	for i := range cands {
		if id, _ := cands[i].obj["id"].(string); id != "" && id == keyID {
			found = &cands[i]
			break
		}
	}
	if found == nil && len(cands) == 1 && docID != "" {
		id, _ := cands[0].obj["id"].(string)
		base := stripFragment(keyID)
		if id != "" && stripFragment(id) == base && docID == base {
			found = &cands[0]
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, keyID)
	}

	id, _ := found.obj["id"].(string)
	owner := idOf(found.obj["owner"])
	if found.embedded && docID != "" {
		if owner == "" && isActor(doc) {
			owner = docID
		}
		if owner != "" && owner != docID {
			return nil, fmt.Errorf("keys: key %s is owned by %s, not by the actor %s that publishes it", id, owner, docID)
		}
	}
	if owner == "" {
		return nil, fmt.Errorf("keys: key %s has no owner", id)
	}
	if !sameOrigin(owner, keyID) {
		return nil, fmt.Errorf("keys: key %s is owned by %s, on another host", keyID, owner)
	}

	pemText, _ := found.obj["publicKeyPem"].(string)
	pub, err := ParsePublicKeyPEM(pemText)
	if err != nil {
		return nil, fmt.Errorf("keys: key %s: %w", id, err)
	}
	return &Key{ID: id, Owner: owner, PublicKey: pub, PEM: pemText}, nil
}

// ParsePublicKeyPEM parses the first PEM block of s as a PKIX ("PUBLIC
// KEY") or PKCS #1 ("RSA PUBLIC KEY") public key.
func ParsePublicKeyPEM(s string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("no PEM block in publicKeyPem")
	}
	switch block.Type {
	case "PUBLIC KEY":
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			// Some servers label PKCS #1 DER as "PUBLIC KEY".
			if rsaPub, err2 := x509.ParsePKCS1PublicKey(block.Bytes); err2 == nil {
				return rsaPub, nil
			}
			return nil, fmt.Errorf("parsing PKIX public key: %w", err)
		}
		return pub, nil
	case "RSA PUBLIC KEY":
		pub, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing PKCS #1 public key: %w", err)
		}
		return pub, nil
	default:
		return nil, fmt.Errorf("unexpected PEM block type %q", block.Type)
	}
}

// isActor reports whether doc looks like an actor: an actor type, or an
// inbox.
func isActor(doc map[string]any) bool {
	switch t := doc["type"].(type) {
	case string:
		if isActorType(t) {
			return true
		}
	case []any:
		for _, v := range t {
			if s, ok := v.(string); ok && isActorType(s) {
				return true
			}
		}
	}
	_, hasInbox := doc["inbox"]
	return hasInbox
}

// idOf returns v if it is a string, or v's id if it is an object.
func idOf(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		id, _ := v["id"].(string)
		return id
	}
	return ""
}

func stripFragment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}

// sameOrigin reports whether a and b are absolute URLs with the same scheme
// and host (including port).
func sameOrigin(a, b string) bool {
	ua, err := url.Parse(a)
	if err != nil || ua.Host == "" {
		return false
	}
	ub, err := url.Parse(b)
	if err != nil || ub.Host == "" {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}

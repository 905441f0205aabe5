package keys

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureDir holds real GoToSocial documents and captures; see its README.md.
const fixtureDir = "../testdata/gotosocial"

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return b
}

// pubFixture parses a .pub fixture independently of ParsePublicKeyPEM.
func pubFixture(t *testing.T, name string) (crypto.PublicKey, string) {
	t.Helper()
	text := readFixture(t, name)
	block, _ := pem.Decode(text)
	if block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("fixture %s: no PUBLIC KEY block", name)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return pub, string(text)
}

type equaler interface{ Equal(crypto.PublicKey) bool }

func checkKey(t *testing.T, k *Key, err error, wantID, wantOwner string, wantPub crypto.PublicKey) {
	t.Helper()
	if err != nil {
		t.Fatalf("ParseKeyDocument: %v", err)
	}
	if k.ID != wantID || k.Owner != wantOwner {
		t.Errorf("key id %q owner %q, want %q %q", k.ID, k.Owner, wantID, wantOwner)
	}
	if !k.PublicKey.(equaler).Equal(wantPub) {
		t.Errorf("key %s: public key differs from the expected one", k.ID)
	}
	if !strings.Contains(k.PEM, "BEGIN PUBLIC KEY") && !strings.Contains(k.PEM, "BEGIN RSA PUBLIC KEY") {
		t.Errorf("PEM = %q", k.PEM)
	}
}

func TestParseGoToSocialFixtures(t *testing.T) {
	cases := []struct {
		doc, keyID, owner, pub string
	}{
		{"main-key-admin.json", "http://gts.test/users/admin/main-key", "http://gts.test/users/admin", "admin.pub"},
		{"actor-admin.json", "http://gts.test/users/admin/main-key", "http://gts.test/users/admin", "admin.pub"},
		{"main-key-bob.json", "http://gts.test/users/bob/main-key", "http://gts.test/users/bob", "bob.pub"},
		{"actor-bob.json", "http://gts.test/users/bob/main-key", "http://gts.test/users/bob", "bob.pub"},
		{"main-key-instance.json", "http://gts.test/users/gts.test/main-key", "http://gts.test/users/gts.test", "instance.pub"},
		{"actor-instance.json", "http://gts.test/users/gts.test/main-key", "http://gts.test/users/gts.test", "instance.pub"},
	}
	for _, tc := range cases {
		t.Run(tc.doc, func(t *testing.T) {
			pub, pemText := pubFixture(t, tc.pub)
			k, err := ParseKeyDocument(readFixture(t, tc.doc), tc.keyID)
			checkKey(t, k, err, tc.keyID, tc.owner, pub)
			if strings.TrimSpace(k.PEM) != strings.TrimSpace(pemText) {
				t.Errorf("PEM differs from %s", tc.pub)
			}
		})
	}
}

// TestParseManifestKeys resolves the keyId of every captured GoToSocial
// request from the main-key documents, as a receiving server would, and
// checks the owner is the activity's actor.
func TestParseManifestKeys(t *testing.T) {
	var manifest []struct {
		File    string `json:"file"`
		KeyID   string `json:"keyId"`
		PubFile string `json:"public_key_file"`
		Actor   string `json:"actor"`
	}
	if err := json.Unmarshal(readFixture(t, "manifest.json"), &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest) == 0 {
		t.Fatal("empty manifest")
	}
	for _, m := range manifest {
		doc := "main-key-" + strings.TrimSuffix(m.PubFile, ".pub") + ".json"
		pub, _ := pubFixture(t, m.PubFile)
		k, err := ParseKeyDocument(readFixture(t, doc), m.KeyID)
		if err != nil {
			t.Errorf("%s: %v", m.File, err)
			continue
		}
		if !k.PublicKey.(equaler).Equal(pub) {
			t.Errorf("%s: key differs from %s", m.File, m.PubFile)
		}
		if m.Actor != "" && k.Owner != m.Actor {
			t.Errorf("%s: owner %s, actor %s", m.File, k.Owner, m.Actor)
		}
	}
}

// TestParsedKeyVerifiesCapture checks the parsed key verifies GoToSocial's
// real signature on 01-follow.http (rsa-sha256 over the listed headers).
func TestParsedKeyVerifiesCapture(t *testing.T) {
	raw := readFixture(t, "01-follow.http")
	head, _, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatal("01-follow.http: no header block")
	}
	lines := strings.Split(string(head), "\r\n")
	method, rest, _ := strings.Cut(lines[0], " ")
	target, _, _ := strings.Cut(rest, " ")
	hdr := map[string]string{"(request-target)": strings.ToLower(method) + " " + target}
	for _, l := range lines[1:] {
		name, value, _ := strings.Cut(l, ":")
		hdr[strings.ToLower(name)] = strings.TrimSpace(value)
	}
	params := map[string]string{}
	for _, p := range strings.Split(hdr["signature"], ",") {
		name, value, _ := strings.Cut(p, "=")
		params[name] = strings.Trim(value, `"`)
	}
	var signing []string
	for _, h := range strings.Fields(params["headers"]) {
		signing = append(signing, h+": "+hdr[h])
	}
	sig, err := base64.StdEncoding.DecodeString(params["signature"])
	if err != nil {
		t.Fatal(err)
	}

	k, err := ParseKeyDocument(readFixture(t, "main-key-admin.json"), params["keyId"])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(strings.Join(signing, "\n")))
	if err := rsa.VerifyPKCS1v15(k.PublicKey.(*rsa.PublicKey), crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("signature of 01-follow.http does not verify with the parsed key: %v", err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseMastodonActor(t *testing.T) {
	pub, pemText := pubFixture(t, "bob.pub")
	const actor = "https://mastodon.example/users/alice"
	doc := mustJSON(t, map[string]any{
		"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                actor,
		"type":              "Person",
		"preferredUsername": "alice",
		"inbox":             actor + "/inbox",
		"endpoints":         map[string]any{"sharedInbox": "https://mastodon.example/inbox"},
		"publicKey":         map[string]any{"id": actor + "#main-key", "owner": actor, "publicKeyPem": pemText},
	})
	k, err := ParseKeyDocument(doc, actor+"#main-key")
	checkKey(t, k, err, actor+"#main-key", actor, pub)

	// Signed with the actor id as keyId: the only key, same document.
	k, err = ParseKeyDocument(doc, actor)
	checkKey(t, k, err, actor+"#main-key", actor, pub)

	// Another fragment of the same actor: still the only key.
	k, err = ParseKeyDocument(doc, actor+"#other")
	checkKey(t, k, err, actor+"#main-key", actor, pub)

	// Another actor's key id.
	if _, err := ParseKeyDocument(doc, "https://mastodon.example/users/bob#main-key"); !errors.Is(err, ErrNotFound) {
		t.Errorf("other actor's keyId: err = %v, want ErrNotFound", err)
	}
}

func TestParsePeerTubeActor(t *testing.T) {
	pub, pemText := pubFixture(t, "admin.pub")
	// PeerTube signs with keyId = the actor URL; its actor's publicKey.id
	// is <actor>#main-key.
	for _, tc := range []struct{ actor, typ string }{
		{"https://peertube.example/accounts/root", "Person"},
		{"https://peertube.example/video-channels/root_channel", "Group"},
		{"https://peertube.example/accounts/peertube", "Application"},
	} {
		doc := mustJSON(t, map[string]any{
			"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", map[string]any{"RsaSignature2017": "https://w3id.org/security#RsaSignature2017"}},
			"type":              tc.typ,
			"id":                tc.actor,
			"following":         tc.actor + "/following",
			"followers":         tc.actor + "/followers",
			"playlists":         tc.actor + "/playlists",
			"inbox":             tc.actor + "/inbox",
			"outbox":            tc.actor + "/outbox",
			"preferredUsername": "root",
			"url":               tc.actor,
			"name":              "root",
			"endpoints":         map[string]any{"sharedInbox": "https://peertube.example/inbox"},
			"publicKey": map[string]any{
				"id":           tc.actor + "#main-key",
				"owner":        tc.actor,
				"publicKeyPem": pemText,
			},
			"published": "2024-01-01T00:00:00.000Z",
		})
		k, err := ParseKeyDocument(doc, tc.actor)
		checkKey(t, k, err, tc.actor+"#main-key", tc.actor, pub)
		k, err = ParseKeyDocument(doc, tc.actor+"#main-key")
		checkKey(t, k, err, tc.actor+"#main-key", tc.actor, pub)
	}
}

func TestParseKeyArray(t *testing.T) {
	adminPub, adminPEM := pubFixture(t, "admin.pub")
	bobPub, bobPEM := pubFixture(t, "bob.pub")
	const actor = "https://example.social/users/carol"
	doc := mustJSON(t, map[string]any{
		"id":   actor,
		"type": "Person",
		"publicKey": []any{
			actor + "#iri-only", // an IRI entry is skipped
			map[string]any{"id": actor + "#main-key", "owner": actor, "publicKeyPem": adminPEM},
			map[string]any{"id": actor + "#second", "owner": actor, "publicKeyPem": bobPEM},
		},
	})
	k, err := ParseKeyDocument(doc, actor+"#main-key")
	checkKey(t, k, err, actor+"#main-key", actor, adminPub)
	k, err = ParseKeyDocument(doc, actor+"#second")
	checkKey(t, k, err, actor+"#second", actor, bobPub)
	// Two keys: the actor id alone is ambiguous.
	if _, err := ParseKeyDocument(doc, actor); !errors.Is(err, ErrNotFound) {
		t.Errorf("ambiguous keyId: err = %v, want ErrNotFound", err)
	}
}

func TestParseBareKeyAndFormats(t *testing.T) {
	adminPub, adminPEM := pubFixture(t, "admin.pub")
	const keyID = "https://example.social/keys/1"
	const owner = "https://example.social/users/dave"

	bare := mustJSON(t, map[string]any{"id": keyID, "type": "Key", "owner": owner, "publicKeyPem": adminPEM})
	k, err := ParseKeyDocument(bare, keyID)
	checkKey(t, k, err, keyID, owner, adminPub)

	// PKCS #1 "RSA PUBLIC KEY".
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(adminPub.(*rsa.PublicKey))}))
	k, err = ParseKeyDocument(mustJSON(t, map[string]any{"id": keyID, "owner": owner, "publicKeyPem": pkcs1}), keyID)
	checkKey(t, k, err, keyID, owner, adminPub)

	// PKCS #1 bytes mislabelled "PUBLIC KEY".
	mislabelled := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(adminPub.(*rsa.PublicKey))}))
	k, err = ParseKeyDocument(mustJSON(t, map[string]any{"id": keyID, "owner": owner, "publicKeyPem": mislabelled}), keyID)
	checkKey(t, k, err, keyID, owner, adminPub)

	// Ed25519 in PKIX.
	edPub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(edPub)
	if err != nil {
		t.Fatal(err)
	}
	edPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	k, err = ParseKeyDocument(mustJSON(t, map[string]any{"id": keyID, "owner": owner, "publicKeyPem": edPEM}), keyID)
	checkKey(t, k, err, keyID, owner, edPub)
}

func TestParseOwner(t *testing.T) {
	_, pemText := pubFixture(t, "admin.pub")
	const actor = "https://example.social/users/erin"

	// Missing owner in an actor: the actor.
	k, err := ParseKeyDocument(mustJSON(t, map[string]any{
		"id": actor, "type": "Person",
		"publicKey": map[string]any{"id": actor + "#main-key", "publicKeyPem": pemText},
	}), actor+"#main-key")
	if err != nil || k.Owner != actor {
		t.Errorf("owner fallback: %+v, %v", k, err)
	}

	// Owner as an object.
	k, err = ParseKeyDocument(mustJSON(t, map[string]any{
		"id": actor, "type": "Person",
		"publicKey": map[string]any{"id": actor + "#main-key", "owner": map[string]any{"id": actor}, "publicKeyPem": pemText},
	}), actor+"#main-key")
	if err != nil || k.Owner != actor {
		t.Errorf("owner object: %+v, %v", k, err)
	}

	bad := map[string][]byte{
		"bare key without owner": mustJSON(t, map[string]any{"id": actor + "#main-key", "publicKeyPem": pemText}),
		"owner on another host": mustJSON(t, map[string]any{
			"id": actor + "#main-key", "owner": "https://evil.example/users/erin", "publicKeyPem": pemText}),
		"embedded key owned by another actor": mustJSON(t, map[string]any{
			"id": actor, "type": "Person",
			"publicKey": map[string]any{"id": actor + "#main-key", "owner": "https://example.social/users/frank", "publicKeyPem": pemText},
		}),
		"missing owner, not an actor": mustJSON(t, map[string]any{
			"id": actor, "type": "Note",
			"publicKey": map[string]any{"id": actor + "#main-key", "publicKeyPem": pemText},
		}),
	}
	for name, doc := range bad {
		if k, err := ParseKeyDocument(doc, actor+"#main-key"); err == nil {
			t.Errorf("%s: got %+v, want error", name, k)
		}
	}
}

func TestParseErrors(t *testing.T) {
	admin := readFixture(t, "main-key-admin.json")
	for _, keyID := range []string{
		"http://gts.test/users/bob/main-key",
		"http://gts.test/users/admin#main-key", // a fragment key, but the key is a path
		"http://gts.test/users/admin",          // the document id is not the key id
		"https://gts.test/users/admin/main-key",
		"",
	} {
		if _, err := ParseKeyDocument(admin, keyID); !errors.Is(err, ErrNotFound) {
			t.Errorf("keyId %q: err = %v, want ErrNotFound", keyID, err)
		}
	}

	const keyID = "https://example.social/users/g#main-key"
	garbage := map[string]string{
		"not JSON":        "<html>hello</html>",
		"empty":           "",
		"truncated":       string(admin[:len(admin)/2]),
		"array":           `[{"id":"x"}]`,
		"null":            `null`,
		"string":          `"https://example.social/users/g"`,
		"no publicKey":    `{"id":"https://example.social/users/g","type":"Person"}`,
		"publicKey IRI":   `{"id":"https://example.social/users/g","type":"Person","publicKey":"https://example.social/users/g#main-key"}`,
		"bad PEM":         `{"id":"https://example.social/users/g","type":"Person","publicKey":{"id":"` + keyID + `","owner":"https://example.social/users/g","publicKeyPem":"not a key"}}`,
		"bad DER":         `{"id":"https://example.social/users/g","type":"Person","publicKey":{"id":"` + keyID + `","owner":"https://example.social/users/g","publicKeyPem":"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}}`,
		"wrong PEM type":  `{"id":"https://example.social/users/g","type":"Person","publicKey":{"id":"` + keyID + `","owner":"https://example.social/users/g","publicKeyPem":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}}`,
		"missing PEM":     `{"id":"https://example.social/users/g","type":"Person","publicKey":{"id":"` + keyID + `","owner":"https://example.social/users/g"}}`,
		"PEM not string":  `{"id":"https://example.social/users/g","type":"Person","publicKey":{"id":"` + keyID + `","owner":"https://example.social/users/g","publicKeyPem":42}}`,
		"publicKey wrong": `{"id":"https://example.social/users/g","type":"Person","publicKey":42}`,
	}
	for name, body := range garbage {
		if k, err := ParseKeyDocument([]byte(body), keyID); err == nil {
			t.Errorf("%s: got %+v, want error", name, k)
		}
	}
}

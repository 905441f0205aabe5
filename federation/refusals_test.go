package federation_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/archipel/archipel/federation/httpclient"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

const fixtures = "testdata/gotosocial" // a byte-exact copy of the shared GoToSocial captures

// gtsServer serves the documents fetched from gts.test (actors and key
// documents), as GoToSocial did when the fixtures were captured.
func gtsServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	docs := map[string]string{
		"/users/admin/main-key":    "main-key-admin.json",
		"/users/admin":             "actor-admin.json",
		"/users/bob/main-key":      "main-key-bob.json",
		"/users/bob":               "actor-bob.json",
		"/users/gts.test/main-key": "main-key-instance.json",
		"/users/gts.test":          "actor-instance.json",
	}
	gets := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		name, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		b, err := os.ReadFile(filepath.Join(fixtures, name))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, gets
}

// captures returns the fixture deliveries (POSTs), by file name.
func captures(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtures, "*.http"))
	if err != nil || len(files) != 20 {
		t.Fatalf("the GoToSocial fixtures are missing at %s (%d files, %v)", fixtures, len(files), err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(b, []byte("POST ")) {
			out[filepath.Base(f)] = b
		}
	}
	return out
}

// sendRaw writes raw request bytes to addr and returns the status.
func sendRaw(t *testing.T, addr string, raw []byte) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func fixtureHub(t *testing.T, s *store.Store, now time.Time, o hubOptions) (*hub, *atomic.Int64) {
	gts, gets := gtsServer(t)
	o.publicURL = "http://hub.test"
	o.now = func() time.Time { return now }
	o.hostMap = map[string]string{"gts.test:80": strings.TrimPrefix(gts.URL, "http://")}
	return newHub(t, s, o), gets
}

// The 19 real deliveries captured from GoToSocial verify (under the
// capture's clock), are stored once, and are processed; a replay of one
// is refused with 409.
func TestGoToSocialDeliveries(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h, _ := fixtureHub(t, s, time.Date(2026, 11, 21, 12, 3, 0, 0, time.UTC), hubOptions{})
		caps := captures(t)
		names := make([]string, 0, len(caps))
		for n := range caps {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if st := sendRaw(t, h.addr, caps[n]); st != http.StatusAccepted {
				t.Errorf("%s: status %d\n%s", n, st, h.logs.String())
			}
		}
		if n := h.countRows("inbox_activities", ""); n != 19 {
			t.Fatalf("stored %d activities, want 19", n)
		}
		if st := sendRaw(t, h.addr, caps["01-follow.http"]); st != http.StatusConflict {
			t.Errorf("replay: status %d, want 409", st)
		}
		if n := h.countRows("inbox_activities", ""); n != 19 {
			t.Errorf("the replay was stored: %d rows", n)
		}
		eventually(t, "processing", func() bool { return h.countRows("inbox_activities", "state = 'pending'") == 0 })
		if n := h.countRows("inbox_activities", "state = 'failed'"); n != 0 {
			t.Errorf("%d activities failed to process:\n%s", n, h.logs.String())
		}
		// 16 (Update of a Person) refreshed admin from gts.test.
		a, err := s.RemoteActorByURI(context.Background(), "http://gts.test/users/admin")
		if err != nil || a.Inbox != "http://gts.test/users/admin/inbox" {
			t.Errorf("admin not refreshed: %+v %v", a, err)
		}
	})
}

// Each bad request is refused with its status, and nothing is stored.
func TestInboxRefusals(t *testing.T) {
	capture := time.Date(2026, 11, 21, 12, 3, 0, 0, time.UTC)
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h, gets := fixtureHub(t, s, capture, hubOptions{maxBody: 2048, noRunner: true})
		caps := captures(t)
		reply := caps["08-create-note-reply.http"] // 3411-byte body: over the 2 KiB cap
		follow := caps["01-follow.http"]

		forged := bytes.Replace(follow, []byte(`signature="`), []byte(`signature="A`), 1)
		forged = bytes.Replace(forged, []byte(`signature="AB`), []byte(`signature="A`), 1)
		wrongDigest := bytes.Replace(follow, []byte(`"type":"Follow"`), []byte(`"type":"Folloq"`), 1)
		cases := []struct {
			name string
			raw  []byte
			want int
		}{
			{"forged signature", forged, http.StatusUnauthorized},
			{"wrong digest", wrongDigest, http.StatusBadRequest},
			{"oversize body", reply, http.StatusRequestEntityTooLarge},
			{"unsigned", bytes.Replace(follow, []byte("Signature: "), []byte("X-Nothing: "), 1), http.StatusUnauthorized},
		}
		for _, c := range cases {
			if bytes.Equal(c.raw, follow) {
				t.Fatalf("%s: the tampering did not change the request", c.name)
			}
			if st := sendRaw(t, h.addr, c.raw); st != c.want {
				t.Errorf("%s: status %d, want %d", c.name, st, c.want)
			}
		}
		if n := h.countRows("inbox_activities", ""); n != 0 {
			t.Errorf("refused requests stored %d rows", n)
		}

		// A blocked instance is refused before any key fetch.
		gets.Store(0)
		if err := s.SetInstancePolicy(context.Background(), "gts.test", store.PolicyBlock); err != nil {
			t.Fatal(err)
		}
		if st := sendRaw(t, h.addr, caps["03-like.http"]); st != http.StatusForbidden {
			t.Errorf("blocked instance: status %d", st)
		}
		if n := gets.Load(); n != 0 {
			t.Errorf("the blocked instance's key was fetched (%d GETs)", n)
		}
		if n := h.countRows("inbox_activities", ""); n != 0 {
			t.Errorf("blocked activity stored")
		}
	})
}

// Two hours after the capture, the real deliveries' Date is stale.
func TestInboxStaleDate(t *testing.T) {
	capture := time.Date(2026, 11, 21, 12, 3, 0, 0, time.UTC)
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h, _ := fixtureHub(t, s, capture.Add(2*time.Hour), hubOptions{noRunner: true})
		if st := sendRaw(t, h.addr, captures(t)["03-like.http"]); st != http.StatusUnauthorized {
			t.Errorf("stale date: status %d", st)
		}
		if n := h.countRows("inbox_activities", ""); n != 0 {
			t.Errorf("stale activity stored")
		}
	})
}

// A key on one host cannot vouch for an actor on another; refused before
// the key is fetched.
func TestKeyFromAnotherHost(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newHub(t, s, hubOptions{noRunner: true})
		evil, victim := newRemote(t), newRemote(t)
		body := []byte(`{"id":"` + victim.base() + `/likes/1","type":"Like","actor":"` + victim.actor("bob") + `","object":"` + h.url + `/c/news"}`)
		st, msg := evil.postRaw(h.url+"/inbox", body, evil.actor("mallory")+"#main-key", nil)
		if st != http.StatusUnauthorized || !strings.Contains(msg, "not on the actor's host") {
			t.Errorf("foreign key: %d %s", st, msg)
		}
		if evil.gets+victim.gets != 0 {
			t.Errorf("keys were fetched for a mismatched request")
		}
		// The activity id must be on the actor's host too.
		body = []byte(`{"id":"` + victim.base() + `/likes/2","type":"Like","actor":"` + evil.actor("mallory") + `","object":"` + h.url + `/c/news"}`)
		if st, msg := evil.postRaw(h.url+"/inbox", body, evil.actor("mallory")+"#main-key", nil); st != http.StatusBadRequest {
			t.Errorf("foreign id: %d %s", st, msg)
		}
		if n := h.countRows("inbox_activities", ""); n != 0 {
			t.Errorf("stored %d", n)
		}
	})
}

// Outbound fetches refuse loopback and private addresses unless allowed.
func TestFetchPrivateAddressRefused(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		no := false
		h := newHub(t, s, hubOptions{allowPrivate: &no, noRunner: true})
		m := newRemote(t)
		_, err := h.fed.RefreshActor(context.Background(), m.actor("bob"))
		if !errors.Is(err, httpclient.ErrForbiddenAddress) {
			t.Errorf("fetch of %s: %v", m.actor("bob"), err)
		}
		if m.gets != 0 {
			t.Errorf("the private address was contacted")
		}
		// And a Follow from there is refused: its key cannot be fetched.
		st, _ := m.post(h.url+"/inbox", map[string]any{"id": m.base() + "/f/1", "type": "Follow", "actor": m.actor("bob"), "object": h.url + "/c/news"})
		if st != http.StatusUnauthorized || m.gets != 0 {
			t.Errorf("follow from a private address: %d, %d GETs", st, m.gets)
		}
	})
}

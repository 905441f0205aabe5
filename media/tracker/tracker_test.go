package tracker_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/archipel/archipel/media/tracker"
)

// bin turns raw bytes into a binary string, one code point per byte, as a
// browser's JS client sends them.
func bin(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// binID is bin(id20(start)).
func binID(start byte) string {
	b := id20(start)
	return bin(b[:])
}

// id20 returns 20 bytes starting at start and counting up, wrapping at 256.
func id20(start byte) [20]byte {
	var b [20]byte
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func allKnown([20]byte) bool { return true }

func newTracker(t *testing.T, cfg tracker.Config) (*tracker.Tracker, string) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	tr, err := tracker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(tr)
	t.Cleanup(func() {
		tr.Close()
		srv.Close()
	})
	return tr, "ws" + strings.TrimPrefix(srv.URL, "http")
}

type client struct {
	t    *testing.T
	ws   *websocket.Conn
	msgs chan map[string]any
	mu   sync.Mutex
	err  error
	done chan struct{}
}

func dial(t *testing.T, url string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	c := &client{t: t, ws: ws, msgs: make(chan map[string]any, 100), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
				return
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Errorf("tracker sent invalid JSON %q: %v", data, err)
				continue
			}
			c.msgs <- m
		}
	}()
	t.Cleanup(func() { ws.CloseNow() })
	return c
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(b)
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) recv() map[string]any {
	c.t.Helper()
	select {
	case m := <-c.msgs:
		return m
	case <-time.After(5 * time.Second):
		c.t.Fatal("no message from tracker")
		return nil
	}
}

// none asserts that nothing arrives for a short while.
func (c *client) none() {
	c.t.Helper()
	select {
	case m := <-c.msgs:
		c.t.Fatalf("unexpected message %v", m)
	case <-time.After(200 * time.Millisecond):
	}
}

// closed waits for the tracker to close the socket and returns its status.
func (c *client) closed() websocket.StatusCode {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.t.Fatal("socket still open")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return websocket.CloseStatus(c.err)
}

func announce(ih, peerID [20]byte, extra map[string]any) map[string]any {
	m := map[string]any{
		"action": "announce", "info_hash": bin(ih[:]), "peer_id": bin(peerID[:]),
		"numwant": 5, "uploaded": 0, "downloaded": 0, "left": 1000,
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func wantAnnounceReply(t *testing.T, m map[string]any, ih [20]byte, complete, incomplete int) {
	t.Helper()
	if m["action"] != "announce" || m["info_hash"] != bin(ih[:]) || m["failure reason"] != nil {
		t.Fatalf("want announce reply, got %v", m)
	}
	if m["complete"] != float64(complete) || m["incomplete"] != float64(incomplete) || m["interval"] != float64(120) {
		t.Fatalf("want complete %d incomplete %d interval 120, got %v", complete, incomplete, m)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for " + what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOffersAndAnswersReachTheRightPeers(t *testing.T) {
	reg := prometheus.NewRegistry()
	tr, url := newTracker(t, tracker.Config{Known: allKnown, Registerer: reg})
	ih := id20(0x10)
	idA, idB, idC := id20(0xa0), id20(0xb0), id20(0xc0)
	a, b, c := dial(t, url), dial(t, url), dial(t, url)

	b.send(announce(ih, idB, map[string]any{"event": "started"}))
	wantAnnounceReply(t, b.recv(), ih, 0, 1)
	c.send(announce(ih, idC, map[string]any{"event": "started"}))
	wantAnnounceReply(t, c.recv(), ih, 0, 2)

	offerIDs := []string{binID(0xe0), binID(0xf0)}
	a.send(announce(ih, idA, map[string]any{"event": "started", "offers": []any{
		map[string]any{"offer_id": offerIDs[0], "offer": map[string]any{"type": "offer", "sdp": "v=0 sdp-one"}},
		map[string]any{"offer_id": offerIDs[1], "offer": map[string]any{"type": "offer", "sdp": "v=0 sdp-two"}},
	}}))
	wantAnnounceReply(t, a.recv(), ih, 0, 3)

	got := map[string]string{} // offer_id → sdp
	var offerToB string
	for _, p := range []*client{b, c} {
		m := p.recv()
		if m["action"] != "announce" || m["peer_id"] != bin(idA[:]) || m["info_hash"] != bin(ih[:]) {
			t.Fatalf("bad relayed offer %v", m)
		}
		oid, _ := m["offer_id"].(string)
		offer, _ := m["offer"].(map[string]any)
		if offer == nil || offer["type"] != "offer" {
			t.Fatalf("offer not relayed as sent: %v", m)
		}
		got[oid] = offer["sdp"].(string)
		if p == b {
			offerToB = oid
		}
		p.none() // exactly one offer each
	}
	if len(got) != 2 || got[offerIDs[0]] != "v=0 sdp-one" || got[offerIDs[1]] != "v=0 sdp-two" {
		t.Fatalf("offers relayed wrongly: %v", got)
	}
	a.none() // never its own offer

	b.send(announce(ih, idB, map[string]any{
		"to_peer_id": bin(idA[:]), "offer_id": offerToB,
		"answer": map[string]any{"type": "answer", "sdp": "v=0 answer"},
	}))
	m := a.recv()
	ans, _ := m["answer"].(map[string]any)
	if m["action"] != "announce" || m["peer_id"] != bin(idB[:]) || m["offer_id"] != offerToB ||
		m["info_hash"] != bin(ih[:]) || ans == nil || ans["sdp"] != "v=0 answer" {
		t.Fatalf("bad relayed answer %v", m)
	}
	b.none() // no reply to an answer
	c.none()

	if cpl, inc := tr.Stats(ih); cpl != 0 || inc != 3 {
		t.Fatalf("Stats = %d, %d; want 0, 3", cpl, inc)
	}
	if n := metricValue(t, reg, "archipel_tracker_peers"); n != 3 {
		t.Fatalf("peers gauge = %v", n)
	}
	for name, want := range map[string]float64{
		"archipel_tracker_offers_relayed_total":  2,
		"archipel_tracker_answers_relayed_total": 1,
		"archipel_tracker_announces_total":       3,
	} {
		if n := metricValue(t, reg, name); n != want {
			t.Errorf("%s = %v, want %v", name, n, want)
		}
	}
}

// metricValue returns the value of a registered, unlabelled gauge or counter.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			return m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestBinaryStringsRoundTrip(t *testing.T) {
	tr, url := newTracker(t, tracker.Config{Known: allKnown})
	// Code points 0x80–0xff and the control range, which UTF-8 and JSON
	// escaping would both mangle if handled as raw bytes.
	var ih, idA, idB [20]byte
	for i := range ih {
		ih[i] = 0xec + byte(i) // runs through 0xff into 0x00…
		idA[i] = byte(0x80 + i)
		idB[i] = byte(i * 13)
	}
	a, b := dial(t, url), dial(t, url)
	b.send(announce(ih, idB, nil))
	wantAnnounceReply(t, b.recv(), ih, 0, 1)
	offerID := binID(0xf8)
	a.send(announce(ih, idA, map[string]any{"offers": []any{
		map[string]any{"offer_id": offerID, "offer": map[string]any{"type": "offer", "sdp": "x"}},
	}}))
	m := a.recv()
	if s, _ := m["info_hash"].(string); s != bin(ih[:]) || len([]rune(s)) != 20 {
		t.Fatalf("info_hash came back as %q, want %q", m["info_hash"], bin(ih[:]))
	}
	m = b.recv()
	if m["peer_id"] != bin(idA[:]) || m["offer_id"] != offerID || m["info_hash"] != bin(ih[:]) {
		t.Fatalf("ids mangled: %q", m)
	}
	if _, inc := tr.Stats(ih); inc != 2 {
		t.Fatalf("Stats by raw bytes = %d, want 2", inc)
	}
	a.send(map[string]any{"action": "scrape", "info_hash": bin(ih[:])})
	files, _ := a.recv()["files"].(map[string]any)
	if _, ok := files[bin(ih[:])]; !ok || len(files) != 1 {
		t.Fatalf("scrape keys = %q", files)
	}
}

func TestUnknownInfoHashRefused(t *testing.T) {
	known := id20(1)
	for _, fn := range []func([20]byte) bool{nil, func(ih [20]byte) bool { return ih == known }} {
		tr, url := newTracker(t, tracker.Config{Known: fn})
		ih := id20(0x90)
		c := dial(t, url)
		c.send(announce(ih, id20(0xa0), map[string]any{"event": "started"}))
		m := c.recv()
		if m["action"] != "announce" || m["info_hash"] != bin(ih[:]) {
			t.Fatalf("bad refusal %v", m)
		}
		if r, _ := m["failure reason"].(string); r == "" {
			t.Fatalf("no failure reason in %v", m)
		}
		if cpl, inc := tr.Stats(ih); cpl != 0 || inc != 0 {
			t.Fatalf("refused peer counted: %d, %d", cpl, inc)
		}
	}
}

func TestScrapeCountsSeedersAndLeechers(t *testing.T) {
	tr, url := newTracker(t, tracker.Config{Known: allKnown})
	ih, other := id20(0x20), id20(0x40)
	s, l, d := dial(t, url), dial(t, url), dial(t, url)
	s.send(announce(ih, id20(0xa0), map[string]any{"event": "started", "left": 0}))
	s.recv()
	l.send(announce(ih, id20(0xb0), map[string]any{"event": "started"}))
	l.recv()
	d.send(announce(ih, id20(0xc0), map[string]any{"event": "started"}))
	d.recv()
	d.send(announce(ih, id20(0xc0), map[string]any{"event": "completed", "left": 0}))
	wantAnnounceReply(t, d.recv(), ih, 2, 1)

	l.send(map[string]any{"action": "scrape", "info_hash": bin(ih[:])})
	m := l.recv()
	if m["action"] != "scrape" {
		t.Fatalf("bad scrape reply %v", m)
	}
	f := m["files"].(map[string]any)[bin(ih[:])].(map[string]any)
	if f["complete"] != 2.0 || f["incomplete"] != 1.0 || f["downloaded"] != 1.0 {
		t.Fatalf("scrape = %v", f)
	}

	l.send(map[string]any{"action": "scrape", "info_hash": []string{bin(ih[:]), bin(other[:])}})
	files := l.recv()["files"].(map[string]any)
	if len(files) != 2 || files[bin(ih[:])].(map[string]any)["complete"] != 2.0 ||
		files[bin(other[:])].(map[string]any)["incomplete"] != 0.0 {
		t.Fatalf("array scrape = %v", files)
	}
	if cpl, inc := tr.Stats(ih); cpl != 2 || inc != 1 {
		t.Fatalf("Stats = %d, %d", cpl, inc)
	}
}

func TestSocketCloseRemovesPeerFromAllSwarms(t *testing.T) {
	tr, url := newTracker(t, tracker.Config{Known: allKnown})
	ih1, ih2 := id20(0x30), id20(0x50)
	a, b := dial(t, url), dial(t, url)
	a.send(announce(ih1, id20(0xa0), nil))
	a.recv()
	a.send(announce(ih2, id20(0xa0), map[string]any{"left": 0}))
	a.recv()
	b.send(announce(ih1, id20(0xb0), nil))
	b.recv()
	if _, inc := tr.Stats(ih1); inc != 2 {
		t.Fatalf("Stats(ih1) incomplete = %d", inc)
	}
	a.ws.Close(websocket.StatusNormalClosure, "")
	eventually(t, "peer removal", func() bool {
		_, inc1 := tr.Stats(ih1)
		cpl2, _ := tr.Stats(ih2)
		return inc1 == 1 && cpl2 == 0
	})
}

func TestStoppedRemovesPeer(t *testing.T) {
	tr, url := newTracker(t, tracker.Config{Known: allKnown})
	ih1, ih2 := id20(0x30), id20(0x50)
	a := dial(t, url)
	a.send(announce(ih1, id20(0xa0), nil))
	a.recv()
	a.send(announce(ih2, id20(0xa0), nil))
	a.recv()
	a.send(announce(ih1, id20(0xa0), map[string]any{"event": "stopped"}))
	wantAnnounceReply(t, a.recv(), ih1, 0, 0)
	if _, inc := tr.Stats(ih1); inc != 0 {
		t.Fatalf("stopped peer still counted")
	}
	if _, inc := tr.Stats(ih2); inc != 1 {
		t.Fatalf("stopped in one swarm dropped the other")
	}
}

func TestUnknownEventTreatedAsUpdate(t *testing.T) {
	tr, url := newTracker(t, tracker.Config{Known: allKnown})
	ih := id20(0x60)
	a := dial(t, url)
	a.send(announce(ih, id20(0xa0), map[string]any{"event": "<regular>"}))
	wantAnnounceReply(t, a.recv(), ih, 0, 1)
	a.send(announce(ih, id20(0xa0), map[string]any{"event": "paused", "left": 0}))
	wantAnnounceReply(t, a.recv(), ih, 1, 0)
	if cpl, inc := tr.Stats(ih); cpl != 1 || inc != 0 {
		t.Fatalf("Stats = %d, %d", cpl, inc)
	}
}

func TestOversizeMessageClosesSocket(t *testing.T) {
	_, url := newTracker(t, tracker.Config{Known: allKnown, MaxMessageBytes: 1024})
	a := dial(t, url)
	// Under the limit is fine, SDP-sized offers included.
	a.send(announce(id20(0x70), id20(0xa0), map[string]any{"offers": []any{
		map[string]any{"offer_id": binID(1), "offer": map[string]any{"type": "offer", "sdp": strings.Repeat("a", 500)}},
	}}))
	a.recv()
	a.send(announce(id20(0x70), id20(0xa0), map[string]any{"offers": []any{
		map[string]any{"offer_id": binID(1), "offer": map[string]any{"type": "offer", "sdp": strings.Repeat("a", 2000)}},
	}}))
	if code := a.closed(); code != websocket.StatusMessageTooBig {
		t.Fatalf("close status = %v, want %v", code, websocket.StatusMessageTooBig)
	}
}

func TestDefaultLimitAcceptsLargeOffers(t *testing.T) {
	_, url := newTracker(t, tracker.Config{Known: allKnown})
	a := dial(t, url)
	a.send(announce(id20(0x70), id20(0xa0), map[string]any{"offers": []any{
		map[string]any{"offer_id": binID(1), "offer": map[string]any{"type": "offer", "sdp": strings.Repeat("a", 40<<10)}},
	}}))
	wantAnnounceReply(t, a.recv(), id20(0x70), 0, 1)
}

func TestAnnounceFloodRefusedThenClosed(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	_, url := newTracker(t, tracker.Config{
		Known: allKnown, AnnouncesPerMinute: 3,
		Now: func() time.Time { return now }, // frozen: no refill
	})
	ih := id20(0x80)
	a := dial(t, url)
	for range 3 {
		a.send(announce(ih, id20(0xa0), nil))
		wantAnnounceReply(t, a.recv(), ih, 0, 1)
	}
	// A second socket from the same IP shares the budget.
	b := dial(t, url)
	b.send(announce(ih, id20(0xb0), nil))
	if r, _ := b.recv()["failure reason"].(string); r == "" {
		t.Fatal("over-rate announce from another socket of the IP not refused")
	}
	for range 3 {
		a.send(announce(ih, id20(0xa0), nil))
	}
	failures := 0
	for range 3 {
		m := a.recv()
		if r, _ := m["failure reason"].(string); r == "" || m["info_hash"] != bin(ih[:]) {
			t.Fatalf("want rate failure, got %v", m)
		}
		failures++
	}
	if code := a.closed(); code != websocket.StatusPolicyViolation {
		t.Fatalf("close status = %v after %d failures", code, failures)
	}
}

func TestSwarmCap(t *testing.T) {
	tr, url := newTracker(t, tracker.Config{Known: allKnown, MaxPeersPerSwarm: 2})
	ih := id20(0x90)
	a, b, c := dial(t, url), dial(t, url), dial(t, url)
	a.send(announce(ih, id20(0xa0), nil))
	a.recv()
	b.send(announce(ih, id20(0xb0), nil))
	b.recv()
	c.send(announce(ih, id20(0xc0), nil))
	m := c.recv()
	if r, _ := m["failure reason"].(string); !strings.Contains(r, "full") || m["info_hash"] != bin(ih[:]) {
		t.Fatalf("want swarm full, got %v", m)
	}
	a.send(announce(ih, id20(0xa0), nil)) // members still re-announce
	wantAnnounceReply(t, a.recv(), ih, 0, 2)
	if _, inc := tr.Stats(ih); inc != 2 {
		t.Fatalf("Stats incomplete = %d, want 2", inc)
	}
}

func TestCloseClosesSockets(t *testing.T) {
	tr, url := newTracker(t, tracker.Config{Known: allKnown})
	a := dial(t, url)
	a.send(announce(id20(1), id20(2), nil))
	a.recv()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	a.closed()
	if _, inc := tr.Stats(id20(1)); inc != 0 {
		t.Fatal("peers kept after Close")
	}
	if _, _, err := websocket.Dial(context.Background(), url, nil); err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("dial after Close: %v", err)
	}
}

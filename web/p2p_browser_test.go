package web

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// longSample is a 320×240 H.264/AAC MP4 of the given seconds made by
// ffmpeg: long enough to play past one second and seek, and cut into
// several pieces.
func longSample(t testing.TB, seconds int) []byte {
	t.Helper()
	sampleVideo(t) // checks ffmpeg is there
	out := filepath.Join(t.TempDir(), "long.mp4")
	cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
		"-t", strconv.Itoa(seconds), "-c:v", "libx264", "-b:v", "600k", "-c:a", "aac", "-movflags", "+faststart", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// publishP2P uploads longSample to a new channel of h and waits until it
// is published; it returns the item's view (with its torrents).
func publishP2P(t testing.TB, h *mediaHarness, s *store.Store, seconds int) *itemJSON {
	t.Helper()
	alice := createUser(t, s, "alice", store.RoleCreator)
	createChannel(t, s, alice, "clips", store.KindVideo)
	auth := bearer(apiToken(t, s, alice))
	cli := h.browser()
	r := cli.tusUpload(auth, longSample(t, seconds), 256<<10, map[string]string{
		"channel": "clips", "title": "Shared clip", "publish": "1", "filename": "clip.mp4"})
	wantStatus(t, r, http.StatusOK)
	v := cli.waitItem(auth, decodeItem(t, r).ID)
	if v.State != store.StatePublished || len(v.Renditions) == 0 || v.Renditions[0].Torrent == nil {
		t.Fatalf("published item = %+v; logs:\n%s", v, h.logs.String())
	}
	return v
}

// TestP2PPlayerInChromium plays a video in headless Chromium over
// WebTorrent. First the switch: turned off, the page plays the HTTP source
// and remembers the choice across reloads. Then:
//  1. with the web seed down (503), tab A gets every byte from the hub's
//     WebRTC peer, plays past one second without error, and seeks;
//  2. with the hub's seeder stopped too, tab B, in a fresh browser
//     context, gets every byte from tab A.
func TestP2PPlayerInChromium(t *testing.T) {
	chromiumPath(t)
	s := storetest.Open(t, store.SQLite) // the browser's side does not depend on the engine
	h := newMediaHarness(t, s, mediaOptions{p2p: true})
	v := publishP2P(t, h, s, 8)
	best := v.Renditions[0]
	ctx := context.Background()
	if err := h.seeder.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n := h.seeder.Seeding(); n < 1 {
		t.Fatalf("seeding %d torrents", n)
	}
	browser := newChromium(t)
	page := h.srv.URL + "/i/" + v.ID

	// The switch: off plays the HTTP sources and is remembered.
	c := browser.newTab()
	c.run(20*time.Second, chromedp.Navigate(page))
	c.waitFor("P2P starts", `document.querySelector(".player").dataset.p2pState === "on"`, 30*time.Second)
	c.run(10*time.Second, chromedp.Click(".p2p-switch"))
	c.waitFor("P2P turns off", `document.querySelector(".player").dataset.p2pState === "off"`, 10*time.Second)
	evalJS[bool](c, `document.querySelector("video").play().then(() => true)`)
	c.waitFor("HTTP playback", `document.querySelector("video").currentTime > 0.5`, 30*time.Second)
	if src := evalJS[string](c, `document.querySelector("video").currentSrc`); src != best.URL {
		t.Fatalf("with P2P off the video plays %q, want %q", src, best.URL)
	}
	c.run(20*time.Second, chromedp.Reload())
	c.waitFor("the choice is remembered", `document.querySelector(".player").dataset.p2pState === "off" && document.querySelector(".p2p-switch").checked === false`, 10*time.Second)
	if text := evalJS[string](c, `document.querySelector(".p2p-stats").textContent`); !strings.Contains(text, "Peer to peer is off") {
		t.Fatalf("stats with P2P off: %q", text)
	}
	c.run(10*time.Second, chromedp.Click(".p2p-switch"))
	c.waitFor("P2P turns back on", `document.querySelector(".player").dataset.p2pState === "on"`, 30*time.Second)
	c.waitFor("tab C downloads the file", `document.querySelector(".player").dataset.done === "true"`, 60*time.Second)
	// Tab C leaves: the next viewers have only the hub (or each other).
	c.run(10*time.Second, chromedp.Navigate("about:blank"))

	h.webSeedDown.Store(true)
	if r := h.browser().get(h.mediaPath(t, best.URL)); r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("web seed: %d, want 503", r.StatusCode)
	}

	// 1. Tab A: everything from the hub's WebRTC peer.
	a := browser.newTab()
	a.run(20*time.Second, chromedp.Navigate(page))
	a.waitFor("tab A downloads the whole file", `document.querySelector(".player").dataset.done === "true"`, 60*time.Second)
	length := a.int64Of(`document.querySelector(".player").dataset.length`)
	server := a.int64Of(`document.querySelector(".player").dataset.bytesServer`)
	webseed := a.int64Of(`document.querySelector(".player").dataset.bytesWebseed`)
	peers := a.int64Of(`document.querySelector(".player").dataset.bytesPeers`)
	t.Logf("tab A: %d bytes: %d from the hub's peer, %d web seed, %d other peers", length, server, webseed, peers)
	if length != best.Size || server < length || webseed != 0 || peers != 0 {
		t.Fatalf("tab A got %d from the hub's peer, %d from the web seed, %d from peers; file is %d (rendition %d)",
			server, webseed, peers, length, best.Size)
	}
	stats := evalJS[string](a, `document.querySelector(".p2p-stats").textContent`)
	if want := "from server · 0 B from peers · 1 peer"; !strings.Contains(stats, want) {
		t.Errorf("stats panel %q, want it to contain %q", stats, want)
	}

	// 3. Playback past one second, then a seek.
	evalJS[bool](a, `document.querySelector("video").play().then(() => true)`)
	a.waitFor("playback passes one second", `document.querySelector("video").currentTime > 1`, 30*time.Second)
	evalJS[bool](a, `new Promise(resolve => { const v = document.querySelector("video");
		v.addEventListener("seeked", () => resolve(true), {once: true}); v.currentTime = 5; })`)
	a.waitFor("playback goes on after the seek", `document.querySelector("video").currentTime > 5.3`, 30*time.Second)
	mediaErr := evalJS[string](a, `String(document.querySelector("video").error && document.querySelector("video").error.message || "")`)
	if mediaErr != "" {
		t.Fatalf("video error: %s", mediaErr)
	}
	src := evalJS[string](a, `document.querySelector("video").currentSrc`)
	if !strings.Contains(src, "/webtorrent/") {
		t.Fatalf("the video plays %q, not the WebTorrent stream", src)
	}

	// 2. Tab B, in a fresh browser context: the hub stops uploading, the
	// web seed is still down, so every byte comes from tab A.
	h.seeder.Close()
	b := browser.newTab()
	b.run(20*time.Second, chromedp.Navigate(page))
	b.waitFor("tab B downloads the whole file", `document.querySelector(".player").dataset.done === "true"`, 60*time.Second)
	server = b.int64Of(`document.querySelector(".player").dataset.bytesServer`)
	webseed = b.int64Of(`document.querySelector(".player").dataset.bytesWebseed`)
	peers = b.int64Of(`document.querySelector(".player").dataset.bytesPeers`)
	t.Logf("tab B: %d from tab A, %d from the hub's peer, %d web seed", peers, server, webseed)
	if peers < length || server != 0 || webseed != 0 {
		t.Fatalf("tab B got %d from peers, %d from the hub's peer, %d from the web seed; file is %d", peers, server, webseed, length)
	}
	for _, tb := range []*tab{a, b, c} {
		if errs := tb.consoleErrors(); len(errs) > 0 {
			t.Errorf("console errors: %q", errs)
		}
	}
}

// TestP2PAudioAndFallbackInChromium plays an episode in <audio> over
// WebTorrent (from the hub's WebRTC peer, seeking too), then opens it in a
// browser without WebRTC, which plays the page's plain HTTP source and says
// why.
func TestP2PAudioAndFallbackInChromium(t *testing.T) {
	chromiumPath(t)
	s := storetest.Open(t, store.SQLite)
	h := newMediaHarness(t, s, mediaOptions{p2p: true})
	bob := createUser(t, s, "bob", store.RoleCreator)
	createChannel(t, s, bob, "talks", store.KindPodcast)
	out := filepath.Join(t.TempDir(), "talk.mp3")
	if b, err := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", "-f", "lavfi",
		"-i", "sine=frequency=330:duration=8", "-c:a", "libmp3lame", "-b:a", "128k", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	mp3, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	auth := bearer(apiToken(t, s, bob))
	cli := h.browser()
	r := cli.tusUpload(auth, mp3, 256<<10, map[string]string{"channel": "talks", "title": "A talk", "publish": "1", "filename": "talk.mp3"})
	wantStatus(t, r, http.StatusOK)
	v := cli.waitItem(auth, decodeItem(t, r).ID)
	if v.State != store.StatePublished || len(v.Renditions) == 0 || v.Renditions[0].Torrent == nil {
		t.Fatalf("episode = %+v; logs:\n%s", v, h.logs.String())
	}
	if err := h.seeder.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	browser := newChromium(t)
	page := h.srv.URL + "/i/" + v.ID

	a := browser.newTab()
	a.run(20*time.Second, chromedp.Navigate(page))
	a.waitFor("P2P starts", `document.querySelector(".player").dataset.p2pState === "on"`, 30*time.Second)
	evalJS[bool](a, `document.querySelector("audio").play().then(() => true)`)
	a.waitFor("playback passes one second", `document.querySelector("audio").currentTime > 1`, 30*time.Second)
	evalJS[bool](a, `new Promise(resolve => { const m = document.querySelector("audio");
		m.addEventListener("seeked", () => resolve(true), {once: true}); m.currentTime = 5; })`)
	a.waitFor("playback goes on after the seek", `document.querySelector("audio").currentTime > 5.3`, 30*time.Second)
	if src := evalJS[string](a, `document.querySelector("audio").currentSrc`); !strings.Contains(src, "/webtorrent/") {
		t.Fatalf("the audio plays %q, not the WebTorrent stream", src)
	}
	a.waitFor("bytes from the hub's peer", `Number(document.querySelector(".player").dataset.bytesServer) > 0`, 30*time.Second)

	// No WebRTC in this browser: the page's own source plays.
	b := browser.newTab()
	b.run(10*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument,
			cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: "delete window.RTCPeerConnection;"})
		return err
	}), chromedp.Navigate(page))
	b.waitFor("the player gives up P2P", `document.querySelector(".player").dataset.p2pState === "unsupported"`, 10*time.Second)
	if text := evalJS[string](b, `document.querySelector(".p2p-stats").textContent`); !strings.Contains(text, "cannot share peer to peer") {
		t.Fatalf("stats without WebRTC: %q", text)
	}
	evalJS[bool](b, `document.querySelector("audio").play().then(() => true)`)
	b.waitFor("HTTP playback", `document.querySelector("audio").currentTime > 0.5`, 30*time.Second)
	if src := evalJS[string](b, `document.querySelector("audio").currentSrc`); src != v.Renditions[0].URL {
		t.Fatalf("without WebRTC the audio plays %q, want %q", src, v.Renditions[0].URL)
	}
	for _, tb := range []*tab{a, b} {
		if errs := tb.consoleErrors(); len(errs) > 0 {
			t.Errorf("console errors: %q", errs)
		}
	}
}

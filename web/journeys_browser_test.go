package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// The journeys of a visitor, a creator and a curator, in headless
// Chromium, each in a fresh browser context of one browser. Elements are
// picked by ids, names, links and form actions, never by their English
// text, so that translated pages pass too. A journey fails on any console
// error, uncaught exception or error the browser logs (a failed load, a
// refusal by the Content-Security-Policy). On the way, each key page is
// saved as a PNG at phone and desktop widths in artifacts/screenshots/.
func TestJourneysInChromium(t *testing.T) {
	chromiumPath(t)
	s := storetest.Open(t, store.SQLite) // what the browser sees does not depend on the engine
	st := newSite(t, s, siteOptions{realMedia: true, allowPrivate: true})
	remote := newFakeInstance(t)
	browser := newChromium(t)
	shots := screenshotDir(t)

	t.Run("viewer", func(t *testing.T) {
		v := browser.journey(t, st, shots)
		v.open("/")
		v.shoot("home")
		v.follow(`main a[href="/c/clips"]`)
		v.shoot("channel")
		v.follow(fmt.Sprintf(`main a[href="/i/%s"]`, st.video.PublicID))
		v.shoot("item-video")
		evalJS[bool](v.tab, `document.querySelector(".player video").play().then(() => true)`)
		v.until("the video plays", `document.querySelector(".player video").currentTime > 0`, 30*time.Second)
		// The thread: bob's comment, and the remote reply under it.
		v.until("the thread shows", fmt.Sprintf(`document.querySelector("#comments #c%d .comment-content") &&
			document.querySelector("#comments #c%d + .replies .comment .comment-content")`, st.comment, st.comment), 5*time.Second)
		if n := evalJS[float64](v.tab, `document.querySelectorAll("#comments .comment").length`); n != 2 {
			t.Errorf("%v comments in the thread, want 2", n)
		}
		// Reply from one's own instance: the hub asks the handle's server
		// (WebFinger) and sends the visitor there.
		v.follow(`#comment-form a[href^="/interact?uri="]`)
		v.run(chromedp.SetValue(chromedp.CSS("#handle"), "viewer@"+remote.host))
		v.follow(`form[action="/interact"] button[type="submit"]`)
		itemURI := "http://" + st.h.host + "/i/" + st.video.PublicID
		if loc := v.location(); loc != remote.url+"/authorize_interaction?uri="+url.QueryEscape(itemURI) {
			t.Errorf("the interact form leads to %s", loc)
		}

		v.open("/")
		v.follow(`main a[href="/collections/` + st.collection + `"]`)
		v.shoot("collection")
		v.follow(fmt.Sprintf(`main a[href="/i/%s"]`, st.episode.PublicID))
		v.shoot("item-episode")
		evalJS[bool](v.tab, `document.querySelector(".player audio").play().then(() => true)`)
		v.until("the episode plays", `document.querySelector(".player audio").currentTime > 0`, 30*time.Second)

		v.open("/")
		v.follow(`main a[href="/apply"]`)
		v.shoot("apply")

		// Search from the header, then open what it found.
		v.open("/")
		v.run(chromedp.SetValue(chromedp.CSS("#site-search-q"), st.video.Title))
		v.follow(`form.site-search button[type="submit"]`)
		v.shoot("search")
		v.follow(fmt.Sprintf(`main .search-results a[href="/i/%s"]`, st.video.PublicID))

		// A podcast's page gives its feed and the apps' subscribe links.
		v.open("/c/" + st.talks.Handle)
		v.shoot("channel-podcast")
		feed := evalJS[string](v.tab, `document.querySelector("#feed-url").value`)
		if feed != "http://"+st.h.host+"/c/"+st.talks.Handle+"/feed.rss" {
			t.Errorf("the feed field holds %q", feed)
		}
		if !evalJS[bool](v.tab, `!!document.querySelector('.apps a[href^="podcast://"]') && !!document.querySelector('.apps a[href="/feeds.opml"]')`) {
			t.Error("the podcast's page lacks the apps' subscribe links or the OPML")
		}
		v.follow(`footer a[href="/about"]`)
		v.shoot("about")

		// In French, from the footer's switch; and back.
		v.follow(`footer a[hreflang="fr"]`)
		v.wantPath("/about")
		if lang := evalJS[string](v.tab, `document.documentElement.lang`); lang != "fr" {
			t.Errorf("after choosing French, <html lang=%q>", lang)
		}
		v.open("/")
		v.shoot("home-fr")
		v.follow(`footer a[hreflang="en"]`)
		if lang := evalJS[string](v.tab, `document.documentElement.lang`); lang != "en" {
			t.Errorf("after choosing English, <html lang=%q>", lang)
		}
		v.noProblems()
	})

	t.Run("creator", func(t *testing.T) {
		c := browser.journey(t, st, shots)
		c.open("/")
		c.follow(`nav a[href="/login"]`)
		c.shoot("login")
		c.signIn("erin")

		// A channel, through the form.
		c.follow(`nav a[href="/channels/new"]`)
		c.run(chromedp.SetValue(chromedp.CSS("#handle"), "erin_films"),
			chromedp.Click(chromedp.CSS(`input[name="kind"][value="video"]`)),
			chromedp.SetValue(chromedp.CSS("#title"), "Erin’s films"))
		c.follow(`form[action="/channels"] button[type="submit"]`)
		c.wantPath("/c/erin_films")

		// An upload through the page's tus client, watched to the end.
		c.follow(`main a[href="/c/erin_films/upload"]`)
		c.shoot("upload")
		// Not the site's video again: the same bytes would make the same
		// torrent, which the hub refuses (torrents.info_hash is unique),
		// and the item would stay in processing.
		file := lighthouseVideo(t)
		c.run(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}),
			chromedp.SetValue(chromedp.CSS("#title"), "Lighthouse"),
			chromedp.SetValue(chromedp.CSS("#description"), "The lamp turns."))
		// Publishing waits for the creator, further down.
		if evalJS[bool](c.tab, `document.querySelector('#upload-form input[name="publish"]').checked`) {
			c.run(chromedp.Click(chromedp.CSS(`#upload-form input[name="publish"]`)))
		}
		// The upload page records how far its progress bar went: the item's
		// page replaces it as soon as the upload is done.
		evalJS[bool](c.tab, `(() => { const bar = document.getElementById("upload-progress");
			new MutationObserver(() => sessionStorage.setItem("upload-progress", String(bar.value)))
				.observe(bar, {attributes: true, childList: true});
			return true; })()`)
		c.follow(`#upload-form button[type="submit"]`)
		if p := evalJS[string](c.tab, `sessionStorage.getItem("upload-progress") || ""`); p != "100" {
			t.Errorf("the upload's progress bar stopped at %q, want 100", p)
		}
		path := c.location()
		id := strings.TrimPrefix(strings.TrimPrefix(path, st.h.srv.URL), "/i/")
		if id == path || strings.ContainsAny(id, "/?#") {
			t.Fatalf("the upload led to %s, not an item's page", path)
		}
		if evalJS[bool](c.tab, `!!document.querySelector('progress[max="100"]:not(#upload-progress)')`) {
			t.Logf("the item's page shows the processing progress")
		}
		// The page reloads itself until the file is converted.
		c.until("transcoding completes", `document.readyState === "complete" && document.querySelector(".player video")`, 60*time.Second)

		// Metadata, then publication.
		c.follow(fmt.Sprintf(`a[href="/i/%s/edit"]`, id))
		c.run(chromedp.SetValue(chromedp.CSS("#title"), "Lighthouse at night"),
			chromedp.SetValue(chromedp.CSS("#tags"), "sea, light"),
			chromedp.SetValue(chromedp.CSS("#chapters"), "0:00 The pier\n0:01 The lamp"))
		c.follow(fmt.Sprintf(`form[action="/i/%s/edit"] button[type="submit"]`, id))
		c.wantPath("/i/" + id)
		if h1 := evalJS[string](c.tab, `document.querySelector("main h1").textContent`); h1 != "Lighthouse at night" {
			t.Errorf("title after editing: %q", h1)
		}
		// A chapter link seeks the player.
		c.run(chromedp.Click(chromedp.CSS(`nav.chapters a[data-seek="1"]`)))
		c.until("the chapter seeks the player", `document.querySelector(".player video").currentTime >= 1`, 10*time.Second)
		// A transcript, uploaded from the edit page, becomes the player's captions.
		vtt := filepath.Join(t.TempDir(), "lighthouse.vtt")
		if err := os.WriteFile(vtt, []byte("WEBVTT\n\n00:00.000 --> 00:01.500\nThe lamp turns.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c.follow(fmt.Sprintf(`a[href="/i/%s/edit"]`, id))
		c.run(chromedp.SetUploadFiles(chromedp.CSS("#transcript"), []string{vtt}))
		c.follow(fmt.Sprintf(`form[action="/i/%s/transcript"] button[type="submit"]`, id))
		c.wantPath("/i/" + id + "/edit")
		c.open("/i/" + id)
		c.until("the captions and the transcript link", `!!document.querySelector('.player video track[kind="captions"]') &&
			!!document.querySelector(".transcript-link a")`, 10*time.Second)
		c.follow(fmt.Sprintf(`form[action="/i/%s/publish"] button[type="submit"]`, id))
		c.wantPath("/i/" + id)
		if it := itemByPublicID(t, s, id); it.State != store.StatePublished || it.Title != "Lighthouse at night" {
			t.Errorf("after publishing: state %s, title %q", it.State, it.Title)
		}
		c.until("the published badge", `document.querySelector(".badge.state-published")`, 5*time.Second)

		// A comment as the signed-in creator, seen in the thread.
		const text = "Shot from the pier, 30 seconds exposure."
		c.run(chromedp.SendKeys(chromedp.CSS("#comment-text"), text))
		c.follow(`#comment-form button[type="submit"]`)
		c.until("the comment shows", `location.hash.startsWith("#c") &&
			document.querySelector("#comments " + location.hash + " .comment-content").textContent.includes(`+strconv.Quote(text)+`)`, 5*time.Second)
		// The channel's audience, as its owner sees it.
		c.open("/c/erin_films")
		c.until("the audience figures", `!!document.querySelector("#audience-heading") && document.querySelectorAll(".audience .stats dd").length === 5`, 5*time.Second)
		c.shoot("channel-owner")
		c.noProblems()
	})

	t.Run("curator", func(t *testing.T) {
		c := browser.journey(t, st, shots)
		c.open("/login")
		c.signIn("cora")
		c.follow(`nav a[href="/curation/review"]`)
		c.shoot("review")
		accept := fmt.Sprintf(`form[action="/curation/review"]:has(input[type="hidden"][name="item"][value="%s"]) button[name="decision"][value="accept"]`,
			st.pending.PublicID)
		c.follow(accept)
		c.wantPath("/curation/review")
		if evalJS[bool](c.tab, fmt.Sprintf(`!!document.querySelector('input[name="item"][value="%s"]')`, st.pending.PublicID)) {
			t.Error("the accepted item is still in the queue")
		}
		c.follow(`nav a[href="/"]`)
		c.until("the accepted item is on the home page", fmt.Sprintf(`document.querySelector('main a[href="/i/%s"]')`, st.pending.PublicID), 5*time.Second)
		c.follow(`nav a[href="/curation/follows"]`)
		c.shoot("follows")
		// Follow a channel on another server.
		target := "@films@" + remote.host
		c.run(chromedp.SetValue(chromedp.CSS("#target"), target))
		c.follow(`form[action="/curation/follows"] button[type="submit"]`)
		c.until("the follow is listed, pending", `!!document.querySelector('main a[href="`+remote.url+`/users/films"]') &&
			!!document.querySelector("main .badge.state-pending")`, 5*time.Second)

		// A collection, with the accepted item in it.
		c.follow(`nav a[href="/collections"]`)
		c.run(chromedp.SetValue(chromedp.CSS("#title"), "Night and sea"),
			chromedp.SetValue(chromedp.CSS("#slug"), "night-and-sea"))
		c.follow(`form[action="/collections"] button[type="submit"]`)
		c.wantPath("/collections/night-and-sea")
		c.run(chromedp.SetValue(chromedp.CSS("#item"), st.pending.PublicID))
		c.follow(`form[action="/collections/night-and-sea/items"] button[type="submit"]`)
		c.until("the collection holds the item", fmt.Sprintf(`!!document.querySelector('main a[href="/i/%s"]')`, st.pending.PublicID), 5*time.Second)
		c.shoot("collection-curator")

		// Channels to discover on the home page.
		c.follow(`nav a[href="/curation/home"]`)
		c.run(chromedp.SetValue(chromedp.CSS("#channel"), st.talks.Handle))
		c.follow(`form[action="/curation/home"] button[type="submit"]`)
		c.open("/")
		c.until("the channel to discover", `!!document.querySelector('#discover-heading') &&
			!!document.querySelector('.cards.discover a[href="/c/`+st.talks.Handle+`"]')`, 5*time.Second)

		c.follow(`nav a[href="/curation/lists"]`)
		c.shoot("lists")
		c.follow(`nav a[href="/admin/federation"]`)
		c.shoot("federation-health")
		c.noProblems()
	})
}

// journey is one person's tab on a site.
type journey struct {
	*tab
	t     *testing.T
	st    *site
	shots string
}

// journey opens a tab in a fresh browser context, at desktop size.
func (c *chromium) journey(t *testing.T, st *site, shots string) *journey {
	t.Helper()
	tb := c.newTab()
	tb.t = t
	j := &journey{tab: tb, t: t, st: st, shots: shots}
	j.run(desktop.emulate())
	return j
}

// run runs actions with a deadline of 30 seconds.
func (j *journey) run(actions ...chromedp.Action[chromedp.Void]) {
	j.t.Helper()
	j.tab.run(30*time.Second, actions...)
}

// open loads a path of the site and checks that it answers 200.
func (j *journey) open(path string) {
	j.t.Helper()
	j.load("GET "+path, chromedp.Navigate(j.st.h.srv.URL+path))
}

// follow clicks the element sel picks (a link or a submit button) and
// waits for the page it leads to, which must answer 200 (after
// redirects).
func (j *journey) follow(sel string) {
	j.t.Helper()
	if !evalJS[bool](j.tab, "!!document.querySelector("+strconv.Quote(sel)+")") {
		j.t.Fatalf("no %s on %s", sel, j.location())
	}
	j.load(sel, chromedp.Click(chromedp.CSS(sel)))
}

func (j *journey) load(what string, action chromedp.Action[chromedp.Void]) {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.ctx, 60*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, action)
	if err != nil {
		j.t.Fatalf("%s: %v (at %s; problems: %q)", what, err, j.location(), j.problems())
	}
	if resp.Status != http.StatusOK {
		j.t.Fatalf("%s: %s answers %d (problems: %q)", what, resp.URL, resp.Status, j.problems())
	}
}

// location is the tab's URL.
func (j *journey) location() string {
	j.t.Helper()
	return evalJS[string](j.tab, "location.href")
}

func (j *journey) wantPath(path string) {
	j.t.Helper()
	if got := evalJS[string](j.tab, "location.pathname"); got != path {
		j.t.Fatalf("at %s, want %s", got, path)
	}
}

// signIn fills in and sends the sign-in form of the current page.
func (j *journey) signIn(user string) {
	j.t.Helper()
	j.run(chromedp.SetValue(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword))
	j.follow(`form[action="/login"] button[type="submit"]`)
	j.until("signed in", `document.querySelector('form[action="/logout"]')`, 5*time.Second)
}

// until polls a JavaScript condition until it holds, across reloads and
// navigations (an evaluation that fails while a page loads is retried).
func (j *journey) until(what, cond string, timeout time.Duration) {
	j.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(j.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			ctx, cancel := context.WithTimeout(j.ctx, 5*time.Second)
			page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.querySelector("main").innerText.slice(0, 800)`))
			cancel()
			j.t.Fatalf("%s: not within %s (last error %v; problems: %q); the page:\n%s\nthe hub's warnings:\n%s",
				what, timeout, err, j.problems(), page, j.st.warnings())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// noProblems fails the journey if the pages logged errors.
func (j *journey) noProblems() {
	j.t.Helper()
	if p := j.problems(); len(p) > 0 {
		j.t.Errorf("console or browser errors:\n%s", strings.Join(p, "\n"))
	}
}

// viewport is a screen size the pages are tried at.
type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

var (
	phone   = viewport{"phone", 390, 844, true}
	desktop = viewport{"desktop", 1366, 900, false}
)

func (v viewport) emulate() chromedp.Action[chromedp.Void] {
	if v.mobile {
		return chromedp.EmulateViewport(v.width, v.height, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	return chromedp.EmulateViewport(v.width, v.height)
}

// shoot saves full-page screenshots of the current page at phone and
// desktop widths as NAME-phone.png and NAME-desktop.png, and leaves the
// tab at desktop size.
func (j *journey) shoot(name string) {
	j.t.Helper()
	for _, v := range []viewport{phone, desktop} {
		j.run(v.emulate())
		ctx, cancel := context.WithTimeout(j.ctx, 30*time.Second)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			j.t.Fatalf("screenshot of %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(j.shots, name+"-"+v.name+".png"), png, 0o644); err != nil {
			j.t.Fatal(err)
		}
	}
}

// screenshotDir is artifacts/screenshots at the root of the module,
// created if missing.
func screenshotDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// moduleRoot is the directory of go.mod, above the test's working
// directory.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// lighthouseVideo is a 2-second video unlike sampleVideo, made by ffmpeg;
// it returns its path.
func lighthouseVideo(t testing.TB) string {
	t.Helper()
	sampleVideo(t) // checks ffmpeg is there
	out := filepath.Join(t.TempDir(), "lighthouse.mp4")
	cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y",
		"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=660",
		"-t", "2", "-c:v", "libx264", "-c:a", "aac", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	return out
}

// fakeInstance is another fediverse server on loopback, as far as remote
// interaction needs one: WebFinger with a subscribe template, and the page
// that template leads to.
type fakeInstance struct {
	url  string // http://127.0.0.1:port
	host string // 127.0.0.1:port
}

func newFakeInstance(t testing.TB) *fakeInstance {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f := &fakeInstance{url: srv.URL, host: strings.TrimPrefix(srv.URL, "http://")}
	mux.HandleFunc("GET /.well-known/webfinger", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jrd+json")
		json.NewEncoder(w).Encode(map[string]any{
			"subject": r.URL.Query().Get("resource"),
			"links": []map[string]string{{"rel": "http://ostatus.org/schema/1.0/subscribe",
				"template": f.url + "/authorize_interaction?uri={uri}"},
				{"rel": "self", "type": "application/activity+json", "href": f.url + "/users/films"}},
		})
	})
	// A channel to follow: its actor, and an inbox that takes the Follow.
	mux.HandleFunc("GET /users/films", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": f.url + "/users/films", "type": "Group", "preferredUsername": "films", "name": "Remote films",
			"inbox": f.url + "/users/films/inbox", "outbox": f.url + "/users/films/outbox",
			"followers": f.url + "/users/films/followers", "url": f.url + "/users/films"})
	})
	mux.HandleFunc("POST /users/films/inbox", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	mux.HandleFunc("GET /authorize_interaction", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="en"><head><title>Remote</title><link rel="icon" href="data:,"></head><body><h1>Remote</h1></body></html>`)
	})
	return f
}

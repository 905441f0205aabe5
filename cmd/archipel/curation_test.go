package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// loopbackHub is a hub process on its own loopback address, with the
// public URL other hubs reach it at.
type loopbackHub struct {
	*hub
	addr string // 127.0.0.N:port
	srv  *server
}

// startLoopbackHub serves h on ip (a free port), letting federation reach
// loopback addresses.
func startLoopbackHub(t *testing.T, h *hub, ip string) *loopbackHub {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := []string{"ARCHIPEL_LISTEN=" + addr, "ARCHIPEL_PUBLIC_URL=http://" + addr,
		"ARCHIPEL_FEDERATION_ALLOW_PRIVATE_ADDRESSES=true", "ARCHIPEL_ADMIN_PASSWORD=correct-horse-battery"}
	h.extraEnv = env
	l := &loopbackHub{hub: h, addr: addr, srv: h.serve()}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log of the hub at %s:\n%s", addr, l.srv.log())
		}
	})
	return l
}

func (l *loopbackHub) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get("http://" + l.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return string(b)
}

// TestTwoHubsFollowIndexReview runs two hub processes, A on 127.0.0.2 and
// B on 127.0.0.3 (B on PostgreSQL when one is reachable): B's curator
// follows A's channel from the command line, A accepts, A publishes a
// video, B indexes it into its review queue, the curator accepts it, and
// it appears on B's home page playing from A's files; blocking A's
// instance then purges it from B.
func TestTwoHubsFollowIndexReview(t *testing.T) {
	engines := storetest.Engines(t)
	a := startLoopbackHub(t, newHub(t, store.SQLite), "127.0.0.2")
	b := startLoopbackHub(t, newHub(t, engines[len(engines)-1]), "127.0.0.3")
	a.setUpChannel("video", "films")

	out := b.mustRun("", "follow", "@films@"+a.addr, "--min-duration", "1s")
	if !strings.Contains(out, "following http://"+a.addr+"/c/films (Group") || !strings.Contains(out, ": pending") {
		t.Fatalf("follow: %q", out)
	}
	type follow struct {
		Target, Actor, State string
		Languages            []string
	}
	waitFor(t, "A accepts B's follow", 30*time.Second, func() bool {
		var fs []follow
		if err := json.Unmarshal([]byte(b.mustRun("", "follows", "--json")), &fs); err != nil || len(fs) != 1 {
			t.Fatalf("follows --json: %v %+v", err, fs)
		}
		return fs[0].State == "accepted"
	})
	// A lists B's instance actor among the channel's followers.
	if page := a.get(t, "/c/films"); !strings.Contains(page, "1 follower") {
		t.Errorf("A's channel page does not count B's follow:\n%.2000s", page)
	}

	video := generate(t, filepath.Join(t.TempDir(), "clip.mp4"), "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-c:v", "libx264", "-c:a", "aac")
	up := a.mustRun("", "upload", "--channel", "films", "--title", "Seaside film", "--publish", "--wait", video)
	if !strings.Contains(up, "published") {
		t.Fatalf("upload: %q", up)
	}

	type queued struct{ ID, Title, Origin string }
	var q []queued
	waitFor(t, "B indexes A's video for review", 60*time.Second, func() bool {
		if err := json.Unmarshal([]byte(b.mustRun("", "review", "list", "--json")), &q); err != nil {
			t.Fatal(err)
		}
		return len(q) == 1
	})
	if q[0].Title != "Seaside film" || !strings.HasPrefix(q[0].Origin, "http://"+a.addr+"/i/") {
		t.Fatalf("review queue: %+v", q)
	}
	if home := b.get(t, "/"); strings.Contains(home, "Seaside film") {
		t.Fatal("B's home page shows an item before review")
	}
	if page := b.get(t, "/i/"+q[0].ID); page != "HTTP 404" {
		t.Fatalf("a pending item's page is public: %.300s", page)
	}
	// The curator works the queue on the web: B's admin signs in, sees
	// the item with its preview, and accepts it.
	web := b.signIn(t, "admin", "correct-horse-battery")
	queue := web.get(t, "/curation/review")
	if !strings.Contains(queue, "Seaside film") || !strings.Contains(queue, `value="`+q[0].ID+`"`) ||
		!strings.Contains(queue, `src="http://`+a.addr+`/media/items/`) {
		t.Fatalf("review page:\n%.3000s", queue)
	}
	done := web.post(t, "/curation/review", queue, url.Values{"item": {q[0].ID}, "decision": {"accept"}})
	if !strings.Contains(done, "Accepted 1 item.") || !strings.Contains(done, "by admin") {
		t.Fatalf("after accepting:\n%.3000s", done)
	}
	home := b.get(t, "/")
	if !strings.Contains(home, "Seaside film") || !strings.Contains(home, "from "+a.addr) {
		t.Fatalf("B's home page lacks the accepted item:\n%.3000s", home)
	}
	page := b.get(t, "/i/"+q[0].ID)
	if !strings.Contains(page, `<source src="http://`+a.addr+`/media/items/`) {
		t.Fatalf("B's item page does not play A's file:\n%.3000s", page)
	}
	if _, _, code := b.run("", "review", "accept", q[0].ID); code == 0 {
		t.Fatal("accepting twice succeeded")
	}
	// A featured collection holds it, with a note; its podcast feed keeps
	// the origin's enclosure and points replies at the origin.
	colls := web.get(t, "/collections")
	made := web.post(t, "/collections", colls, url.Values{"title": {"Picks"}, "slug": {"picks"}, "featured": {"1"}})
	if !strings.Contains(made, "<h1>Picks</h1>") {
		t.Fatalf("new collection:\n%.2000s", made)
	}
	added := web.post(t, "/collections/picks/items", made, url.Values{"item": {"http://" + b.addr + "/i/" + q[0].ID}, "note": {"Our <favourite>"}})
	if !strings.Contains(added, "Seaside film") || !strings.Contains(added, "Our &lt;favourite&gt;") {
		t.Fatalf("collection after adding:\n%.3000s", added)
	}
	if home := b.get(t, "/"); !strings.Contains(home, "Featured collections") || !strings.Contains(home, `href="/collections/picks"`) {
		t.Fatalf("B's home page lacks the featured collection:\n%.3000s", home)
	}
	feed := b.get(t, "/collections/picks/feed.rss")
	if !strings.Contains(feed, `<enclosure url="http://`+a.addr+`/media/items/`) || !strings.Contains(feed, `uri="`+q[0].Origin+`"`) ||
		!strings.Contains(feed, "<guid isPermaLink=\"false\">"+q[0].Origin+"</guid>") {
		t.Fatalf("the collection's feed:\n%.4000s", feed)
	}
	if opml := b.get(t, "/feeds.opml"); !strings.Contains(opml, "/collections/picks/feed.rss") {
		t.Fatalf("the OPML lacks the collection:\n%s", opml)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+b.addr+"/collections/picks", nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var playlist struct {
		Type         string
		TotalItems   int
		OrderedItems []struct{ Type, URL string }
	}
	err = json.NewDecoder(resp.Body).Decode(&playlist)
	resp.Body.Close()
	if err != nil || playlist.Type != "Playlist" || playlist.TotalItems != 1 || playlist.OrderedItems[0].URL != q[0].Origin {
		t.Fatalf("the collection as ActivityPub: %+v, %v", playlist, err)
	}
	// Shared lists: B subscribes to A's list (following A's instance, by
	// its bare host, with --list review). A follows a channel on a third
	// hub C and blocks an instance: both reach B as proposals; B does the
	// same for the follow, and dismisses the block.
	c := startLoopbackHub(t, newHub(t, store.SQLite), "127.0.0.4")
	c.setUpChannel("podcast", "docs")
	if out := b.mustRun("", "follow", a.addr, "--list", "review"); !strings.Contains(out, "http://"+a.addr+"/actor (Application") {
		t.Fatalf("follow A's instance: %q", out)
	}
	waitFor(t, "A accepts B's follow of its instance", 30*time.Second, func() bool {
		return strings.Count(b.mustRun("", "follows"), "accepted") == 2
	})
	a.mustRun("", "follow", "@docs@"+c.addr)
	a.mustRun("", "instance", "block", "spam.example")
	type proposal struct {
		ID                          int64
		From, Action, Target, State string
	}
	var ps []proposal
	waitFor(t, "A's follow and block reach B as proposals", 30*time.Second, func() bool {
		if err := json.Unmarshal([]byte(b.mustRun("", "proposals", "list", "--json")), &ps); err != nil {
			t.Fatal(err)
		}
		return len(ps) == 2
	})
	byAction := map[string]proposal{}
	for _, p := range ps {
		byAction[p.Action] = p
	}
	if f := byAction["follow"]; f.Target != "http://"+c.addr+"/c/docs" || f.State != "pending" || f.From != "http://"+a.addr+"/actor" {
		t.Fatalf("follow proposal: %+v", ps)
	}
	if bl := byAction["block"]; bl.Target != "spam.example" || bl.State != "pending" {
		t.Fatalf("block proposal: %+v", ps)
	}
	list := a.get(t, "/curation/list.json")
	if !strings.Contains(list, `"uri":"http://`+c.addr+`/c/docs"`) || !strings.Contains(list, `"blocks":["spam.example"]`) ||
		!strings.Contains(list, `"actor":"http://`+a.addr+`/actor"`) {
		t.Fatalf("A's list as JSON: %s", list)
	}
	if out := b.mustRun("", "proposals", "apply", fmt.Sprint(byAction["follow"].ID)); !strings.HasPrefix(out, "applied: follow") {
		t.Fatalf("apply: %q", out)
	}
	if out := b.mustRun("", "proposals", "dismiss", fmt.Sprint(byAction["block"].ID)); !strings.HasPrefix(out, "dismissed: block") {
		t.Fatalf("dismiss: %q", out)
	}
	waitFor(t, "B follows C's channel too", 30*time.Second, func() bool {
		return strings.Contains(b.mustRun("", "follows"), "http://"+c.addr+"/c/docs")
	})
	if pol := b.mustRun("", "follows"); strings.Contains(pol, "spam.example") {
		t.Fatal("a dismissed block was applied")
	}
	// Collections travel in the list too: A puts its video in a new
	// collection; B's curator applies the proposal on the web and B keeps
	// a copy of A's collection; A takes the video out, and B does the same
	// from the command line.
	aw := a.signIn(t, "admin", "correct-horse-battery")
	aColls := aw.get(t, "/collections")
	aMade := aw.post(t, "/collections", aColls, url.Values{"title": {"Science"}, "slug": {"science"}})
	if added := aw.post(t, "/collections/science/items", aMade, url.Values{"item": {q[0].Origin}}); !strings.Contains(added, "Seaside film") {
		t.Fatalf("A's collection after adding:\n%.3000s", added)
	}
	proposalOf := func(action string) proposal {
		t.Helper()
		var found proposal
		waitFor(t, "a "+action+" proposal from A", 30*time.Second, func() bool {
			if err := json.Unmarshal([]byte(b.mustRun("", "proposals", "list", "--json")), &ps); err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				if p.Action == action && p.State == "pending" {
					found = p
				}
			}
			return found.ID != 0
		})
		return found
	}
	collect := proposalOf("collect")
	if collect.Target != q[0].Origin {
		t.Fatalf("collect proposal: %+v", collect)
	}
	lists := web.get(t, "/curation/lists")
	if !strings.Contains(lists, "its collection") || !strings.Contains(lists, "http://"+a.addr+"/collections/science") {
		t.Fatalf("B's proposals page:\n%.3000s", lists)
	}
	web.post(t, fmt.Sprintf("/curation/lists/%d/apply", collect.ID), lists, url.Values{})
	copyRE := regexp.MustCompile(`href="/collections/(science-[a-z0-9-]+)"`)
	m := copyRE.FindStringSubmatch(b.get(t, "/collections"))
	if m == nil {
		t.Fatalf("B has no copy of A's collection:\n%.3000s", b.get(t, "/collections"))
	}
	if cp := b.get(t, "/collections/"+m[1]); !strings.Contains(cp, "Science ("+a.addr+")") || !strings.Contains(cp, "Seaside film") {
		t.Fatalf("B's copy of A's collection:\n%.3000s", cp)
	}
	aItem := q[0].Origin[strings.LastIndex(q[0].Origin, "/")+1:]
	aPage := aw.get(t, "/collections/science")
	aw.post(t, "/collections/science/items/"+aItem+"/remove", aPage, url.Values{})
	uncollect := proposalOf("uncollect")
	if out := b.mustRun("", "proposals", "apply", fmt.Sprint(uncollect.ID)); !strings.HasPrefix(out, "applied: uncollect") {
		t.Fatalf("apply uncollect: %q", out)
	}
	if cp := b.get(t, "/collections/"+m[1]); strings.Contains(cp, "Seaside film") {
		t.Fatalf("B's copy still holds the video A took out:\n%.3000s", cp)
	}
	// Channels to discover: B's curator puts A's channel on B's home page.
	hp := web.get(t, "/curation/home")
	if bad := web.post(t, "/curation/home", hp, url.Values{"channel": {"nosuch"}}); !strings.Contains(bad, "No channel of this hub has that handle.") ||
		!strings.Contains(bad, `value="nosuch"`) {
		t.Fatalf("featuring a missing channel:\n%.3000s", bad)
	}
	if done := web.post(t, "/curation/home", hp, url.Values{"channel": {"@films@" + a.addr}, "note": {"Short films from A"}}); !strings.Contains(done, "is on the home page.") {
		t.Fatalf("featuring A's channel:\n%.3000s", done)
	}
	if home := b.get(t, "/"); !strings.Contains(home, "Channels to discover") || !strings.Contains(home, "Short films from A") ||
		!strings.Contains(home, `href="http://`+a.addr+`/c/films"`) {
		t.Fatalf("B's home page lacks the channel to discover:\n%.4000s", home)
	}
	// A target that does not exist: the form says so and keeps it.
	follows := web.get(t, "/curation/follows")
	if !strings.Contains(follows, "@films@"+a.addr) || !strings.Contains(follows, "Accepted") {
		t.Fatalf("follows page:\n%.3000s", follows)
	}
	bad := web.post(t, "/curation/follows", follows, url.Values{"target": {"@nobody@" + a.addr}})
	if !strings.Contains(bad, "Cannot follow") || !strings.Contains(bad, `value="@nobody@`+a.addr+`"`) {
		t.Fatalf("following a missing actor:\n%.3000s", bad)
	}
	// Muting A's channel keeps its item off B's home page; reset brings it back.
	b.mustRun("", "actor", "mute", "http://"+a.addr+"/c/films")
	if home := b.get(t, "/"); strings.Contains(home, "Seaside film") {
		t.Fatal("a muted channel's item is on B's home page")
	}
	b.mustRun("", "actor", "reset", "http://"+a.addr+"/c/films")
	if home := b.get(t, "/"); !strings.Contains(home, "Seaside film") {
		t.Fatal("the item is not back on B's home page after reset")
	}
	// Blocking A's instance purges what B holds from it.
	b.mustRun("", "instance", "block", a.addr)
	if home := b.get(t, "/"); strings.Contains(home, "Seaside film") {
		t.Fatal("the item of a blocked instance is still on B's home page")
	}
	if page := b.get(t, "/i/"+q[0].ID); page != "HTTP 404" {
		t.Fatalf("the item of a blocked instance still has a page: %.300s", page)
	}
	if out := b.mustRun("", "follows"); strings.Contains(out, a.addr) {
		t.Fatalf("the follow of a blocked instance's channel is kept: %q", out)
	}
}

// webClient is a signed-in browser session on a hub.
type webClient struct {
	base string
	c    *http.Client
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (l *loopbackHub) signIn(t *testing.T, user, password string) *webClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	w := &webClient{base: "http://" + l.addr, c: &http.Client{Jar: jar}}
	form := w.get(t, "/login")
	page := w.post(t, "/login", form, url.Values{"username": {user}, "password": {password}})
	if !strings.Contains(page, "@"+user) {
		t.Fatalf("sign in as %s:\n%.2000s", user, page)
	}
	return w
}

func (w *webClient) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := w.c.Get(w.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// post submits fields with the CSRF token of the page the form is on.
func (w *webClient) post(t *testing.T, path, page string, fields url.Values) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%.1000s", page)
	}
	fields.Set("csrf_token", m[1])
	req, _ := http.NewRequest(http.MethodPost, w.base+path, strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", w.base)
	resp, err := w.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// A channel's feeds: the podcast RSS with its enclosures, its
// socialInteract and its Apple tags; Atom and JSON; served with ETag,
// Last-Modified, 304s and gzip from a cache that the next change of the
// channel's content replaces.
func TestChannelFeeds(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newMediaHarness(t, s, mediaOptions{federation: true, feedItems: 2})
		owner := createUser(t, s, "maya", store.RoleCreator)
		ch := createChannel(t, s, owner, "radio", store.KindPodcast)
		first := seedItem(t, s, ch, "Episode <1> & \"more\" 🎙️", "The **first** one", true)
		b := h.browser()

		r := b.get("/c/radio/feed.rss")
		wantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "application/rss+xml; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		etag, lastMod := r.Header.Get("ETag"), r.Header.Get("Last-Modified")
		if etag == "" || lastMod == "" || r.Header.Get("Cache-Control") == "" {
			t.Fatalf("caching headers: %v", r.Header)
		}
		feed, err := gofeed.NewParser().ParseString(r.body)
		if err != nil {
			t.Fatalf("parse the RSS: %v\n%s", err, r.body)
		}
		if feed.Title != "Radio" || len(feed.Items) != 1 || feed.Items[0].Title != "Episode <1> & \"more\" 🎙️" {
			t.Fatalf("feed: %q, %d items", feed.Title, len(feed.Items))
		}
		it := feed.Items[0]
		if len(it.Enclosures) != 1 || !strings.HasSuffix(it.Enclosures[0].URL, "/audio.mp3") || it.Enclosures[0].Length != "1000" || it.Enclosures[0].Type != "audio/mpeg" {
			t.Errorf("enclosure: %+v", it.Enclosures)
		}
		itemURI := "http://" + h.host + "/i/" + first.PublicID
		si := it.Extensions["podcast"]["socialInteract"]
		if len(si) != 1 || si[0].Attrs["protocol"] != "activitypub" || si[0].Attrs["uri"] != itemURI || si[0].Attrs["accountId"] != "@radio@"+h.host {
			t.Errorf("socialInteract: %+v", si)
		}
		if alts := it.Extensions["podcast"]["alternateEnclosure"]; len(alts) != 2 {
			t.Errorf("%d alternate enclosures, want one per rendition (2)", len(alts))
		}
		if feed.ITunesExt == nil || feed.ITunesExt.Explicit == "" || len(feed.ITunesExt.Categories) == 0 {
			t.Errorf("iTunes channel tags: %+v", feed.ITunesExt)
		}

		// 304s, and gzip.
		wantStatus(t, b.request(http.MethodGet, "/c/radio/feed.rss", nil, http.Header{"If-None-Match": {etag}}), http.StatusNotModified)
		wantStatus(t, b.request(http.MethodGet, "/c/radio/feed.rss", nil, http.Header{"If-Modified-Since": {lastMod}}), http.StatusNotModified)
		gz := b.request(http.MethodGet, "/c/radio/feed.rss", nil, http.Header{"Accept-Encoding": {"gzip"}})
		if gz.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("no gzip: %v", gz.Header)
		}
		zr, err := gzip.NewReader(strings.NewReader(gz.body))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		if !bytes.Equal(plain, []byte(r.body)) {
			t.Errorf("the gzipped feed differs")
		}

		// A new episode, an edit and closed comments each make a new feed;
		// the limit keeps the newest two.
		second := seedItem(t, s, ch, "Episode 2", "", true)
		r2 := b.request(http.MethodGet, "/c/radio/feed.rss", nil, http.Header{"If-None-Match": {etag}})
		wantStatus(t, r2, http.StatusOK)
		wantContains(t, r2.body, "Episode 2")
		seedItem(t, s, ch, "Episode 3", "", true)
		if err := s.UpdateItem(ctx, second.ID, store.ItemEdit{Title: "Episode two", CommentsPolicy: "closed"}, nil); err != nil {
			t.Fatal(err)
		}
		r3 := b.get("/c/radio/feed.rss")
		wantContains(t, r3.body, "Episode two", "Episode 3", `protocol="disabled"`)
		wantNotContains(t, r3.body, "Episode &lt;1&gt;")
		if r3.Header.Get("ETag") == r2.Header.Get("ETag") {
			t.Errorf("the ETag did not change")
		}

		// An imported episode keeps the guid it had in its former feed.
		if _, err := s.DB().Exec(`UPDATE items SET feed_guid = 'urn:old-host:42', updated_at = $1 WHERE id = $2`, time.Now().UTC(), second.ID); err != nil {
			t.Fatal(err)
		}
		wantContains(t, b.get("/c/radio/feed.rss").body, `<guid isPermaLink="false">urn:old-host:42</guid>`)

		for path, ct := range map[string]string{"/c/radio/feed.atom": "application/atom+xml", "/c/radio/feed.json": "application/feed+json"} {
			r := b.get(path)
			wantStatus(t, r, http.StatusOK)
			if !strings.HasPrefix(r.Header.Get("Content-Type"), ct) {
				t.Errorf("%s: Content-Type %q", path, r.Header.Get("Content-Type"))
			}
			if f, err := gofeed.NewParser().ParseString(r.body); err != nil || len(f.Items) != 2 {
				t.Errorf("%s: %v", path, err)
			}
		}
		wantStatus(t, b.get("/c/nobody/feed.rss"), http.StatusNotFound)

		// The channel page names its feeds; the OPML lists them.
		page := b.get("/c/radio")
		wantContains(t, page.body, `<link rel="alternate" type="application/rss+xml" title="Podcast feed (RSS)" href="http://`+h.host+`/c/radio/feed.rss">`,
			`value="http://`+h.host+`/c/radio/feed.rss"`)
		wantContains(t, b.get("/i/"+first.PublicID).body,
			`<link rel="alternate" type="application/rss+xml" title="Podcast feed of the channel" href="http://`+h.host+`/c/radio/feed.rss">`)
		opml := b.get("/feeds.opml")
		wantStatus(t, opml, http.StatusOK)
		wantContains(t, opml.body, `xmlUrl="http://`+h.host+`/c/radio/feed.rss"`)
	})
}

// A video channel's feed is a video podcast: the best video as enclosure,
// media:content per rendition, medium video.
func TestVideoChannelFeed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newMediaHarness(t, s, mediaOptions{federation: true})
		owner := createUser(t, s, "vid", store.RoleCreator)
		ch := createChannel(t, s, owner, "clips", store.KindVideo)
		seedItem(t, s, ch, "Clip", "", true)
		r := h.browser().get("/c/clips/feed.rss")
		wantStatus(t, r, http.StatusOK)
		feed, err := gofeed.NewParser().ParseString(r.body)
		if err != nil {
			t.Fatal(err)
		}
		it := feed.Items[0]
		if len(it.Enclosures) != 1 || it.Enclosures[0].Type != "video/mp4" {
			t.Errorf("enclosure: %+v", it.Enclosures)
		}
		if mc := it.Extensions["media"]["content"]; len(mc) != 1 || mc[0].Attrs["height"] != "360" {
			t.Errorf("media:content: %+v", mc)
		}
		if m := feed.Extensions["podcast"]["medium"]; len(m) != 1 || m[0].Value != "video" {
			t.Errorf("medium: %+v", m)
		}
	})
}

// The edit form sets an episode's season, number, kind and chapters
// (typed as lines); the feed carries them and the chapters are served as
// JSON chapters.
func TestEpisodeFeedFields(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h, b, ch, item := newPodcastFixture(t, s)
		edit := "/i/" + item.PublicID + "/edit"
		r := b.submit(edit, edit, url.Values{"title": {"Pilot"}, "season": {"2"}, "episode": {"abc"}, "chapters": {"0:00 Hello\n0:00 Again"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "The episode number must be a whole number", "does not start after the one before it")
		r = b.submit(edit, edit, url.Values{"title": {"Pilot"}, "season": {"2"}, "episode": {"5"}, "episode_type": {"bonus"},
			"chapters": {"0:00 Hello\r\n12:30 Questions & answers"}})
		wantStatus(t, r, http.StatusSeeOther)
		wantContains(t, b.get(edit).body, "0:00 Hello\n12:30 Questions &amp; answers")

		feed, err := gofeed.NewParser().ParseString(b.get("/c/radio/feed.rss").body)
		if err != nil {
			t.Fatal(err)
		}
		it := feed.Items[0]
		p := it.Extensions["podcast"]
		if p["season"][0].Value != "2" || p["episode"][0].Value != "5" || it.ITunesExt.EpisodeType != "bonus" {
			t.Errorf("season %v episode %v type %q", p["season"], p["episode"], it.ITunesExt.EpisodeType)
		}
		if ps := feed.Extensions["podcast"]["person"]; len(ps) != 1 || ps[0].Value != "maya" || ps[0].Attrs["role"] != "host" {
			t.Errorf("podcast:person: %+v", ps)
		}
		chaptersURL := p["chapters"][0].Attrs["url"]
		if chaptersURL != "http://"+h.host+"/i/"+item.PublicID+"/chapters.json" || p["chapters"][0].Attrs["type"] != "application/json+chapters" {
			t.Errorf("chapters: %+v", p["chapters"])
		}
		r = h.browser().get("/i/" + item.PublicID + "/chapters.json")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `{"startTime":750,"title":"Questions \u0026 answers"}`)

		// A trailer is also the show's podcast:trailer.
		trailer := seedItem(t, s, ch, "Coming soon", "", true)
		if err := s.UpdateItem(context.Background(), trailer.ID, store.ItemEdit{Title: "Coming soon",
			Episode: &store.EpisodeFields{Type: "trailer", Season: 2}}, nil); err != nil {
			t.Fatal(err)
		}
		feed, err = gofeed.NewParser().ParseString(b.get("/c/radio/feed.rss").body)
		if err != nil {
			t.Fatal(err)
		}
		if tr := feed.Extensions["podcast"]["trailer"]; len(tr) != 1 || tr[0].Value != "Coming soon" || tr[0].Attrs["season"] != "2" {
			t.Errorf("podcast:trailer: %+v", tr)
		}
	})
}

// A transcript uploaded from the edit page (WebVTT or SubRip) replaces the
// previous one, reaches the feed as podcast:transcript and the player as
// captions; anything else is refused with the reason.
func TestTranscriptUpload(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h, b, _, item := newPodcastFixture(t, s)
		edit := "/i/" + item.PublicID + "/edit"
		send := func(name, content string) *response {
			return postFile(t, b, edit, "/i/"+item.PublicID+"/transcript", "transcript", name, []byte(content))
		}
		r := send("notes.txt", "just some notes")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "neither with WEBVTT")
		wantStatus(t, send("a.srt", "1\n00:00:00,000 --> 00:00:02,000\nHello\n"), http.StatusSeeOther)
		wantStatus(t, send("a.vtt", "WEBVTT\n\n00:00.000 --> 00:02.000\nHello there\n"), http.StatusSeeOther)
		feed, err := gofeed.NewParser().ParseString(b.get("/c/radio/feed.rss").body)
		if err != nil {
			t.Fatal(err)
		}
		tr := feed.Items[0].Extensions["podcast"]["transcript"]
		if len(tr) != 1 || tr[0].Attrs["type"] != "text/vtt" {
			t.Fatalf("podcast:transcript: %+v", tr)
		}
		page := b.get("/i/" + item.PublicID)
		wantContains(t, page.body, `<track kind="captions" src="`+tr[0].Attrs["url"]+`" label="Transcript">`)
		vtt := b.get(strings.TrimPrefix(tr[0].Attrs["url"], "http://"+h.host))
		wantStatus(t, vtt, http.StatusOK)
		wantContains(t, vtt.body, "Hello there")
	})
}

// The owner sets what the feed says of the show; mistakes are explained
// and nothing is saved; the feed then carries the settings.
func TestFeedSettings(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newMediaHarness(t, s, mediaOptions{federation: true})
		owner := createUser(t, s, "maya", store.RoleCreator)
		createUser(t, s, "bob", store.RoleCreator)
		ch := createChannel(t, s, owner, "radio", store.KindPodcast)
		seedItem(t, s, ch, "Pilot", "", true)
		page := "/c/radio/feed-settings"
		bob := h.browser()
		bob.login("bob")
		wantStatus(t, bob.get(page), http.StatusForbidden)
		b := h.browser()
		b.login("maya")
		r := b.get(page)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `<option value="Technology">Technology</option>`, `<option value="Arts &gt; Design">Arts › Design</option>`,
			`name="locked" value="1" checked`)
		r = b.submit(page, page, url.Values{"category": {"Cooking"}, "language": {"english"}, "feed_type": {"serial"},
			"podcast_guid": {"not-a-uuid"}, "funding_url": {"javascript:alert(1)"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "Choose a category from Apple’s list.", "Give the language as a code", "The podcast GUID is a UUID",
			"must be a web address starting with https://")
		r = b.submit(page, page, url.Values{"category": {"Arts > Design"}, "language": {"fr"}, "feed_type": {"serial"}, "explicit": {"1"},
			"podcast_guid": {"917393e3-1b1e-5cef-ace4-edaa54e1f810"}, "funding_url": {"https://support.example/radio"},
			"funding_text": {"Support us"}, "license": {"cc-by-4.0"}})
		wantStatus(t, r, http.StatusSeeOther)
		feed, err := gofeed.NewParser().ParseString(b.get("/c/radio/feed.rss").body)
		if err != nil {
			t.Fatal(err)
		}
		p := feed.Extensions["podcast"]
		if p["guid"][0].Value != "917393e3-1b1e-5cef-ace4-edaa54e1f810" || p["locked"][0].Value != "no" ||
			p["funding"][0].Attrs["url"] != "https://support.example/radio" || p["license"][0].Value != "cc-by-4.0" {
			t.Errorf("podcast tags: %+v", p)
		}
		if feed.Language != "fr" || feed.ITunesExt.Type != "serial" || feed.ITunesExt.Explicit != "true" ||
			feed.ITunesExt.Categories[0].Text != "Arts" || feed.ITunesExt.Categories[0].Subcategory.Text != "Design" {
			t.Errorf("channel tags: %q %+v", feed.Language, feed.ITunesExt)
		}
	})
}

// Artwork: a picture Apple would refuse is explained and not kept; a
// 1400×1400 PNG becomes the feed's image, served from /media/.
func TestChannelArtwork(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h, b, _, _ := newPodcastFixture(t, s)
		send := func(w, hgt int) *response {
			img := image.NewRGBA(image.Rect(0, 0, w, hgt))
			var pic bytes.Buffer
			if err := png.Encode(&pic, img); err != nil {
				t.Fatal(err)
			}
			return postFile(t, b, "/c/radio/feed-settings", "/c/radio/artwork", "artwork", "art.png", pic.Bytes())
		}
		r := send(1000, 1000)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "needs at least 1400×1400")
		wantStatus(t, send(1400, 1400), http.StatusSeeOther)
		feed, err := gofeed.NewParser().ParseString(b.get("/c/radio/feed.rss").body)
		if err != nil {
			t.Fatal(err)
		}
		if feed.ITunesExt == nil || !strings.Contains(feed.ITunesExt.Image, "/media/channels/radio/artwork-") {
			t.Fatalf("itunes:image: %+v", feed.ITunesExt)
		}
		pic := h.browser().get(strings.TrimPrefix(feed.ITunesExt.Image, "http://"+h.host))
		wantStatus(t, pic, http.StatusOK)
		if pic.Header.Get("Content-Type") != "image/png" {
			t.Errorf("Content-Type %q", pic.Header.Get("Content-Type"))
		}
		wantStatus(t, h.browser().get("/media/channels/radio/artwork-1.png"), http.StatusNotFound)
	})
}

// newPodcastFixture is a federating hub with maya's podcast channel
// "radio", one published episode, and maya signed in.
func newPodcastFixture(t *testing.T, s *store.Store) (*mediaHarness, *browser, *store.Channel, *store.Item) {
	t.Helper()
	h := newMediaHarness(t, s, mediaOptions{federation: true})
	owner := createUser(t, s, "maya", store.RoleCreator)
	ch := createChannel(t, s, owner, "radio", store.KindPodcast)
	item := seedItem(t, s, ch, "Pilot", "", true)
	b := h.browser()
	b.login("maya")
	return h, b, ch, item
}

// postFile sends the multipart form of page whose action is action, with
// data as its file field, the CSRF token first.
func postFile(t *testing.T, b *browser, page, action, field, filename string, data []byte) *response {
	t.Helper()
	token := formFields(t, b.get(page).body, action)[csrfField][0]
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField(csrfField, token)
	fw, _ := mw.CreateFormFile(field, filename)
	_, _ = fw.Write(data)
	_ = mw.Close()
	return b.postMultipart(action, mw.FormDataContentType(), &body)
}

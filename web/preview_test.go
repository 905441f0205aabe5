package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/archipel/archipel/markup"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// oembedURLHTML is the oEmbed link of page as it appears in an href.
func oembedURLHTML(host, page string) string {
	return "http://" + host + "/oembed?url=" + url.QueryEscape(page) + "&amp;format=json"
}

// TestPagePreviews checks the link previews of item and channel pages.
func TestPagePreviews(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		alice := createUser(t, s, "alice", store.RoleCreator)
		clips := createChannel(t, s, alice, "clips", store.KindVideo)
		talks := createChannel(t, s, alice, "talks", store.KindPodcast)
		h := newMediaHarness(t, s, mediaOptions{federation: true})
		base := "http://" + h.host
		video := seedItem(t, s, clips, "Sunset & sea", "A *short* clip of the [sea](https://example.org).\n\n- calm\n- blue", true)
		episode := seedItem(t, s, talks, "Episode 1", "", true)
		draft := seedItem(t, s, clips, "Secret", "Not yet.", false)
		anon := h.browser()

		// A video: OpenGraph video.other with its poster and best source.
		page := base + "/i/" + video.PublicID
		media := base + "/media/items/" + video.PublicID + "/1/"
		r := anon.get("/i/" + video.PublicID)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body,
			`<link rel="canonical" href="`+page+`">`,
			`<meta name="description" content="A short clip of the sea. calm blue">`,
			`<meta property="og:type" content="video.other">`,
			`<meta property="og:site_name" content="Archipel">`,
			`<meta property="og:title" content="Sunset &amp; sea">`,
			`<meta property="og:description" content="A short clip of the sea. calm blue">`,
			`<meta property="og:url" content="`+page+`">`,
			`<meta property="og:image" content="`+media+`poster.jpg">`,
			`<meta property="og:image:type" content="image/jpeg">`,
			`<meta property="og:image:width" content="1280">`,
			`<meta property="og:image:height" content="720">`,
			`<meta property="og:video" content="`+media+`360p.mp4">`,
			`<meta property="og:video:type" content="video/mp4">`,
			`<meta property="og:video:width" content="640">`,
			`<meta property="og:video:height" content="360">`,
			`<meta property="video:duration" content="2">`,
			`<meta name="twitter:card" content="summary_large_image">`,
			`<meta name="twitter:title" content="Sunset &amp; sea">`,
			`<meta name="twitter:image" content="`+media+`poster.jpg">`,
			`<link rel="alternate" type="application/activity+json" href="`+page+`">`,
			`<link rel="alternate" type="application/json+oembed" href="`+oembedURLHTML(h.host, page)+`" title="Sunset &amp; sea">`)
		wantNotContains(t, r.body, "og:video:secure_url", "og:audio") // plain HTTP here
		// With federation, a published item shows its likes and boosts.
		wantContains(t, r.body, `<span class="likes">0 likes</span> · <span class="boosts">0 boosts</span>`)
		liker := remoteActor(t, s, "bob", "")
		if err := s.AddReaction(ctx, store.ReactionLike, liker.ID, video.ID, 0, page, "https://remote.example/likes/1"); err != nil {
			t.Fatal(err)
		}
		wantContains(t, anon.get("/i/"+video.PublicID).body, `<span class="likes">1 like</span>`)

		// An episode: music.song with its audio, and no picture.
		page = base + "/i/" + episode.PublicID
		r = anon.get("/i/" + episode.PublicID)
		wantContains(t, r.body,
			`<meta property="og:type" content="music.song">`,
			`<meta property="og:description" content="An episode from Talks on Archipel.">`,
			`<meta property="og:audio" content="`+base+`/media/items/`+episode.PublicID+`/1/audio.mp3">`,
			`<meta property="og:audio:type" content="audio/mpeg">`,
			`<meta property="music:duration" content="2">`,
			`<meta name="twitter:card" content="summary">`,
			`<link rel="alternate" type="application/json+oembed" href="`+oembedURLHTML(h.host, page)+`"`)
		wantNotContains(t, r.body, "og:image", "og:video", "twitter:image")

		// A draft, seen by its owner: only the canonical URL.
		owner := h.browser()
		owner.login("alice")
		r = owner.get("/i/" + draft.PublicID)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `<link rel="canonical" href="`+base+`/i/`+draft.PublicID+`">`)
		wantNotContains(t, r.body, "og:", "twitter:", "oembed", "activity+json", `class="reactions"`)

		// A channel: a website, with its actor and oEmbed.
		page = base + "/c/clips"
		r = anon.get("/c/clips")
		wantContains(t, r.body,
			`<link rel="canonical" href="`+page+`">`,
			`<meta property="og:type" content="website">`,
			`<meta property="og:title" content="Clips">`,
			`<meta property="og:description" content="Video channel @clips on Archipel.">`,
			`<meta property="og:url" content="`+page+`">`,
			`<meta name="twitter:card" content="summary">`,
			`<link rel="alternate" type="application/activity+json" href="`+page+`">`,
			`<link rel="alternate" type="application/json+oembed" href="`+oembedURLHTML(h.host, page)+`" title="Clips">`)
	})
}

func TestPlainTextPreview(t *testing.T) {
	s := &server{markup: markup.New()}
	for in, want := range map[string]string{
		"":                                 "",
		"Hello **world** &amp; *friends*!": "Hello world & friends!",
		"# Title\n\nFirst.\n\n> quoted":    "Title First. quoted",
		"a <b>raw</b> <i>html</i>":         "a raw html",
		"line one\nline two":               "line one line two",
	} {
		if got := s.plainText(in); got != want {
			t.Errorf("plainText(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("word ", 100)
	got := s.plainText(long)
	if n := utf8.RuneCountInString(got); n > maxPreviewText || !strings.HasSuffix(got, "word…") {
		t.Errorf("plainText of a long text = %q (%d characters)", got, n)
	}
	if got := truncateText(strings.Repeat("é", 300), 10); got != strings.Repeat("é", 9)+"…" {
		t.Errorf("truncateText without spaces = %q", got)
	}
}

// oembedJSON is a decoded oEmbed answer.
type oembedJSON struct {
	Version, Type, Title, HTML string
	ProviderName               string `json:"provider_name"`
	ProviderURL                string `json:"provider_url"`
	AuthorName                 string `json:"author_name"`
	AuthorURL                  string `json:"author_url"`
	ThumbnailURL               string `json:"thumbnail_url"`
	ThumbnailWidth             int    `json:"thumbnail_width"`
	ThumbnailHeight            int    `json:"thumbnail_height"`
	Width, Height              int
}

func getOEmbed(t *testing.T, b *browser, target string, extra string) (*response, *oembedJSON) {
	t.Helper()
	r := b.get("/oembed?url=" + url.QueryEscape(target) + extra)
	if r.StatusCode != http.StatusOK {
		return r, nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	var o oembedJSON
	if err := json.Unmarshal([]byte(r.body), &o); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return r, &o
}

func TestOEmbed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		alice := createUser(t, s, "alice", store.RoleCreator)
		clips := createChannel(t, s, alice, "clips", store.KindVideo)
		talks := createChannel(t, s, alice, "talks", store.KindPodcast)
		h := newMediaHarness(t, s, mediaOptions{})
		base := "http://" + h.host
		video := seedItem(t, s, clips, `Sunset "&" <sea>`, "", true)
		episode := seedItem(t, s, talks, "Episode 1", "", true)
		draft := seedItem(t, s, clips, "Secret", "", false)
		b := h.browser()
		b.login("alice") // even its owner gets no oEmbed of a draft

		page := base + "/i/" + video.PublicID
		r, o := getOEmbed(t, b, page, "&format=json")
		wantStatus(t, r, http.StatusOK)
		if r.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Error("no Access-Control-Allow-Origin: *")
		}
		want := oembedJSON{Version: "1.0", Type: "video", Title: `Sunset "&" <sea>`, ProviderName: "Archipel", ProviderURL: base + "/",
			AuthorName: "Clips", AuthorURL: base + "/c/clips",
			ThumbnailURL: base + "/media/items/" + video.PublicID + "/1/thumbnail.jpg", ThumbnailWidth: 320, ThumbnailHeight: 180,
			Width: 640, Height: 360,
			HTML: `<iframe src="` + page + `/embed" width="640" height="360" title="Sunset &#34;&amp;&#34; &lt;sea&gt;" style="border:0" allow="fullscreen" allowfullscreen loading="lazy"></iframe>`}
		if *o != want {
			t.Errorf("oEmbed =\n%+v\nwant\n%+v", *o, want)
		}
		// The format is optional; maxwidth and maxheight shrink the player
		// (and drop thumbnails that do not fit).
		for _, tc := range []struct {
			extra         string
			width, height int
			thumb         bool
		}{
			{"", 640, 360, true},
			{"&maxwidth=320", 320, 180, true},
			{"&maxwidth=200", 200, 113, false},
			{"&maxheight=90&maxwidth=1000", 160, 90, false},
			{"&maxwidth=junk&maxheight=-3", 640, 360, true},
		} {
			_, o := getOEmbed(t, b, page, tc.extra)
			if o == nil || o.Width != tc.width || o.Height != tc.height || (o.ThumbnailURL != "") != tc.thumb ||
				!strings.Contains(o.HTML, `width="`+itoa(tc.width)+`" height="`+itoa(tc.height)+`"`) {
				t.Errorf("%s: %+v", tc.extra, o)
			}
		}
		// The embed page's own URL works too.
		if _, o := getOEmbed(t, b, page+"/embed", ""); o == nil || o.Title != want.Title {
			t.Errorf("oEmbed of the embed URL: %+v", o)
		}

		// An episode is a rich player.
		_, o = getOEmbed(t, b, base+"/i/"+episode.PublicID, "&format=json&maxwidth=400")
		if o == nil || o.Type != "rich" || o.Width != 400 || o.Height != 120 || o.AuthorName != "Talks" || o.ThumbnailURL != "" ||
			!strings.Contains(o.HTML, `src="`+base+`/i/`+episode.PublicID+`/embed"`) {
			t.Errorf("episode oEmbed: %+v", o)
		}

		// A channel is a link.
		_, o = getOEmbed(t, b, base+"/c/Clips/", "")
		if o == nil || o.Type != "link" || o.Title != "Clips" || o.AuthorURL != base+"/c/clips" || o.HTML != "" || o.Width != 0 {
			t.Errorf("channel oEmbed: %+v", o)
		}

		// Refusals.
		for _, tc := range []struct {
			target, extra string
			status        int
		}{
			{page, "&format=xml", http.StatusNotImplemented},
			{"https://elsewhere.example/i/" + video.PublicID, "", http.StatusNotFound},
			{"http://elsewhere.example/c/clips", "", http.StatusNotFound},
			{base + "/i/" + draft.PublicID, "", http.StatusNotFound},
			{base + "/i/nosuchitem1", "", http.StatusNotFound},
			{base + "/c/nobody", "", http.StatusNotFound},
			{base + "/login", "", http.StatusNotFound},
			{"ftp://" + h.host + "/i/" + video.PublicID, "", http.StatusNotFound},
			{"not a url at all", "", http.StatusNotFound},
		} {
			r, _ := getOEmbed(t, b, tc.target, tc.extra)
			if r.StatusCode != tc.status {
				t.Errorf("oEmbed of %s%s: status %d, want %d", tc.target, tc.extra, r.StatusCode, tc.status)
			}
			jsonError(t, r)
		}
		r = b.get("/oembed")
		wantStatus(t, r, http.StatusBadRequest)
		jsonError(t, r)
	})
}

func TestEmbedPage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		alice := createUser(t, s, "alice", store.RoleCreator)
		clips := createChannel(t, s, alice, "clips", store.KindVideo)
		talks := createChannel(t, s, alice, "talks", store.KindPodcast)
		h := newMediaHarness(t, s, mediaOptions{})
		base := "http://" + h.host
		video := seedItem(t, s, clips, "Sunset", "", true)
		episode := seedItem(t, s, talks, "Episode 1", "", true)
		draft := seedItem(t, s, clips, "Secret", "", false)
		anon := h.browser()

		media := base + "/media/items/" + video.PublicID + "/1/"
		r := anon.get("/i/" + video.PublicID + "/embed")
		wantStatus(t, r, http.StatusOK)
		if xfo := r.Header.Get("X-Frame-Options"); xfo != "" {
			t.Errorf("X-Frame-Options = %q on the embed page", xfo)
		}
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors *") || strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("embed CSP = %q", csp)
		}
		if r.Header.Get("Set-Cookie") != "" {
			t.Errorf("the embed page sets a cookie: %q", r.Header.Get("Set-Cookie"))
		}
		if cc := r.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
			t.Errorf("embed Cache-Control = %q", cc)
		}
		wantContains(t, r.body, `<body class="embed embed-video">`,
			`<video controls preload="metadata" poster="`+media+`poster.jpg" aria-label="Sunset">`,
			`<source src="`+media+`360p.mp4" type="video/mp4">`,
			`<a href="`+base+`/i/`+video.PublicID+`" target="_blank" rel="noopener">Sunset</a>`)
		wantNotContains(t, r.body, `class="site"`, "Sign in", "<form", "audio.m4a")

		r = anon.get("/i/" + episode.PublicID + "/embed")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `<body class="embed embed-audio">`, `<audio controls preload="metadata" aria-label="Episode 1">`,
			`<source src="`+base+`/media/items/`+episode.PublicID+`/1/audio.mp3" type="audio/mpeg">`)

		// Drafts and unknown items are not available, even to their owner.
		owner := h.browser()
		owner.login("alice")
		for _, path := range []string{"/i/" + draft.PublicID + "/embed", "/i/nosuchitem1/embed"} {
			r = owner.get(path)
			wantStatus(t, r, http.StatusNotFound)
			wantContains(t, r.body, "This video or episode is not available.")
			wantNotContains(t, r.body, "Secret", "<video")
		}

		// Every other page still refuses to be framed.
		for _, path := range []string{"/i/" + video.PublicID, "/c/clips", "/"} {
			r = anon.get(path)
			if xfo := r.Header.Get("X-Frame-Options"); xfo != "DENY" {
				t.Errorf("%s: X-Frame-Options = %q", path, xfo)
			}
			if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s: CSP = %q", path, csp)
			}
		}
	})
}

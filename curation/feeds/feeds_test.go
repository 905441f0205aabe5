package feeds

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
)

func TestPodcastGUIDVectors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"mp3s.nashownotes.com/pc20rss.xml", "917393e3-1b1e-5cef-ace4-edaa54e1f810"},
		{"podnews.net/rss", "9b024349-ccf0-5f69-a609-6b82873eab3c"},
		// The scheme and trailing slashes are stripped before hashing.
		{"http://mp3s.nashownotes.com/pc20rss.xml", "917393e3-1b1e-5cef-ace4-edaa54e1f810"},
		{"https://podnews.net/rss/", "9b024349-ccf0-5f69-a609-6b82873eab3c"},
		{"https://podnews.net/rss//", "9b024349-ccf0-5f69-a609-6b82873eab3c"},
		{"", ""},
	} {
		if got := PodcastGUID(tc.in); got != tc.want {
			t.Errorf("PodcastGUID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

var (
	t0  = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	yes = true
	no  = false
)

// fullFeed is a podcast feed using every field.
func fullFeed() *Feed {
	return &Feed{
		Title:       "Archipel Radio",
		Description: "<p>Talk about <b>islands</b> &amp; federation.</p>",
		Link:        "https://hub.example/c/radio",
		FeedURL:     "https://hub.example/c/radio/feed.rss",
		Language:    "en",
		Updated:     t0,
		Copyright:   "© 2025 Archipel",
		ImageURL:    "https://hub.example/media/radio.png",
		ImageWidth:  1400, ImageHeight: 1400,
		Author:     "Archipel Radio",
		OwnerName:  "Ada",
		OwnerEmail: "ada@hub.example",
		Categories: []Category{{"Society & Culture", "Documentary"}, {"Technology", ""}, {"Society & Culture", "Philosophy"}},
		Explicit:   false,
		Type:       "serial",
		Podcast:    true,
		Locked:     true, LockedOwner: "ada@hub.example",
		Funding: []Funding{{URL: "https://hub.example/donate", Text: "Support the show!"}},
		Persons: []Person{{Name: "Ada Lovelace", Role: "host", Group: "cast", Img: "https://hub.example/ada.jpg", Href: "https://hub.example/@ada"}},
		Medium:  "podcast",
		License: "cc-by-4.0", LicenseURL: "https://creativecommons.org/licenses/by/4.0/",
		Trailers: []Trailer{{Title: "Coming soon", URL: "https://hub.example/trailer.mp3", Published: t0.Add(-48 * time.Hour),
			Length: 12345, Type: "audio/mpeg", Season: 2}},
		SocialInteract: []SocialInteract{{Protocol: "activitypub", URI: "https://hub.example/c/radio", AccountID: "@radio@hub.example"}},
		WebSubHub:      "https://hub.example/websub",
		Items: []Item{
			{
				GUID: "https://hub.example/ap/items/2", Title: "Episode two", Link: "https://hub.example/v/2",
				Description: "<p>Second</p>", Author: "Ada Lovelace",
				Published: t0, Updated: t0.Add(time.Hour),
				Enclosure: &Enclosure{URL: "https://hub.example/media/2.mp3", Length: 43200000, Type: "audio/mpeg"},
				Alternates: []Alternate{{
					Type: "audio/mpeg", Length: 43200000, Bitrate: 128000, Title: "Standard", Default: true, Lang: "en",
					Codecs: "mp3",
					Sources: []Source{
						{URI: "https://hub.example/media/2.mp3"},
						{URI: "https://hub.example/media/2.mp3.torrent", ContentType: "application/x-bittorrent"},
					},
					Integrity: &Integrity{Type: "sri", Value: "sha384-abc"},
				}, {
					Type: "video/mp4", Length: 99000000, Bitrate: 2500000, Height: 720, Title: "720p",
					Sources: []Source{{URI: "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a"}},
				}},
				Media: []MediaContent{{URL: "https://hub.example/media/2.mp3", Type: "audio/mpeg", Medium: "audio", FileSize: 43200000,
					Duration: 45 * time.Minute, Bitrate: 128000},
					{URL: "https://hub.example/media/2-720.mp4", Type: "video/mp4", Medium: "video", FileSize: 99000000,
						Width: 1280, Height: 720, Duration: 45 * time.Minute, Bitrate: 2500000, Framerate: 30}},
				Thumbnail:      "https://hub.example/media/2.jpg",
				Duration:       45*time.Minute + 1400*time.Millisecond,
				Season:         2,
				SeasonName:     "The islands",
				Episode:        7,
				EpisodeDisplay: "Ch. 7",
				EpisodeType:    "full",
				Explicit:       &yes,
				Transcripts: []Transcript{
					{URL: "https://hub.example/media/2.vtt", Type: "text/vtt", Language: "en", Rel: "captions"},
					{URL: "https://hub.example/media/2.srt", Type: "application/x-subrip"},
				},
				Chapters: &Chapters{URL: "https://hub.example/v/2/chapters.json"},
				SocialInteract: []SocialInteract{{Protocol: "activitypub", URI: "https://hub.example/ap/items/2",
					AccountID: "@radio@hub.example", AccountURL: "https://hub.example/c/radio", Priority: 1}},
				Persons:     []Person{{Name: "Grace Hopper", Role: "guest"}},
				License:     "cc-by-sa-4.0",
				CommentsURL: "https://hub.example/v/2#comments",
			},
			{
				GUID: "urn:archipel:1", Title: "Episode one", Link: "https://hub.example/v/1",
				Description: "<p>First</p>", Published: t0.Add(-7 * 24 * time.Hour),
				Enclosure:      &Enclosure{URL: "https://hub.example/media/1.mp3", Length: 1000, Type: "audio/mpeg"},
				Episode:        6,
				Explicit:       &no,
				EpisodeType:    "Trailer",
				SocialInteract: []SocialInteract{{Protocol: "disabled", URI: "ignored", AccountID: "ignored"}},
			},
		},
	}
}

func mustRSS(t testing.TB, f *Feed) []byte {
	t.Helper()
	b, err := f.RSS()
	if err != nil {
		t.Fatalf("RSS: %v", err)
	}
	return b
}

func parse(t testing.TB, b []byte) *gofeed.Feed {
	t.Helper()
	pf, err := gofeed.NewParser().Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gofeed: %v\n%s", err, b)
	}
	return pf
}

// wellFormed runs encoding/xml's decoder over the whole document.
func wellFormed(t testing.TB, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, b)
		}
	}
}

func one(t *testing.T, exts map[string][]ext.Extension, name string) ext.Extension {
	t.Helper()
	if len(exts[name]) != 1 {
		t.Fatalf("want one podcast:%s, got %d", name, len(exts[name]))
	}
	return exts[name][0]
}

func wantAttrs(t *testing.T, what string, e ext.Extension, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if e.Attrs[k] != v {
			t.Errorf("%s: attribute %s = %q, want %q", what, k, e.Attrs[k], v)
		}
	}
	if len(e.Attrs) != len(want) {
		t.Errorf("%s: attributes %v, want exactly %v", what, e.Attrs, want)
	}
}

func TestRSSRoundTrip(t *testing.T) {
	f := fullFeed()
	b := mustRSS(t, f)
	wellFormed(t, b)
	pf := parse(t, b)

	if pf.FeedType != "rss" || pf.FeedVersion != "2.0" {
		t.Errorf("type %s %s", pf.FeedType, pf.FeedVersion)
	}
	if pf.Title != f.Title || pf.Link != f.Link || pf.Language != "en" || pf.Copyright != f.Copyright {
		t.Errorf("channel: %q %q %q %q", pf.Title, pf.Link, pf.Language, pf.Copyright)
	}
	if pf.Description != f.Description {
		t.Errorf("description %q", pf.Description)
	}
	if pf.FeedLink != f.FeedURL {
		t.Errorf("self link %q", pf.FeedLink)
	}
	if pf.UpdatedParsed == nil || !pf.UpdatedParsed.Equal(t0) {
		t.Errorf("updated %v", pf.UpdatedParsed)
	}
	if pf.Image == nil || pf.Image.URL != f.ImageURL {
		t.Errorf("image %+v", pf.Image)
	}
	if !bytes.Contains(b, []byte(`<atom:link href="https://hub.example/websub" rel="hub"></atom:link>`)) {
		t.Error("no hub link")
	}
	if !bytes.Contains(b, []byte(`<atom:link href="https://hub.example/c/radio/feed.rss" rel="self" type="application/rss+xml"></atom:link>`)) {
		t.Error("no self link of type application/rss+xml")
	}
	if bytes.Contains(b, []byte("<width>1400</width>")) {
		t.Error("RSS <image> width over RSS 2.0's limit of 144")
	}

	// iTunes, channel.
	it := pf.ITunesExt
	if it == nil {
		t.Fatal("no iTunes extension")
	}
	if it.Author != "Archipel Radio" || it.Image != f.ImageURL || it.Explicit != "false" || it.Type != "serial" {
		t.Errorf("itunes channel: %+v", it)
	}
	if it.Owner == nil || it.Owner.Name != "Ada" || it.Owner.Email != "ada@hub.example" {
		t.Errorf("itunes owner %+v", it.Owner)
	}
	if len(it.Categories) != 2 || it.Categories[0].Text != "Society & Culture" || it.Categories[0].Subcategory == nil ||
		it.Categories[0].Subcategory.Text != "Documentary" || it.Categories[1].Text != "Technology" {
		t.Errorf("itunes categories %+v", it.Categories)
	}
	if !bytes.Contains(b, []byte(`<itunes:category text="Society &amp; Culture">`)) {
		t.Error("category ampersand not escaped as Apple shows")
	}
	if bytes.Count(b, []byte(`<itunes:category text="Philosophy">`)) != 1 {
		t.Error("second subcategory not grouped under its category")
	}

	// Podcast namespace, channel.
	pc := pf.Extensions["podcast"]
	if pc == nil {
		t.Fatalf("no podcast namespace in %v", pf.Extensions)
	}
	if g := one(t, pc, "guid"); g.Value != PodcastGUID(f.FeedURL) {
		t.Errorf("guid %q", g.Value)
	}
	lk := one(t, pc, "locked")
	if lk.Value != "yes" {
		t.Errorf("locked %q", lk.Value)
	}
	wantAttrs(t, "locked", lk, map[string]string{"owner": "ada@hub.example"})
	fu := one(t, pc, "funding")
	if fu.Value != "Support the show!" {
		t.Errorf("funding %q", fu.Value)
	}
	wantAttrs(t, "funding", fu, map[string]string{"url": "https://hub.example/donate"})
	pe := one(t, pc, "person")
	if pe.Value != "Ada Lovelace" {
		t.Errorf("person %q", pe.Value)
	}
	wantAttrs(t, "person", pe, map[string]string{"role": "host", "group": "cast", "img": "https://hub.example/ada.jpg", "href": "https://hub.example/@ada"})
	if m := one(t, pc, "medium"); m.Value != "podcast" {
		t.Errorf("medium %q", m.Value)
	}
	li := one(t, pc, "license")
	if li.Value != "cc-by-4.0" {
		t.Errorf("license %q", li.Value)
	}
	wantAttrs(t, "license", li, map[string]string{"url": "https://creativecommons.org/licenses/by/4.0/"})
	tr := one(t, pc, "trailer")
	if tr.Value != "Coming soon" {
		t.Errorf("trailer %q", tr.Value)
	}
	wantAttrs(t, "trailer", tr, map[string]string{"url": "https://hub.example/trailer.mp3", "pubdate": "Wed, 12 Mar 2025 15:09:26 +0000",
		"length": "12345", "type": "audio/mpeg", "season": "2"})
	wantAttrs(t, "channel socialInteract", one(t, pc, "socialInteract"),
		map[string]string{"protocol": "activitypub", "uri": "https://hub.example/c/radio", "accountId": "@radio@hub.example"})

	// Items.
	if len(pf.Items) != 2 {
		t.Fatalf("%d items", len(pf.Items))
	}
	i0, i1 := pf.Items[0], pf.Items[1]
	if i0.Title != "Episode two" || i0.Link != "https://hub.example/v/2" || i0.GUID != "https://hub.example/ap/items/2" ||
		i0.Description != "<p>Second</p>" || i0.PublishedParsed == nil || !i0.PublishedParsed.Equal(t0) {
		t.Errorf("item 0: %q %q %q %q %v", i0.Title, i0.Link, i0.GUID, i0.Description, i0.PublishedParsed)
	}
	if i1.Title != "Episode one" || i1.GUID != "urn:archipel:1" {
		t.Errorf("item 1: %q %q", i1.Title, i1.GUID)
	}
	if !bytes.Contains(b, []byte(`<guid isPermaLink="false">urn:archipel:1</guid>`)) {
		t.Error("guid isPermaLink=false missing")
	}
	if len(i0.Enclosures) != 1 || i0.Enclosures[0].URL != "https://hub.example/media/2.mp3" ||
		i0.Enclosures[0].Length != "43200000" || i0.Enclosures[0].Type != "audio/mpeg" {
		t.Errorf("enclosure %+v", i0.Enclosures)
	}

	// iTunes, items.
	ie := i0.ITunesExt
	if ie == nil {
		t.Fatal("no item iTunes extension")
	}
	if ie.Duration != "2701" || ie.Explicit != "true" || ie.Season != "2" || ie.Episode != "7" ||
		ie.EpisodeType != "full" || ie.Image != "https://hub.example/media/2.jpg" || ie.Author != "Ada Lovelace" {
		t.Errorf("itunes item: %+v", ie)
	}
	if e := i1.ITunesExt; e.Explicit != "false" || e.EpisodeType != "trailer" || e.Episode != "6" || e.Season != "" {
		t.Errorf("itunes item 1: %+v", e)
	}

	// Podcast namespace, items.
	ip := i0.Extensions["podcast"]
	se := one(t, ip, "season")
	if se.Value != "2" || se.Attrs["name"] != "The islands" {
		t.Errorf("season %+v", se)
	}
	ep := one(t, ip, "episode")
	if ep.Value != "7" || ep.Attrs["display"] != "Ch. 7" {
		t.Errorf("episode %+v", ep)
	}
	trs := ip["transcript"]
	if len(trs) != 2 {
		t.Fatalf("transcripts %+v", trs)
	}
	wantAttrs(t, "transcript vtt", trs[0], map[string]string{"url": "https://hub.example/media/2.vtt", "type": "text/vtt", "language": "en", "rel": "captions"})
	wantAttrs(t, "transcript srt", trs[1], map[string]string{"url": "https://hub.example/media/2.srt", "type": "application/x-subrip"})
	wantAttrs(t, "chapters", one(t, ip, "chapters"), map[string]string{"url": "https://hub.example/v/2/chapters.json", "type": "application/json+chapters"})
	wantAttrs(t, "socialInteract", one(t, ip, "socialInteract"), map[string]string{"protocol": "activitypub",
		"uri": "https://hub.example/ap/items/2", "accountId": "@radio@hub.example", "accountUrl": "https://hub.example/c/radio", "priority": "1"})
	ipe := one(t, ip, "person")
	if ipe.Value != "Grace Hopper" || ipe.Attrs["role"] != "guest" {
		t.Errorf("item person %+v", ipe)
	}
	if l := one(t, ip, "license"); l.Value != "cc-by-sa-4.0" || len(l.Attrs) != 0 {
		t.Errorf("item license %+v", l)
	}
	alts := ip["alternateEnclosure"]
	if len(alts) != 2 {
		t.Fatalf("alternateEnclosure %+v", alts)
	}
	wantAttrs(t, "alternateEnclosure", alts[0], map[string]string{"type": "audio/mpeg", "length": "43200000", "bitrate": "128000",
		"title": "Standard", "default": "true", "lang": "en", "codecs": "mp3"})
	src := alts[0].Children["source"]
	if len(src) != 2 {
		t.Fatalf("sources %+v", src)
	}
	wantAttrs(t, "source 0", src[0], map[string]string{"uri": "https://hub.example/media/2.mp3"})
	wantAttrs(t, "source 1", src[1], map[string]string{"uri": "https://hub.example/media/2.mp3.torrent", "contentType": "application/x-bittorrent"})
	if in := alts[0].Children["integrity"]; len(in) != 1 || in[0].Attrs["type"] != "sri" || in[0].Attrs["value"] != "sha384-abc" {
		t.Errorf("integrity %+v", in)
	}
	wantAttrs(t, "alternateEnclosure 720p", alts[1], map[string]string{"type": "video/mp4", "length": "99000000", "bitrate": "2500000", "height": "720", "title": "720p"})
	if s := alts[1].Children["source"]; len(s) != 1 || !strings.HasPrefix(s[0].Attrs["uri"], "magnet:?xt=") {
		t.Errorf("magnet source %+v", s)
	}

	// The disabled form of socialInteract: protocol only.
	wantAttrs(t, "disabled socialInteract", one(t, pf.Items[1].Extensions["podcast"], "socialInteract"), map[string]string{"protocol": "disabled"})
	if !bytes.Contains(b, []byte(`<podcast:socialInteract protocol="disabled"></podcast:socialInteract>`)) {
		t.Error("disabled socialInteract is not bare")
	}

	// Media RSS.
	media := i0.Extensions["media"]
	if media == nil {
		t.Fatal("no media namespace")
	}
	mc := media["content"]
	if len(mc) != 2 {
		t.Fatalf("media:content %+v", mc)
	}
	wantAttrs(t, "media:content audio", mc[0], map[string]string{"url": "https://hub.example/media/2.mp3", "type": "audio/mpeg",
		"medium": "audio", "fileSize": "43200000", "duration": "2700", "bitrate": "128", "isDefault": "true"})
	wantAttrs(t, "media:content video", mc[1], map[string]string{"url": "https://hub.example/media/2-720.mp4", "type": "video/mp4",
		"medium": "video", "fileSize": "99000000", "duration": "2700", "bitrate": "2500", "framerate": "30", "width": "1280", "height": "720"})
	wantAttrs(t, "media:thumbnail", one(t, media, "thumbnail"), map[string]string{"url": "https://hub.example/media/2.jpg"})
	if i0.Image == nil || i0.Image.URL != "https://hub.example/media/2.jpg" {
		t.Errorf("item image %+v", i0.Image)
	}

	// Namespaces, as the brief spells them.
	for _, ns := range []string{
		`xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"`,
		`xmlns:podcast="https://podcastindex.org/namespace/1.0"`,
		`xmlns:media="http://search.yahoo.com/mrss/"`,
		`xmlns:atom="http://www.w3.org/2005/Atom"`,
	} {
		if !bytes.Contains(b, []byte(ns)) {
			t.Errorf("missing %s", ns)
		}
	}
	if bytes.Contains(b, []byte("xmlns:content")) || bytes.Contains(b, []byte("xmlns:dc")) {
		t.Error("content/dc namespace declared though unused")
	}
}

// TestAppleRequired checks the tags Apple Podcasts requires, by element,
// with encoding/xml rather than a feed parser's forgiving mapping.
func TestAppleRequired(t *testing.T) {
	f := fullFeed()
	if err := f.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	b := mustRSS(t, f)
	var doc struct {
		Channel struct {
			Title       string `xml:"title"`
			Description string `xml:"description"`
			Language    string `xml:"language"`
			Image       []struct {
				Href string `xml:"href,attr"`
			} `xml:"http://www.itunes.com/dtds/podcast-1.0.dtd image"`
			Category []struct {
				Text string `xml:"text,attr"`
			} `xml:"http://www.itunes.com/dtds/podcast-1.0.dtd category"`
			Explicit string `xml:"http://www.itunes.com/dtds/podcast-1.0.dtd explicit"`
			Items    []struct {
				Title     string `xml:"title"`
				Enclosure *struct {
					URL    string `xml:"url,attr"`
					Length string `xml:"length,attr"`
					Type   string `xml:"type,attr"`
				} `xml:"enclosure"`
			} `xml:"item"`
		} `xml:"channel"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.Channel
	if c.Title == "" || c.Description == "" || c.Language == "" || c.Explicit != "false" || len(c.Category) == 0 {
		t.Errorf("channel misses a required tag: %+v", c)
	}
	if len(c.Image) != 1 || c.Image[0].Href != f.ImageURL {
		t.Errorf("itunes:image %+v", c.Image)
	}
	for i, it := range c.Items {
		if it.Title == "" || it.Enclosure == nil || it.Enclosure.URL == "" || it.Enclosure.Length == "" || it.Enclosure.Type == "" {
			t.Errorf("item %d misses a required tag: %+v", i, it)
		}
	}

	// Validate reports what Apple would refuse.
	bad := &Feed{Title: "x", Podcast: true, Type: "weekly", Categories: []Category{{"Cooking", ""}, {"Arts", "Cooking"}},
		Items: []Item{{Title: "a"}, {Title: "b", EpisodeType: "special", Enclosure: &Enclosure{URL: "u"}}}}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad feed")
	}
	for _, want := range []string{"no description", "no artwork", "no language", `"Cooking" is not an Apple Podcasts category`,
		`"Cooking" is not a subcategory of "Arts"`, `"weekly"`, "a has no enclosure", "b: the enclosure has no media type",
		"b: the enclosure has no length", `"special"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %q missing from\n%v", want, err)
		}
	}
	// Rendering still works and leaves the bad values out.
	rb := mustRSS(t, bad)
	if !bytes.Contains(rb, []byte("<itunes:type>episodic</itunes:type>")) || bytes.Contains(rb, []byte("special")) {
		t.Errorf("bad enumerations not normalised:\n%s", rb)
	}
}

func TestPlainRSS(t *testing.T) {
	f := &Feed{
		Title: "Comments on Episode two", Link: "https://hub.example/v/2", FeedURL: "https://hub.example/v/2/comments.rss",
		Description: "Comments",
		Items: []Item{
			{GUID: "https://hub.example/ap/notes/1", GUIDIsPermaLink: true, Title: "Nice", Author: "@bob@other.example",
				Description: "<p>Nice</p>", Published: t0},
			{GUID: "https://hub.example/ap/notes/2", Title: "Mail", Author: "carol@other.example (Carol)", Published: t0},
		},
	}
	b := mustRSS(t, f)
	wellFormed(t, b)
	for _, no := range []string{"itunes", "podcast:", "xmlns:media"} {
		if bytes.Contains(b, []byte(no)) {
			t.Errorf("plain RSS holds %q:\n%s", no, b)
		}
	}
	pf := parse(t, b)
	if len(pf.Items) != 2 || pf.Items[0].DublinCoreExt == nil || len(pf.Items[0].DublinCoreExt.Creator) != 1 ||
		pf.Items[0].DublinCoreExt.Creator[0] != "@bob@other.example" {
		t.Errorf("dc:creator %+v", pf.Items[0].DublinCoreExt)
	}
	if !bytes.Contains(b, []byte("<dc:creator>@bob@other.example</dc:creator>")) ||
		!bytes.Contains(b, []byte("<author>carol@other.example (Carol)</author>")) {
		t.Errorf("authors:\n%s", b)
	}
	if !bytes.Contains(b, []byte(`<guid isPermaLink="true">`)) {
		t.Error("permalink guid")
	}
}

const nasty = "Q&A <live> \"quoted\" 'single' 🎙️ ]]> end\x01\x0b"

func TestEscaping(t *testing.T) {
	want := "Q&A <live> \"quoted\" 'single' 🎙️ ]]> end"
	f := fullFeed()
	f.Title = nasty
	f.Description = nasty
	f.Items[0].Title = nasty
	f.Items[0].Description = "<p>" + nasty + "</p>"
	f.Items[0].Content = "<div>" + nasty + "</div>"
	f.Funding[0].Text = nasty
	f.Persons[0].Name = nasty
	f.Categories = append(f.Categories, Category{Name: nasty})

	b := mustRSS(t, f)
	wellFormed(t, b)
	if bytes.ContainsAny(b, "\x01\x0b") {
		t.Error("control character in the RSS")
	}
	pf := parse(t, b)
	if pf.Title != want || pf.Description != want {
		t.Errorf("channel title %q description %q", pf.Title, pf.Description)
	}
	i0 := pf.Items[0]
	if i0.Title != want || i0.Description != "<p>"+want+"</p>" || i0.Content != "<div>"+want+"</div>" {
		t.Errorf("item: %q %q %q", i0.Title, i0.Description, i0.Content)
	}
	if v := pf.Extensions["podcast"]["funding"][0].Value; v != want {
		t.Errorf("funding %q", v)
	}
	if v := pf.Extensions["podcast"]["person"][0].Value; v != want {
		t.Errorf("person %q", v)
	}
	if !bytes.Contains(b, []byte(`xmlns:content="http://purl.org/rss/1.0/modules/content/"`)) {
		t.Error("content namespace not declared")
	}

	a, err := f.Atom()
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, a)
	pa := parse(t, a)
	if pa.Title != want || pa.Items[0].Title != want {
		t.Errorf("atom: %q %q", pa.Title, pa.Items[0].Title)
	}

	j, err := f.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(j) || bytes.Contains(j, []byte(`\u0001`)) || bytes.Contains(j, []byte(`\u000b`)) {
		t.Errorf("JSON:\n%s", j)
	}
	pj := parse(t, j)
	if pj.Title != want || pj.Items[0].Title != want {
		t.Errorf("json: %q %q", pj.Title, pj.Items[0].Title)
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain":               "plain",
		"tab\tnl\ncr\r":       "tab\tnl\ncr\r",
		"a\x00b\x1fc\x7fd":    "abcd",
		"c1\u0085\u009f":      "c1",
		"é 🎙️":                "é 🎙️",
		"bad\xffutf8":         "bad\uFFFDutf8",
		"nonchar\uFFFE\uFFFF": "nonchar",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAtom(t *testing.T) {
	f := fullFeed()
	f.FeedURL = "https://hub.example/c/radio/feed.atom"
	f.GUID = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
	f.Items = append(f.Items, Item{Title: "No link, no id"})
	b, err := f.Atom()
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, b)
	pf := parse(t, b)
	if pf.FeedType != "atom" || pf.Title != f.Title || pf.Link != f.Link || pf.FeedLink != f.FeedURL {
		t.Errorf("atom feed: %s %q %q %q", pf.FeedType, pf.Title, pf.Link, pf.FeedLink)
	}
	if !bytes.Contains(b, []byte(`<id>urn:uuid:917393e3-1b1e-5cef-ace4-edaa54e1f810</id>`)) {
		t.Error("feed id is not the podcast GUID")
	}
	if pf.Description != "Talk about islands & federation." {
		t.Errorf("Atom subtitle is not plain text: %q", pf.Description)
	}
	for _, l := range []string{`rel="self" type="application/atom+xml"`, `href="https://hub.example/websub" rel="hub"`} {
		if !bytes.Contains(b, []byte(l)) {
			t.Errorf("no link %s", l)
		}
	}
	if len(pf.Items) != 3 {
		t.Fatalf("%d entries", len(pf.Items))
	}
	e := pf.Items[0]
	if e.Title != "Episode two" || e.GUID != "https://hub.example/ap/items/2" || e.Link != "https://hub.example/v/2" ||
		e.PublishedParsed == nil || !e.PublishedParsed.Equal(t0) || e.UpdatedParsed == nil || !e.UpdatedParsed.Equal(t0.Add(time.Hour)) {
		t.Errorf("entry: %q %q %q %v %v", e.Title, e.GUID, e.Link, e.PublishedParsed, e.UpdatedParsed)
	}
	if len(e.Enclosures) != 1 || e.Enclosures[0].URL != "https://hub.example/media/2.mp3" || e.Enclosures[0].Length != "43200000" {
		t.Errorf("atom enclosure %+v", e.Enclosures)
	}
	if e.Description != "<p>Second</p>" {
		t.Errorf("atom summary %q", e.Description)
	}
	last := pf.Items[2]
	if !strings.HasPrefix(last.GUID, "urn:uuid:") || last.Content != "No link, no id" {
		t.Errorf("entry without link: %q %q", last.GUID, last.Content)
	}
	if bytes.Contains(b, []byte(`href=""`)) {
		t.Error("empty link")
	}
}

func TestJSON(t *testing.T) {
	f := fullFeed()
	f.FeedURL = "https://hub.example/c/radio/feed.json"
	b, err := f.JSON()
	if err != nil {
		t.Fatal(err)
	}
	pf := parse(t, b)
	if pf.FeedType != "json" || pf.Title != f.Title || pf.Link != f.Link || pf.FeedLink != f.FeedURL || pf.Language != "en" {
		t.Errorf("json feed: %s %q %q %q %q", pf.FeedType, pf.Title, pf.Link, pf.FeedLink, pf.Language)
	}
	if len(pf.Items) != 2 {
		t.Fatalf("%d items", len(pf.Items))
	}
	e := pf.Items[0]
	if e.Title != "Episode two" || e.GUID != "https://hub.example/ap/items/2" || e.Content != "<p>Second</p>" ||
		e.PublishedParsed == nil || !e.PublishedParsed.Equal(t0) {
		t.Errorf("item: %q %q %q %v", e.Title, e.GUID, e.Content, e.PublishedParsed)
	}
	if len(e.Enclosures) != 1 || e.Enclosures[0].URL != "https://hub.example/media/2.mp3" || e.Enclosures[0].Length != "43200000" ||
		e.Enclosures[0].Type != "audio/mpeg" {
		t.Errorf("attachments %+v", e.Enclosures)
	}
	var raw struct {
		Hubs  []struct{ Type, URL string }
		Icon  string
		Items []struct {
			Image       string
			Attachments []struct {
				Title    string
				Duration float64 `json:"duration_in_seconds"`
			}
		}
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Hubs) != 1 || raw.Hubs[0].URL != f.WebSubHub || raw.Icon != f.ImageURL || raw.Items[0].Image != f.Items[0].Thumbnail {
		t.Errorf("json extras %+v", raw)
	}
	if a := raw.Items[0].Attachments; len(a) != 1 || a[0].Title != "Episode two" || a[0].Duration != 2701 {
		t.Errorf("attachments %+v", a)
	}
	if bytes.Contains(b, []byte(`"size":`)) || !bytes.Contains(b, []byte(`"size_in_bytes": 43200000`)) {
		t.Error(`attachment size not under "size_in_bytes"`)
	}
	if pf.Description != "Talk about islands & federation." {
		t.Errorf("JSON description is not plain text: %q", pf.Description)
	}

	// A video over 2 GiB keeps its size (gorilla's own attachment holds an int32).
	f.Items[0].Enclosure.Length = 5_000_000_000
	if b, err = f.JSON(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"size_in_bytes": 5000000000`)) {
		t.Error("large attachment size lost")
	}
}

func TestDeterministic(t *testing.T) {
	for name, render := range map[string]func(*Feed) ([]byte, error){
		"rss": (*Feed).RSS, "atom": (*Feed).Atom, "json": (*Feed).JSON,
	} {
		f := fullFeed()
		f.Items = append(f.Items, Item{Title: "bare"}) // no id, no link, no dates
		f.Updated = time.Time{}
		a, err := render(f)
		if err != nil {
			t.Fatal(err)
		}
		// Same content in another zone: the same bytes.
		g := fullFeed()
		g.Items = append(g.Items, Item{Title: "bare"})
		g.Updated = time.Time{}
		paris := time.FixedZone("CET", 3600)
		for i := range g.Items {
			if !g.Items[i].Published.IsZero() {
				g.Items[i].Published = g.Items[i].Published.In(paris)
			}
		}
		for range 3 {
			b, err := render(g)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Fatalf("%s: two renderings differ", name)
			}
		}
	}
}

func TestOPML(t *testing.T) {
	b, err := OPML("Follows & friends", "Ada", t0, []Outline{
		{Text: "Archipel Radio", Title: "Archipel Radio", XMLURL: "https://hub.example/c/radio/feed.rss", HTMLURL: "https://hub.example/c/radio"},
		{XMLURL: "https://podnews.net/rss", Type: "rss"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, b)
	var doc struct {
		XMLName xml.Name `xml:"opml"`
		Version string   `xml:"version,attr"`
		Head    struct {
			Title       string `xml:"title"`
			DateCreated string `xml:"dateCreated"`
			OwnerName   string `xml:"ownerName"`
		} `xml:"head"`
		Outlines []struct {
			Text    string `xml:"text,attr"`
			Type    string `xml:"type,attr"`
			XMLURL  string `xml:"xmlUrl,attr"`
			HTMLURL string `xml:"htmlUrl,attr"`
		} `xml:"body>outline"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.0" || doc.Head.Title != "Follows & friends" || doc.Head.OwnerName != "Ada" ||
		doc.Head.DateCreated != "Fri, 14 Mar 2025 15:09:26 +0000" {
		t.Errorf("head %+v", doc)
	}
	if len(doc.Outlines) != 2 || doc.Outlines[0].Text != "Archipel Radio" || doc.Outlines[0].Type != "rss" ||
		doc.Outlines[0].HTMLURL != "https://hub.example/c/radio" || doc.Outlines[1].Text != "https://podnews.net/rss" ||
		doc.Outlines[1].XMLURL != "https://podnews.net/rss" {
		t.Errorf("outlines %+v", doc.Outlines)
	}
}

func pngOf(t *testing.T, w, h int, gray bool) *bytes.Buffer {
	t.Helper()
	var img image.Image
	if gray {
		img = image.NewGray(image.Rect(0, 0, w, h))
	} else {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		m.Set(0, 0, color.RGBA{200, 10, 10, 255})
		img = m
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func TestCheckArtwork(t *testing.T) {
	for _, tc := range []struct {
		w, h int
		gray bool
		err  string
	}{
		{1400, 1400, false, ""},
		{3000, 3000, false, ""},
		{1400, 1410, false, ""},
		{1000, 1000, false, "the artwork is 1000×1000 pixels; Apple Podcasts needs at least 1400×1400"},
		{1400, 900, false, "the artwork is 1400×900 pixels; it must be square"},
		{3001, 3001, false, "at most 3000×3000"},
		{1400, 1400, true, "greyscale"},
	} {
		w, h, err := CheckArtwork(pngOf(t, tc.w, tc.h, tc.gray))
		if w != tc.w || h != tc.h {
			t.Errorf("%dx%d: read %dx%d", tc.w, tc.h, w, h)
		}
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%dx%d rejected: %v", tc.w, tc.h, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%dx%d: error %v, want %q", tc.w, tc.h, err, tc.err)
		}
	}
	if _, _, err := CheckArtwork(strings.NewReader("GIF89a not really")); err == nil {
		t.Error("accepted garbage")
	}
}

func benchFeed(n int) *Feed {
	f := fullFeed()
	tmpl := f.Items[0]
	f.Items = make([]Item, n)
	for i := range f.Items {
		it := tmpl
		it.GUID = fmt.Sprintf("https://hub.example/ap/items/%d", i)
		it.Title = fmt.Sprintf("Episode %d: a title of some length & an ampersand", i)
		it.Description = strings.Repeat("<p>Show notes with <a href=\"https://example.com\">links</a>.</p>", 8)
		it.Published = t0.Add(-time.Duration(i) * time.Hour)
		it.Episode = n - i
		f.Items[i] = it
	}
	return f
}

// BenchmarkRSS1000 is the cold generation time of a 1,000-item podcast
// feed with every extension (callers cache the output).
func BenchmarkRSS1000(b *testing.B) {
	f := benchFeed(1000)
	out, err := f.RSS()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.RSS(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(out)), "feed-bytes")
}

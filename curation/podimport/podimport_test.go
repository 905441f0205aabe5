package podimport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/archipel/archipel/curation/feeds"
	"github.com/archipel/archipel/markup"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const chaptersJSON = `{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro"}, {"startTime": 60, "title": "Talk"}]}`

const vtt = "WEBVTT\n\n00:00.000 --> 00:02.000\nHello & welcome\n"

// TestImportBringsTheShowAndItsEpisodes imports a feed using every field
// the import keeps, with entities and CDATA sections, in reference mode.
func TestImportBringsTheShowAndItsEpisodes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		ctx := context.Background()
		art := pngBytes(t)
		e.serve("/art.png", "image/png", art)
		mp3 := e.serve("/ep1.mp3", "audio/mpeg", bytes.Repeat([]byte{0xff}, 2000))
		e.serve("/ep1.vtt", "text/vtt", []byte(vtt))
		e.serve("/ep1.json", "application/json+chapters", []byte(chaptersJSON))
		feedURL := e.feed("/feed.xml", rss(`
<title>Tom &amp; Jerry&apos;s &lt;Show&gt;</title>
<link>https://show.example/</link>
<description><![CDATA[<p>A show about <b>cats</b> &amp; <a href="https://mice.example/">mice</a>.</p>
<p>Second *paragraph* &lt;script&gt;alert(1)&lt;/script&gt;<script>alert(2)</script></p>]]></description>
<language>fr</language>
<itunes:explicit>true</itunes:explicit>
<itunes:type>serial</itunes:type>
<itunes:image href="/art.png"/>
<itunes:category text="Society &amp; Culture"><itunes:category text="Documentary"/></itunes:category>
<podcast:guid>917393e3-1b1e-5cef-ace4-edaa54e1f810</podcast:guid>
<podcast:locked owner="owner@show.example">no</podcast:locked>
<podcast:funding url="https://donate.example/">Support the show</podcast:funding>
<item>
  <guid isPermaLink="false">ep-1</guid>
  <title>Episode &lt;1&gt; &amp; more</title>
  <pubDate>Tue, 03 Jan 2023 10:00:00 GMT</pubDate>
  <description>plain</description>
  <content:encoded><![CDATA[<p>Notes with <em>emphasis</em><br>and a break</p><ul><li>one</li><li>two</li></ul>]]></content:encoded>
  <itunes:duration>1:02:03</itunes:duration>
  <itunes:explicit>false</itunes:explicit>
  <itunes:image href="https://img.example/ep1.jpg"/>
  <itunes:season>2</itunes:season>
  <itunes:episode>5</itunes:episode>
  <itunes:episodeType>bonus</itunes:episodeType>
  <podcast:transcript url="/ep1.html" type="text/html"/>
  <podcast:transcript url="/ep1.vtt" type="text/vtt"/>
  <podcast:chapters url="/ep1.json" type="application/json+chapters"/>
  <podcast:person role="guest" href="https://bob.example/">Bob</podcast:person>
  <podcast:person>Alice</podcast:person>
  <enclosure url="/ep1.mp3" length="12345" type="audio/mpeg"/>
</item>`))
		var lines []EpisodeResult
		res := e.mustRun(feedURL, Options{OnEpisode: func(r EpisodeResult) { lines = append(lines, r) }})
		if !res.Created || res.Done != 1 || res.Failed != 0 || res.Skipped != 0 || len(res.Report) != 0 {
			t.Fatalf("result %+v, report %+v", res, res.Report)
		}
		if len(lines) != 1 || lines[0].Outcome != Imported || lines[0].Title != "Episode <1> & more" {
			t.Fatalf("episode lines %+v", lines)
		}
		ch := res.Channel
		wantDesc := "A show about **cats** & [mice](https://mice.example/).\n\nSecond \\*paragraph\\* \\<script\\>alert(1)\\</script\\>"
		if ch.Handle != "tom_jerry_s_show" || ch.Title != "Tom & Jerry's <Show>" || ch.Description != wantDesc ||
			ch.Language != "fr" || !ch.Explicit || ch.FeedType != "serial" || ch.Category != "Society & Culture > Documentary" ||
			ch.PodcastGUID != "917393e3-1b1e-5cef-ace4-edaa54e1f810" || ch.Locked ||
			ch.FundingURL != "https://donate.example/" || ch.FundingText != "Support the show" || ch.OwnerID != e.owner.ID ||
			ch.Kind != store.KindPodcast {
			t.Fatalf("channel %+v", ch)
		}
		html := string(markup.New().Markdown(ch.Description))
		if !strings.Contains(html, "<strong>cats</strong> &amp; <a href=\"https://mice.example/\"") ||
			!strings.Contains(html, "&lt;script&gt;alert(1)") || strings.Contains(html, "alert(2)") || strings.Contains(html, "<script") {
			t.Fatalf("rendered description:\n%s", html)
		}
		if !strings.HasPrefix(ch.AvatarKey, "channels/tom_jerry_s_show/artwork-") || !strings.HasSuffix(ch.AvatarKey, ".png") {
			t.Fatalf("avatar key %q", ch.AvatarKey)
		}
		if p, _ := e.storage.Path(ch.AvatarKey); !sameFile(t, p, art) {
			t.Fatal("the stored artwork differs from the feed's")
		}

		it := e.items(ch)["Episode <1> & more"]
		if it == nil {
			t.Fatalf("no item; items: %v", e.items(ch))
		}
		wantNotes := "Notes with *emphasis*\\\nand a break\n\n- one\n- two\n\nWith: [Bob](https://bob.example/) (guest), Alice (host)"
		if it.State != store.StatePublished || it.Kind != store.ItemEpisode || it.Description != wantNotes ||
			it.Duration != time.Hour+2*time.Minute+3*time.Second || it.Sensitive || it.Season != 2 || it.Episode != 5 ||
			it.EpisodeType != "bonus" || it.Language != "fr" || it.PublishedAt == nil ||
			!it.PublishedAt.Equal(time.Date(2023, 1, 3, 10, 0, 0, 0, time.UTC)) {
			t.Fatalf("item %+v\ndescription %q", it, it.Description)
		}
		if it.Chapters != `{"version":"1.2.0","chapters":[{"startTime":0,"title":"Intro"},{"startTime":60,"title":"Talk"}]}` {
			t.Fatalf("chapters %q", it.Chapters)
		}
		files := e.mediaFiles(it)
		if f := files["mp3"]; f == nil || f.RemoteURL != mp3 || f.StorageKey != "" || f.Size != 12345 || f.MimeType != "audio/mpeg" {
			t.Fatalf("enclosure file %+v", f)
		}
		if f := files["thumbnail"]; f == nil || f.RemoteURL != "https://img.example/ep1.jpg" || f.MimeType != "image/jpeg" {
			t.Fatalf("picture %+v", f)
		}
		tr := files["transcript"]
		if tr == nil || tr.MimeType != "text/vtt" || tr.StorageKey != "items/"+it.PublicID+"/transcript.vtt" {
			t.Fatalf("transcript %+v", tr)
		}
		if p, _ := e.storage.Path(tr.StorageKey); !sameFile(t, p, []byte(vtt)) {
			t.Fatal("the stored transcript differs from the feed's")
		}
		// Pages and feeds play the enclosure where it is.
		v, err := e.lib.View(ctx, it, false)
		if err != nil {
			t.Fatal(err)
		}
		sources, thumb, _, _ := v.Playable()
		if len(sources) != 1 || sources[0].URL != mp3 || thumb != "https://img.example/ep1.jpg" ||
			len(v.Transcripts()) != 1 || v.Transcripts()[0].URL != "http://hub.test/media/"+tr.StorageKey {
			t.Fatalf("view %+v", v)
		}
		imp, err := s.ImportByID(ctx, res.ImportID)
		if err != nil || imp.State != store.ImportDone || imp.Total != 1 || imp.Done != 1 || imp.ChannelID != ch.ID ||
			imp.FeedTitle != ch.Title || imp.FinishedAt == nil || imp.Mode != store.ImportReference {
			t.Fatalf("import row %+v, %v", imp, err)
		}
	})
}

func sameFile(t *testing.T, path string, want []byte) bool {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(got, want)
}

// TestImportWithoutOptionalFields imports a bare RSS feed: no namespaces,
// no guid, date, description, duration or type.
func TestImportWithoutOptionalFields(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		a := e.serve("/a.mp3", "audio/mpeg", []byte("aaaa"))
		e.serve("/b.m4a", "audio/mp4", []byte("bbbbbb"))
		feedURL := e.feed("/bare.xml", `<rss version="2.0"><channel><title>Bare</title>
<item><title>Only a title</title><enclosure url="/a.mp3"/></item>
<item><enclosure url="/b.m4a"/></item>
</channel></rss>`)
		before := time.Now().Add(-time.Second)
		res := e.mustRun(feedURL, Options{})
		if res.Done != 2 || res.Failed != 0 {
			t.Fatalf("result %+v %+v", res.Progress, res.Report)
		}
		ch := res.Channel
		if ch.Handle != "bare" || ch.Title != "Bare" || ch.Description != "" || ch.Category != "" || ch.Explicit ||
			ch.PodcastGUID != feeds.PodcastGUID(feedURL) || !ch.Locked || ch.AvatarKey != "" || ch.FeedType != "episodic" {
			t.Fatalf("channel %+v", ch)
		}
		items := e.items(ch)
		one, two := items["Only a title"], items["Untitled episode"]
		if one == nil || two == nil {
			t.Fatalf("items %v", items)
		}
		if one.Description != "" || one.Duration != 0 || one.EpisodeType != "full" || one.Season != 0 ||
			one.PublishedAt == nil || one.PublishedAt.Before(before) || one.Chapters != "" {
			t.Fatalf("item %+v", one)
		}
		f1, f2 := e.mediaFiles(one), e.mediaFiles(two)
		if f := f1["mp3"]; f == nil || f.RemoteURL != a || f.Size != 4 || f.MimeType != "audio/mpeg" || len(f1) != 1 {
			t.Fatalf("files of the first: %+v", f1)
		}
		if f := f2["aac"]; f == nil || f.Size != 6 || f.MimeType != "audio/mp4" {
			t.Fatalf("files of the second: %+v", f2)
		}
		// The guid is the enclosure's URL: a second run knows both.
		res = e.mustRun(feedURL, Options{})
		if res.Done != 0 || res.Skipped != 2 || res.Created {
			t.Fatalf("second run %+v", res.Progress)
		}
	})
}

// TestImportNonUTF8Feeds reads feeds declared in windows-1252 and
// ISO-8859-1, with accents and typographic quotes.
func TestImportNonUTF8Feeds(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		mp3 := e.serve("/x.mp3", "audio/mpeg", []byte("x"))
		for _, c := range []struct {
			name    string
			charset *charmap.Charmap
			title   string
			episode string
			handle  string
			desc    string
		}{
			{"windows-1252", charmap.Windows1252, "Café “crème” – épisodes", "Été à Noël…", "cafe_creme_episodes", "Où l’on parle"},
			{"ISO-8859-1", charmap.ISO8859_1, "Ça déménage à Zürich", "Épisode spécial: «Forêt»", "ca_demenage_a_zurich", "Où l'on parle"},
		} {
			t.Run(c.name, func(t *testing.T) {
				doc := `<?xml version="1.0" encoding="` + c.name + `"?>
<rss version="2.0"><channel><title>` + c.title + `</title><description>` + c.desc + `</description>
<item><guid>` + c.name + `</guid><title>` + c.episode + `</title><enclosure url="` + mp3 + `" type="audio/mpeg"/></item>
</channel></rss>`
				encoded, err := c.charset.NewEncoder().String(doc)
				if err != nil {
					t.Fatal(err)
				}
				if encoded == doc {
					t.Fatal("the document was not re-encoded")
				}
				feedURL := e.serve("/"+c.name+".xml", "application/rss+xml", []byte(encoded))
				res := e.mustRun(feedURL, Options{})
				if res.Channel.Title != c.title || res.Channel.Handle != c.handle || res.Channel.Description != c.desc || res.Done != 1 {
					t.Fatalf("channel %+v, %+v", res.Channel, res.Progress)
				}
				if e.items(res.Channel)[c.episode] == nil {
					t.Fatalf("no episode %q: %v", c.episode, e.items(res.Channel))
				}
			})
		}
	})
}

// TestImportLargeFeed imports 5,000 episodes by reference, then again.
func TestImportLargeFeed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		ctx := context.Background()
		e.serve("/big.mp3", "audio/mpeg", []byte("0123456789"))
		var b strings.Builder
		b.WriteString("<title>Big show</title><description>Many episodes</description>\n")
		const n = 5000
		for i := range n {
			fmt.Fprintf(&b, `<item><guid>big-%d</guid><title>Episode %d</title><pubDate>%s</pubDate>
<itunes:duration>%d</itunes:duration><enclosure url="%s?n=%d" length="10" type="audio/mpeg"/></item>
`, i, i, time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Hour).Format(time.RFC1123Z), 60+i, e.url("/big.mp3"), i)
		}
		feedURL := e.feed("/big.xml", rss(b.String()))
		var mu sync.Mutex
		progress := 0
		res := e.mustRun(feedURL, Options{OnProgress: func(Progress) { mu.Lock(); progress++; mu.Unlock() }})
		if res.Total != n || res.Done != n || res.Skipped != 0 || res.Failed != 0 {
			t.Fatalf("result %+v %+v", res.Progress, res.Report)
		}
		if got := count(t, s, "items"); got != n {
			t.Fatalf("%d items, want %d", got, n)
		}
		if got := count(t, s, "media_files"); got != n {
			t.Fatalf("%d media files, want %d", got, n)
		}
		imp, err := s.ImportByID(ctx, res.ImportID)
		if err != nil || imp.State != store.ImportDone || imp.Total != n || imp.Done != n {
			t.Fatalf("import %+v, %v", imp, err)
		}
		if progress == 0 {
			t.Fatal("no progress reported")
		}
		res = e.mustRun(feedURL, Options{})
		if res.Done != 0 || res.Skipped != n || res.Channel.ID == 0 || res.Created {
			t.Fatalf("second run %+v", res.Progress)
		}
		if got := count(t, s, "items"); got != n {
			t.Fatalf("%d items after the second run, want %d", got, n)
		}
	})
}

// TestImportInvalidXML fails the import and creates nothing.
func TestImportInvalidXML(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		mp3 := e.serve("/x.mp3", "audio/mpeg", []byte("x"))
		for name, doc := range map[string]string{
			"mismatched": `<rss version="2.0"><channel><title>Broken</title><item><title>x</item><enclosure url="` + mp3 + `"/></channel></rss>`,
			"truncated":  `<rss version="2.0"><channel><title>Broken</title><item><title>x</title><enclosure url="` + mp3 + `"/></item>`,
			"garbage":    `this is not a feed`,
			"html":       `<!doctype html><html><body><p>Hello</body></html>`,
		} {
			_, err := e.run(e.feed("/"+name+".xml", doc), Options{})
			var fe *FeedError
			if !errors.As(err, &fe) || fe.Temporary {
				t.Fatalf("%s: error %v, want a final *FeedError", name, err)
			}
			t.Logf("%s: %v", name, err)
		}
		for _, table := range []string{"channels", "items", "imports", "media_files"} {
			if n := count(t, s, table); n != 0 {
				t.Fatalf("%d rows in %s after invalid feeds", n, table)
			}
		}
	})
}

// TestImportLockedFeed refuses a locked feed unless its owner confirms.
func TestImportLockedFeed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		mp3 := e.serve("/x.mp3", "audio/mpeg", []byte("x"))
		feedURL := e.feed("/locked.xml", rss(`<title>Mine</title>
<podcast:locked owner="me@mine.example">yes</podcast:locked>`+item("l1", "Locked one", mp3)))
		_, err := e.run(feedURL, Options{})
		var le *LockedError
		if !errors.As(err, &le) || le.Owner != "me@mine.example" || Temporary(err) {
			t.Fatalf("error %v, want a *LockedError", err)
		}
		if !strings.Contains(err.Error(), "locked") || !strings.Contains(err.Error(), "confirm that you own it") {
			t.Fatalf("message %q", err)
		}
		if n := count(t, s, "channels") + count(t, s, "imports"); n != 0 {
			t.Fatalf("%d rows after a refusal", n)
		}
		res := e.mustRun(feedURL, Options{ConfirmOwner: true})
		if res.Done != 1 || !res.Channel.Locked {
			t.Fatalf("confirmed import: %+v, channel %+v", res.Progress, res.Channel)
		}
		imp, _ := s.ImportByID(context.Background(), res.ImportID)
		if !imp.ConfirmOwner {
			t.Fatal("the confirmation is not recorded")
		}
	})
}

// TestImportReportsBadEpisodes imports the good episodes of a feed and
// reports the others with their reasons.
func TestImportReportsBadEpisodes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		good := e.serve("/good.mp3", "audio/mpeg", []byte("good"))
		e.files.handle("/gone.mp3", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) })
		e.files.handle("/down.mp3", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", http.StatusServiceUnavailable)
		})
		feedURL := e.feed("/mixed.xml", rss(`<title>Mixed</title>`+
			item("g1", "Good one", good)+
			item("d1", "Dead one", e.url("/missing.mp3"))+
			item("d2", "Gone one", e.url("/gone.mp3"))+
			item("d3", "Down one", e.url("/down.mp3"))+
			item("d4", "Unreachable one", "http://127.0.0.1:1/x.mp3")+
			`<item><guid>n1</guid><title>No audio</title></item>
<item><guid>t1</guid><title>Bad date</title><pubDate>someday soon</pubDate><enclosure url="`+good+`?2" type="audio/mpeg"/></item>
<item><guid>f1</guid><title>FTP</title><enclosure url="ftp://files.example/x.mp3" type="audio/mpeg"/></item>
<item><guid>w1</guid><title>Missing transcript</title><enclosure url="`+good+`?3" type="audio/mpeg"/>
  <podcast:transcript url="/nope.vtt" type="text/vtt"/><podcast:chapters url="/chapters-broken.json"/></item>`+
			item("g1", "Good one again", good)+
			item("g2", "Good two", good+"?4")))
		e.serve("/chapters-broken.json", "application/json", []byte(`{"not": "chapters"`))
		res := e.mustRun(feedURL, Options{})
		if res.Total != 11 || res.Done != 3 || res.Failed != 7 || res.Skipped != 1 {
			t.Fatalf("result %+v\n%+v", res.Progress, res.Report)
		}
		reasons := map[string]string{}
		for _, r := range res.Report {
			reasons[string(r.Kind)+" "+r.Title] += r.Reason + "|"
		}
		for key, want := range map[string]string{
			"failed Dead one":            "its enclosure answered 404 Not Found",
			"failed Gone one":            "its enclosure answered 410 Gone",
			"failed Down one":            "its enclosure answered 503 Service Unavailable",
			"failed Unreachable one":     "its enclosure cannot be reached",
			"failed No audio":            "it has no enclosure",
			"failed Bad date":            `its publication date "someday soon" cannot be read`,
			"failed FTP":                 "is not an http(s) URL",
			"warning Missing transcript": "its transcript answered 404 Not Found|its chapters are not JSON chapters|",
		} {
			if !strings.Contains(reasons[key], want) {
				t.Errorf("%s: reasons %q, want %q", key, reasons[key], want)
			}
		}
		items := e.items(res.Channel)
		if len(items) != 3 || items["Good one"] == nil || items["Good two"] == nil || items["Missing transcript"] == nil {
			t.Fatalf("items %v", items)
		}
		imp, _ := s.ImportByID(context.Background(), res.ImportID)
		if imp.State != store.ImportDone || imp.Failed != 7 || len(ParseReport(imp.Report)) != 9 {
			t.Fatalf("import row %+v", imp)
		}
	})
}

// fakeEvents records the items announced.
type fakeEvents struct {
	mu        sync.Mutex
	published []int64
}

func (f *fakeEvents) ItemPublished(_ context.Context, _ *store.Tx, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.published = append(f.published, id)
	return nil
}
func (f *fakeEvents) ItemUpdated(context.Context, *store.Tx, *store.Item) error { return nil }
func (f *fakeEvents) ItemDeleting(context.Context, *store.Tx, *store.Item) ([]int64, error) {
	return nil, nil
}

// TestReimportSkipsKnownEpisodes imports a feed, then its next version:
// only the new episode is imported, into the same channel, and only it is
// announced to the channel's followers.
func TestReimportSkipsKnownEpisodes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		ev := &fakeEvents{}
		e.lib.Events = ev
		mp3 := e.serve("/x.mp3", "audio/mpeg", []byte("x"))
		two := item("r1", "First", mp3+"?1") + item("r2", "Second", mp3+"?2")
		res := e.mustRun(e.feed("/show.xml", rss(`<title>Weekly</title>`+two)), Options{})
		if res.Done != 2 || len(ev.published) != 0 {
			t.Fatalf("first run %+v, announced %v", res.Progress, ev.published)
		}
		third := `<item><guid>r3</guid><title>Third</title><pubDate>Mon, 09 Jan 2023 15:04:05 +0000</pubDate>
<enclosure url="` + mp3 + `?3" type="audio/mpeg"/></item>`
		feedURL := e.feed("/show.xml", rss(`<title>Weekly, renamed</title>`+third+two))
		var lines []string
		res = e.mustRun(feedURL, Options{OnEpisode: func(r EpisodeResult) { lines = append(lines, string(r.Outcome)+" "+r.Title+": "+r.Reason) }})
		if res.Created || res.Done != 1 || res.Skipped != 2 || res.Channel.Handle != "weekly" || res.Channel.Title != "Weekly, renamed" {
			t.Fatalf("second run %+v, channel %+v", res.Progress, res.Channel)
		}
		if got := strings.Join(lines, "\n"); !strings.Contains(got, "skipped First: already imported") || !strings.Contains(got, "imported Third") {
			t.Fatalf("lines:\n%s", got)
		}
		third3 := e.items(res.Channel)["Third"]
		if len(ev.published) != 1 || third3 == nil || ev.published[0] != third3.ID {
			t.Fatalf("announced %v, want only the new episode", ev.published)
		}
		// A third run imports nothing.
		res = e.mustRun(feedURL, Options{})
		if res.Done != 0 || res.Skipped != 3 {
			t.Fatalf("third run %+v", res.Progress)
		}
	})
}

// TestImportRefusesPrivateAddresses: with private addresses not allowed,
// a feed on loopback is refused and nothing is created.
func TestImportRefusesPrivateAddresses(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		e.im.Fetcher = HTTP{Client: testClient(t, false)}
		feedURL := e.feed("/feed.xml", rss(`<title>Local</title>`+item("p1", "One", e.url("/x.mp3"))))
		_, err := e.run(feedURL, Options{})
		var fe *FeedError
		if !errors.As(err, &fe) || fe.Temporary || !strings.Contains(err.Error(), "private or loopback address") {
			t.Fatalf("error %v", err)
		}
		if len(e.files.requestsTo("/feed.xml")) != 0 {
			t.Fatal("the feed was requested")
		}
		if n := count(t, s, "channels") + count(t, s, "imports"); n != 0 {
			t.Fatalf("%d rows after a refusal", n)
		}
	})
}

// TestDownloadResumes downloads an episode whose first transfer is cut:
// the partial file stays, and the next run completes it with a Range
// request, into a source file identical to the original. The episode's
// transcript joins its files once its transcoding is over.
func TestDownloadResumes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		ctx := context.Background()
		audio := generate(t, "ep.mp3", "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "libmp3lame")
		cut := len(audio) / 3
		var mu sync.Mutex
		var ranges []string
		first := true
		e.files.handle("/ep.mp3", func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			ranges = append(ranges, r.Header.Get("Range")+" if-range="+r.Header.Get("If-Range"))
			cutNow := first && r.Header.Get("Range") == ""
			first = false
			mu.Unlock()
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Content-Type", "audio/mpeg")
			if !cutNow {
				http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(audio))
				return
			}
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nETag: \"v1\"\r\nContent-Length: %d\r\n\r\n", len(audio))
			buf.Write(audio[:cut])
			buf.Flush()
		})
		e.serve("/ep.vtt", "text/vtt", []byte(vtt))
		feedURL := e.feed("/dl.xml", rss(`<title>Downloads</title>
<item><guid>dl-1</guid><title>Sine</title><pubDate>Mon, 02 Jan 2023 15:04:05 +0000</pubDate>
<enclosure url="/ep.mp3" length="`+fmt.Sprint(len(audio))+`" type="audio/mpeg"/>
<podcast:transcript url="/ep.vtt" type="text/vtt"/></item>`))
		res := e.mustRun(feedURL, Options{Mode: store.ImportDownload})
		if res.Failed != 1 || res.Done != 0 || !strings.Contains(res.Report[0].Reason, fmt.Sprintf("stopped at %d of %d bytes", cut, len(audio))) ||
			!strings.Contains(res.Report[0].Reason, "resumes") {
			t.Fatalf("first run %+v %+v", res.Progress, res.Report)
		}
		partials, _ := filepath.Glob(filepath.Join(e.im.WorkDir, "*", "*.mp3"))
		if len(partials) != 1 || !sameFile(t, partials[0], audio[:cut]) {
			t.Fatalf("partial files %v", partials)
		}
		if n := count(t, s, "items"); n != 0 {
			t.Fatalf("%d items after an interrupted download", n)
		}

		res = e.mustRun(feedURL, Options{Mode: store.ImportDownload})
		if res.Done != 1 || res.Failed != 0 {
			t.Fatalf("second run %+v %+v", res.Progress, res.Report)
		}
		mu.Lock()
		got := strings.Join(ranges, "\n")
		mu.Unlock()
		if want := fmt.Sprintf("bytes=%d- if-range=\"v1\"", cut); !strings.Contains(got, want) {
			t.Fatalf("requests:\n%s\nwant one with %s", got, want)
		}
		it := e.items(res.Channel)["Sine"]
		if it == nil || it.State != store.StateProcessing || !it.PublishWhenReady || it.Season != 0 ||
			it.PublishedAt == nil || !it.PublishedAt.Equal(time.Date(2023, 1, 2, 15, 4, 5, 0, time.UTC)) {
			t.Fatalf("item %+v", it)
		}
		files := e.mediaFiles(it)
		src := files["source"]
		if src == nil || src.MimeType != "audio/mpeg" {
			t.Fatalf("files %+v", files)
		}
		p, _ := e.storage.Path(src.StorageKey)
		if !sameFile(t, p, audio) {
			t.Fatal("the stored file differs from the original")
		}
		if left, _ := filepath.Glob(filepath.Join(e.im.WorkDir, "*", "*")); len(left) != 0 {
			t.Fatalf("work dir keeps %v", left)
		}
		// The transcript waits for the transcoding, then is attached.
		w := &Worker{Importer: e.im}
		if state, n, err := s.AttachImported(ctx, it.ID); err != nil || state != store.StateProcessing || n != 0 {
			t.Fatalf("attach while processing: %s %d %v", state, n, err)
		}
		if _, err := s.FinishItem(ctx, it.ID, 2*time.Second, []store.MediaFile{
			{Rendition: "mp3", MimeType: "audio/mpeg", StorageKey: "items/" + it.PublicID + "/1/audio.mp3"},
		}, nil); err != nil {
			t.Fatal(err)
		}
		if err := w.attach(ctx, it.ID); err != nil {
			t.Fatal(err)
		}
		it, _ = s.ItemByID(ctx, it.ID)
		files = e.mediaFiles(it)
		if it.State != store.StatePublished || files["transcript"] == nil || files["transcript"].MimeType != "text/vtt" {
			t.Fatalf("after transcoding: %s, files %+v", it.State, files)
		}
		// A third run knows the episode.
		res = e.mustRun(feedURL, Options{Mode: store.ImportDownload})
		if res.Skipped != 1 || res.Done != 0 {
			t.Fatalf("third run %+v", res.Progress)
		}
	})
}

// TestDownloadRestartsWhenTheFileChanged: a partial file of another
// version of the enclosure is not continued.
func TestDownloadRestartsWhenTheFileChanged(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		dir := t.TempDir()
		dest := filepath.Join(dir, "x.bin")
		body := bytes.Repeat([]byte("abcdefghij"), 1000)
		u := e.serve("/x.bin", "application/octet-stream", body)
		// A partial file from another version: the server's ETag differs,
		// so If-Range makes it send the whole file.
		os.WriteFile(dest, []byte("OLDOLD"), 0o600)
		os.WriteFile(dest+".meta", []byte(`{"url":"`+u+`","etag":"\"old\""}`), 0o600)
		n, err := e.im.download(context.Background(), u, dest, 0, nil)
		if err != nil || n != int64(len(body)) || !sameFile(t, dest, body) {
			t.Fatalf("download: %d, %v", n, err)
		}
		// Too large.
		os.Remove(dest)
		if _, err := e.im.download(context.Background(), u, dest, 100, nil); !errors.Is(err, errTooLarge) {
			t.Fatalf("limit: %v", err)
		}
		if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
			t.Fatal("a refused download left its file")
		}
	})
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// feedHost serves feeds and their files on loopback.
type feedHost struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
}

func newFeedHost(t *testing.T) *feedHost {
	f := &feedHost{files: map[string][]byte{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		b, ok := f.files[r.URL.Path]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, r.URL.Path, time.Time{}, bytes.NewReader(b))
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *feedHost) put(path string, b []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[path] = b
	return f.URL + path
}

const allowPrivate = "--federation-allow-private-addresses=true"

func podcastRSS(channel string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel>` + channel + `</channel></rss>`)
}

// TestImportFeedFromTheCommandLine imports a feed by reference: the owner
// it needs, the lines it prints, a second run, a locked feed, invalid XML
// and a loopback feed without allow-private.
func TestImportFeedFromTheCommandLine(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			h := newHub(t, e)
			f := newFeedHost(t)
			h.mustRun("long-enough-pw\n", "user", "create", "maker", "--role", "creator", "--password-stdin")
			mp3 := f.put("/a.mp3", []byte("audio"))
			feed := f.put("/show.xml", podcastRSS(`<title>Café Talks</title><description>Talks &amp; more</description>
<item><guid>c1</guid><title>First</title><pubDate>Mon, 02 Jan 2023 15:04:05 +0000</pubDate><enclosure url="`+mp3+`" type="audio/mpeg"/></item>
<item><guid>c2</guid><title>Second</title><pubDate>Mon, 09 Jan 2023 15:04:05 +0000</pubDate><enclosure url="`+f.URL+`/dead.mp3" type="audio/mpeg"/></item>
<item><guid>c3</guid><title>Third</title><pubDate>Mon, 16 Jan 2023 15:04:05 +0000</pubDate><enclosure url="`+mp3+`?3" type="audio/mpeg"/></item>`))

			_, errOut, code := h.run("", "import", "feed", feed, allowPrivate)
			if code != 2 || !strings.Contains(errOut, "--owner is required: the channel @cafe_talks does not exist yet") {
				t.Fatalf("without --owner: exit %d\n%s", code, errOut)
			}
			out, errOut, code := h.run("", "import", "feed", feed, "--owner", "maker", allowPrivate)
			if code != 0 {
				t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
			}
			for _, want := range []string{
				"imported  First\n",
				"failed    Second: its enclosure answered 404 Not Found\n",
				"imported  Third\n",
				"channel @cafe_talks created: http://",
				"2 imported, 0 skipped, 1 failed, of 3 episodes",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if !strings.Contains(errOut, "import     [") || !strings.Contains(errOut, "100%  3/3 episodes") {
				t.Errorf("no progress line on stderr:\n%q", errOut)
			}
			out = h.mustRun("", "import", "feed", feed, allowPrivate)
			if !strings.Contains(out, "skipped   First (already imported)") || !strings.Contains(out, "channel @cafe_talks updated") ||
				!strings.Contains(out, "0 imported, 2 skipped, 1 failed") {
				t.Fatalf("second run:\n%s", out)
			}
			st := h.store()
			ch, err := st.LocalChannel(context.Background(), "cafe_talks")
			if err != nil || ch.Title != "Café Talks" || ch.Description != "Talks & more" || ch.OwnerUsername != "maker" {
				t.Fatalf("channel %+v, %v", ch, err)
			}

			locked := f.put("/locked.xml", podcastRSS(`<title>Locked</title><podcast:locked owner="x@y.example">yes</podcast:locked>
<item><guid>l1</guid><title>L</title><enclosure url="`+mp3+`" type="audio/mpeg"/></item>`))
			_, errOut, code = h.run("", "import", "feed", locked, "--owner", "maker", allowPrivate)
			if code != 1 || !strings.Contains(errOut, "locked (podcast:locked yes)") || !strings.Contains(errOut, "--confirm-owner") {
				t.Fatalf("locked: exit %d\n%s", code, errOut)
			}
			if _, err := st.LocalChannel(context.Background(), "locked"); err == nil {
				t.Fatal("a refused locked feed created its channel")
			}
			out = h.mustRun("", "import", "feed", locked, "--owner", "maker", "--confirm-owner", allowPrivate)
			if !strings.Contains(out, "channel @locked created") {
				t.Fatalf("confirmed:\n%s", out)
			}

			broken := f.put("/broken.xml", []byte(`<rss version="2.0"><channel><title>Broken</title><item></channel></rss>`))
			_, errOut, code = h.run("", "import", "feed", broken, "--owner", "maker", allowPrivate)
			if code != 1 || !strings.Contains(errOut, "the feed is not well-formed XML") {
				t.Fatalf("broken: exit %d\n%s", code, errOut)
			}
			_, errOut, code = h.run("", "import", "feed", feed, "--owner", "maker", "--channel", "other")
			if code != 1 || !strings.Contains(errOut, "private or loopback address") {
				t.Fatalf("loopback without allow-private: exit %d\n%s", code, errOut)
			}
			chans, _ := st.ListChannels(context.Background(), store.ChannelFilter{})
			if len(chans) != 2 {
				t.Fatalf("%d channels, want cafe_talks and locked", len(chans))
			}
			_, errOut, code = h.run("", "import", "feed", "ftp://x.example/feed", "--owner", "maker")
			if code != 2 || !strings.Contains(errOut, "not an http or https URL") {
				t.Fatalf("ftp URL: exit %d\n%s", code, errOut)
			}
		})
	}
}

// TestImportFeedDownloadsEpisodes downloads a real MP3 episode while serve
// works the jobs: it is transcoded, published with the feed's date, and
// gets its transcript once transcoded.
func TestImportFeedDownloadsEpisodes(t *testing.T) {
	h := newHub(t, store.SQLite)
	f := newFeedHost(t)
	h.mustRun("long-enough-pw\n", "user", "create", "maker", "--role", "creator", "--password-stdin")
	src := generate(t, filepath.Join(t.TempDir(), "out.mp3"), "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "libmp3lame")
	audio, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	mp3 := f.put("/episodes/one.mp3", audio)
	vtt := f.put("/episodes/one.vtt", []byte("WEBVTT\n\n00:00.000 --> 00:01.000\nA sine\n"))
	feed := f.put("/feed.xml", podcastRSS(fmt.Sprintf(`<title>Tones</title>
<item><guid>t1</guid><title>Four forty</title><pubDate>Mon, 02 Jan 2023 15:04:05 +0000</pubDate>
<itunes:season>1</itunes:season><itunes:episode>1</itunes:episode>
<podcast:transcript url="%s" type="text/vtt"/>
<enclosure url="%s" length="%d" type="audio/mpeg"/></item>`, vtt, mp3, len(audio))))
	h.serve()
	out, errOut, code := h.run("", "import", "feed", feed, "--owner", "maker", "--download", allowPrivate)
	if code != 0 || !strings.Contains(out, "imported  Four forty (queued for transcoding)") || !strings.Contains(out, "1 imported") {
		t.Fatalf("import --download: exit %d\n%s%s", code, out, errOut)
	}
	st := h.store()
	ctx := context.Background()
	ch, err := st.LocalChannel(ctx, "tones")
	if err != nil {
		t.Fatal(err)
	}
	var it *store.Item
	waitFor(t, "the episode to be transcoded and published", 90*time.Second, func() bool {
		items, err := st.ListItems(ctx, store.ItemFilter{ChannelID: ch.ID})
		if err != nil || len(items) != 1 {
			return false
		}
		it = items[0]
		return it.State != store.StateProcessing
	})
	if it.State != store.StatePublished || it.PublishedAt == nil || !it.PublishedAt.Equal(time.Date(2023, 1, 2, 15, 4, 5, 0, time.UTC)) ||
		it.Season != 1 || it.Episode != 1 {
		t.Fatalf("item %+v", it)
	}
	waitFor(t, "the transcript to be attached", 60*time.Second, func() bool {
		files, _ := st.MediaFiles(ctx, it.ID)
		for _, f := range files {
			if f.Rendition == "transcript" && f.MimeType == "text/vtt" {
				return true
			}
		}
		return false
	})
	v := h.itemShow(it.PublicID)
	names := map[string]string{}
	for _, r := range v.Renditions {
		names[r.Name] = r.MimeType
	}
	if names["mp3"] != "audio/mpeg" || names["aac"] != "audio/mp4" || names["transcript"] != "text/vtt" {
		t.Fatalf("renditions %+v", v.Renditions)
	}
	files, _ := st.MediaFiles(ctx, it.ID)
	for _, f := range files {
		if f.Rendition == "source" {
			data, err := os.ReadFile(filepath.Join(h.dataDir, "media", f.StorageKey))
			if err != nil || !bytes.Equal(data, audio) {
				t.Fatalf("the stored source differs from the feed's file: %v", err)
			}
		}
	}
	if left, _ := os.ReadDir(filepath.Join(h.dataDir, "work")); len(left) != 0 {
		t.Fatalf("work dir keeps %d entries", len(left))
	}
}

package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// TestImportForm imports a podcast from the web form: a locked feed is
// refused until the person says they own it, invalid XML is refused on the
// form, and the import runs as a job whose page shows its progress,
// reloading itself while it runs, then its counts and failures.
func TestImportForm(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newMediaHarness(t, s, mediaOptions{imports: true})
		ctx := context.Background()
		maker := createUser(t, s, "maker", store.RoleCreator)
		createUser(t, s, "other", store.RoleCreator)
		createUser(t, s, "viewer", store.RoleCreator)

		release := make(chan struct{})
		var once sync.Once
		feeds := map[string]string{}
		var mu sync.Mutex
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/slow.mp3":
				<-release // holds the import in its running state
				w.Header().Set("Content-Type", "audio/mpeg")
				w.Write([]byte("x"))
			case "/ok.mp3":
				w.Header().Set("Content-Type", "audio/mpeg")
				w.Write([]byte("x"))
			default:
				mu.Lock()
				doc, ok := feeds[r.URL.Path]
				mu.Unlock()
				if !ok {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/rss+xml")
				w.Write([]byte(doc))
			}
		}))
		defer srv.Close()
		defer once.Do(func() { close(release) })
		feed := func(path, doc string) string {
			mu.Lock()
			defer mu.Unlock()
			feeds[path] = doc
			return srv.URL + path
		}
		locked := feed("/locked.xml", `<?xml version="1.0"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Locked Show</title>
<podcast:locked owner="maker@show.example">yes</podcast:locked>
<item><guid>1</guid><title>Slow one</title><enclosure url="`+srv.URL+`/slow.mp3" type="audio/mpeg"/></item>
<item><guid>2</guid><title>Good one</title><enclosure url="`+srv.URL+`/ok.mp3" type="audio/mpeg"/></item>
<item><guid>3</guid><title>Dead &amp; gone</title><enclosure url="`+srv.URL+`/dead.mp3" type="audio/mpeg"/></item>
</channel></rss>`)
		broken := feed("/broken.xml", `<rss version="2.0"><channel><title>Broken</title><item></channel></rss>`)

		anon := h.browser()
		r := anon.get("/import")
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2Fimport" {
			t.Fatalf("anonymous: %d %s", r.StatusCode, r.Header.Get("Location"))
		}

		b := h.browser()
		b.login("maker")
		r = b.get("/import")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `name="feed_url"`, `name="reference" value="1" checked`, "I own this podcast")

		// Locked: refused with the reason, nothing recorded.
		r = b.submit("/import", "/import", url.Values{"feed_url": {locked}, "reference": {"1"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "This podcast’s feed is locked by its owner (maker@show.example)",
			"If the podcast is yours, tick “I own this podcast” and send the form again.", `value="`+locked+`"`)
		if imports, _ := s.ListImports(ctx, 0, 10); len(imports) != 0 {
			t.Fatalf("%d imports after a refusal", len(imports))
		}
		// Invalid XML: refused on the form.
		r = b.submit("/import", "/import", url.Values{"feed_url": {broken}, "reference": {"1"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "This feed cannot be imported: The feed is not well-formed XML")

		// Confirmed: the import is queued, and its page follows it.
		r = b.submit("/import", "/import", url.Values{"feed_url": {locked}, "reference": {"1"}, "confirm_owner": {"1"}})
		wantStatus(t, r, http.StatusSeeOther)
		loc := r.Header.Get("Location")
		if !strings.HasPrefix(loc, "/imports/") {
			t.Fatalf("Location %q", loc)
		}
		id, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/imports/"), 10, 64)
		waitImport(t, s, id, func(im *store.Import) bool { return im.State == store.ImportRunning && im.Done+im.Failed >= 2 })
		r = b.get(loc)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `<meta http-equiv="refresh" content="2">`, "Importing: 2 of 3 episodes dealt with",
			`<progress id="import-progress" max="3" value="2">66%</progress>`, "Dead &amp; gone", "its enclosure answered 404 Not Found")

		// Someone else sees nothing of it, and may not import into the channel.
		other := h.browser()
		other.login("other")
		wantStatus(t, other.get(loc), http.StatusNotFound)
		once.Do(func() { close(release) })
		imp := waitImport(t, s, id, func(im *store.Import) bool { return im.Finished() })
		if imp.State != store.ImportDone || imp.Done != 2 || imp.Failed != 1 || imp.Total != 3 || imp.StartedBy != maker.ID {
			t.Fatalf("import %+v", imp)
		}
		r = b.get(loc)
		wantStatus(t, r, http.StatusOK)
		wantNotContains(t, r.body, `http-equiv="refresh"`)
		wantContains(t, r.body, "Done: 2 episodes imported, 1 not imported (see below).", "Episodes not imported",
			"<strong>Dead &amp; gone</strong>: its enclosure answered 404 Not Found", `href="/c/locked_show"`,
			`<progress id="import-progress" max="3" value="3">100%</progress>`)
		ch, err := s.LocalChannel(ctx, "locked_show")
		if err != nil || ch.OwnerID != maker.ID || !ch.Locked || ch.Title != "Locked Show" {
			t.Fatalf("channel %+v, %v", ch, err)
		}
		// The episodes play from where they are.
		r = anon.get("/c/locked_show")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "Good one", "Slow one")
		r = b.get("/import")
		wantContains(t, r.body, "Your latest imports", `<a href="/imports/`+strconv.FormatInt(id, 10)+`">Locked Show</a> · done, 2 of 3 episodes imported`)

		r = other.submit("/import", "/import", url.Values{"feed_url": {locked}, "confirm_owner": {"1"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "@locked_show belongs to someone else: only its owner and admins can import into it.")
	})
}

// waitImport polls an import until cond holds.
func waitImport(t *testing.T, s *store.Store, id int64, cond func(*store.Import) bool) *store.Import {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		im, err := s.ImportByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if cond(im) {
			return im
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %d: %+v", id, im)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

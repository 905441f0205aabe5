package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// TestTusUploadWithTokenPlaysAndServes follows a video from a resumable
// upload with an API token to its page, its byte-range serving and its
// deletion.
func TestTusUploadWithTokenPlaysAndServes(t *testing.T) {
	data := sampleVideo(t)
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		alice := createUser(t, s, "alice", store.RoleCreator)
		createChannel(t, s, alice, "clips", store.KindVideo)
		h := newMediaHarness(t, s, mediaOptions{})
		auth := bearer(apiToken(t, s, alice))
		cli := h.browser() // an API client: no cookies are used
		anon := h.browser()

		r := cli.tusUpload(auth, data, 64<<10, map[string]string{
			"channel": "clips", "title": "Holiday <clip>", "publish": "1", "filename": "holiday.mp4",
			"description": "Hello **world**\n\n<script>alert(1)</script>\n\nSee [the site](https://example.org).",
		})
		wantStatus(t, r, http.StatusOK)
		v := decodeItem(t, r)
		if v.State != store.StateProcessing || v.Channel != "clips" || v.Kind != store.ItemVideo || v.Title != "Holiday <clip>" {
			t.Fatalf("final PATCH item = %+v", v)
		}
		if v.Source == nil || v.Source.Size != int64(len(data)) || v.URL != h.srv.URL+"/i/"+v.ID {
			t.Fatalf("item source/url = %+v, %q", v.Source, v.URL)
		}

		// While it is processing, others do not see it.
		wantStatus(t, anon.get("/i/"+v.ID), http.StatusNotFound)
		r = anon.get("/api/items/" + v.ID)
		wantStatus(t, r, http.StatusNotFound)
		jsonError(t, r)

		v = cli.waitItem(auth, v.ID)
		if v.State != store.StatePublished || v.PublishedAt == nil {
			t.Fatalf("item after transcoding = %+v; logs:\n%s", v, h.logs.String())
		}
		var video, poster, thumb *itemRendition
		for i := range v.Renditions {
			switch rv := &v.Renditions[i]; {
			case rv.MimeType == "video/mp4" && video == nil:
				video = rv
			case rv.Name == "poster":
				poster = rv
			case rv.Name == "thumbnail":
				thumb = rv
			}
		}
		if video == nil || poster == nil || thumb == nil {
			t.Fatalf("renditions = %+v", v.Renditions)
		}

		// Anyone sees the page, with the player and the rendered description.
		r = anon.get("/i/" + v.ID)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body,
			"<title>Holiday &lt;clip&gt; · Archipel</title>",
			`<video controls preload="metadata" poster="`+poster.URL+`"`,
			`<source src="`+video.URL+`" type="video/mp4">`,
			`<a href="/c/clips">Clips</a>`, `<span class="duration">0:02</span>`,
			"Hello <strong>world</strong>", `<a href="https://example.org" rel="nofollow noopener">the site</a>`,
			`<h2 id="downloads-heading">Download</h2>`, `<a href="`+video.URL+`" download>`)
		wantNotContains(t, r.body, "<script>alert", "Delete this video", "Original upload", `http-equiv="refresh"`)

		// Byte ranges of the stored file.
		path := h.mediaPath(t, video.URL)
		stored, err := os.ReadFile(filepath.Join(h.storage.Root, filepath.FromSlash(strings.TrimPrefix(path, "/media/"))))
		if err != nil {
			t.Fatal(err)
		}
		r = anon.request(http.MethodGet, path, nil, http.Header{"Range": {"bytes=0-99"}})
		wantStatus(t, r, http.StatusPartialContent)
		if r.body != string(stored[:100]) {
			t.Error("the range's bytes differ from the stored file's")
		}
		for k, want := range map[string]string{
			"Content-Range": "bytes 0-99/" + strconv.Itoa(len(stored)),
			"Content-Type":  "video/mp4",
			"Cache-Control": "public, max-age=31536000, immutable",
			"Etag":          `"` + video.SHA256[:32] + `"`,
		} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		r = anon.request(http.MethodGet, path, nil, http.Header{"If-None-Match": {`"` + video.SHA256[:32] + `"`}})
		wantStatus(t, r, http.StatusNotModified)
		r = anon.request(http.MethodHead, path, nil, nil)
		wantStatus(t, r, http.StatusOK)
		if r.Header.Get("Content-Length") != strconv.Itoa(len(stored)) {
			t.Errorf("HEAD Content-Length = %q", r.Header.Get("Content-Length"))
		}
		wantStatus(t, anon.get("/media/items/"+v.ID+"/nothing.mp4"), http.StatusNotFound)
		wantStatus(t, anon.get("/media/items%5Cx"), http.StatusNotFound)
		// The uploaded original is its owner's only, even once published.
		source := h.mediaPath(t, v.Source.URL)
		wantStatus(t, anon.get(source), http.StatusNotFound)
		r = cli.request(http.MethodGet, source, nil, auth)
		wantStatus(t, r, http.StatusOK)
		if r.body != string(data) || r.Header.Get("Cache-Control") != "private, no-cache" {
			t.Errorf("source for its owner: %d bytes, Cache-Control %q", len(r.body), r.Header.Get("Cache-Control"))
		}

		// The channel lists it; its owner gets the Upload link and states.
		r = anon.get("/c/clips")
		wantContains(t, r.body, `<a href="/i/`+v.ID+`"><img src="`+thumb.URL+`" alt=""`,
			`<span class="item-title">Holiday &lt;clip&gt;</span>`, `<span class="duration">0:02</span>`)
		wantNotContains(t, r.body, "/c/clips/upload", "badge state-")
		owner := h.browser()
		owner.login("alice")
		wantContains(t, owner.get("/c/clips").body, `<a class="button" href="/c/clips/upload">Upload</a>`,
			`<span class="badge state-published">Published</span>`)

		r = anon.get("/api/channels/clips/items")
		wantStatus(t, r, http.StatusOK)
		var list channelItems
		if err := json.Unmarshal([]byte(r.body), &list); err != nil || len(list.Items) != 1 || list.Items[0].ID != v.ID || list.Items[0].Source != nil {
			t.Fatalf("channel items = %s (%v)", r.body, err)
		}

		// Deleting removes the item and its files.
		r = cli.request(http.MethodDelete, "/api/items/"+v.ID, nil, auth)
		wantStatus(t, r, http.StatusNoContent)
		wantStatus(t, anon.get("/i/"+v.ID), http.StatusNotFound)
		wantStatus(t, anon.get(path), http.StatusNotFound)
		wantStatus(t, cli.request(http.MethodGet, "/api/items/"+v.ID, nil, auth), http.StatusNotFound)
		if _, err := os.Stat(filepath.Join(h.storage.Root, "items", v.ID)); !os.IsNotExist(err) {
			t.Errorf("the item's files are still there: %v", err)
		}
	})
}

// TestTusUploadRefusals covers what the upload API refuses, and how.
func TestTusUploadRefusals(t *testing.T) {
	sampleVideo(t)
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		alice := createUser(t, s, "alice", store.RoleCreator)
		bob := createUser(t, s, "bob", store.RoleCreator)
		root := createUser(t, s, "root", store.RoleAdmin)
		createChannel(t, s, alice, "clips", store.KindVideo)
		createChannel(t, s, bob, "bobs", store.KindVideo)
		h := newMediaHarness(t, s, mediaOptions{})
		auth := bearer(apiToken(t, s, alice))
		cli := h.browser()

		// A text file named like a video is refused once it has arrived.
		text := bytes.Repeat([]byte("This is not a video, only text.\n"), 100)
		r := cli.tusUpload(auth, text, 1<<10, map[string]string{"channel": "clips", "filename": "x.mp4"})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if msg := jsonError(t, r); msg != "The file is not a video or audio file we can read." {
			t.Errorf("not-media message = %q", msg)
		}

		for _, tc := range []struct {
			channel string
			status  int
			message string
		}{
			{"bobs", http.StatusUnprocessableEntity, "You cannot upload to @bobs."},
			{"@Nowhere", http.StatusUnprocessableEntity, "There is no channel @nowhere."},
			{"", http.StatusUnprocessableEntity, "Say which channel to upload to (the channel metadata)."},
		} {
			r = cli.tusCreate(auth, 100, map[string]string{"channel": tc.channel})
			wantStatus(t, r, tc.status)
			if msg := jsonError(t, r); msg != tc.message {
				t.Errorf("channel %q: message %q, want %q", tc.channel, msg, tc.message)
			}
		}
		// In French for a French browser: the upload page shows them as they come.
		fr := auth.Clone()
		fr.Set("Accept-Language", "fr-FR,fr;q=0.9")
		r = cli.tusCreate(fr, 100, map[string]string{"channel": "nowhere"})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if msg := jsonError(t, r); msg != "Il n’y a pas de chaîne @nowhere." {
			t.Errorf("French refusal = %q", msg)
		}
		r = cli.tusUpload(fr, text, 1<<10, map[string]string{"channel": "clips", "filename": "x.mp4"})
		if msg := jsonError(t, r); !strings.HasPrefix(msg, "Le fichier") {
			t.Errorf("French not-media message = %q", msg)
		}
		r = cli.tusCreate(auth, testMaxUpload+1, map[string]string{"channel": "clips"})
		wantStatus(t, r, http.StatusRequestEntityTooLarge)
		jsonError(t, r)

		// Credentials: a wrong token, none at all.
		r = cli.tusCreate(bearer("not-a-token"), 100, map[string]string{"channel": "clips"})
		wantStatus(t, r, http.StatusUnauthorized)
		jsonError(t, r)
		r = cli.tusCreate(nil, 100, map[string]string{"channel": "clips"})
		wantStatus(t, r, http.StatusUnauthorized)
		jsonError(t, r)

		// An admin may upload to anyone's channel; DELETE ends the upload.
		adminAuth := bearer(apiToken(t, s, root))
		r = cli.tusCreate(adminAuth, 100, map[string]string{"channel": "clips"})
		wantStatus(t, r, http.StatusCreated)
		loc := r.Header.Get("Location")
		wantStatus(t, cli.request(http.MethodDelete, loc, nil, http.Header{"Authorization": adminAuth["Authorization"], "Tus-Resumable": {"1.0.0"}}), http.StatusNoContent)

		// Signed in with the session cookie, a script must send the page's
		// CSRF token in X-CSRF-Token.
		b := h.browser()
		b.login("alice")
		r = b.tusCreate(nil, 100, map[string]string{"channel": "clips"})
		wantStatus(t, r, http.StatusForbidden)
		if msg := jsonError(t, r); !strings.Contains(msg, "X-CSRF-Token") {
			t.Errorf("CSRF message = %q", msg)
		}
		token := formFields(t, b.get("/c/clips/upload").body, "/c/clips/upload").Get(csrfField)
		r = b.tusCreate(http.Header{csrfHeader: {"0" + token[1:]}}, 100, map[string]string{"channel": "clips"})
		if token[0] != '0' {
			wantStatus(t, r, http.StatusForbidden)
		}
		r = b.tusCreate(http.Header{csrfHeader: {token}}, 100, map[string]string{"channel": "clips"})
		wantStatus(t, r, http.StatusCreated)
		// The same, from another browser with the first one's token, fails.
		other := h.browser()
		other.login("bob")
		wantStatus(t, other.tusCreate(http.Header{csrfHeader: {token}}, 100, map[string]string{"channel": "bobs"}), http.StatusForbidden)
		// A session-authenticated GET needs no token.
		wantStatus(t, b.get("/api/channels/clips/items"), http.StatusOK)

		// A browser's cross-origin request is refused, in JSON.
		r = b.request(http.MethodPost, "/api/items/x/publish", nil, http.Header{"Origin": {"https://evil.example"}, csrfHeader: {token}})
		wantStatus(t, r, http.StatusForbidden)
		jsonError(t, r)

		// Unknown API paths are JSON 404s.
		for _, p := range []string{"/api/nowhere", "/api/items/x/y"} {
			r = cli.request(http.MethodGet, p, nil, auth)
			wantStatus(t, r, http.StatusNotFound)
			jsonError(t, r)
		}

		items, err := s.ListItems(context.Background(), store.ItemFilter{})
		if err != nil || len(items) != 0 {
			t.Errorf("items after refused uploads: %d, %v", len(items), err)
		}
		if !strings.Contains(h.logs.String(), `"route":"POST /api/uploads/"`) && !strings.Contains(h.logs.String(), `"route":"/api/uploads/"`) {
			t.Error("upload requests are not logged with their route pattern")
		}
	})
}

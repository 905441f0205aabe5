package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

var itemLocationRE = regexp.MustCompile(`^/i/([a-z0-9]{12})$`)

// TestUploadFormWithoutJavaScript sends the upload form as a browser
// without JavaScript does, then publishes the resulting draft from its page.
func TestUploadFormWithoutJavaScript(t *testing.T) {
	data := sampleVideo(t)
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		alice := createUser(t, s, "alice", store.RoleCreator)
		createChannel(t, s, alice, "clips", store.KindVideo)
		h := newMediaHarness(t, s, mediaOptions{})
		b := h.browser()
		b.login("alice")

		r := b.get("/c/clips/upload")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body,
			`<script src="/static/upload.js?v=`, `enctype="multipart/form-data"`,
			`<label for="file">Video file</label>`, `type="file" accept="video/*" required`,
			`<label for="title">Title</label>`, `<label for="description">Description</label>`,
			`<input type="checkbox" name="publish" value="1" checked> Publish when ready`,
			`<progress id="upload-progress" max="100" value="0">`, `role="status" aria-live="polite"`,
			"At most 4.0 MiB.")
		// The CSRF field comes first, before the file.
		if i, j := strings.Index(r.body, `name="csrf_token"`), strings.Index(r.body, `type="file"`); i < 0 || i > j {
			t.Error("the csrf_token field does not come before the file input")
		}
		token := formFields(t, r.body, "/c/clips/upload").Get(csrfField)

		// Without the token first, nothing is read or created.
		ct, body := multipartBody(t, []formPart{{"file", ""}, {csrfField, token}}, "x.mp4", data)
		wantStatus(t, b.postMultipart("/c/clips/upload", ct, body), http.StatusForbidden)
		ct, body = multipartBody(t, []formPart{{csrfField, "bad"}, {"file", ""}}, "x.mp4", data)
		wantStatus(t, b.postMultipart("/c/clips/upload", ct, body), http.StatusForbidden)

		// A file over the limit is refused with a clear message.
		ct, body = multipartBody(t, []formPart{{csrfField, token}, {"title", "Big"}, {"file", ""}}, "big.mp4",
			bytes.Repeat([]byte{0}, testMaxUpload+100))
		r = b.postMultipart("/c/clips/upload", ct, body)
		wantStatus(t, r, http.StatusRequestEntityTooLarge)
		wantContains(t, r.body, "The file is too large: the limit is 4.0 MiB.", `value="Big"`)

		// A file that is not media is refused, and what was typed is kept.
		ct, body = multipartBody(t, []formPart{{csrfField, token}, {"file", ""}, {"title", "Notes & <things>"},
			{"description", "typed"}}, "notes.mp4", []byte("just some text, not a video\n"))
		r = b.postMultipart("/c/clips/upload", ct, body)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, `<p class="alert" role="alert" id="upload-error">The file is not a video or audio file we can read.</p>`,
			`value="Notes &amp; &lt;things&gt;"`, ">typed</textarea>", `aria-invalid="true"`)
		wantNotContains(t, r.body, `value="1" checked`) // the box was not ticked

		// A video, not to be published when ready.
		ct, body = multipartBody(t, []formPart{{csrfField, token}, {"title", "Draft clip"}, {"file", ""},
			{"description", "*Soon*."}}, "draft.mp4", data)
		r = b.postMultipart("/c/clips/upload", ct, body)
		wantStatus(t, r, http.StatusSeeOther)
		m := itemLocationRE.FindStringSubmatch(r.Header.Get("Location"))
		if m == nil {
			t.Fatalf("Location = %q", r.Header.Get("Location"))
		}
		id := m[1]
		r = b.get("/i/" + id)
		wantStatus(t, r, http.StatusOK)
		if strings.Contains(r.body, "is being processed") {
			wantContains(t, r.body, `<meta http-equiv="refresh" content="5">`, `<progress max="100" value="`)
		}
		v := b.waitItem(nil, id)
		if v.State != store.StateDraft || v.Title != "Draft clip" {
			t.Fatalf("item = %+v; logs:\n%s", v, h.logs.String())
		}
		if entries, _ := os.ReadDir(h.uploads.Dir); len(entries) != 0 {
			t.Errorf("files left in the uploads directory: %v", entries)
		}

		// A draft is its owner's: others get 404 for the page and files.
		anon := h.browser()
		wantStatus(t, anon.get("/i/"+id), http.StatusNotFound)
		wantStatus(t, anon.get("/api/items/"+id), http.StatusNotFound)
		var rendition string
		for _, rv := range v.Renditions {
			if rv.MimeType == "video/mp4" {
				rendition = h.mediaPath(t, rv.URL)
				break
			}
		}
		wantStatus(t, anon.get(rendition), http.StatusNotFound)
		r = b.request(http.MethodGet, rendition, nil, http.Header{"Range": {"bytes=0-9"}})
		wantStatus(t, r, http.StatusPartialContent)
		if cc := r.Header.Get("Cache-Control"); cc != "private, no-cache" {
			t.Errorf("draft file Cache-Control = %q", cc)
		}
		r = anon.get("/c/clips")
		wantContains(t, r.body, "Nothing published yet.")
		wantNotContains(t, r.body, "/i/"+id)
		r = b.get("/c/clips")
		wantContains(t, r.body, `<a href="/i/`+id+`">`, `<span class="badge state-draft">Draft</span>`)

		// The owner publishes it from its page.
		r = b.get("/i/" + id)
		wantContains(t, r.body, "This is a draft", `<em>Soon</em>.`, "Original upload")
		r = b.submit("/i/"+id, "/i/"+id+"/publish", nil)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/i/"+id {
			t.Errorf("Location after publishing = %q", loc)
		}
		wantStatus(t, anon.get("/i/"+id), http.StatusOK)
		wantStatus(t, anon.get(rendition), http.StatusOK)
		// Publishing twice is a conflict.
		form := formFields(t, b.get("/").body, "/logout") // a valid form token
		r = b.post("/i/"+id+"/publish", form)
		wantStatus(t, r, http.StatusConflict)
		wantContains(t, r.body, "Only a draft can be published")
		// Without the form token, nothing happens.
		wantStatus(t, b.post("/i/"+id+"/delete", url.Values{}), http.StatusForbidden)
		wantStatus(t, anon.get("/i/"+id), http.StatusOK)
	})
}

// TestFailedItemRetryAndDelete makes transcoding fail (the job's ffmpeg
// does not exist), then retries and deletes the item, by API and by page.
func TestFailedItemRetryAndDelete(t *testing.T) {
	data := sampleVideo(t)
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		alice := createUser(t, s, "alice", store.RoleCreator)
		createUser(t, s, "bob", store.RoleCreator)
		createChannel(t, s, alice, "clips", store.KindVideo)
		h := newMediaHarness(t, s, mediaOptions{brokenWorker: true})
		auth := bearer(apiToken(t, s, alice))
		cli := h.browser()

		r := cli.tusUpload(auth, data, 1<<20, map[string]string{"channel": "clips", "publish": "true", "filename": "doomed.mp4"})
		wantStatus(t, r, http.StatusOK)
		v := decodeItem(t, r)
		if v.Title != "doomed" {
			t.Errorf("title from the file name = %q", v.Title)
		}
		v = cli.waitItem(auth, v.ID)
		if v.State != store.StateFailed || !strings.Contains(v.Error, "no-such-ffmpeg") {
			t.Fatalf("item = %+v", v)
		}

		owner := h.browser()
		owner.login("alice")
		r = owner.get("/i/" + v.ID)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "Processing failed.", `<pre class="error-tail" aria-label="Error output">`, "no-such-ffmpeg",
			`action="/i/`+v.ID+`/retry"`, `<span class="badge state-failed">Failed</span>`)
		wantNotContains(t, r.body, "<video")

		// Others cannot retry or delete it, nor see it.
		bob := h.browser()
		bob.login("bob")
		wantStatus(t, bob.get("/i/"+v.ID), http.StatusNotFound)
		form := formFields(t, bob.get("/").body, "/logout")
		wantStatus(t, bob.post("/i/"+v.ID+"/retry", form), http.StatusNotFound)
		wantStatus(t, bob.post("/i/"+v.ID+"/delete", form), http.StatusNotFound)
		bobAuth := bearer(apiToken(t, s, s2u(t, s, "bob")))
		wantStatus(t, cli.request(http.MethodPost, "/api/items/"+v.ID+"/retry", nil, bobAuth), http.StatusNotFound)
		// Publishing is for drafts only.
		r = cli.request(http.MethodPost, "/api/items/"+v.ID+"/publish", nil, auth)
		wantStatus(t, r, http.StatusConflict)
		jsonError(t, r)

		// Retry by API: back to processing (where the broken worker fails it again).
		r = cli.request(http.MethodPost, "/api/items/"+v.ID+"/retry", nil, auth)
		wantStatus(t, r, http.StatusOK)
		if got := decodeItem(t, r); got.State != store.StateProcessing || got.Error != "" {
			t.Fatalf("after retry: %+v", got)
		}
		v = cli.waitItem(auth, v.ID)
		if v.State != store.StateFailed {
			t.Fatalf("after the second attempt: %+v", v)
		}
		// Retry from the page.
		r = owner.submit("/i/"+v.ID, "/i/"+v.ID+"/retry", nil)
		wantStatus(t, r, http.StatusSeeOther)
		if it, err := s.ItemByPublicID(context.Background(), v.ID); err != nil || (it.State != store.StateProcessing && it.State != store.StateFailed) {
			t.Fatalf("after retry from the page: %+v, %v", it, err)
		}
		v = cli.waitItem(auth, v.ID)

		// Delete from the page: back to the channel, item and files gone.
		source := h.mediaPath(t, v.Source.URL)
		wantStatus(t, owner.get(source), http.StatusOK)
		r = owner.submit("/i/"+v.ID, "/i/"+v.ID+"/delete", nil)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/c/clips" {
			t.Errorf("Location after delete = %q", loc)
		}
		wantStatus(t, owner.get("/i/"+v.ID), http.StatusNotFound)
		wantStatus(t, owner.get(source), http.StatusNotFound)
		if _, err := os.Stat(filepath.Join(h.storage.Root, "items", v.ID)); !os.IsNotExist(err) {
			t.Errorf("the item's files are still there: %v", err)
		}
		if _, err := s.ItemByPublicID(context.Background(), v.ID); err != store.ErrNotFound {
			t.Errorf("item after delete: %v", err)
		}
	})
}

// s2u returns the user called name.
func s2u(t *testing.T, s *store.Store, name string) *store.User {
	t.Helper()
	u, err := s.UserByUsername(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestUploadPageAccess checks who may open a channel's upload form.
func TestUploadPageAccess(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		alice := createUser(t, s, "alice", store.RoleCreator)
		createUser(t, s, "bob", store.RoleCreator)
		createUser(t, s, "root", store.RoleAdmin)
		createChannel(t, s, alice, "talks", store.KindPodcast)
		h := newMediaHarness(t, s, mediaOptions{})

		anon := h.browser()
		r := anon.get("/c/talks/upload")
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/login?next="+url.QueryEscape("/c/talks/upload") {
			t.Errorf("Location = %q", loc)
		}
		wantNotContains(t, anon.get("/c/talks").body, "/c/talks/upload")

		bob := h.browser()
		bob.login("bob")
		r = bob.get("/c/talks/upload")
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r.body, "Only the owner of @talks and admins can upload to it.")
		wantNotContains(t, bob.get("/c/talks").body, "/c/talks/upload")
		wantStatus(t, bob.get("/c/nobody/upload"), http.StatusNotFound)
		// The fallback refuses before reading the body.
		ct, body := multipartBody(t, []formPart{{"file", ""}}, "x.mp3", []byte("x"))
		wantStatus(t, bob.postMultipart("/c/talks/upload", ct, body), http.StatusForbidden)

		for _, name := range []string{"alice", "root"} {
			b := h.browser()
			b.login(name)
			r = b.get("/c/talks/upload")
			wantStatus(t, r, http.StatusOK)
			wantContains(t, r.body, "<h1>Upload to Talks</h1>", `<label for="file">Audio file</label>`, `accept="audio/*"`,
				`data-channel="talks"`)
			wantContains(t, b.get("/c/talks").body, `href="/c/talks/upload"`, "Nothing published yet.")
		}

		// The script is served with the page's fingerprint, cacheable for good.
		m := regexp.MustCompile(`<script src="(/static/upload\.js\?v=[0-9a-f]{12})" defer>`).FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("no fingerprinted script in:\n%s", r.body)
		}
		r = anon.get(m[1])
		wantStatus(t, r, http.StatusOK)
		if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("script Cache-Control = %q", cc)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("script Content-Type = %q", ct)
		}
		if len(r.body) > 8<<10 {
			t.Errorf("upload.js is %d bytes, over 8 KiB", len(r.body))
		}
	})
}

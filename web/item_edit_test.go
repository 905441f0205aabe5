package web

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// TestItemEdit edits a published item from its page: who may, what the
// form refuses (keeping what was typed), and what a saved edit changes,
// including the Update sent to the channel's followers.
func TestItemEdit(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		alice := createUser(t, s, "alice", store.RoleCreator)
		createUser(t, s, "bob", store.RoleCreator)
		c := createChannel(t, s, alice, "clips", store.KindVideo)
		h := newMediaHarness(t, s, mediaOptions{federation: true})
		item := seedItem(t, s, c, "Old title", "Old *words*.", true)
		id := item.PublicID
		page, edit := "/i/"+id, "/i/"+id+"/edit"

		owner := h.browser()
		owner.login("alice")
		r := owner.get(page)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `<a href="`+edit+`">Edit<span class="visually-hidden"> this video</span></a>`)
		wantNotContains(t, r.body, `class="tags"`, "Sensitive")

		// Others see no link and may not edit; signed out, sign in first.
		bob := h.browser()
		bob.login("bob")
		wantNotContains(t, bob.get(page).body, edit)
		r = bob.get(edit)
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r.body, "Only the owner of @clips and admins can change this item.")
		wantStatus(t, bob.post(edit, url.Values{csrfField: formFields(t, bob.get("/").body, "/logout")[csrfField],
			"title": {"Hacked"}}), http.StatusForbidden)
		anon := h.browser()
		wantNotContains(t, anon.get(page).body, edit)
		r = anon.get(edit)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/login?next="+url.QueryEscape(edit) {
			t.Errorf("Location = %q", loc)
		}
		wantStatus(t, owner.get("/i/nosuchitem1/edit"), http.StatusNotFound)

		// The form shows what is stored.
		r = owner.get(edit)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "<title>Edit Old title · Archipel</title>", `action="`+edit+`"`,
			`<label for="title">Title</label>`, `value="Old title" required maxlength="200"`,
			`<label for="description">Description</label>`, ">Old *words*.</textarea>",
			`<label for="tags">Tags</label>`, `<input type="checkbox" name="sensitive" value="1"`, "Save changes")
		wantNotContains(t, r.body, " checked")

		// Mistakes are shown with what was typed, and nothing is saved.
		for _, tc := range []struct {
			fields url.Values
			want   []string
		}{
			{url.Values{"title": {"  "}, "description": {"Typed *text* & more"}, "tags": {"Foo Bar, ok"}, "sensitive": {"1"}},
				[]string{`<p class="field-error" id="title-error">Title is required.</p>`, `aria-invalid="true" aria-describedby="title-error"`,
					`>Typed *text* &amp; more</textarea>`, `value="Foo Bar, ok"`, `value="1" aria-describedby="sensitive-hint" checked`,
					"Nothing was saved: correct the fields marked below."}},
			{url.Values{"title": {strings.Repeat("é", 201)}},
				[]string{"Title is too long: at most 200 characters (it has 201)."}},
			{url.Values{"title": {"T"}, "description": {strings.Repeat("x", 10001)}},
				[]string{`<p class="field-error" id="description-error">Description is too long: at most 10000 characters (it has 10001).</p>`}},
			{url.Values{"title": {"T"}, "tags": {"music, café"}},
				[]string{`<p class="field-error" id="tags-error">Tag “café” may only hold letters a–z, digits 0–9, “-” and “_”.</p>`, `value="music, café"`}},
			{url.Values{"title": {"T"}, "tags": {"a,b,c,d,e,f,g,h,i,j,k"}},
				[]string{"There are 11 tags: at most 10 are allowed."}},
			{url.Values{"title": {"T"}, "tags": {strings.Repeat("t", 41)}},
				[]string{"is too long: at most 40 characters."}},
		} {
			r = owner.submit(edit, edit, tc.fields)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r.body, tc.want...)
		}
		if got, _ := s.ItemByPublicID(ctx, id); got.Title != "Old title" || got.Sensitive {
			t.Fatalf("item changed by refused edits: %+v", got)
		}

		// A good edit is saved, and followers are sent an Update.
		r = owner.submit(edit, edit, url.Values{"title": {"  New title "}, "description": {"Now with **bold**."},
			"tags": {"#Live Music, go, GO, fun_stuff,, "}, "sensitive": {"1"}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != page {
			t.Errorf("Location = %q, want %s", loc, page)
		}
		got, err := s.ItemByPublicID(ctx, id)
		if err != nil || got.Title != "New title" || got.Description != "Now with **bold**." || !got.Sensitive {
			t.Fatalf("after the edit: %+v, %v", got, err)
		}
		if tags, err := s.ItemTags(ctx, item.ID); err != nil || !reflect.DeepEqual(tags, []string{"fun_stuff", "go", "live-music"}) {
			t.Errorf("tags = %q, %v", tags, err)
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM outbox_activities WHERE item_id = $1 AND type = 'Update'`, item.ID); n != 1 {
			t.Errorf("%d Update activities, want 1", n)
		}
		r = anon.get(page)
		wantContains(t, r.body, "<h1>New title</h1>", "<strong>bold</strong>",
			`<ul class="tags" aria-label="Tags">`, "<li>#fun_stuff</li>", "<li>#go</li>", "<li>#live-music</li>",
			`<span class="badge sensitive">Sensitive</span>`, "Its creator marked this video as sensitive")
		r = owner.get(edit)
		wantContains(t, r.body, `value="fun_stuff, go, live-music"`, `value="1" aria-describedby="sensitive-hint" checked`)

		// Line breaks count once, as browsers count them against maxlength.
		long := strings.Repeat("x\r\n", 3000) + strings.Repeat("y", 4000)
		r = owner.submit(edit, edit, url.Values{"title": {"New title"}, "description": {long}})
		wantStatus(t, r, http.StatusSeeOther)
		if got, _ := s.ItemByPublicID(ctx, id); strings.Contains(got.Description, "\r") || len(got.Description) != 10000 {
			t.Errorf("description stored with %d bytes, CR: %v", len(got.Description), strings.Contains(got.Description, "\r"))
		}

		// Clearing tags and the flag works too.
		r = owner.submit(edit, edit, url.Values{"title": {"New title"}, "tags": {""}, "sensitive": nil})
		wantStatus(t, r, http.StatusSeeOther)
		if got, _ := s.ItemByPublicID(ctx, id); got.Sensitive {
			t.Error("still sensitive")
		}
		if tags, _ := s.ItemTags(ctx, item.ID); len(tags) != 0 {
			t.Errorf("tags = %q", tags)
		}

		// A draft can be edited too, and tells nobody.
		draft := seedItem(t, s, c, "Draft", "", false)
		r = owner.submit("/i/"+draft.PublicID+"/edit", "/i/"+draft.PublicID+"/edit", url.Values{"title": {"Better draft"}})
		wantStatus(t, r, http.StatusSeeOther)
		if n := countRows(t, s, `SELECT COUNT(*) FROM outbox_activities WHERE item_id = $1`, draft.ID); n != 0 {
			t.Errorf("%d activities about a draft", n)
		}
	})
}

func TestNormalizeTags(t *testing.T) {
	for in, want := range map[string][]string{
		"":                         {},
		" , ,":                     {},
		"Go":                       {"go"},
		"#Rock, #rock ,  Hip  Hop": {"rock", "hip-hop"},
		"a_b, c-d, 42":             {"a_b", "c-d", "42"},
	} {
		got, msg := normalizeTags(testCatalog(t, "en"), in)
		if msg != "" || !reflect.DeepEqual(got, want) {
			t.Errorf("normalizeTags(%q) = %q, %q; want %q", in, got, msg, want)
		}
	}
	for _, in := range []string{"a/b", "ça", "a.b", strings.Repeat("x", 41), "1,2,3,4,5,6,7,8,9,10,11"} {
		if _, msg := normalizeTags(testCatalog(t, "en"), in); msg == "" {
			t.Errorf("normalizeTags(%q) accepted", in)
		}
	}
	// Ten distinct tags are fine, repeats do not count.
	if got, msg := normalizeTags(testCatalog(t, "en"), "1,2,3,4,5,6,7,8,9,10,10,1"); msg != "" || len(got) != 10 {
		t.Errorf("ten tags: %q, %q", got, msg)
	}
}

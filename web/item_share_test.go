package web

import (
	"context"
	"html"
	"net/http"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// TestItemChaptersAndShare: a published episode's page lists its chapters
// as links that seek the player (item.js), and gives its link and the
// HTML that embeds its player, with copy buttons; a draft has no share
// section.
func TestItemChaptersAndShare(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newMediaHarness(t, s, mediaOptions{federation: true})
		owner := createUser(t, s, "maya", store.RoleCreator)
		ch := createChannel(t, s, owner, "radio", store.KindPodcast)
		ep := seedItem(t, s, ch, "Episode one", "", true)
		chapters := `{"version":"1.2.0","chapters":[{"startTime":0,"title":"Welcome"},{"startTime":750,"title":"Questions & answers"},` +
			`{"startTime":3700,"title":"Hidden","toc":false}]}`
		if err := s.UpdateItem(ctx, ep.ID, store.ItemEdit{Title: ep.Title, Episode: &store.EpisodeFields{Type: "full", Chapters: chapters}}, nil); err != nil {
			t.Fatal(err)
		}
		r := h.browser().get("/i/" + ep.PublicID)
		wantStatus(t, r, http.StatusOK)
		page := "http://" + h.host + "/i/" + ep.PublicID
		wantContains(t, r.body, `<h2 id="chapters-heading">Chapters</h2>`,
			`<a href="#t=0" data-seek="0"><span class="duration">0:00</span> Welcome</a>`,
			`<a href="#t=750" data-seek="750"><span class="duration">12:30</span> Questions &amp; answers</a>`,
			`/static/item.js?v=`, `id="share-url" type="url" value="`+page+`"`,
			`value="`+html.EscapeString(`<iframe src="`+page+`/embed" width="480" height="120"`),
			`data-copy="embed-code"`, `/static/copy.js?v=`)
		wantNotContains(t, r.body, "Hidden")

		draft := seedItem(t, s, ch, "Draft", "", false)
		b := h.browser()
		b.login("maya")
		wantNotContains(t, b.get("/i/"+draft.PublicID).body, `id="share-heading"`)
	})
}

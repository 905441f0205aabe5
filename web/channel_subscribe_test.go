package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// TestChannelSubscribeAndAudience: a podcast's page gives its feed URL,
// the common podcast apps' subscribe links built from it, and the hub's
// OPML; a video channel gets no app links. Its owner, and only its owner,
// sees what the audience did: followers, likes, boosts and comments.
func TestChannelSubscribeAndAudience(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newMediaHarness(t, s, mediaOptions{federation: true})
		owner := createUser(t, s, "maya", store.RoleCreator)
		ch := createChannel(t, s, owner, "radio", store.KindPodcast)
		ep := seedItem(t, s, ch, "Episode one", "", true)
		createChannel(t, s, owner, "clips", store.KindVideo)
		fan, err := s.UpsertRemoteActor(ctx, store.Actor{URI: "https://remote.example/users/fan", Username: "fan", Inbox: "https://remote.example/users/fan/inbox"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddReaction(ctx, "like", fan.ID, ep.ID, 0, "http://"+h.host+"/i/"+ep.PublicID, "https://remote.example/likes/1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.InsertComment(ctx, store.Comment{ItemID: ep.ID, AuthorID: fan.ID, URI: "https://remote.example/n/1",
			ContentHTML: "<p>held</p>", State: store.CommentHeld}); err != nil {
			t.Fatal(err)
		}

		feed := "http://" + h.host + "/c/radio/feed.rss"
		r := h.browser().get("/c/radio")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `value="`+feed+`"`, `href="podcast://`+h.host+`/c/radio/feed.rss"`,
			`href="https://antennapod.org/deeplink/subscribe?url=`+url.QueryEscape(feed)+`"`,
			`href="pktc://subscribe/`+h.host+`/c/radio/feed.rss"`, `href="/feeds.opml"`)
		wantNotContains(t, r.body, `id="audience-heading"`)
		if r := h.browser().get("/c/clips"); !strings.Contains(r.body, `href="/feeds.opml"`) || strings.Contains(r.body, "podcast://") {
			t.Error("a video channel's page: want the OPML link and no podcast app links")
		}

		b := h.browser()
		b.login("maya")
		r = b.get("/c/radio")
		wantContains(t, r.body, `id="audience-heading"`, "<dt>Likes</dt><dd>1</dd>", "<dt>Boosts</dt><dd>0</dd>",
			`<dt>Comments</dt><dd>0 <a href="/c/radio/comments">`)
	})
}

// TestChannelItemsPaged: a channel with more items than a page lists the
// newest first and links to the next page, which lists the rest and links
// back; none is left out (the page used to stop at 100).
func TestChannelItemsPaged(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newMediaHarness(t, s, mediaOptions{})
		owner := createUser(t, s, "maya", store.RoleCreator)
		ch := createChannel(t, s, owner, "radio", store.KindPodcast)
		var ids []string
		for i := range channelPageSize + 5 {
			ids = append(ids, seedItem(t, s, ch, fmt.Sprintf("Episode %d", i), "", true).PublicID)
		}
		count := func(body string) int { return strings.Count(body, `<li class="item-row">`) }
		first := h.browser().get("/c/radio")
		if n := count(first.body); n != channelPageSize {
			t.Fatalf("first page: %d items, want %d", n, channelPageSize)
		}
		wantContains(t, first.body, `href="/c/radio?page=2#items-heading" rel="next"`, `href="/i/`+ids[len(ids)-1]+`"`)
		wantNotContains(t, first.body, `rel="prev"`, `href="/i/`+ids[0]+`"`)
		second := h.browser().get("/c/radio?page=2")
		if n := count(second.body); n != 5 {
			t.Fatalf("second page: %d items, want 5", n)
		}
		wantContains(t, second.body, `href="/c/radio?page=1#items-heading" rel="prev"`, `href="/i/`+ids[0]+`"`)
		wantNotContains(t, second.body, `rel="next"`)

		// The JSON API pages by a hundred, linking the next page.
		for i := len(ids); i < apiItemsPageSize+3; i++ {
			ids = append(ids, seedItem(t, s, ch, fmt.Sprintf("Episode %d", i), "", true).PublicID)
		}
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			Next string `json:"next"`
		}
		r := h.browser().get("/api/channels/radio/items")
		if err := json.Unmarshal([]byte(r.body), &page); err != nil || len(page.Items) != apiItemsPageSize ||
			page.Next != "http://"+h.host+"/api/channels/radio/items?page=2" {
			t.Fatalf("API first page: %d items, next %q, %v", len(page.Items), page.Next, err)
		}
		page.Next = ""
		r = h.browser().get("/api/channels/radio/items?page=2")
		if err := json.Unmarshal([]byte(r.body), &page); err != nil || len(page.Items) != 3 || page.Items[2].ID != ids[0] || page.Next != "" {
			t.Fatalf("API second page: %+v, %v", page, err)
		}
	})
}

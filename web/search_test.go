package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// searchRemote indexes an item of the Group name@host, in review state
// review, with a thumbnail at its origin.
func searchRemote(t testing.TB, s *store.Store, host, name, title, review string) *store.Item {
	t.Helper()
	ctx := context.Background()
	a, err := s.UpsertRemoteActor(ctx, store.Actor{Kind: "Group", Username: name, URI: "https://" + host + "/c/" + name,
		Inbox: "https://" + host + "/c/" + name + "/inbox", DisplayName: "Remote " + name})
	if err != nil {
		t.Fatal(err)
	}
	in := store.IndexedItem{ViaActorID: a.ID, ReviewState: review, Files: []store.MediaFile{
		{Rendition: "thumbnail", MimeType: "image/jpeg", RemoteURL: "https://" + host + "/thumbs/" + url.PathEscape(title) + ".jpg"},
		{Rendition: "720p", MimeType: "video/mp4", RemoteURL: "https://" + host + "/v.mp4", Height: 720},
	}}
	in.ChannelActorID, in.Kind, in.Title, in.Duration = a.ID, store.ItemVideo, title, 95*time.Second
	in.OriginURI, in.OriginURL, in.PublishedAt = "https://"+host+"/videos/"+url.PathEscape(title), "https://"+host+"/w/"+url.PathEscape(title), time.Now()
	it, _, err := s.IndexRemoteItem(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func TestSearchPage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newMediaHarness(t, s, mediaOptions{})
		alice := createUser(t, s, "alice", store.RoleCreator)
		ch := createChannel(t, s, alice, "bakery", store.KindVideo)
		bread := seedItem(t, s, ch, "Bread <basics>", "Sourdough at home.", true)
		seedItem(t, s, ch, "Bread draft", "", false)
		world := searchRemote(t, s, "videos.example", "films", "Bread around the world", store.ReviewAccepted)
		searchRemote(t, s, "videos.example", "films", "Bread pending", store.ReviewPending)
		searchRemote(t, s, "quiet.example", "loud", "Bread, loudly", store.ReviewAccepted)
		if err := s.SetInstancePolicy(context.Background(), "quiet.example", store.PolicyMute); err != nil {
			t.Fatal(err)
		}
		b := h.browser()

		// Every page's header has a search form.
		home := b.get("/")
		wantContains(t, home.body, `<form role="search" method="get" action="/search" class="site-search">`,
			`<label for="site-search-q" class="visually-hidden">Search videos and episodes</label>`)

		r := b.get("/search")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "<title>Search · Archipel</title>", `<label for="search-q">Search videos and episodes</label>`,
			`<input type="search" id="search-q" name="q" value=""`, "Type a few words")
		wantNotContains(t, r.body, `role="status"`)

		r = b.get("/search?q=" + url.QueryEscape("  BREAD "))
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body,
			`value="BREAD"`, `<p class="meta" role="status">2 results for “BREAD”.</p>`,
			// The local item: its thumbnail here, its channel linked.
			`<a href="/i/`+bread.PublicID+`"><img src="`+h.srv.URL+`/media/items/`+bread.PublicID+`/1/thumbnail.jpg" alt=""`,
			`<span class="item-title">Bread &lt;basics&gt;</span>`, `<a href="/c/bakery">Bakery</a>`,
			`<span class="duration">0:02</span>`,
			// The remote one: its origin's thumbnail, its origin named.
			`<a href="/i/`+world.PublicID+`"><img src="https://videos.example/thumbs/Bread%20around%20the%20world.jpg"`,
			`Remote films <span class="origin">· from videos.example</span>`, `<span class="duration">1:35</span>`)
		wantNotContains(t, r.body, "Bread draft", "Bread pending", "loudly", "<basics>", `rel="next"`)

		// Every word must match, in the description too.
		r = b.get("/search?q=bread+sourdough")
		wantContains(t, r.body, "1 result for “bread sourdough”", bread.PublicID)
		wantNotContains(t, r.body, world.PublicID)
		r = b.get("/search?q=" + url.QueryEscape(`<script>alert(1)</script>`))
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "0 results for “&lt;script&gt;alert(1)&lt;/script&gt;”", "Nothing on this hub matches")
		wantNotContains(t, r.body, "<script>alert")

		// JSON.
		r = b.get("/api/search?q=bread")
		wantStatus(t, r, http.StatusOK)
		var res apiSearchResults
		if err := json.Unmarshal([]byte(r.body), &res); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
		if res.Total != 2 || len(res.Items) != 2 || res.Next != "" || res.PerPage != searchPageSize {
			t.Fatalf("api search = %+v", res)
		}
		byID := map[string]apiSearchItem{}
		for _, it := range res.Items {
			byID[it.ID] = it
		}
		if it := byID[bread.PublicID]; it.URL != h.srv.URL+"/i/"+bread.PublicID || it.Channel != "bakery" || it.Kind != "video" ||
			it.Thumbnail == "" || it.Origin != "" || it.DurationSeconds != 2 {
			t.Errorf("local item = %+v", it)
		}
		if it := byID[world.PublicID]; it.Origin != "https://videos.example/w/Bread%20around%20the%20world" || it.ChannelTitle != "Remote films" {
			t.Errorf("remote item = %+v", it)
		}
		r = b.get("/api/search")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `"total":0`, `"items":[]`)
	})
}

func TestSearchPages(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		alice := createUser(t, s, "alice", store.RoleCreator)
		ch := createChannel(t, s, alice, "clips", store.KindVideo)
		for i := range searchPageSize + 1 {
			seedItem(t, s, ch, fmt.Sprintf("Clip %02d", i), "", true)
		}
		b := h.browser()
		r := b.get("/search?q=clip")
		wantContains(t, r.body, "21 results for “clip”, 1–20 shown.", `<a href="/search?page=2&amp;q=clip" rel="next">Next</a>`)
		wantNotContains(t, r.body, `rel="prev"`)
		if n := strings.Count(r.body, `<li class="item-row">`); n != searchPageSize {
			t.Errorf("%d results on the first page", n)
		}
		r = b.get("/search?q=clip&page=2")
		wantContains(t, r.body, "21 results for “clip”, 21–21 shown.", `<a href="/search?q=clip" rel="prev">Previous</a>`, "Clip 00")
		wantNotContains(t, r.body, `rel="next"`)
		r = b.get("/search?q=clip&page=9")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "This page is past the last result.", `<a href="/search?q=clip">Back to the first page</a>`)
		r = b.get("/api/search?q=clip")
		wantContains(t, r.body, `"next":"`+h.srv.URL+`/api/search?page=2\u0026q=clip"`)
	})
}

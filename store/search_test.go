package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestSearchWords(t *testing.T) {
	for q, want := range map[string]string{
		"":                       "",
		"   ":                    "",
		"Bread  SOURDOUGH bread": "bread,sourdough",
		"#Recipes # ##":          "recipes,#,##",
		"100% rye_flour":         "100%,rye_flour",
		"a b c d e f g h i j":    "a,b,c,d,e,f,g,h",
	} {
		if got := strings.Join(store.SearchWords(q), ","); got != want {
			t.Errorf("SearchWords(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestSearchItems(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		owner := newUser(t, s, "alice", store.RoleCreator)
		c, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: owner.ID, Kind: store.KindVideo, Handle: "cooking", Title: "Kitchen Stories"})
		if err != nil {
			t.Fatal(err)
		}
		// local creates an item of c; finished (published or a draft)
		// unless processing.
		local := func(title, description string, tags []string, publish, processing bool) *store.Item {
			t.Helper()
			var it *store.Item
			err := s.InTx(ctx, func(tx *store.Tx) (err error) {
				it, err = tx.CreateItem(ctx, store.NewItem{ChannelID: c.ID, Kind: store.ItemVideo, Title: title,
					Description: description, PublishWhenReady: publish})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !processing {
				if _, err := s.FinishItem(ctx, it.ID, time.Second, nil, nil); err != nil {
					t.Fatal(err)
				}
			}
			if len(tags) > 0 {
				if err := s.UpdateItem(ctx, it.ID, store.ItemEdit{Title: title, Description: description, Tags: tags}, nil); err != nil {
					t.Fatal(err)
				}
			}
			return it
		}
		actors := map[string]int64{}
		remote := func(host, name, title, review string) *store.Item {
			t.Helper()
			a, err := s.UpsertRemoteActor(ctx, store.Actor{Kind: "Group", Username: name, URI: "https://" + host + "/c/" + name,
				Inbox: "https://" + host + "/c/" + name + "/inbox", DisplayName: strings.ToUpper(name)})
			if err != nil {
				t.Fatal(err)
			}
			actors[name] = a.ID
			in := store.IndexedItem{ViaActorID: a.ID, ReviewState: review}
			in.ChannelActorID, in.Kind, in.Title = a.ID, store.ItemVideo, title
			in.OriginURI, in.PublishedAt = "https://"+host+"/videos/"+strings.ReplaceAll(title, " ", "-"), time.Now()
			it, _, err := s.IndexRemoteItem(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			return it
		}

		basics := local("Bread Baking Basics", "Sourdough at home.", []string{"recipes"}, true, false)
		local("Bread draft", "", nil, false, false)
		local("Bread in the oven", "", nil, true, true) // still processing
		creme := local("Émile's Crème brûlée", "", nil, true, false)
		percent := local("100% rye_flour", "", nil, true, false)
		rye := local("1000 ryexflour", "", nil, true, false)
		world := remote("videos.example", "films", "Bread around the world", store.ReviewAccepted)
		remote("videos.example", "films", "Bread pending", store.ReviewPending)
		rejected := remote("videos.example", "films", "Bread rejected", store.ReviewPending)
		if _, err := s.DecideReview(ctx, []int64{rejected.ID}, store.ReviewRejected, 0, "test"); err != nil {
			t.Fatal(err)
		}
		muted := remote("muted.example", "loud", "Bread, loudly", store.ReviewAccepted)
		if err := s.SetInstancePolicy(ctx, "muted.example", store.PolicyMute); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		// The newest, but "bread" is only in its description: after the
		// items with it in their title.
		sandwiches := local("Sandwiches", "With fresh BREAD.", nil, true, false)

		search := func(q string, limit, offset int) ([]*store.Item, int) {
			t.Helper()
			items, total, err := s.SearchItems(ctx, q, limit, offset)
			if err != nil {
				t.Fatalf("SearchItems(%q): %v", q, err)
			}
			return items, total
		}
		titles := func(items []*store.Item) []string {
			var out []string
			for _, it := range items {
				out = append(out, it.Title)
			}
			return out
		}
		want := func(q string, want ...*store.Item) {
			t.Helper()
			items, total := search(q, 20, 0)
			got, exp := titles(items), titles(want)
			slices.Sort(got)
			slices.Sort(exp)
			if !slices.Equal(got, exp) || total != len(want) {
				t.Errorf("search %q: %d %q, want %q", q, total, got, exp)
			}
		}

		// Neither a draft, an item still processing, a pending or a
		// rejected remote item nor a muted instance's item is found.
		want("bread", basics, world, sandwiches)
		items, _ := search("bread", 20, 0)
		if len(items) != 3 || items[2].ID != sandwiches.ID {
			t.Errorf("search bread: %q, want the items with it in their title first", titles(items))
		}
		want("BREAD sourdough", basics) // every word, any case, the description
		want("bread nothing")
		want("recipes", basics) // a tag
		want("#Recipes", basics)
		want("kitchen", basics, creme, percent, rye, sandwiches) // the channel's name…
		want("cooking", basics, creme, percent, rye, sandwiches) // …and handle
		want("films", world)
		want("émile crème", creme) // beyond ASCII, on every engine
		want("ÉMILE BRÛLÉE", creme)
		// % and _ are plain characters.
		want("100%", percent)
		want("rye_flour", percent)
		want("%", percent)
		want("_", percent)
		want("   ")

		// Pages.
		page1, total := search("kitchen", 3, 0)
		page2, total2 := search("kitchen", 3, 3)
		if total != 5 || total2 != 5 || len(page1) != 3 || len(page2) != 2 ||
			len(slices.Compact(slices.Sorted(slices.Values(append(titles(page1), titles(page2)...))))) != 5 {
			t.Errorf("pages: %d %q, %d %q", total, titles(page1), total2, titles(page2))
		}
		if past, total := search("kitchen", 3, 9); len(past) != 0 || total != 5 {
			t.Errorf("past the end: %d %q", total, titles(past))
		}

		// Unmuted, the instance's item is found again.
		if err := s.SetInstancePolicy(ctx, "muted.example", store.PolicyNone); err != nil {
			t.Fatal(err)
		}
		want("loudly", muted)
		if err := s.SetActorListing(ctx, actors["loud"], store.PolicyMute); err != nil {
			t.Fatal(err)
		}
		want("loudly")
	})
}

func TestItemThumbnails(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		owner := newUser(t, s, "alice", store.RoleCreator)
		c, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: owner.ID, Kind: store.KindVideo, Handle: "clips", Title: "Clips"})
		if err != nil {
			t.Fatal(err)
		}
		a := finishedItem(t, s, c, "aaaa000000000000000000000000000000000000", true)
		var bare *store.Item
		err = s.InTx(ctx, func(tx *store.Tx) (err error) {
			bare, err = tx.CreateItem(ctx, store.NewItem{ChannelID: c.ID, Kind: store.ItemVideo, Title: "Bare"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ItemThumbnails(ctx, []int64{a.ID, bare.ID})
		if err != nil || len(got) != 1 || got[a.ID] == nil || got[a.ID].StorageKey != "items/"+a.PublicID+"/1/thumbnail.jpg" {
			t.Fatalf("ItemThumbnails = %v, %v", got, err)
		}
	})
}

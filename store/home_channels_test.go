package store_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestHomeChannelsAndCollectionCopies(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		cora := newUser(t, s, "cora", store.RoleCurator)
		films, err := s.UpsertRemoteActor(ctx, store.Actor{Kind: "Group", Username: "films", URI: "https://videos.example/c/films",
			Inbox: "https://videos.example/c/films/inbox", DisplayName: "Films"})
		if err != nil {
			t.Fatal(err)
		}
		radio, err := s.UpsertRemoteActor(ctx, store.Actor{Kind: "Person", Username: "radio", URI: "https://pods.example/@radio",
			Inbox: "https://pods.example/@radio/inbox", DisplayName: "Radio"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FeatureChannel(ctx, radio.ID, "Weekly science", cora.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.FeatureChannel(ctx, films.ID, "", cora.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.FeatureChannel(ctx, radio.ID, "Weekly science, in French", cora.ID); err != nil { // a new note, same place
			t.Fatal(err)
		}
		hc, err := s.HomeChannels(ctx)
		if err != nil || len(hc) != 2 || hc[0].Actor.URI != radio.URI || hc[0].Note != "Weekly science, in French" || hc[1].Actor.DisplayName != "Films" {
			t.Fatalf("HomeChannels = %+v, %v", hc, err)
		}
		// A muted instance's channel, and a muted actor, leave the home page.
		if err := s.SetInstancePolicy(ctx, "videos.example", store.PolicyMute); err != nil {
			t.Fatal(err)
		}
		if err := s.SetActorListing(ctx, radio.ID, store.PolicyMute); err != nil {
			t.Fatal(err)
		}
		if hc, err := s.HomeChannels(ctx); err != nil || len(hc) != 0 {
			t.Fatalf("HomeChannels with both muted = %+v, %v", hc, err)
		}
		if err := s.SetActorListing(ctx, radio.ID, store.PolicyNone); err != nil {
			t.Fatal(err)
		}
		if err := s.UnfeatureChannel(ctx, radio.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.UnfeatureChannel(ctx, radio.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unfeaturing twice: %v", err)
		}
		if hc, _ := s.HomeChannels(ctx); len(hc) != 0 {
			t.Fatalf("HomeChannels after unfeaturing = %+v", hc)
		}

		// A copy of another hub's collection takes the first free slug and
		// is found again by its source.
		if _, err := s.CreateCollection(ctx, "science", "Ours", "", false, cora.ID); err != nil {
			t.Fatal(err)
		}
		src := "https://hub-a.example/collections/science"
		c, err := s.CopyCollection(ctx, src, "science", "Science (hub-a)", "From hub-a")
		if err != nil || c.Slug != "science-2" || c.SourceURI != src {
			t.Fatalf("CopyCollection = %+v, %v", c, err)
		}
		again, err := s.CopyCollection(ctx, src, "science", "other", "")
		if err != nil || again.ID != c.ID {
			t.Fatalf("CopyCollection again = %+v, %v", again, err)
		}
		if got, err := s.CollectionBySource(ctx, src); err != nil || got.ID != c.ID || got.Title != "Science (hub-a)" {
			t.Fatalf("CollectionBySource = %+v, %v", got, err)
		}
		if _, err := s.CollectionBySource(ctx, ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("our own collections have no source: %v", err)
		}
	})
}

// TestActorBlockPurgesItsItems blocks a remote channel, then an actor that
// brought items (a booster): the channel's items go, and so do the
// booster's items still waiting for review; an item a curator accepted
// stays.
func TestActorBlockPurgesItsItems(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		actor := func(name string) *store.Actor {
			a, err := s.UpsertRemoteActor(ctx, store.Actor{Kind: "Group", Username: name, URI: "https://videos.example/c/" + name,
				Inbox: "https://videos.example/c/" + name + "/inbox", DisplayName: name})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		spam, booster, films := actor("spam"), actor("booster"), actor("films")
		index := func(channel, via *store.Actor, n, review string) *store.Item {
			in := store.IndexedItem{ViaActorID: via.ID, ReviewState: review,
				Files: []store.MediaFile{{Rendition: "720p", MimeType: "video/mp4", RemoteURL: "https://videos.example/" + n + ".mp4", Height: 720}}}
			in.ChannelActorID, in.Kind, in.Title, in.OriginURI = channel.ID, store.ItemVideo, n, "https://videos.example/videos/"+n
			in.PublishedAt = time.Now()
			it, _, err := s.IndexRemoteItem(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			return it
		}
		own := index(spam, spam, "own", store.ReviewAccepted)
		pending := index(films, booster, "pending", store.ReviewPending)
		accepted := index(films, booster, "accepted", store.ReviewAccepted)
		for _, a := range []*store.Actor{spam, booster} {
			if err := s.SetActorPolicy(ctx, a.ID, store.PolicyBlock); err != nil {
				t.Fatal(err)
			}
		}
		for _, it := range []*store.Item{own, pending} {
			if _, err := s.ItemByOriginURI(ctx, it.OriginURI); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s survived the block: %v", it.Title, err)
			}
		}
		if _, err := s.ItemByOriginURI(ctx, accepted.OriginURI); err != nil {
			t.Errorf("the accepted item went with its booster: %v", err)
		}
	})
}

// TestChannelStats counts what a channel's audience did across its items:
// likes and boosts, visible comments and those held for approval; another
// channel's are not counted.
func TestChannelStats(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := newUser(t, s, "owner", store.RoleCreator)
		channel := func(handle string) (*store.Channel, *store.Item) {
			ch, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: u.ID, Kind: store.KindPodcast, Handle: handle, Title: handle})
			if err != nil {
				t.Fatal(err)
			}
			var it *store.Item
			if err := s.InTx(ctx, func(tx *store.Tx) (err error) {
				it, err = tx.CreateItem(ctx, store.NewItem{ChannelID: ch.ID, Kind: store.ItemEpisode, Title: "One"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ch, it
		}
		talks, ep := channel("talks")
		_, other := channel("other")
		fan, err := s.UpsertRemoteActor(ctx, store.Actor{URI: "https://remote.example/users/fan", Username: "fan", Inbox: "https://remote.example/users/fan/inbox"})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range []struct {
			kind string
			item *store.Item
		}{{"like", ep}, {"share", ep}, {"like", other}} {
			uri := "https://hub.example/i/" + r.item.PublicID
			if err := s.AddReaction(ctx, r.kind, fan.ID, r.item.ID, 0, uri, "https://remote.example/acts/"+strconv.Itoa(i)); err != nil {
				t.Fatal(err)
			}
		}
		for i, state := range []string{store.CommentVisible, store.CommentVisible, store.CommentHeld} {
			if _, err := s.InsertComment(ctx, store.Comment{ItemID: ep.ID, AuthorID: fan.ID, URI: "https://remote.example/n/" + strconv.Itoa(i),
				ContentHTML: "<p>hi</p>", State: state}); err != nil {
				t.Fatal(err)
			}
		}
		st, err := s.ChannelStatsOf(ctx, talks.ID)
		if err != nil || st != (store.ChannelStats{Items: 1, Likes: 1, Boosts: 1, Comments: 2, Held: 1}) {
			t.Fatalf("ChannelStatsOf = %+v, %v", st, err)
		}
	})
}

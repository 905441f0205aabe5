package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestCuratedFollowsAndReview(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		curator := newUser(t, s, "cora", store.RoleCurator)
		inst, err := s.EnsureLocalActor(ctx, store.ActorApplication, "archipel", "hub.test")
		if err != nil {
			t.Fatal(err)
		}
		group, err := s.UpsertRemoteActor(ctx, store.Actor{Kind: "Group", Username: "films", URI: "https://videos.example/c/films",
			Inbox: "https://videos.example/c/films/inbox", DisplayName: "Films"})
		if err != nil {
			t.Fatal(err)
		}
		set := store.FollowSettings{Review: true, Languages: []string{"fr", "en"}, Tags: []string{"science"}, MinDuration: 90 * time.Second}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.PutCuratedFollow(ctx, inst.ID, group.ID, "https://hub.test/activities/1", "@films@videos.example", set, curator.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		f, err := s.CuratedFollowOf(ctx, group.ID)
		if err != nil || f.State != store.FollowPending || f.Target != "@films@videos.example" || f.CreatedBy != "cora" ||
			!f.Settings.Review || len(f.Settings.Languages) != 2 || f.Settings.Tags[0] != "science" || f.Settings.MinDuration != 90*time.Second {
			t.Fatalf("CuratedFollowOf = %+v, %v", f, err)
		}
		if acc, _ := s.AcceptedCuratedFollows(ctx); len(acc) != 0 {
			t.Fatalf("a pending follow counts as accepted: %+v", acc)
		}
		if err := s.SetFollowState(ctx, f.FollowID, store.FollowAccepted); err != nil {
			t.Fatal(err)
		}
		if acc, _ := s.AcceptedCuratedFollows(ctx); len(acc) != 1 || acc[0].Actor.URI != group.URI {
			t.Fatalf("AcceptedCuratedFollows = %+v", acc)
		}

		in := store.IndexedItem{ViaActorID: group.ID, ReviewState: store.ReviewPending, Language: "fr", Tags: []string{"science"},
			Files: []store.MediaFile{{Rendition: "720p", MimeType: "video/mp4", RemoteURL: "https://videos.example/v.mp4", Height: 720,
				TorrentURL: "https://videos.example/v.torrent", MagnetURI: "magnet:?xt=urn:btih:00"}}}
		in.ChannelActorID, in.Kind, in.Title, in.OriginURI = group.ID, store.ItemVideo, "Seaside", "https://videos.example/videos/1"
		in.PublishedAt = time.Now()
		item, created, err := s.IndexRemoteItem(ctx, in)
		if err != nil || !created || item.ReviewState != store.ReviewPending || item.ChannelTitle != "Films" {
			t.Fatalf("IndexRemoteItem = %+v, %v, %v", item, created, err)
		}
		if q, _ := s.ReviewQueue(ctx, 10, 0); len(q) != 1 || q[0].ID != item.ID {
			t.Fatalf("ReviewQueue = %+v", q)
		}
		if recent, _ := s.RecentItems(ctx, 10, 0); len(recent) != 0 {
			t.Fatal("a pending item is listed")
		}
		// An update keeps the review state and replaces the files.
		in.Title, in.ReviewState = "Seaside, edited", store.ReviewAccepted
		in.Files[0].RemoteURL = "https://videos.example/v2.mp4"
		item, created, err = s.IndexRemoteItem(ctx, in)
		if err != nil || created || item.Title != "Seaside, edited" || item.ReviewState != store.ReviewPending {
			t.Fatalf("re-index = %+v, %v, %v", item, created, err)
		}
		files, _ := s.MediaFiles(ctx, item.ID)
		if len(files) != 1 || files[0].RemoteURL != "https://videos.example/v2.mp4" || files[0].TorrentURL != "https://videos.example/v.torrent" {
			t.Fatalf("files = %+v", files)
		}

		changed, err := s.DecideReview(ctx, []int64{item.ID}, store.ReviewAccepted, curator.ID, "cora")
		if err != nil || len(changed) != 1 {
			t.Fatalf("DecideReview = %v, %v", changed, err)
		}
		if again, _ := s.DecideReview(ctx, []int64{item.ID}, store.ReviewRejected, curator.ID, "cora"); len(again) != 0 {
			t.Fatal("a decided item was decided again")
		}
		log, _ := s.ReviewDecisions(ctx, 10)
		if len(log) != 1 || log[0].Decision != store.ReviewAccepted || log[0].DecidedBy != "cora" || log[0].ItemID != item.ID {
			t.Fatalf("ReviewDecisions = %+v", log)
		}
		if n, _ := s.CountReviewQueue(ctx); n != 0 {
			t.Fatalf("%d still waiting", n)
		}
		if recent, _ := s.RecentItems(ctx, 10, 0); len(recent) != 1 || recent[0].ID != item.ID {
			t.Fatalf("RecentItems = %+v", recent)
		}
		// Muting its instance keeps it out of listings; the item stays.
		if err := s.SetInstancePolicy(ctx, "videos.example", store.PolicyMute); err != nil {
			t.Fatal(err)
		}
		if recent, _ := s.RecentItems(ctx, 10, 0); len(recent) != 0 {
			t.Fatal("a muted instance's item is listed")
		}
		if _, err := s.ItemByID(ctx, item.ID); err != nil {
			t.Fatalf("muting removed the item: %v", err)
		}
		if err := s.SetInstancePolicy(ctx, "videos.example", store.PolicyLimit); err != nil {
			t.Fatal(err)
		}
		if recent, _ := s.RecentItems(ctx, 10, 0); len(recent) != 0 {
			t.Fatal("a limited instance's item is listed")
		}
		if err := s.SetInstancePolicy(ctx, "videos.example", store.PolicyNone); err != nil {
			t.Fatal(err)
		}
		if recent, _ := s.RecentItems(ctx, 10, 0); len(recent) != 1 {
			t.Fatal("lifting the limit does not list the item again")
		}
		// The same for the channel's actor alone.
		for _, listing := range []string{store.PolicyMute, store.PolicyLimit} {
			if err := s.SetActorListing(ctx, group.ID, listing); err != nil {
				t.Fatal(err)
			}
			if recent, _ := s.RecentItems(ctx, 10, 0); len(recent) != 0 {
				t.Fatalf("an actor's item is listed though the actor is %s", listing)
			}
		}
		if limited, _ := s.ActorLimited(ctx, "https://other.example/x", group.URI); !limited {
			t.Fatal("ActorLimited misses the limited actor")
		}
		if err := s.SetActorListing(ctx, group.ID, "hide"); err == nil {
			t.Fatal("an unknown listing was accepted")
		}
		if err := s.SetActorListing(ctx, group.ID, store.PolicyNone); err != nil {
			t.Fatal(err)
		}
		if recent, _ := s.RecentItems(ctx, 10, 0); len(recent) != 1 {
			t.Fatal("lifting the actor's mute does not list the item again")
		}
		// The origin deletes it: gone; the decision log keeps its line.
		if ok, err := s.DeleteRemoteItem(ctx, in.OriginURI); !ok || err != nil {
			t.Fatalf("DeleteRemoteItem = %v, %v", ok, err)
		}
		if _, err := s.ItemByID(ctx, item.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted item: %v", err)
		}
		if log, _ := s.ReviewDecisions(ctx, 10); len(log) != 1 || log[0].ItemID != 0 || log[0].Title != "Seaside, edited" {
			t.Fatalf("log after delete = %+v", log)
		}
	})
}

func TestCollections(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		owner := newUser(t, s, "alice", store.RoleCreator)
		c, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: owner.ID, Kind: store.KindVideo, Handle: "clips", Title: "Clips"})
		if err != nil {
			t.Fatal(err)
		}
		a := finishedItem(t, s, c, "aaaa000000000000000000000000000000000000", true)
		b := finishedItem(t, s, c, "bbbb000000000000000000000000000000000000", true)
		draft := finishedItem(t, s, c, "cccc000000000000000000000000000000000000", false)
		coll, err := s.CreateCollection(ctx, "picks", "Picks", "The best", true, owner.ID)
		if err != nil || coll.Slug != "picks" || !coll.Featured || coll.CreatedBy != "alice" {
			t.Fatalf("CreateCollection = %+v, %v", coll, err)
		}
		if _, err := s.CreateCollection(ctx, "picks", "Again", "", false, 0); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("a taken slug: %v", err)
		}
		for _, it := range []*store.Item{a, b, draft} {
			if err := s.AddToCollection(ctx, coll.ID, it.ID, "note "+it.Title); err != nil {
				t.Fatal(err)
			}
		}
		order := func(all bool) string {
			es, err := s.CollectionEntries(ctx, coll.ID, all)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range es {
				out = append(out, e.Item.Title[len(e.Item.Title)-4:])
			}
			return strings.Join(out, ",")
		}
		if got := order(false); got != "aaaa,bbbb" {
			t.Fatalf("visible entries %s (a draft is not shown)", got)
		}
		if got := order(true); got != "aaaa,bbbb,cccc" {
			t.Fatalf("all entries %s", got)
		}
		if err := s.MoveInCollection(ctx, coll.ID, b.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := s.MoveInCollection(ctx, coll.ID, b.ID, true); err != nil { // already first: nothing
			t.Fatal(err)
		}
		if got := order(true); got != "bbbb,aaaa,cccc" {
			t.Fatalf("after moving up: %s", got)
		}
		if err := s.RemoveFromCollection(ctx, coll.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveFromCollection(ctx, coll.ID, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("removing twice: %v", err)
		}
		if _, err := s.DeleteItem(ctx, b.ID, nil); err != nil {
			t.Fatal(err)
		}
		got, _ := s.CollectionBySlug(ctx, "picks")
		if got == nil || got.Count != 0 || order(true) != "cccc" {
			t.Fatalf("after deletions: %+v, %s", got, order(true))
		}
		if fs, _ := s.Collections(ctx, true); len(fs) != 1 {
			t.Fatalf("featured = %+v", fs)
		}
	})
}

func TestAllowlistMode(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		refused := func(host string) bool {
			b, err := s.SenderBlocked(ctx, host, "https://"+host+"/users/x")
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		if mode, _ := s.FederationMode(ctx); mode != store.FederationOpen || refused("a.example") {
			t.Fatalf("a new hub is open: mode %q", mode)
		}
		if err := s.SetFederationMode(ctx, "closed"); err == nil {
			t.Fatal("an unknown mode was accepted")
		}
		if err := s.SetFederationMode(ctx, store.FederationAllowlist); err != nil {
			t.Fatal(err)
		}
		if !refused("a.example") {
			t.Fatal("allowlist mode lets an unapproved instance in")
		}
		if err := s.SetInstancePolicy(ctx, "a.example", store.PolicyAllow); err != nil {
			t.Fatal(err)
		}
		if refused("a.example") || !refused("b.example") {
			t.Fatal("allowlist mode: the allowed instance is refused, or another one let in")
		}
		if err := s.SetFederationMode(ctx, store.FederationOpen); err != nil {
			t.Fatal(err)
		}
		if refused("b.example") {
			t.Fatal("open mode still refuses an unapproved instance")
		}
	})
}

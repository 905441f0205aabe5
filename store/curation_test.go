package store_test

import (
	"context"
	"errors"
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

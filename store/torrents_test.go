package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// finishedItem creates an item of channel c whose transcoding finished:
// a 360p video with a torrent (infohash ih), an audio rendition without
// one, and a thumbnail; published when publish.
func finishedItem(t *testing.T, s *store.Store, c *store.Channel, ih string, publish bool) *store.Item {
	t.Helper()
	ctx := context.Background()
	var item *store.Item
	err := s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		item, err = tx.CreateItem(ctx, store.NewItem{ChannelID: c.ID, Kind: store.ItemVideo, Title: "Clip " + ih[:4], PublishWhenReady: publish})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	key := func(n string) string { return "items/" + item.PublicID + "/1/" + n }
	_, err = s.FinishItem(ctx, item.ID, time.Second, []store.MediaFile{
		{Rendition: "360p", MimeType: "video/mp4", Size: 5000, StorageKey: key("360p.mp4"), Height: 360,
			Torrent: &store.Torrent{InfoHash: ih, PieceLength: 256 << 10, Info: []byte("d4:name8:360p.mp4e")}},
		{Rendition: "audio", MimeType: "audio/mp4", Size: 900, StorageKey: key("audio.m4a")},
		{Rendition: "thumbnail", MimeType: "image/jpeg", Size: 100, StorageKey: key("thumbnail.jpg")},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	item, _ = s.ItemByID(ctx, item.ID)
	return item
}

func TestTorrents(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		owner := newUser(t, s, "alice", store.RoleCreator)
		c, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: owner.ID, Kind: store.KindVideo, Handle: "clips", Title: "Clips"})
		if err != nil {
			t.Fatal(err)
		}
		hash := func(i int) string { return fmt.Sprintf("%040x", i) }
		older := finishedItem(t, s, c, hash(1), true)
		time.Sleep(10 * time.Millisecond) // published_at orders them
		newer := finishedItem(t, s, c, hash(2), true)
		draft := finishedItem(t, s, c, hash(3), false)

		// Recorded with its file, in the same transaction.
		got, err := s.ItemTorrents(ctx, older.ID)
		if err != nil || len(got) != 1 || got[0].InfoHash != hash(1) || got[0].PieceLength != 256<<10 ||
			string(got[0].Info) != "d4:name8:360p.mp4e" || got[0].ItemID != older.ID {
			t.Fatalf("ItemTorrents = %+v, %v", got, err)
		}
		tor, f, err := s.PublishedTorrent(ctx, hash(2))
		if err != nil || tor.ItemID != newer.ID || f.Rendition != "360p" || f.ID != tor.MediaFileID {
			t.Fatalf("PublishedTorrent = %+v, %+v, %v", tor, f, err)
		}
		// A draft's torrent is not served, nor an unknown one.
		for _, ih := range []string{hash(3), hash(9)} {
			if _, _, err := s.PublishedTorrent(ctx, ih); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("PublishedTorrent(%s) = %v, want ErrNotFound", ih, err)
			}
		}

		// The seeder's list: published only, newest first, bounded.
		seeds, err := s.SeedFiles(ctx, 10)
		if err != nil || len(seeds) != 2 || seeds[0].InfoHash != hash(2) || seeds[1].InfoHash != hash(1) ||
			seeds[0].StorageKey == "" || seeds[0].Size != 5000 {
			t.Fatalf("SeedFiles = %+v, %v", seeds, err)
		}
		if seeds, _ = s.SeedFiles(ctx, 1); len(seeds) != 1 || seeds[0].InfoHash != hash(2) {
			t.Fatalf("SeedFiles(1) = %+v", seeds)
		}

		// The sweep's list: stored video and audio without a torrent (not
		// thumbnails), of drafts and published items.
		missing, err := s.FilesWithoutTorrent(ctx, 0, 100)
		if err != nil || len(missing) != 3 {
			t.Fatalf("FilesWithoutTorrent = %d files, %v", len(missing), err)
		}
		for _, m := range missing {
			if m.Rendition != "audio" {
				t.Fatalf("FilesWithoutTorrent lists %s", m.Rendition)
			}
		}
		missing, _ = s.FilesWithoutTorrent(ctx, draft.ID, 100)
		if len(missing) != 1 || missing[0].ItemID != draft.ID {
			t.Fatalf("FilesWithoutTorrent(draft) = %+v", missing)
		}
		before, _ := s.ItemByID(ctx, draft.ID)
		time.Sleep(10 * time.Millisecond)
		put := store.Torrent{MediaFileID: missing[0].ID, ItemID: draft.ID, InfoHash: hash(4), PieceLength: 256 << 10, Info: []byte("d4:name9:audio.m4ae")}
		if err := s.PutTorrent(ctx, put); err != nil {
			t.Fatal(err)
		}
		after, _ := s.ItemByID(ctx, draft.ID)
		if !after.UpdatedAt.After(before.UpdatedAt) {
			t.Fatal("a new torrent does not count as a change of its item (cached feeds would miss it)")
		}
		// Recording it again keeps the first one.
		put.InfoHash = hash(5)
		if err := s.PutTorrent(ctx, put); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ItemTorrents(ctx, draft.ID); len(got) != 2 || got[1].InfoHash != hash(4) {
			t.Fatalf("after a second PutTorrent: %+v", got)
		}
		if missing, _ = s.FilesWithoutTorrent(ctx, draft.ID, 100); len(missing) != 0 {
			t.Fatalf("still missing: %+v", missing)
		}

		// Deleting the item deletes its torrents.
		if _, err := s.DeleteItem(ctx, newer.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.PublishedTorrent(ctx, hash(2)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("torrent of a deleted item: %v", err)
		}
		if seeds, _ = s.SeedFiles(ctx, 10); len(seeds) != 1 || seeds[0].InfoHash != hash(1) {
			t.Fatalf("SeedFiles after delete = %+v", seeds)
		}
	})
}

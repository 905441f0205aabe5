package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// A drained batch of replies is stored with one statement: replies to the
// item and to a comment (which take its thread and depth), lists of every
// length (padded), a URI already known or repeated in the batch skipped;
// and the batch lookups find what the single ones find.
func TestBatchedCommentsAndLookups(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u, err := s.CreateUser(ctx, store.NewUser{Username: "owner", Email: "owner@example.org", Role: "admin", PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		ch, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: u.ID, Kind: store.KindVideo, Handle: "news", Title: "News"})
		if err != nil {
			t.Fatal(err)
		}
		var item *store.Item
		if err := s.InTx(ctx, func(tx *store.Tx) (err error) {
			item, err = tx.CreateItem(ctx, store.NewItem{ChannelID: ch.ID, Kind: store.ItemVideo, Title: "One"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var authors []*store.Actor
		var uris []string
		for i := range 3 {
			uri := fmt.Sprintf("https://remote.example/users/u%d", i)
			a, err := s.UpsertRemoteActor(ctx, store.Actor{URI: uri, Username: fmt.Sprintf("u%d", i), Inbox: uri + "/inbox"})
			if err != nil {
				t.Fatal(err)
			}
			authors = append(authors, a)
			uris = append(uris, uri)
		}
		found, err := s.RemoteActorsByURI(ctx, append(uris, "https://remote.example/users/nobody"))
		if err != nil || len(found) != 3 {
			t.Fatalf("RemoteActorsByURI: %d found, %v; want 3", len(found), err)
		}
		for _, a := range authors {
			if f := found[a.URI]; f == nil || f.ID != a.ID || f.Inbox != a.Inbox {
				t.Fatalf("RemoteActorsByURI[%s] = %+v, want %+v", a.URI, f, a)
			}
		}

		top, err := s.InsertComment(ctx, store.Comment{ItemID: item.ID, AuthorID: authors[0].ID, URI: "https://remote.example/n/top",
			ContentHTML: "<p>top</p>", State: store.CommentVisible})
		if err != nil {
			t.Fatal(err)
		}
		// Sizes around the padding steps, and past one statement's rows.
		next := 0
		for _, n := range []int{1, 7, 8, 9, 600} {
			var batch []store.Comment
			for range n {
				c := store.Comment{ItemID: item.ID, AuthorID: authors[next%3].ID, URI: fmt.Sprintf("https://remote.example/n/%d", next),
					ContentHTML: "<p>reply</p>", State: store.CommentVisible}
				if next%2 == 1 {
					c.ParentID = top.ID
				}
				batch = append(batch, c)
				next++
			}
			batch = append(batch, batch[0]) // twice in the batch
			batch = append(batch, store.Comment{ItemID: item.ID, AuthorID: authors[0].ID, URI: top.URI, State: store.CommentVisible})
			var added int
			if err := s.InTx(ctx, func(tx *store.Tx) (err error) {
				added, err = tx.AddComments(ctx, batch)
				return err
			}); err != nil || added != n {
				t.Fatalf("AddComments of %d new: %d added, %v", n, added, err)
			}
		}
		if got, err := s.CountVisibleComments(ctx, item.ID); err != nil || got != next+1 {
			t.Fatalf("%d visible comments, %v; want %d", got, err, next+1)
		}
		for _, i := range []int{0, 1, next - 1} {
			c, err := s.CommentByURI(ctx, fmt.Sprintf("https://remote.example/n/%d", i))
			if err != nil {
				t.Fatal(err)
			}
			wantParent, wantRoot, wantDepth := int64(0), int64(0), 0
			if i%2 == 1 {
				wantParent, wantRoot, wantDepth = top.ID, top.ID, 1
			}
			if c.ParentID != wantParent || c.RootID != wantRoot || c.Depth != wantDepth || c.AuthorID != authors[i%3].ID || c.PublishedAt.IsZero() {
				t.Fatalf("comment %d: parent %d root %d depth %d author %d; want %d %d %d %d", i, c.ParentID, c.RootID, c.Depth, c.AuthorID,
					wantParent, wantRoot, wantDepth, authors[i%3].ID)
			}
		}
		// A reply to a reply goes one deeper, in the same thread.
		mid, err := s.CommentByURI(ctx, "https://remote.example/n/1")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.AddComments(ctx, []store.Comment{{ItemID: item.ID, ParentID: mid.ID, AuthorID: authors[1].ID,
				URI: "https://remote.example/n/deep", State: store.CommentVisible}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if deep, err := s.CommentByURI(ctx, "https://remote.example/n/deep"); err != nil || deep.RootID != top.ID || deep.Depth != 2 {
			t.Fatalf("reply to a reply: %+v, %v; want root %d, depth 2", deep, err, top.ID)
		}
		// A parent that is gone fails the batch (it is drained again).
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.AddComments(ctx, []store.Comment{{ItemID: item.ID, ParentID: 1 << 40, AuthorID: authors[1].ID,
				URI: "https://remote.example/n/orphan", State: store.CommentVisible}})
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("reply to a missing parent: %v, want ErrNotFound", err)
		}

		ask := []string{top.URI, "https://remote.example/n/599", "https://remote.example/n/unknown"}
		for i := range 700 {
			ask = append(ask, fmt.Sprintf("https://remote.example/n/%d", i))
		}
		known, err := s.KnownCommentURIs(ctx, ask)
		if err != nil {
			t.Fatal(err)
		}
		if len(known) != next+1 || !known[top.URI] || known["https://remote.example/n/unknown"] || !known["https://remote.example/n/616"] {
			t.Fatalf("KnownCommentURIs: %d known, want %d", len(known), next+1)
		}
	})
}

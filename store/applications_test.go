package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func newApplication(email, username, handle, token string) store.NewApplication {
	return store.NewApplication{Name: "Ada", Email: email, Username: username, ChannelHandle: handle,
		ChannelTitle: "Ada's talks", ChannelKind: store.KindPodcast, Motivation: "I talk about engines.",
		Links: []string{"https://ada.example/", "https://ada.example/feed.rss"}, TokenHash: token}
}

func TestApplicationApproveCreatesUserAndChannel(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		curator := newUser(t, s, "carol", store.RoleCurator)
		a, err := s.CreateApplication(ctx, newApplication("ada@example.org", "ada", "ada_talks", "t1"))
		if err != nil {
			t.Fatal(err)
		}
		if a.State != store.ApplicationPending || !slices.Equal(a.Links, []string{"https://ada.example/", "https://ada.example/feed.rss"}) {
			t.Fatalf("created %+v", a)
		}
		// One pending application per address.
		if _, err := s.CreateApplication(ctx, newApplication("ada@example.org", "ada2", "ada2", "t2")); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second pending application: %v, want ErrConflict", err)
		}
		if st, err := s.OpenApplicationState(ctx, "ada@example.org"); err != nil || st != store.ApplicationPending {
			t.Fatalf("open state %q, %v", st, err)
		}
		if n, err := s.CountPendingApplications(ctx); err != nil || n != 1 {
			t.Fatalf("pending %d, %v", n, err)
		}
		got, err := s.ApplicationByToken(ctx, "t1")
		if err != nil || got.ID != a.ID {
			t.Fatalf("by token: %+v, %v", got, err)
		}

		d := store.Decision{By: curator.Username, ByUserID: curator.ID, Message: "Welcome!"}
		approved, err := s.ApproveApplication(ctx, a.ID, d,
			store.NewUser{Username: "ada", Email: "ada@example.org", Role: store.RoleCreator, PasswordHash: "x"},
			store.NewChannel{Handle: "ada_talks", Kind: store.KindPodcast, Title: "Ada's talks"})
		if err != nil {
			t.Fatal(err)
		}
		if approved.State != store.ApplicationApproved || approved.DecidedBy != "carol" || approved.DecidedByUser != curator.ID ||
			approved.DecidedAt == nil || approved.Message != "Welcome!" || approved.UserID == 0 || approved.ChannelID == 0 {
			t.Fatalf("approved %+v", approved)
		}
		u, err := s.UserByID(ctx, approved.UserID)
		if err != nil || u.Username != "ada" || u.Role != store.RoleCreator {
			t.Fatalf("user %+v, %v", u, err)
		}
		c, err := s.LocalChannel(ctx, "ada_talks")
		if err != nil || c.OwnerID != u.ID || c.ID != approved.ChannelID {
			t.Fatalf("channel %+v, %v", c, err)
		}
		if _, err := s.DeclineApplication(ctx, a.ID, d); !errors.Is(err, store.ErrAlreadyDecided) {
			t.Fatalf("decline after approval: %v, want ErrAlreadyDecided", err)
		}
		if _, err := s.DeclineApplication(ctx, 9999, d); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("decline unknown: %v, want ErrNotFound", err)
		}

		// The password is set once.
		if err := s.SetApplicationPassword(ctx, a.ID, "h1"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetApplicationPassword(ctx, a.ID, "h2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second password: %v, want ErrNotFound", err)
		}
		if u, _ := s.UserByID(ctx, approved.UserID); u.PasswordHash != "h1" {
			t.Fatalf("password hash %q", u.PasswordHash)
		}
		// An approved address cannot apply again; it can once declined.
		if st, _ := s.OpenApplicationState(ctx, "ada@example.org"); st != store.ApplicationApproved {
			t.Fatalf("open state %q, want approved", st)
		}
	})
}

func TestApplicationApproveConflictChangesNothing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		newUser(t, s, "taken", store.RoleCreator)
		for _, tc := range []struct{ username, handle, field string }{
			{"taken", "free_channel", "username"},
			{"free_user", "taken", "channel_handle"},
		} {
			a, err := s.CreateApplication(ctx, newApplication(tc.field+"@example.org", tc.username, tc.handle, "tok-"+tc.field))
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.ApproveApplication(ctx, a.ID, store.Decision{By: "command line"},
				store.NewUser{Username: tc.username, Role: store.RoleCreator, PasswordHash: "x"},
				store.NewChannel{Handle: tc.handle, Kind: store.KindVideo, Title: "t"})
			var taken *store.HandleTakenError
			if !errors.As(err, &taken) || taken.Field != tc.field || !errors.Is(err, store.ErrConflict) {
				t.Fatalf("approve with %s taken: %v", tc.field, err)
			}
			got, _ := s.ApplicationByID(ctx, a.ID)
			if got.State != store.ApplicationPending || got.UserID != 0 {
				t.Fatalf("after a failed approval: %+v", got)
			}
			for _, h := range []string{"free_user", "free_channel"} {
				if taken, _ := s.LocalHandleTaken(ctx, h); taken {
					t.Fatalf("%s was created by a failed approval", h)
				}
			}
			// Declining works, and frees the address for a new application.
			if _, err := s.DeclineApplication(ctx, a.ID, store.Decision{By: "carol", Message: "pick another name"}); err != nil {
				t.Fatal(err)
			}
			if st, _ := s.OpenApplicationState(ctx, tc.field+"@example.org"); st != "" {
				t.Fatalf("open state after decline %q", st)
			}
		}
		list, err := s.ListApplications(ctx, 10)
		if err != nil || len(list) != 2 || list[0].State != store.ApplicationDeclined {
			t.Fatalf("list: %d, %v", len(list), err)
		}
	})
}

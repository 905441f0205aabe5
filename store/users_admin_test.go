package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestChangeUserRoleKeepsAnAdmin(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		newUser(t, s, "alice", store.RoleAdmin)
		newUser(t, s, "bob", store.RoleCreator)
		role := func(name string) string {
			u, err := s.UserByUsername(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			return u.Role
		}
		if err := s.ChangeUserRole(ctx, "alice", store.RoleCurator); !errors.Is(err, store.ErrLastAdmin) || role("alice") != store.RoleAdmin {
			t.Fatalf("demoting the last admin: %v, role %s", err, role("alice"))
		}
		if err := s.ChangeUserRole(ctx, "nobody", store.RoleCurator); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a missing user: %v", err)
		}
		if err := s.ChangeUserRole(ctx, "alice", store.RoleAdmin); err != nil {
			t.Fatalf("keeping the role: %v", err)
		}
		if err := s.ChangeUserRole(ctx, "bob", store.RoleAdmin); err != nil || role("bob") != store.RoleAdmin {
			t.Fatalf("promoting: %v", err)
		}
		// With another admin, one may go; then the other is the last.
		if err := s.ChangeUserRole(ctx, "alice", store.RoleCreator); err != nil || role("alice") != store.RoleCreator {
			t.Fatalf("demoting one of two admins: %v", err)
		}
		if err := s.ChangeUserRole(ctx, "bob", store.RoleCurator); !errors.Is(err, store.ErrLastAdmin) {
			t.Fatalf("demoting the new last admin: %v", err)
		}
		// A disabled admin does not count.
		if err := s.ChangeUserRole(ctx, "alice", store.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUserDisabled(ctx, "alice", true); err != nil {
			t.Fatal(err)
		}
		if err := s.ChangeUserRole(ctx, "bob", store.RoleCurator); !errors.Is(err, store.ErrLastAdmin) {
			t.Fatalf("demoting the last enabled admin: %v", err)
		}
		if err := s.ChangeUserRole(ctx, "alice", store.RoleCreator); err != nil {
			t.Fatalf("demoting a disabled admin: %v", err)
		}
	})
}

func TestSetUserDisabled(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		newUser(t, s, "alice", store.RoleAdmin)
		bob := newUser(t, s, "bob", store.RoleCreator)
		if _, err := s.CreateSession(ctx, "bob-session", bob.ID, "ua", time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUserDisabled(ctx, "alice", true); !errors.Is(err, store.ErrLastAdmin) {
			t.Fatalf("disabling the last admin: %v", err)
		}
		if err := s.SetUserDisabled(ctx, "nobody", true); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a missing user: %v", err)
		}
		if err := s.SetUserDisabled(ctx, "bob", true); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.UserByUsername(ctx, "bob"); !u.Disabled {
			t.Fatal("bob is not disabled")
		}
		if _, err := s.SessionUser(ctx, "bob-session"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a disabled user's session: %v", err)
		}
		if err := s.SetUserDisabled(ctx, "bob", true); err != nil {
			t.Fatalf("disabling twice: %v", err)
		}
		if err := s.SetUserDisabled(ctx, "bob", false); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.UserByUsername(ctx, "bob"); u.Disabled {
			t.Fatal("bob is still disabled")
		}
	})
}

func TestAbout(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if a, err := s.About(ctx); err != nil || a != (store.About{}) {
			t.Fatalf("a new hub's About = %+v, %v", a, err)
		}
		want := store.About{Name: "Les Îles", Description: "Videos from the islands.", Rules: "Be kind.\nNo spam.", Contact: "admin@islands.example"}
		if err := s.SetAbout(ctx, want); err != nil {
			t.Fatal(err)
		}
		if a, err := s.About(ctx); err != nil || a != want {
			t.Fatalf("About = %+v, %v", a, err)
		}
		want.Name, want.Rules = "", ""
		if err := s.SetAbout(ctx, want); err != nil {
			t.Fatal(err)
		}
		if a, _ := s.About(ctx); a != want {
			t.Fatalf("About after clearing = %+v", a)
		}
	})
}

func TestAdminsDemotingEachOtherKeepOne(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for round := range 5 {
			newUser(t, s, fmt.Sprintf("a%d", round), store.RoleAdmin)
			newUser(t, s, fmt.Sprintf("b%d", round), store.RoleAdmin)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, name := range []string{fmt.Sprintf("a%d", round), fmt.Sprintf("b%d", round)} {
				wg.Go(func() { errs[i] = s.ChangeUserRole(ctx, name, store.RoleCreator) })
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil && !errors.Is(err, store.ErrLastAdmin) {
					t.Fatal(err)
				}
			}
			if n, _ := s.CountUsersWithRole(ctx, store.RoleAdmin); n != 1 {
				t.Fatalf("round %d: %d admins left (%v)", round, n, errs)
			}
			// The survivor steps down for the next round's pair.
			users, _ := s.ListUsers(ctx)
			for _, u := range users {
				if u.Role == store.RoleAdmin {
					if err := s.SetUserRole(ctx, u.Username, store.RoleCreator); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	})
}

package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestMigrateTwiceIsHarmless(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		all, err := store.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil || v != len(all) {
			t.Fatalf("after migrate: version %d, %v; want %d", v, err, len(all))
		}
		applied, err := s.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %d, err %v; want 0, nil", len(applied), err)
		}
	})
}

func TestConcurrentMigratorsApplyEachMigrationOnce(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			url := storetest.URL(t, e)
			var wg sync.WaitGroup
			counts := make([]int, 3)
			errs := make([]error, 3)
			for i := range counts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s, err := store.Open(ctx, url)
					if err != nil {
						errs[i] = err
						return
					}
					defer s.Close()
					applied, err := s.Migrate(ctx)
					counts[i], errs[i] = len(applied), err
				}()
			}
			wg.Wait()
			total := 0
			for i := range counts {
				if errs[i] != nil {
					t.Fatalf("migrator %d: %v", i, errs[i])
				}
				total += counts[i]
			}
			all, _ := store.Migrations()
			if total != len(all) {
				t.Fatalf("migrations applied %d times in all, want %d", total, len(all))
			}
		})
	}
}

func newUser(t *testing.T, s *store.Store, name, role string) *store.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), store.NewUser{Username: name, Role: role, PasswordHash: "x"})
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

func TestUsers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		alice := newUser(t, s, "alice", store.RoleAdmin)
		newUser(t, s, "bob", store.RoleCreator)
		if _, err := s.CreateUser(ctx, store.NewUser{Username: "alice", Role: store.RoleCreator, PasswordHash: "x"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate username: got %v, want ErrConflict", err)
		}
		got, err := s.UserByUsername(ctx, "alice")
		if err != nil || got.ID != alice.ID || got.Role != store.RoleAdmin || got.CreatedAt.IsZero() {
			t.Fatalf("UserByUsername = %+v, %v", got, err)
		}
		if _, err := s.UserByUsername(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing user: got %v, want ErrNotFound", err)
		}
		if err := s.SetUserRole(ctx, "bob", store.RoleCurator); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUserRole(ctx, "nobody", store.RoleCurator); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("set role of missing user: %v", err)
		}
		users, err := s.ListUsers(ctx)
		if err != nil || len(users) != 2 || users[0].Username != "alice" || users[1].Role != store.RoleCurator {
			t.Fatalf("ListUsers = %v, %v", users, err)
		}
		n, err := s.CountUsersWithRole(ctx, store.RoleAdmin)
		if err != nil || n != 1 {
			t.Fatalf("admins = %d, %v", n, err)
		}
		n, _ = s.CountUsersWithRole(ctx, "")
		if n != 2 {
			t.Fatalf("all users = %d", n)
		}
		if err := s.TouchLogin(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		got, _ = s.UserByID(ctx, alice.ID)
		if got.LastLoginAt == nil || time.Since(*got.LastLoginAt) > time.Minute {
			t.Fatalf("last login = %v", got.LastLoginAt)
		}
	})
}

func TestSessions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := newUser(t, s, "carol", store.RoleCreator)
		if _, err := s.CreateSession(ctx, "live", u.ID, strings.Repeat("a", 500), time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSession(ctx, "old", u.ID, "ua", -time.Second); err != nil {
			t.Fatal(err)
		}
		got, err := s.SessionUser(ctx, "live")
		if err != nil || got.ID != u.ID {
			t.Fatalf("SessionUser(live) = %v, %v", got, err)
		}
		if _, err := s.SessionUser(ctx, "old"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired session: %v", err)
		}
		if n, err := s.DeleteExpiredSessions(ctx); err != nil || n != 1 {
			t.Fatalf("DeleteExpiredSessions = %d, %v", n, err)
		}
		// A new password signs the user out everywhere.
		if err := s.SetUserPassword(ctx, "carol", "y"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionUser(ctx, "live"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session after password change: %v", err)
		}
	})
}

func TestChannelsShareHandlesWithUsers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		owner := newUser(t, s, "dana", store.RoleCreator)
		c, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: owner.ID, Kind: store.KindPodcast, Handle: "dana_cast", Title: "Dana's cast", Explicit: true})
		if err != nil {
			t.Fatal(err)
		}
		if c.Handle != "dana_cast" || c.OwnerUsername != "dana" || !c.Explicit || c.CommentsPolicy != "open" || c.Domain != "" {
			t.Fatalf("created channel = %+v", c)
		}
		for _, h := range []string{"dana_cast", "dana"} {
			if _, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: owner.ID, Kind: store.KindVideo, Handle: h, Title: "x"}); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("channel handle %q: got %v, want ErrConflict", h, err)
			}
		}
		if _, err := s.CreateUser(ctx, store.NewUser{Username: "dana_cast", Role: store.RoleCreator, PasswordHash: "x"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("user named like a channel: got %v, want ErrConflict", err)
		}
		if _, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: 9999, Kind: store.KindVideo, Handle: "orphan", Title: "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing owner: got %v, want ErrNotFound", err)
		}
		// A failed creation leaves no actor behind: the handle is still free.
		if _, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: owner.ID, Kind: "radio", Handle: "radio", Title: "x"}); err == nil {
			t.Fatal("kind radio accepted by the schema")
		}
		if _, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: owner.ID, Kind: store.KindVideo, Handle: "radio", Title: "Radio"}); err != nil {
			t.Fatalf("handle left taken by a rolled-back creation: %v", err)
		}
		got, err := s.LocalChannel(ctx, "dana_cast")
		if err != nil || got.ID != c.ID {
			t.Fatalf("LocalChannel = %v, %v", got, err)
		}
		list, err := s.ListChannels(ctx, store.ChannelFilter{LocalOnly: true})
		if err != nil || len(list) != 2 || list[0].Handle != "radio" {
			t.Fatalf("ListChannels = %v, %v", list, err)
		}
		list, _ = s.ListChannels(ctx, store.ChannelFilter{Limit: 1})
		if len(list) != 1 {
			t.Fatalf("limit 1 gave %d", len(list))
		}
		other := newUser(t, s, "eve", store.RoleCreator)
		list, _ = s.ListChannels(ctx, store.ChannelFilter{OwnerID: other.ID})
		if len(list) != 0 {
			t.Fatalf("eve owns %d channels", len(list))
		}
	})
}

func TestSettingOrInitKeepsTheFirstValue(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		v1, err := s.SettingOrInit(ctx, "k", func() (string, error) { return "first", nil })
		if err != nil || v1 != "first" {
			t.Fatalf("first = %q, %v", v1, err)
		}
		v2, _ := s.SettingOrInit(ctx, "k", func() (string, error) { return "second", nil })
		if v2 != "first" {
			t.Fatalf("second call = %q, want first", v2)
		}
		if err := s.SetSetting(ctx, "k", "third"); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Setting(ctx, "k"); v != "third" {
			t.Fatalf("after SetSetting = %q", v)
		}
	})
}

func TestTransactionsRollBack(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.SetSetting(ctx, "inside", "1"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		if _, err := s.Setting(ctx, "inside"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rolled-back write is visible: %v", err)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.SetSetting(ctx, "inside", "2") }); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Setting(ctx, "inside"); v != "2" {
			t.Fatalf("committed write = %q", v)
		}
	})
}

func TestOpenErrorsNameTheDatabase(t *testing.T) {
	ctx := context.Background()
	_, err := store.Open(ctx, "postgres://archipel:s3cret@127.0.0.1:1/hub?connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("unreachable postgres: %v", err)
	}
	_, err = store.Open(ctx, "mysql://x")
	if err == nil || !strings.Contains(err.Error(), "unsupported database URL") {
		t.Fatalf("unknown scheme: %v", err)
	}
	_, err = store.Open(ctx, "sqlite:/proc/archipel/nope.db")
	if err == nil || !strings.Contains(err.Error(), "/proc/archipel/nope.db") {
		t.Fatalf("bad sqlite path: %v", err)
	}
}

// A migration statement marked {{postgres}} runs on PostgreSQL only: the
// inbox table gets its fillfactor there, and SQLite, which has no such
// setting, migrates all the same. The unused actor index is gone on both.
func TestPostgresOnlyMigrationStatements(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var n int
		q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'inbox_activities_actor_idx'`
		if s.Engine() == store.Postgres {
			q = `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'inbox_activities_actor_idx'`
		}
		if err := s.DB().QueryRowContext(ctx, q).Scan(&n); err != nil || n != 0 {
			t.Errorf("actor index: %d, %v; want dropped", n, err)
		}
		if s.Engine() != store.Postgres {
			return
		}
		var opts string
		err := s.DB().QueryRowContext(ctx, `SELECT COALESCE(array_to_string(reloptions, ','), '') FROM pg_class
			WHERE oid = 'inbox_activities'::regclass`).Scan(&opts)
		if err != nil || opts != "fillfactor=50" {
			t.Errorf("inbox_activities options %q, %v; want fillfactor=50", opts, err)
		}
	})
}

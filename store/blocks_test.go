package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// SenderBlocked answers from memory: a block or an unblock made through
// the store shows at once, one made by another node (another Store on the
// same database) within a second or so.
func TestSenderBlockedFollowsChanges(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			url := storetest.URL(t, e)
			open := func() *store.Store {
				s, err := store.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			s := open()
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			other := open()
			const host, uri = "bad.example", "https://bad.example/users/troll"
			a, err := s.UpsertRemoteActor(ctx, store.Actor{URI: uri, Username: "troll", Inbox: uri + "/inbox"})
			if err != nil {
				t.Fatal(err)
			}
			want := func(st *store.Store, h, u string, blocked bool) {
				t.Helper()
				got, err := st.SenderBlocked(ctx, h, u)
				if err != nil || got != blocked {
					t.Fatalf("SenderBlocked(%s, %s) = %v, %v; want %v", h, u, got, err, blocked)
				}
			}
			want(s, host, uri, false)
			want(other, host, uri, false)

			if err := s.SetActorPolicy(ctx, a.ID, store.PolicyBlock); err != nil {
				t.Fatal(err)
			}
			want(s, host, uri, true)
			want(s, host, "https://bad.example/users/someone", false)
			if err := s.SetActorPolicy(ctx, a.ID, store.PolicyNone); err != nil {
				t.Fatal(err)
			}
			want(s, host, uri, false)

			if err := s.SetInstancePolicy(ctx, host, store.PolicyBlock); err != nil {
				t.Fatal(err)
			}
			want(s, "BAD.example", "https://bad.example/users/someone", true)
			// The other node learns within the cache's lifetime.
			deadline := time.Now().Add(5 * time.Second)
			for {
				got, err := other.SenderBlocked(ctx, host, uri)
				if err != nil {
					t.Fatal(err)
				}
				if got {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("another node's block never reached this one")
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err := s.SetInstancePolicy(ctx, host, store.PolicyNone); err != nil {
				t.Fatal(err)
			}
			want(s, host, uri, false)
		})
	}
}

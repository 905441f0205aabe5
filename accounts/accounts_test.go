package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/archipel/archipel/federation/httpsig"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	if ok, err := CheckPassword(h, "correct horse battery"); !ok || err != nil {
		t.Fatalf("right password: %v, %v", ok, err)
	}
	if ok, err := CheckPassword(h, "correct horse battery!"); ok || err != nil {
		t.Fatalf("wrong password: %v, %v", ok, err)
	}
	h2, _ := HashPassword("correct horse battery")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA", "$argon2id$v=19$m=8,t=1,p=1$!!$AA"} {
		if _, err := CheckPassword(bad, "x"); !errors.Is(err, ErrBadHash) {
			t.Errorf("CheckPassword(%q) = %v, want ErrBadHash", bad, err)
		}
	}
}

func TestNormalizeHandle(t *testing.T) {
	for in, want := range map[string]string{"Alice": "alice", " @bob_2 ": "bob_2", "x": "x"} {
		if got, err := NormalizeHandle("handle", in); err != nil || got != want {
			t.Errorf("NormalizeHandle(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "   ", "a b", "ünï", "a-b", "a.b", strings.Repeat("a", 31), "<script>"} {
		var fe *FieldError
		if _, err := NormalizeHandle("handle", bad); !errors.As(err, &fe) || fe.Field != "handle" {
			t.Errorf("NormalizeHandle(%q) = %v, want a FieldError on handle", bad, err)
		}
	}
}

func TestServiceCreatesAndAuthenticates(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc := &Service{Store: s}
		u, err := svc.CreateUser(ctx, "Frank", store.RoleCreator, "", "long enough pw")
		if err != nil || u.Username != "frank" {
			t.Fatalf("CreateUser = %v, %v", u, err)
		}
		var fe *FieldError
		if _, err := svc.CreateUser(ctx, "frank", store.RoleCreator, "", "long enough pw"); !errors.As(err, &fe) || !strings.Contains(fe.Message, "already taken") {
			t.Fatalf("duplicate: %v", err)
		}
		if got, err := svc.Authenticate(ctx, "FRANK", "long enough pw"); err != nil || got == nil || got.ID != u.ID {
			t.Fatalf("Authenticate right = %v, %v", got, err)
		}
		for _, c := range [][2]string{{"frank", "wrong password"}, {"nobody", "long enough pw"}} {
			if got, err := svc.Authenticate(ctx, c[0], c[1]); got != nil || err != nil {
				t.Fatalf("Authenticate(%q) = %v, %v; want nil, nil", c[0], got, err)
			}
		}
		ch, err := svc.CreateChannel(ctx, u, ChannelInput{Handle: "Frank_Show", Kind: store.KindVideo})
		if err != nil || ch.Handle != "frank_show" || ch.Title != "frank_show" {
			t.Fatalf("CreateChannel = %+v, %v", ch, err)
		}
		if _, err := svc.CreateChannel(ctx, u, ChannelInput{Handle: "frank", Kind: store.KindVideo}); !errors.As(err, &fe) || fe.Field != "handle" {
			t.Fatalf("channel named like a user: %v", err)
		}
		if _, err := svc.CreateChannel(ctx, u, ChannelInput{Handle: "ok", Kind: "radio"}); !errors.As(err, &fe) || fe.Field != "kind" {
			t.Fatalf("kind radio: %v", err)
		}
		if err := svc.SetPassword(ctx, "frank", "another long pw"); err != nil {
			t.Fatal(err)
		}
		if got, _ := svc.Authenticate(ctx, "frank", "another long pw"); got == nil {
			t.Fatal("new password refused")
		}
	})
}

func TestAPITokenAuthenticatesOnlyItsUser(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc := &Service{Store: s}
		u, err := svc.CreateUser(ctx, "gina", store.RoleCreator, "", "long enough pw")
		if err != nil {
			t.Fatal(err)
		}
		token, err := svc.CreateAPIToken(ctx, u, "script")
		if err != nil || !strings.HasPrefix(token, "arch_") || len(token) != 48 {
			t.Fatalf("token %q, %v", token, err)
		}
		got, err := s.APITokenUser(ctx, HashToken(token))
		if err != nil || got.ID != u.ID {
			t.Fatalf("APITokenUser = %v, %v", got, err)
		}
		if _, err := s.APITokenUser(ctx, HashToken(token+"x")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("altered token: %v", err)
		}
	})
}

// Users and channels get their RSA-2048 key pair at creation; the
// instance actor's names are reserved.
func TestActorsGetKeysAtCreation(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc := &Service{Store: s}
		u, err := svc.CreateUser(ctx, "keyed", store.RoleCreator, "", "a long enough password")
		if err != nil {
			t.Fatal(err)
		}
		c, err := svc.CreateChannel(ctx, u, ChannelInput{Handle: "keyedchan", Kind: store.KindVideo})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{u.ActorID, c.ActorID} {
			a, err := s.ActorByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			key, err := httpsig.ParsePrivateKeyPEM(a.PrivateKeyPEM)
			if err != nil || key.N.BitLen() != 2048 || !strings.Contains(a.PublicKeyPEM, "BEGIN PUBLIC KEY") {
				t.Errorf("actor %s: key %v, %v", a.Username, key != nil, err)
			}
		}
		for _, name := range []string{"archipel", "PeerTube"} {
			if _, err := svc.CreateUser(ctx, name, store.RoleCreator, "", "a long enough password"); err == nil || !strings.Contains(err.Error(), "reserved") {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

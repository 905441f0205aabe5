package web

import (
	"context"
	"net/http"
	"testing"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestHomeEmptyState(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		b := newHarness(t, s).browser()
		r := b.get("/")
		wantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		wantContains(t, r.body, `<html lang="en">`, "<h1>Archipel</h1>", "No channels yet.",
			`<a href="/login">Sign in</a>`, "v0.0.0-test")
		wantNotContains(t, r.body, "Sign out", "New channel", "Create the first one")
		for k, v := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "strict-origin-when-cross-origin",
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": contentSecurityPolicy,
		} {
			if got := r.Header.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
	})
}

func TestHomeListsChannels(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc := &accounts.Service{Store: s}
		alice := createUser(t, s, "alice", store.RoleCreator)
		for _, in := range []accounts.ChannelInput{
			{Handle: "cooking", Kind: store.KindVideo, Title: "Cooking <Live>"},
			{Handle: "talks", Kind: store.KindPodcast, Title: "Long Talks"},
		} {
			if _, err := svc.CreateChannel(ctx, alice, in); err != nil {
				t.Fatal(err)
			}
		}
		b := newHarness(t, s).browser()
		r := b.get("/")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body,
			`<a href="/c/cooking">Cooking &lt;Live&gt;</a>`,
			`<a href="/c/talks">Long Talks</a>`,
			`<span class="badge">Video</span> <span class="handle">@cooking</span> · by @alice`,
			`<span class="badge">Podcast</span> <span class="handle">@talks</span> · by @alice`,
		)
		wantNotContains(t, r.body, "No channels yet.", "Cooking <Live>")

		// Signed in as a creator: account links and a Sign out form.
		b.login("alice")
		r = b.get("/")
		wantContains(t, r.body, "@alice (creator)", `<a href="/channels/new">New channel</a>`,
			`<form method="post" action="/logout"`, "Sign out")
		wantNotContains(t, r.body, `<a href="/login">`)
		if f := formFields(t, r.body, "/logout"); len(f.Get(csrfField)) != 64 {
			t.Errorf("sign-out form token = %q", f.Get(csrfField))
		}
	})
}

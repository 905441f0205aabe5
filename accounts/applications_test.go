package accounts

import (
	"context"
	"errors"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestMatchDomain(t *testing.T) {
	rules := []string{".gouv.fr", "Example.org"}
	for email, want := range map[string]string{
		"a@numerique.gouv.fr":   ".gouv.fr",
		"a@x.y.gouv.fr":         ".gouv.fr",
		"a@GOUV.FR":             "", // a leading dot means subdomains only
		"a@evilgouv.fr":         "",
		"a@gouv.fr.evil.com":    "",
		"a@example.org":         "example.org",
		"a@sub.example.org":     "",
		"a@notexample.org":      "",
		"gouv.fr@evil.example":  "",
		"a@b.gouv.fr@evil.test": "",
	} {
		got, ok := MatchDomain(rules, email)
		if got != want || ok != (want != "") {
			t.Errorf("MatchDomain(%q) = %q, %v; want %q", email, got, ok, want)
		}
	}
	for _, bad := range []string{"", ".", "*.gouv.fr", "a@b.fr", "gouv", "exa mple.org", "-x.org"} {
		if _, err := CheckDomainRule(bad); err == nil {
			t.Errorf("CheckDomainRule(%q) accepted", bad)
		}
	}
	if r, err := CheckDomainRule(" .Gouv.FR "); err != nil || r != ".gouv.fr" {
		t.Errorf("CheckDomainRule: %q, %v", r, err)
	}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{"Ada@Example.ORG": "ada@example.org", " a.b+c@x.gouv.fr ": "a.b+c@x.gouv.fr"} {
		if got, err := NormalizeEmail("email", in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "ada", "Ada <ada@example.org>", "ada@localhost", "ada@exämple.org", "ada@example.org.", "a@b@c.org"} {
		if _, err := NormalizeEmail("email", bad); err == nil {
			t.Errorf("NormalizeEmail(%q) accepted", bad)
		}
	}
}

func TestApplyReportsEveryField(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		svc := &Service{Store: s}
		_, err := svc.Apply(context.Background(), ApplicationInput{Email: "nope", Username: "same", ChannelHandle: "same",
			ChannelKind: "film", Links: "javascript:alert(1)"})
		var fes FieldErrors
		if !errors.As(err, &fes) {
			t.Fatalf("Apply: %v, want FieldErrors", err)
		}
		got := map[string]bool{}
		for _, fe := range fes {
			got[fe.Field] = true
		}
		for _, f := range []string{"name", "email", "channel_handle", "channel_kind", "motivation", "links"} {
			if !got[f] {
				t.Errorf("no error for %s in %v", f, err)
			}
		}
	})
}

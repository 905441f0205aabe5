package federation_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// WebFinger finds channels, accounts and the instance actor by acct: and
// by URL, with the remote-interaction template; host-meta points to it;
// NodeInfo 2.0 and 2.1 count real usage.
func TestDiscovery(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newHub(t, s, hubOptions{noRunner: true})
		host := strings.TrimPrefix(h.url, "http://")
		type jrd struct {
			Subject string
			Aliases []string
			Links   []struct{ Rel, Type, Href, Template string }
		}
		finger := func(resource string) (int, jrd) {
			resp, body := h.get("/.well-known/webfinger?resource="+url.QueryEscape(resource), "")
			var d jrd
			_ = json.Unmarshal(body, &d)
			return resp.StatusCode, d
		}
		for resource, self := range map[string]string{
			"acct:news@" + host:     h.url + "/c/news",
			"news@" + host:          h.url + "/c/news",
			h.url + "/c/news":       h.url + "/c/news",
			"acct:carol@" + host:    h.url + "/u/carol",
			"acct:archipel@" + host: h.url + "/actor",
			"acct:peertube@" + host: h.url + "/actor",
			h.url + "/actor":        h.url + "/actor",
		} {
			st, d := finger(resource)
			if st != 200 {
				t.Errorf("%s: %d", resource, st)
				continue
			}
			var gotSelf, gotTemplate string
			for _, l := range d.Links {
				switch l.Rel {
				case "self":
					gotSelf = l.Href
				case "http://ostatus.org/schema/1.0/subscribe":
					gotTemplate = l.Template
				}
			}
			if gotSelf != self || gotTemplate != h.url+"/authorize_interaction?uri={uri}" {
				t.Errorf("%s: self %q template %q", resource, gotSelf, gotTemplate)
			}
		}
		for _, resource := range []string{"acct:nobody@" + host, "acct:news@elsewhere.example", "https://elsewhere.example/c/news"} {
			if st, _ := finger(resource); st != 404 {
				t.Errorf("%s: %d, want 404", resource, st)
			}
		}
		if resp, _ := h.get("/.well-known/webfinger", ""); resp.StatusCode != 400 {
			t.Errorf("no resource: %d", resp.StatusCode)
		}
		resp, body := h.get("/.well-known/host-meta", "")
		if resp.StatusCode != 200 || !strings.Contains(string(body), h.url+"/.well-known/webfinger?resource={uri}") {
			t.Errorf("host-meta: %s", body)
		}

		// Actors: the Group names its owner; every actor has its key,
		// collections and shared inbox.
		for path, typ := range map[string]string{"/c/news": "Group", "/u/carol": "Person", "/actor": "Application"} {
			resp, body := h.get(path, "application/activity+json")
			var a map[string]any
			if err := json.Unmarshal(body, &a); err != nil || resp.StatusCode != 200 || a["type"] != typ {
				t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
			}
			for _, k := range []string{"inbox", "outbox", "followers", "following", "publicKey", "endpoints", "icon", "url", "summary", "published", "manuallyApprovesFollowers"} {
				if _, ok := a[k]; !ok {
					t.Errorf("%s lacks %s", path, k)
				}
			}
			if !strings.Contains(a["publicKey"].(map[string]any)["publicKeyPem"].(string), "BEGIN PUBLIC KEY") {
				t.Errorf("%s: no key", path)
			}
			if typ == "Group" && a["attributedTo"] != h.url+"/u/carol" && mustJSON(a["attributedTo"]) != `["`+h.url+`/u/carol"]` {
				t.Errorf("group attributedTo: %v", a["attributedTo"])
			}
		}

		h.publishItem("Counted")
		resp, body = h.get("/.well-known/nodeinfo", "")
		if resp.StatusCode != 200 || !strings.Contains(string(body), h.url+"/nodeinfo/2.1") {
			t.Fatalf("nodeinfo index: %s", body)
		}
		for _, v := range []string{"2.0", "2.1"} {
			resp, body := h.get("/nodeinfo/"+v, "")
			var ni struct {
				Version   string
				Software  struct{ Name string }
				Protocols []string
				Usage     struct {
					Users      struct{ Total int }
					LocalPosts int
				}
			}
			if err := json.Unmarshal(body, &ni); err != nil || resp.StatusCode != 200 {
				t.Fatalf("nodeinfo %s: %s", v, body)
			}
			if ni.Version != v || ni.Software.Name != "archipel" || ni.Protocols[0] != "activitypub" ||
				ni.Usage.Users.Total != 1 || ni.Usage.LocalPosts != 1 {
				t.Errorf("nodeinfo %s: %+v", v, ni)
			}
		}

		// Its metadata name the hub as its admins do, by its host without.
		nodeMeta := func() map[string]any {
			t.Helper()
			_, body := h.get("/nodeinfo/2.1", "")
			var ni struct{ Metadata map[string]any }
			if err := json.Unmarshal(body, &ni); err != nil {
				t.Fatalf("nodeinfo: %s", body)
			}
			return ni.Metadata
		}
		if m := nodeMeta(); m["nodeName"] != host || m["nodeDescription"] != nil {
			t.Errorf("nodeinfo metadata without settings: %v", m)
		}
		if err := s.SetAbout(t.Context(), store.About{Name: "Les Îles", Description: "Films from the islands."}); err != nil {
			t.Fatal(err)
		}
		if m := nodeMeta(); m["nodeName"] != "Les Îles" || m["nodeDescription"] != "Films from the islands." {
			t.Errorf("nodeinfo metadata: %v", m)
		}
	})
}

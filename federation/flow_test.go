package federation_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// A Mastodon-shaped follower follows a channel, gets Accept, then receives
// the Create of a new video (a PeerTube-shaped Video), its Update and its
// Delete; the item's URL then answers 410 with a Tombstone. Likes, boosts
// and their Undo move the counters. Every request the remote receives is
// verified with go-fed/httpsig against the key our actor document serves.
func TestFollowPublishUpdateDelete(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHub(t, s, hubOptions{})
		m := newRemote(t)
		bob := m.actor("bob")
		channel := h.url + "/c/news"

		status, msg := m.post(channel+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": m.base() + "/follows/1",
			"type": "Follow", "actor": bob, "object": channel,
		})
		if status != http.StatusAccepted {
			t.Fatalf("follow: %d %s", status, msg)
		}
		eventually(t, "the Accept", func() bool { return len(m.activities("Accept")) == 1 })
		acc := m.activities("Accept")[0]
		if acc["actor"] != channel || acc["object"].(map[string]any)["id"] != m.base()+"/follows/1" {
			t.Errorf("accept: %v", acc)
		}
		if n, _ := s.CountFollowers(ctx, h.channel.ActorID, store.FollowAccepted); n != 1 {
			t.Fatalf("followers = %d", n)
		}
		// A PeerTube-style instance follow: the remote's own actor follows
		// our instance actor. Its server shares bob's inbox, so the Create
		// below must reach it once, not twice.
		if st, msg := m.post(h.url+"/actor/inbox", map[string]any{
			"id": m.base() + "/follows/2", "type": "Follow", "actor": m.actor("peertube"), "object": h.url + "/actor",
		}); st != http.StatusAccepted {
			t.Fatalf("instance follow: %d %s", st, msg)
		}
		eventually(t, "the instance's Accept", func() bool { return len(m.activities("Accept")) == 2 })

		item := h.publishItem("First light")
		eventually(t, "the Create", func() bool { return len(m.activities("Create")) == 1 })
		create := m.activities("Create")[0]
		// Two Accepts and one Create: one job each, no retries.
		if n := h.countRows("river_job", "kind = 'federation_deliver'"); n != 3 {
			t.Errorf("%d delivery jobs, want 3 (2 Accepts, 1 Create)", n)
		}
		obj := create["object"].(map[string]any)
		if create["actor"] != channel || obj["type"] != "Video" || obj["id"] != h.url+"/i/"+item.PublicID {
			t.Fatalf("create: %v", create)
		}
		urls := obj["url"].([]any)
		first := urls[0].(map[string]any)
		if first["mediaType"] != "text/html" || len(urls) != 3 {
			t.Errorf("url[] should start with the HTML page and list 2 renditions: %v", urls)
		}
		r720 := urls[1].(map[string]any)
		if r720["mediaType"] != "video/mp4" || r720["height"].(float64) != 720 || r720["size"].(float64) != 1000 || r720["fps"].(float64) != 30 {
			t.Errorf("rendition: %v", r720)
		}
		if obj["duration"] != "PT12S" || obj["uuid"] != item.PublicID || obj["commentsEnabled"] != true {
			t.Errorf("video fields: %v", obj)
		}
		if !strings.Contains(obj["content"].(string), "A &lt;b&gt;test&lt;/b&gt; video") && strings.Contains(obj["content"].(string), "<b>") {
			t.Errorf("content is not sanitized: %q", obj["content"])
		}
		attributed := obj["attributedTo"].([]any)
		if len(attributed) != 2 || attributed[1].(map[string]any)["type"] != "Group" {
			t.Errorf("attributedTo: %v", attributed)
		}
		for _, k := range []string{"published", "updated", "icon", "likes", "shares", "replies"} {
			if obj[k] == nil {
				t.Errorf("the Video lacks %s", k)
			}
		}
		// The same URL serves HTML to browsers and the object to servers.
		resp, body := h.get("/i/"+item.PublicID, `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "activity+json") || !strings.Contains(string(body), `"type":"Video"`) {
			t.Errorf("object: %d %s", resp.StatusCode, body)
		}
		resp, body = h.get("/i/"+item.PublicID, "text/html")
		if resp.StatusCode != 200 || !strings.Contains(string(body), "<html") {
			t.Errorf("page: %d", resp.StatusCode)
		}

		// Like and Announce, then their Undo.
		like := map[string]any{"id": m.base() + "/likes/1", "type": "Like", "actor": bob, "object": obj["id"]}
		boost := map[string]any{"id": m.base() + "/boosts/1", "type": "Announce", "actor": bob, "object": obj["id"]}
		for _, a := range []map[string]any{like, boost} {
			if st, msg := m.post(h.url+"/inbox", a); st != 202 {
				t.Fatalf("%s: %d %s", a["type"], st, msg)
			}
		}
		eventually(t, "counters", func() bool {
			l, b, _ := s.ItemReactionCounts(ctx, item.ID)
			return l == 1 && b == 1
		})
		if st, _ := m.post(h.url+"/inbox", map[string]any{"id": m.base() + "/undo/1", "type": "Undo", "actor": bob, "object": like}); st != 202 {
			t.Fatal("undo like refused")
		}
		eventually(t, "the like undone", func() bool {
			l, b, _ := s.ItemReactionCounts(ctx, item.ID)
			return l == 0 && b == 1
		})

		// A reply becomes a comment, counted by the replies collection.
		note := map[string]any{"id": m.base() + "/notes/1", "type": "Note", "attributedTo": bob, "inReplyTo": obj["id"],
			"content": `<p>Nice<script>alert(1)</script></p>`, "to": []string{"https://www.w3.org/ns/activitystreams#Public"}}
		if st, msg := m.post(h.url+"/inbox", map[string]any{"id": m.base() + "/notes/1/activity", "type": "Create", "actor": bob, "object": note}); st != 202 {
			t.Fatalf("reply: %d %s", st, msg)
		}
		eventually(t, "the reply counted", func() bool {
			_, body := h.get("/i/"+item.PublicID+"/replies", "application/activity+json")
			return strings.Contains(string(body), `"totalItems":1`)
		})
		if c, err := s.CommentByURI(ctx, m.base()+"/notes/1"); err != nil || strings.Contains(c.ContentHTML, "script") {
			t.Errorf("comment: %+v %v", c, err)
		}

		// Editing sends Update; deleting sends Delete and leaves a Tombstone.
		if err := h.lib.Update(ctx, item, store.ItemEdit{Title: "First light, edited", Description: "New", Tags: []string{"dawn"}}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the Update", func() bool { return len(m.activities("Update")) == 1 })
		upd := m.activities("Update")[0]["object"].(map[string]any)
		if upd["name"] != "First light, edited" || !strings.Contains(mustJSON(upd["tag"]), "#dawn") {
			t.Errorf("update: %v", upd)
		}
		if err := h.lib.Delete(ctx, item); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the Delete", func() bool { return len(m.activities("Delete")) == 1 })
		del := m.activities("Delete")[0]
		if del["object"].(map[string]any)["id"] != obj["id"] || del["object"].(map[string]any)["type"] != "Tombstone" {
			t.Errorf("delete: %v", del)
		}
		resp, body = h.get("/i/"+item.PublicID, "application/activity+json")
		if resp.StatusCode != http.StatusGone || !strings.Contains(string(body), `"formerType":"Video"`) {
			t.Errorf("tombstone: %d %s", resp.StatusCode, body)
		}
		resp, _ = h.get("/i/"+item.PublicID, "text/html")
		if resp.StatusCode != http.StatusGone {
			t.Errorf("deleted page: %d", resp.StatusCode)
		}

		// The outbox lists Create, Update and Delete, newest first.
		resp, body = h.get("/c/news/outbox?page=true", "application/activity+json")
		var page struct {
			TotalItems   int               `json:"totalItems"`
			OrderedItems []json.RawMessage `json:"orderedItems"`
		}
		if err := json.Unmarshal(body, &page); err != nil || resp.StatusCode != 200 {
			t.Fatalf("outbox: %d %s", resp.StatusCode, body)
		}
		if page.TotalItems != 3 || len(page.OrderedItems) != 3 || !strings.Contains(string(page.OrderedItems[0]), `"Delete"`) {
			t.Errorf("outbox: %s", body)
		}
		if m.bad != 0 {
			t.Errorf("%d requests to the remote failed go-fed verification", m.bad)
		}

		// Undo of the follow.
		if st, _ := m.post(channel+"/inbox", map[string]any{"id": m.base() + "/undo/2", "type": "Undo", "actor": bob,
			"object": map[string]any{"id": m.base() + "/follows/1", "type": "Follow", "actor": bob, "object": channel}}); st != 202 {
			t.Fatal("undo follow refused")
		}
		eventually(t, "the follow undone", func() bool {
			n, _ := s.CountFollowers(ctx, h.channel.ActorID, store.FollowAccepted)
			return n == 0
		})
	})
}

// With manual approval a Follow waits; the creator's decision sends Accept.
// Deleting an actor removes its follows.
func TestManualApprovalAndActorDelete(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHub(t, s, hubOptions{})
		if err := s.SetManuallyApproves(ctx, h.channel.ActorID, true); err != nil {
			t.Fatal(err)
		}
		m := newRemote(t)
		bob := m.actor("bob")
		if st, msg := m.post(h.url+"/inbox", map[string]any{"id": m.base() + "/follows/9", "type": "Follow", "actor": bob, "object": h.url + "/c/news"}); st != 202 {
			t.Fatalf("follow: %d %s", st, msg)
		}
		eventually(t, "a pending follow", func() bool {
			n, _ := s.CountFollowers(ctx, h.channel.ActorID, store.FollowPending)
			return n == 1
		})
		resp, body := h.get("/c/news", "application/activity+json")
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"manuallyApprovesFollowers":true`) {
			t.Errorf("actor: %s", body)
		}
		fs, err := s.ListFollowers(ctx, h.channel.ActorID, store.FollowPending, 0, 10)
		if err != nil || len(fs) != 1 {
			t.Fatal(err, len(fs))
		}
		if len(m.activities("Accept")) != 0 {
			t.Fatal("accepted before the creator decided")
		}
		if err := h.fed.SetFollowState(ctx, fs[0], true); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the Accept", func() bool { return len(m.activities("Accept")) == 1 })

		// Turning manual approval off tells followers with an Update.
		if err := s.SetManuallyApproves(ctx, h.channel.ActorID, false); err != nil {
			t.Fatal(err)
		}
		if err := h.fed.ActorUpdated(ctx, h.channel.ActorID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the actor Update", func() bool { return len(m.activities("Update")) == 1 })
		if upd := m.activities("Update")[0]["object"].(map[string]any); upd["type"] != "Group" || upd["manuallyApprovesFollowers"] != false {
			t.Errorf("actor update: %v", upd)
		}

		if st, _ := m.post(h.url+"/inbox", map[string]any{"id": bob + "#delete", "type": "Delete", "actor": bob, "object": bob}); st != 202 {
			t.Fatal("delete refused")
		}
		eventually(t, "the actor removed", func() bool {
			n, _ := s.CountFollowers(ctx, h.channel.ActorID, store.FollowAccepted)
			return n == 0
		})
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

package federation_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/markup/markuptest"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

const public = "https://www.w3.org/ns/activitystreams#Public"

// note is a Mastodon-shaped public Note by one of rm's actors.
func (r *remote) note(name, id, inReplyTo, content string) map[string]any {
	actor := r.actor(name)
	return map[string]any{
		"id": r.base() + "/users/" + name + "/statuses/" + id, "type": "Note", "attributedTo": actor,
		"inReplyTo": inReplyTo, "content": content, "url": r.base() + "/@" + name + "/" + id,
		"to": []string{public}, "cc": []string{actor + "/followers"},
		"published": time.Now().UTC().Format(time.RFC3339),
	}
}

// create wraps a note in its author's Create.
func create(n map[string]any) map[string]any {
	return map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": n["id"].(string) + "/activity",
		"type": "Create", "actor": n["attributedTo"], "object": n, "to": n["to"], "cc": n["cc"]}
}

// processed waits until the inbox activity id is processed and returns
// its state and note.
func (h *hub) processed(t *testing.T, id string) (string, string) {
	t.Helper()
	var state, note string
	eventually(t, "processing of "+id, func() bool {
		err := h.s.DB().QueryRow(`SELECT state, note FROM inbox_activities WHERE activity_uri = $1`, id).Scan(&state, &note)
		return err == nil && state != store.InboxPending
	})
	return state, note
}

// deliver posts an activity from rm to the hub's shared inbox, requires
// 202, and waits for its processing.
func (h *hub) deliver(t *testing.T, rm *remote, act map[string]any) (string, string) {
	t.Helper()
	if st, msg := rm.post(h.url+"/inbox", act); st != http.StatusAccepted {
		t.Fatalf("%s: status %d %s", act["id"], st, msg)
	}
	return h.processed(t, act["id"].(string))
}

func (h *hub) comment(t *testing.T, uri string) *store.Comment {
	t.Helper()
	c, err := h.s.CommentByURI(context.Background(), uri)
	if err != nil {
		t.Fatalf("comment %s: %v", uri, err)
	}
	return c
}

// A Mastodon-shaped reply (HTML, a Mention, to Public, cc followers,
// signed) lands in the item's thread; a reply to it nests; Update edits,
// Like and Announce count, Delete removes it from the thread and from the
// replies collection.
func TestMastodonReplyThread(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHub(t, s, hubOptions{})
		item := h.publishItem("Episode one")
		itemURI := h.url + "/i/" + item.PublicID
		masto, other := newRemote(t), newRemote(t)

		n1 := masto.note("alice", "1", itemURI, `<p><span class="h-card"><a href="`+h.url+`/c/news" class="u-url mention">@<span>news</span></a></span> Great episode! <a href="`+masto.base()+`/tags/radio" class="mention hashtag" rel="tag">#<span>radio</span></a></p>`)
		n1["tag"] = []any{map[string]string{"type": "Mention", "href": h.url + "/c/news", "name": "@news@" + h.addr},
			map[string]string{"type": "Hashtag", "href": masto.base() + "/tags/radio", "name": "#radio"}}
		n1["cc"] = []string{masto.actor("alice") + "/followers", h.url + "/c/news"}
		if state, why := h.deliver(t, masto, create(n1)); state != store.InboxDone {
			t.Fatalf("reply: %s %s", state, why)
		}
		c1 := h.comment(t, n1["id"].(string))
		if c1.ItemID != item.ID || c1.ParentID != 0 || c1.State != store.CommentVisible {
			t.Fatalf("reply stored as %+v", c1)
		}
		for _, want := range []string{`class="u-url mention"`, `class="mention hashtag"`, "Great episode!"} {
			if !strings.Contains(c1.ContentHTML, want) {
				t.Errorf("content lacks %s: %s", want, c1.ContentHTML)
			}
		}

		n2 := other.note("bob", "2", n1["id"].(string), "<p>Agreed</p>")
		h.deliver(t, other, create(n2))
		c2 := h.comment(t, n2["id"].(string))
		if c2.ParentID != c1.ID || c2.RootID != c1.ID || c2.Depth != 1 {
			t.Errorf("nested reply: parent %d root %d depth %d", c2.ParentID, c2.RootID, c2.Depth)
		}
		page, err := s.Threads(ctx, store.ThreadQuery{ItemID: item.ID})
		if err != nil || page.Total != 1 || len(page.Replies[c1.ID]) != 1 || page.Counts[c1.ID] != 1 {
			t.Fatalf("thread: %+v %v", page, err)
		}

		// Update, Like and Announce of the comment.
		edited := masto.note("alice", "1", itemURI, "<p>Edited</p>")
		edited["summary"] = "spoilers"
		h.deliver(t, masto, map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": n1["id"].(string) + "#update1",
			"type": "Update", "actor": masto.actor("alice"), "object": edited})
		h.deliver(t, other, map[string]any{"id": other.actor("bob") + "#like1", "type": "Like", "actor": other.actor("bob"), "object": n1["id"]})
		h.deliver(t, other, map[string]any{"id": other.actor("bob") + "#boost1", "type": "Announce", "actor": other.actor("bob"), "object": n1["id"], "to": []string{public}})
		c1 = h.comment(t, n1["id"].(string))
		if c1.ContentHTML != "<p>Edited</p>" || c1.Summary != "spoilers" || !c1.Sensitive || c1.LikeCount != 1 || c1.ShareCount != 1 {
			t.Errorf("after update and reactions: %+v", c1)
		}
		// An Update by someone else changes nothing.
		forged := other.note("bob", "x", itemURI, "<p>hijacked</p>")
		forged["id"] = n1["id"]
		if state, _ := h.deliver(t, other, map[string]any{"id": other.actor("bob") + "#update-forged", "type": "Update", "actor": other.actor("bob"), "object": forged}); state != store.InboxIgnored {
			t.Errorf("forged update: %s", state)
		}

		// The replies collections list them, readable cross-origin.
		resp, body := h.get("/i/"+item.PublicID+"/replies?page=1", "application/activity+json")
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(string(body), n1["id"].(string)) {
			t.Errorf("item replies: %s %s", resp.Header, body)
		}
		_, body = h.get(fmt.Sprintf("/comments/%d/replies?page=1", c1.ID), "application/activity+json")
		if !strings.Contains(string(body), n2["id"].(string)) {
			t.Errorf("comment replies: %s", body)
		}

		// Delete (a bare IRI, as GoToSocial sends): the reply goes, and
		// its parent, deleted too, stays as an empty placeholder.
		h.deliver(t, other, map[string]any{"id": n2["id"].(string) + "#delete", "type": "Delete", "actor": other.actor("bob"), "object": n2["id"], "to": []string{public}})
		if _, err := s.CommentByURI(ctx, n2["id"].(string)); err != store.ErrNotFound {
			t.Errorf("deleted reply still there: %v", err)
		}
		h.deliver(t, masto, map[string]any{"id": n1["id"].(string) + "#delete", "type": "Delete", "actor": masto.actor("alice"),
			"object": map[string]any{"id": n1["id"], "type": "Tombstone"}, "to": []string{public}})
		if _, err := s.CommentByURI(ctx, n1["id"].(string)); err != store.ErrNotFound {
			t.Errorf("deleted comment still there: %v", err)
		}
		_, body = h.get("/i/"+item.PublicID+"/replies?page=1", "application/activity+json")
		if strings.Contains(string(body), n1["id"].(string)) || strings.Contains(string(body), "Edited") {
			t.Errorf("the collection still lists the deleted comment: %s", body)
		}
	})
}

// The real GoToSocial replies land in one thread: 08 replies to
// http://hub.test/notes/1 (the capture's object, here an item the hub
// indexed under that id), 09 edits it, 10 and 11 (public and unlisted)
// reply to it, 12 (followers-only) and 13 (direct) stay out, and 15
// deletes 08, which stays as a placeholder for the replies under it.
func TestGoToSocialRepliesThread(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h, _ := fixtureHub(t, s, time.Date(2026, 11, 21, 12, 3, 0, 0, time.UTC), hubOptions{})
		alice, err := s.UpsertRemoteActor(ctx, store.Actor{Kind: "Person", Username: "alice", URI: "http://hub.test/users/alice",
			Inbox: "http://hub.test/users/alice/inbox"})
		if err != nil {
			t.Fatal(err)
		}
		item, err := s.UpsertRemoteItem(ctx, store.RemoteItem{ChannelActorID: alice.ID, Kind: store.ItemEpisode, Title: "Note one",
			OriginURI: "http://hub.test/notes/1", PublishedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		caps := captures(t)
		results := map[string]string{}
		for _, name := range []string{"08-create-note-reply.http", "09-update-note.http", "10-create-note-bob-reply-public.http",
			"11-create-note-bob-reply-unlisted.http", "12-create-note-bob-reply-private.http", "13-create-note-direct.http"} {
			if st := sendRaw(t, h.addr, caps[name]); st != http.StatusAccepted {
				t.Fatalf("%s: %d", name, st)
			}
			eventually(t, name, func() bool { return h.countRows("inbox_activities", "state = 'pending'") == 0 })
		}
		rows, err := s.DB().Query(`SELECT type, state, note FROM inbox_activities ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		for rows.Next() {
			var typ, state, note string
			_ = rows.Scan(&typ, &state, &note)
			states = append(states, typ+":"+state)
			results[typ+state] = note
		}
		rows.Close()
		want := "Create:done Update:done Create:done Create:done Create:ignored Create:ignored"
		if strings.Join(states, " ") != want {
			t.Fatalf("states %v, want %s\n%v", states, want, results)
		}
		page, err := s.Threads(ctx, store.ThreadQuery{ItemID: item.ID})
		if err != nil || len(page.Threads) != 1 {
			t.Fatalf("threads: %+v %v", page, err)
		}
		top := page.Threads[0]
		if top.Author.Handle() != "admin@gts.test" || top.Summary == "" || !top.Sensitive || len(page.Replies[top.ID]) != 2 {
			t.Errorf("thread: top %+v, %d replies", top, len(page.Replies[top.ID]))
		}
		markuptest.AssertInert(t, top.ContentHTML)
		if st := sendRaw(t, h.addr, caps["15-delete-note.http"]); st != http.StatusAccepted {
			t.Fatalf("delete: %d", st)
		}
		eventually(t, "delete", func() bool { return h.countRows("inbox_activities", "state = 'pending'") == 0 })
		page, _ = s.Threads(ctx, store.ThreadQuery{ItemID: item.ID})
		if len(page.Threads) != 1 || page.Threads[0].State != store.CommentDeleted || page.Threads[0].ContentHTML != "" || len(page.Replies[page.Threads[0].ID]) != 2 {
			t.Errorf("after delete: %+v", page.Threads)
		}
	})
}

// Hostile HTML in replies is stored inert.
func TestReplyXSSCorpus(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newHub(t, s, hubOptions{})
		item := h.publishItem("Target")
		rm := newRemote(t)
		for i, hostile := range markuptest.XSSCorpus {
			n := rm.note("mallory", fmt.Sprint(i), h.url+"/i/"+item.PublicID, hostile)
			if st, msg := rm.post(h.url+"/inbox", create(n)); st != http.StatusAccepted {
				t.Fatalf("%d: %d %s", i, st, msg)
			}
		}
		eventually(t, "all replies", func() bool { return h.countRows("comments", "") == len(markuptest.XSSCorpus) })
		rows, err := s.DB().Query(`SELECT uri, content_html FROM comments`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var uri, html string
			_ = rows.Scan(&uri, &html)
			if err := markuptest.Inert(html); err != nil {
				t.Errorf("%s: %v: %s", uri, err, html)
			}
		}
	})
}

// Refusals: each reply is answered 202 (or 403 for a blocked instance) and
// then ignored with its reason; nothing is stored.
func TestReplyRefusals(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHub(t, s, hubOptions{})
		item := h.publishItem("Target")
		itemURI := h.url + "/i/" + item.PublicID
		rm, other := newRemote(t), newRemote(t)

		// A chain of 10 unknown notes is fetched and stored (the control);
		// one of 60 is beyond the bound of 50.
		chain := func(prefix string, n int) map[string]any {
			parent := itemURI
			var last map[string]any
			for i := 1; i <= n; i++ {
				last = rm.note("deep", fmt.Sprintf("%s%d", prefix, i), parent, fmt.Sprintf("<p>%s %d</p>", prefix, i))
				rm.serveDoc(strings.TrimPrefix(last["id"].(string), rm.base()), last)
				parent = last["id"].(string)
			}
			return last
		}
		if state, why := h.deliver(t, rm, create(chain("short", 10))); state != store.InboxDone {
			t.Fatalf("a chain of 10: %s %s", state, why)
		}
		if n := h.countRows("comments", ""); n != 10 {
			t.Fatalf("a chain of 10 stored %d comments", n)
		}
		deepest := h.comment(t, rm.base()+"/users/deep/statuses/short10")
		if deepest.Depth != 9 {
			t.Errorf("depth %d, want 9", deepest.Depth)
		}
		cases := []struct {
			name string
			from *remote
			act  map[string]any
			why  string
		}{
			{"a chain deeper than 50", rm, create(chain("long", 60)), "deeper than 50"},
		}
		// An inReplyTo loop.
		a := rm.note("loop", "a", rm.base()+"/users/loop/statuses/b", "<p>a</p>")
		b := rm.note("loop", "b", a["id"].(string), "<p>b</p>")
		rm.serveDoc("/users/loop/statuses/a", a)
		rm.serveDoc("/users/loop/statuses/b", b)
		cases = append(cases, struct {
			name string
			from *remote
			act  map[string]any
			why  string
		}{"an inReplyTo loop", rm, create(a), "loop"})
		// A Note whose id is on host A while its actor is on host B.
		foreign := other.note("eve", "1", itemURI, "<p>not mine</p>")
		foreign["id"] = rm.base() + "/users/alice/statuses/999"
		cases = append(cases, struct {
			name string
			from *remote
			act  map[string]any
			why  string
		}{"a note of another host", other, map[string]any{"id": other.actor("eve") + "/activities/1", "type": "Create", "actor": other.actor("eve"), "object": foreign}, "not the actor's"})
		// A fetched parent whose author is on another host.
		spoof := rm.note("alice", "spoof", itemURI, "<p>spoof</p>")
		spoof["attributedTo"] = other.actor("eve")
		rm.serveDoc("/users/alice/statuses/spoof", spoof)
		cases = append(cases, struct {
			name string
			from *remote
			act  map[string]any
			why  string
		}{"a parent written on another host", rm, create(rm.note("alice", "child", spoof["id"].(string), "<p>child</p>")), "not written by someone of its host"})
		for _, c := range cases {
			before := h.countRows("comments", "")
			state, why := h.deliver(t, c.from, c.act)
			if state != store.InboxIgnored || !strings.Contains(why, c.why) {
				t.Errorf("%s: %s %q, want ignored with %q", c.name, state, why, c.why)
			}
			if n := h.countRows("comments", ""); n != before {
				t.Errorf("%s stored %d comments", c.name, n-before)
			}
		}

		// A reply to a closed item is not stored.
		if _, err := s.DB().Exec(`UPDATE items SET comments_policy = 'closed' WHERE id = $1`, item.ID); err != nil {
			t.Fatal(err)
		}
		state, why := h.deliver(t, other, create(other.note("eve", "closed", itemURI, "<p>hello?</p>")))
		if state != store.InboxIgnored || !strings.Contains(why, "closed") {
			t.Errorf("closed item: %s %s", state, why)
		}
		if _, err := s.DB().Exec(`UPDATE items SET comments_policy = 'inherit' WHERE id = $1`, item.ID); err != nil {
			t.Fatal(err)
		}

		// A channel's block of an author purges their comments and refuses
		// new ones; a blocked instance is refused at the inbox.
		purged, err := s.BlockForChannel(ctx, h.channel.ID, rm.actor("deep"), "")
		if err != nil || purged != 10 {
			t.Fatalf("block purged %d: %v", purged, err)
		}
		state, why = h.deliver(t, rm, create(rm.note("deep", "again", itemURI, "<p>again</p>")))
		if state != store.InboxIgnored || !strings.Contains(why, "blocked") {
			t.Errorf("blocked author: %s %s", state, why)
		}
		if err := s.SetInstancePolicy(ctx, other.host(), store.PolicyBlock); err != nil {
			t.Fatal(err)
		}
		if st, _ := other.post(h.url+"/inbox", create(other.note("eve", "blocked", itemURI, "<p>hi</p>"))); st != http.StatusForbidden {
			t.Errorf("blocked instance: status %d", st)
		}
		if n := h.countRows("comments", ""); n != 0 {
			t.Errorf("%d comments left", n)
		}
	})
}

// A creator's reply goes to the thread: the servers of its participants
// (one shared inbox each, however many authors there) and the actors it
// mentions, and NOT to the channel's followers. It mentions the parent's
// author, so that it shows in their notifications.
func TestCreatorReplyDeliveries(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHub(t, s, hubOptions{})
		item := h.publishItem("Talk")
		itemURI := h.url + "/i/" + item.PublicID
		masto, gts, follower, mentioned := newRemote(t), newRemote(t), newRemote(t), newRemote(t)
		// follower's actor follows the channel: it got the Create of the item.
		fa, err := h.fed.RemoteActor(ctx, follower.actor("fan"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpsertFollow(ctx, fa.ID, h.channel.ActorID, store.FollowAccepted, follower.actor("fan")+"#follow"); err != nil {
			t.Fatal(err)
		}
		n1 := masto.note("alice", "1", itemURI, "<p>First!</p>")
		h.deliver(t, masto, create(n1))
		h.deliver(t, masto, create(masto.note("ann", "2", n1["id"].(string), "<p>me too</p>")))
		h.deliver(t, gts, create(gts.note("bob", "3", n1["id"].(string), "<p>and me</p>")))
		parent := h.comment(t, n1["id"].(string))

		before := map[*remote]int{}
		for _, r := range []*remote{masto, gts, follower, mentioned} {
			before[r] = len(r.activities("Create"))
		}
		reply, err := h.fed.PostComment(ctx, h.owner, item, parent.ID, "Thanks all! cc @zoe@"+mentioned.host()+" #radio")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(reply.ContentHTML, `class="u-url mention"`) || !strings.Contains(reply.ContentHTML, "@<span>alice</span>") {
			t.Errorf("the reply does not mention the parent's author: %s", reply.ContentHTML)
		}
		eventually(t, "the reply's deliveries", func() bool {
			return len(masto.activities("Create")) > before[masto] && len(gts.activities("Create")) > before[gts] &&
				len(mentioned.activities("Create")) > before[mentioned]
		})
		time.Sleep(300 * time.Millisecond) // any stray delivery would have arrived
		got := map[string]int{}
		for name, r := range map[string]*remote{"masto": masto, "gts": gts, "follower": follower, "mentioned": mentioned} {
			got[name] = len(r.activities("Create")) - before[r]
		}
		if got["masto"] != 1 || got["gts"] != 1 || got["mentioned"] != 1 || got["follower"] != 0 {
			t.Errorf("deliveries per server: %v, want masto 1, gts 1, mentioned 1, follower 0", got)
		}
		acts := masto.activities("Create")
		note := acts[len(acts)-1]["object"].(map[string]any)
		if note["inReplyTo"] != n1["id"] || fmt.Sprint(note["attributedTo"]) != "["+h.url+"/u/carol]" {
			t.Errorf("the Note: %v", note)
		}
		tags := fmt.Sprint(note["tag"])
		if !strings.Contains(tags, masto.actor("alice")) || !strings.Contains(tags, mentioned.actor("zoe")) {
			t.Errorf("the Note's mentions: %s", tags)
		}
		// The Note is served at its id.
		resp, body := h.get(strings.TrimPrefix(reply.URI, h.url), "application/activity+json")
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"inReplyTo":"`+n1["id"].(string)) {
			t.Errorf("GET %s: %d %s", reply.URI, resp.StatusCode, body)
		}
		// Deleting it sends Delete to the same servers and leaves a Tombstone.
		if err := h.fed.RemoveComment(ctx, reply); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the Delete", func() bool { return len(masto.activities("Delete")) == 1 && len(gts.activities("Delete")) == 1 })
		if resp, _ := h.get(strings.TrimPrefix(reply.URI, h.url), "application/activity+json"); resp.StatusCode != http.StatusGone {
			t.Errorf("deleted comment: %d, want 410", resp.StatusCode)
		}
		if n := len(follower.activities("Delete")); n != 0 {
			t.Errorf("the follower got %d Deletes", n)
		}
	})
}

// With approval required, a reply is held (out of the thread and the
// collection) until the creator decides; the author is told with
// ApproveReply or RejectReply. Watched words hold a reply too.
func TestReplyApproval(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHub(t, s, hubOptions{})
		item := h.publishItem("Moderated")
		itemURI := h.url + "/i/" + item.PublicID
		if err := s.SetChannelComments(ctx, h.channel.ID, "approval", ""); err != nil {
			t.Fatal(err)
		}
		rm := newRemote(t)
		good, bad := rm.note("alice", "good", itemURI, "<p>nice</p>"), rm.note("alice", "bad", itemURI, "<p>meh</p>")
		h.deliver(t, rm, create(good))
		h.deliver(t, rm, create(bad))
		cg, cb := h.comment(t, good["id"].(string)), h.comment(t, bad["id"].(string))
		if cg.State != store.CommentHeld || cb.State != store.CommentHeld {
			t.Fatalf("states %s %s, want held", cg.State, cb.State)
		}
		if n, _ := s.CountVisibleComments(ctx, item.ID); n != 0 {
			t.Errorf("%d visible before approval", n)
		}
		if _, body := h.get("/i/"+item.PublicID+"/replies?page=1", "application/activity+json"); strings.Contains(string(body), "nice") {
			t.Errorf("a held comment is in the collection")
		}
		if err := h.fed.ModerateComment(ctx, cg, true); err != nil {
			t.Fatal(err)
		}
		if err := h.fed.ModerateComment(ctx, cb, false); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the decisions", func() bool {
			return len(rm.activities("ApproveReply")) == 1 && len(rm.activities("RejectReply")) == 1
		})
		ok := rm.activities("ApproveReply")[0]
		if ok["object"] != good["id"] || ok["inReplyTo"] != itemURI || ok["actor"] != h.url+"/u/carol" {
			t.Errorf("ApproveReply: %v", ok)
		}
		if c := h.comment(t, good["id"].(string)); c.State != store.CommentVisible {
			t.Errorf("approved comment is %s", c.State)
		}
		if _, err := s.CommentByURI(ctx, bad["id"].(string)); err != store.ErrNotFound {
			t.Errorf("rejected comment still stored")
		}

		// Watched words, on an open channel.
		if err := s.SetChannelComments(ctx, h.channel.ID, "open", "casino\nfree money"); err != nil {
			t.Fatal(err)
		}
		spam := rm.note("alice", "spam", itemURI, "<p>Get <b>FREE money</b> now</p>")
		h.deliver(t, rm, create(spam))
		if c := h.comment(t, spam["id"].(string)); c.State != store.CommentHeld || c.HeldReason != "watched word: free money" {
			t.Errorf("spam: %s %q", c.State, c.HeldReason)
		}
		fine := rm.note("alice", "fine", itemURI, "<p>casinos are a topic</p>")
		h.deliver(t, rm, create(fine))
		if c := h.comment(t, fine["id"].(string)); c.State != store.CommentVisible {
			t.Errorf("a word containing a watched word held the comment: %s", c.HeldReason)
		}
	})
}

// Backfill reads a remote item's comments collection (paged, PeerTube
// style) and the replies collections of those comments (Mastodon style),
// and stores the public ones in their threads.
func TestBackfill(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHub(t, s, hubOptions{})
		pt := newRemote(t)
		video := pt.base() + "/videos/watch/v1"
		owner, err := h.fed.RemoteActor(ctx, pt.actor("chan"))
		if err != nil {
			t.Fatal(err)
		}
		item, err := s.UpsertRemoteItem(ctx, store.RemoteItem{ChannelActorID: owner.ID, Kind: store.ItemVideo, Title: "Remote",
			OriginURI: video, PublishedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		c1 := pt.note("a", "c1", video, "<p>one</p>")
		c2 := pt.note("b", "c2", video, "<p>two</p>")
		c3 := pt.note("c", "c3", c1["id"].(string), "<p>three, a reply to one</p>")
		private := pt.note("d", "c4", video, "<p>private</p>")
		private["to"], private["cc"] = []string{pt.actor("d") + "/followers"}, []string{}
		c1["replies"] = map[string]any{"id": c1["id"].(string) + "/replies", "type": "Collection",
			"first": map[string]any{"type": "CollectionPage", "items": []string{c3["id"].(string)}}}
		for _, n := range []map[string]any{c1, c2, c3, private} {
			pt.serveDoc(strings.TrimPrefix(n["id"].(string), pt.base()), n)
		}
		pt.serveDoc("/videos/watch/v1", map[string]any{"id": video, "type": "Video", "name": "Remote",
			"attributedTo": pt.actor("chan"), "comments": video + "/comments", "to": []string{public}})
		page1 := map[string]any{"id": video + "/comments/p1", "type": "OrderedCollectionPage", "orderedItems": []string{c1["id"].(string), private["id"].(string)},
			"next": video + "/comments/p2"}
		page2 := map[string]any{"id": video + "/comments/p2", "type": "OrderedCollectionPage", "orderedItems": []any{c2}}
		pt.serveDoc("/videos/watch/v1/comments", map[string]any{"id": video + "/comments", "type": "OrderedCollection", "totalItems": 3,
			"first": video + "/comments/p1"})
		pt.serveDoc("/videos/watch/v1/comments/p1", page1)
		pt.serveDoc("/videos/watch/v1/comments/p2", page2)

		n, err := h.fed.Backfill(ctx, item)
		if err != nil || n != 3 {
			t.Fatalf("backfilled %d: %v", n, err)
		}
		page, err := s.Threads(ctx, store.ThreadQuery{ItemID: item.ID})
		if err != nil || page.Total != 2 {
			t.Fatalf("threads: %+v %v", page, err)
		}
		if r := h.comment(t, c3["id"].(string)); r.ParentID != h.comment(t, c1["id"].(string)).ID {
			t.Errorf("the nested reply is not under its parent")
		}
		// A second run finds nothing new.
		if n, err := h.fed.Backfill(ctx, item); err != nil || n != 0 {
			t.Errorf("second run: %d %v", n, err)
		}
	})
}

// A reply whose parent's server is down waits for a retry: it stays
// pending with the reason, and one drain is scheduled for when it is due.
func TestReplyRetriedWhenParentServerIsDown(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newHub(t, s, hubOptions{})
		h.publishItem("Target")
		rm := newRemote(t)
		n := rm.note("alice", "r1", "http://127.0.0.1:1/notes/gone-server", "<p>reply to a note on a dead server</p>")
		act := create(n)
		if st, msg := rm.post(h.url+"/inbox", act); st != http.StatusAccepted {
			t.Fatalf("%d %s", st, msg)
		}
		var note string
		var attempts int
		eventually(t, "the first attempt", func() bool {
			err := s.DB().QueryRow(`SELECT note, attempts FROM inbox_activities WHERE activity_uri = $1 AND state = 'pending'`, act["id"]).Scan(&note, &attempts)
			return err == nil && note != ""
		})
		if attempts != 1 || !strings.Contains(note, "fetch the parent") {
			t.Errorf("attempts %d, note %q", attempts, note)
		}
		eventually(t, "the retry's drain", func() bool {
			return h.countRows("river_job", "kind = 'federation_inbox' AND state = 'scheduled'") == 1
		})
		if n := h.countRows("comments", ""); n != 0 {
			t.Errorf("%d comments stored", n)
		}
	})
}

// wakeDown is a job queue whose drain wake-ups fail, as when the database
// refuses the job insert after the rows committed.
type wakeDown struct {
	jobs.Queue
	failed atomic.Int64
}

func (q *wakeDown) Wake(context.Context, river.JobArgs) error {
	q.failed.Add(1)
	return errors.New("queue down")
}

// A reply whose drain wake-up fails still gets its 202 (it was stored
// before), and the periodic drain processes it: nothing is lost.
func TestReplyDrainedWhenWakeUpFails(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		q := &wakeDown{}
		h := newHub(t, s, hubOptions{sweep: 300 * time.Millisecond, queue: func(r jobs.Queue) jobs.Queue { q.Queue = r; return q }})
		item := h.publishItem("Episode one")
		rm := newRemote(t)
		n := rm.note("ada", "1", h.url+"/i/"+item.PublicID, "<p>still here</p>")
		if st, msg := rm.post(h.url+"/inbox", create(n)); st != http.StatusAccepted {
			t.Fatalf("status %d %s", st, msg)
		}
		if state, note := h.processed(t, create(n)["id"].(string)); state != store.InboxDone {
			t.Fatalf("state %s (%s), want done", state, note)
		}
		if c := h.comment(t, n["id"].(string)); c.ItemID != item.ID || !strings.Contains(c.ContentHTML, "still here") {
			t.Errorf("comment %+v", c)
		}
		eventually(t, "the failed wake-up logged", func() bool {
			return q.failed.Load() > 0 && strings.Contains(h.logText(), "cannot queue a drain")
		})
	})
}

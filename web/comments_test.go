package web

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/mmcdole/gofeed"

	"github.com/archipel/archipel/markup"
	"github.com/archipel/archipel/markup/markuptest"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// commentsFixture is a federating hub with alice's published video on
// @clips, and accounts for bob (a commenter), mallory and root (an admin).
type commentsFixture struct {
	h       *mediaHarness
	s       *store.Store
	channel *store.Channel
	item    *store.Item
	bob     *store.User
}

func newCommentsFixture(t *testing.T, s *store.Store) *commentsFixture {
	t.Helper()
	alice := createUser(t, s, "alice", store.RoleCreator)
	bob := createUser(t, s, "bob", store.RoleCreator)
	createUser(t, s, "mallory", store.RoleCreator)
	createUser(t, s, "root", store.RoleAdmin)
	c := createChannel(t, s, alice, "clips", store.KindVideo)
	item := seedItem(t, s, c, "First clip", "About *it*.", true)
	h := newMediaHarness(t, s, mediaOptions{federation: true})
	return &commentsFixture{h: h, s: s, channel: c, item: item, bob: bob}
}

func (f *commentsFixture) page() string { return "/i/" + f.item.PublicID }

// signedIn returns a browser signed in as name.
func (f *commentsFixture) signedIn(name string) *browser {
	b := f.h.browser()
	b.login(name)
	return b
}

var commentLocationRE = regexp.MustCompile(`#c([0-9]+)$`)

// post sends the comment form of page (an item's page, maybe with
// ?reply=N) with text and returns the new comment's id.
func (f *commentsFixture) post(t *testing.T, b *browser, page, text string) int64 {
	t.Helper()
	r := b.submit(page, f.page()+"/comments", url.Values{"text": {text}})
	wantStatus(t, r, http.StatusSeeOther)
	m := commentLocationRE.FindStringSubmatch(r.Header.Get("Location"))
	if m == nil {
		t.Fatalf("Location after posting = %q", r.Header.Get("Location"))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// insertComment stores a comment of author directly, under parent (0: on
// the item).
func insertComment(t testing.TB, s *store.Store, item *store.Item, author *store.Actor, parent int64, content string) *store.Comment {
	t.Helper()
	c, err := s.InsertComment(context.Background(), store.Comment{ItemID: item.ID, ParentID: parent, AuthorID: author.ID,
		URI: fmt.Sprintf("https://%s/notes/%d", author.Domain, time.Now().UnixNano()), URL: "",
		ContentHTML: string(markup.New().Comment(content)), State: store.CommentVisible})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// actorOn records a remote Person called name on domain.
func actorOn(t testing.TB, s *store.Store, name, domain string) *store.Actor {
	t.Helper()
	a, err := s.UpsertRemoteActor(context.Background(), store.Actor{Kind: "Person", Username: name,
		URI: "https://" + domain + "/users/" + name, URL: "https://" + domain + "/@" + name,
		Inbox: "https://" + domain + "/users/" + name + "/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// parseHTML parses a page.
func parseHTML(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// byID finds the element with id in the tree under n.
func byID(n *html.Node, id string) *html.Node {
	if n.Type == html.ElementNode && attr(n, "id") == id {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := byID(c, id); f != nil {
			return f
		}
	}
	return nil
}

// commentsSectionHTML is the page's <section id="comments">, rendered.
func commentsSectionHTML(t *testing.T, body string) string {
	t.Helper()
	n := byID(parseHTML(t, body), "comments")
	if n == nil || n.Data != "section" {
		t.Fatalf("no <section id=\"comments\"> in:\n%s", body)
	}
	var b strings.Builder
	if err := html.Render(&b, n); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// placement is where a comment shows in its thread.
type placement struct {
	Level  int   // nested <ol class="replies"> around it, flat ones not counted
	Parent int64 // the comment it shows under; 0 for a top-level one
	Flat   bool  // in a flat list (deeper than the indentation goes)
}

// commentPlacement finds where comment id shows on a page.
func commentPlacement(t *testing.T, body string, id int64) placement {
	t.Helper()
	n := byID(parseHTML(t, body), "c"+strconv.FormatInt(id, 10))
	if n == nil {
		t.Fatalf("comment %d is not on the page:\n%s", id, body)
	}
	var p placement
	for a := n.Parent; a != nil; a = a.Parent {
		if a.Type != html.ElementNode || a.Data != "ol" || !hasClass(a, "replies") {
			continue
		}
		if hasClass(a, "flat") {
			p.Flat = true
		} else {
			p.Level++
		}
		if p.Parent == 0 {
			for prev := a.PrevSibling; prev != nil; prev = prev.PrevSibling {
				if prev.Type == html.ElementNode && prev.Data == "article" {
					p.Parent, _ = strconv.ParseInt(strings.TrimPrefix(attr(prev, "id"), "c"), 10, 64)
					break
				}
			}
		}
	}
	return p
}

// TestCommentThreads posts comments and replies from the item's page and
// checks how threads show: nested replies, deep replies flat at the
// deepest level, counts, links, and pages of threads.
func TestCommentThreads(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCommentsFixture(t, s)
		itemURI := "http://" + f.h.host + f.page()

		// Signed out: the section, an invitation to sign in or reply from
		// elsewhere, and the feed in the head.
		anon := f.h.browser()
		r := anon.get(f.page())
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `<section id="comments" class="comments" aria-labelledby="comments-heading">`,
			`<h2 id="comments-heading">Comments (0)</h2>`, "No comments yet.",
			`<a href="/login?next=%2Fi%2F`+f.item.PublicID+`%23comment-form">Sign in to comment</a>`,
			`<a href="/interact?uri=`+url.QueryEscape(itemURI)+`">reply from your instance</a>`,
			`<link rel="alternate" type="application/rss+xml" title="Comments" href="`+itemURI+`/comments.rss">`)
		wantNotContains(t, r.body, `action="`+f.page()+`/comments"`)

		// Bob comments: back to his comment, shown with his handle.
		bob := f.signedIn("bob")
		r = bob.get(f.page())
		wantContains(t, r.body, `<form method="post" action="`+f.page()+`/comments" id="comment-form" class="comment-form">`,
			`<label for="comment-text">Your comment</label>`, `<textarea id="comment-text" name="text" rows="4" maxlength="5000" required`)
		r = bob.submit(f.page(), f.page()+"/comments", url.Values{"text": {"Great clip! #music https://example.org/more"}})
		wantStatus(t, r, http.StatusSeeOther)
		m := commentLocationRE.FindStringSubmatch(r.Header.Get("Location"))
		if m == nil || !strings.HasPrefix(r.Header.Get("Location"), f.page()+"#c") {
			t.Fatalf("Location = %q", r.Header.Get("Location"))
		}
		first, _ := strconv.ParseInt(m[1], 10, 64)
		c, err := s.CommentByID(ctx, first)
		if err != nil || c.State != store.CommentVisible || c.AuthorID != f.bob.ActorID {
			t.Fatalf("stored comment: %+v, %v", c, err)
		}
		r = anon.get(f.page())
		sid := strconv.FormatInt(first, 10)
		wantContains(t, r.body, "Comments (1)", `<article id="c`+sid+`" class="comment">`,
			`<span class="comment-author">bob</span>`, `<span class="handle">@bob@`+f.h.host+`</span>`,
			`Great clip!`, `href="https://example.org/more"`,
			`<a href="/interact?uri=`+url.QueryEscape("http://"+f.h.host+"/comments/"+sid)+`">Reply from your instance</a>`)
		wantNotContains(t, r.body, `?reply=`+sid, `action="/comments/`+sid+`/delete"`) // signed out
		r = bob.get(f.page())
		wantContains(t, r.body, `href="`+f.page()+`?reply=`+sid+`#comment-form">Reply`, `action="/comments/`+sid+`/delete"`)
		wantNotContains(t, r.body, `action="/comments/`+sid+`/approve"`)
		// The channel's owner may delete it too; others may not.
		wantContains(t, f.signedIn("alice").get(f.page()).body, `action="/comments/`+sid+`/delete"`)
		wantNotContains(t, f.signedIn("mallory").get(f.page()).body, `action="/comments/`+sid+`/delete"`)

		// A reply, from ?reply=: the form says to whom, and it nests.
		r = bob.get(f.page() + "?reply=" + sid)
		wantContains(t, r.body, `<input type="hidden" name="parent_id" value="`+sid+`">`,
			`Replying to <a href="#c`+sid+`">bob</a>`, `<label for="comment-text">Your reply</label>`, "Post reply")
		reply := f.post(t, bob, f.page()+"?reply="+sid, "Replying to myself.")
		r = anon.get(f.page())
		if p := commentPlacement(t, r.body, reply); p != (placement{Level: 1, Parent: first}) {
			t.Errorf("reply placement = %+v", p)
		}
		wantContains(t, r.body, "Comments (2)", `<p class="meta thread-count">1 reply</p>`)

		// A chain five deep from elsewhere: nested down to level 3, then
		// flat at level 3, saying whom each answers.
		carol := actorOn(t, s, "carol", "remote.example")
		chain := []*store.Comment{insertComment(t, s, f.item, carol, 0, "<p>level 0</p>")}
		for i := 1; i <= 5; i++ {
			chain = append(chain, insertComment(t, s, f.item, carol, chain[i-1].ID, fmt.Sprintf("<p>level %d</p>", i)))
		}
		if chain[5].Depth != 5 {
			t.Fatalf("depth of the last = %d", chain[5].Depth)
		}
		r = anon.get(f.page())
		want := []placement{{}, {1, chain[0].ID, false}, {2, chain[1].ID, false}, {3, chain[2].ID, false},
			{3, chain[3].ID, true}, {3, chain[3].ID, true}}
		for i, c := range chain {
			if got := commentPlacement(t, r.body, c.ID); got != want[i] {
				t.Errorf("comment at depth %d: placement %+v, want %+v", i, got, want[i])
			}
		}
		wantContains(t, r.body, `<span class="replying-to">replying to @carol@remote.example</span>`,
			`<a class="comment-author" href="https://remote.example/@carol" rel="nofollow noopener">carol</a>`,
			`<p class="meta thread-count">5 replies</p>`)
		if n := strings.Count(r.body, `<span class="replying-to">`); n != 2 {
			t.Errorf("%d comments say whom they reply to, want 2", n)
		}
		// Replying to a deep comment works the same.
		deep := f.post(t, bob, f.page()+"?reply="+strconv.FormatInt(chain[5].ID, 10), "Deep.")
		if p := commentPlacement(t, bob.get(f.page()).body, deep); p != (placement{3, chain[3].ID, true}) {
			t.Errorf("deep reply placement = %+v", p)
		}

		// Content warnings and sensitive comments fold.
		cw, err := s.InsertComment(ctx, store.Comment{ItemID: f.item.ID, AuthorID: carol.ID, URI: "https://remote.example/notes/cw",
			URL: "https://remote.example/@carol/cw", ContentHTML: "<p>spoiler</p>", Summary: "Ending spoilers", Sensitive: true,
			State: store.CommentVisible})
		if err != nil {
			t.Fatal(err)
		}
		sensitive, err := s.InsertComment(ctx, store.Comment{ItemID: f.item.ID, AuthorID: carol.ID, URI: "https://remote.example/notes/s",
			ContentHTML: "<p>gore</p>", Sensitive: true, State: store.CommentVisible})
		if err != nil {
			t.Fatal(err)
		}
		r = anon.get(f.page())
		wantContains(t, r.body,
			`<details class="cw">
    <summary>Ending spoilers</summary>
    <div class="comment-content"><p>spoiler</p></div>`,
			`<summary>Sensitive content</summary>
    <div class="comment-content"><p>gore</p></div>`,
			// A remote comment links to its original rather than to /interact.
			`<a href="https://remote.example/@carol/cw" rel="nofollow noopener">Original`)
		wantNotContains(t, r.body, url.QueryEscape(cw.URI), "/interact?uri="+url.QueryEscape("http://"+f.h.host+"/comments/"+strconv.FormatInt(sensitive.ID, 10)))

		// Likes and boosts show when there are some.
		if _, err := s.DB().ExecContext(ctx, `UPDATE comments SET like_count = 3, share_count = 1 WHERE id = $1`, first); err != nil {
			t.Fatal(err)
		}
		wantContains(t, anon.get(f.page()).body, `<span class="meta">3 likes</span>`, `<span class="meta">1 boost</span>`)

		// Pages of 20 threads, newest first.
		for i := 0; i < 20; i++ {
			insertComment(t, s, f.item, carol, 0, fmt.Sprintf("<p>thread %d</p>", i))
		}
		r = anon.get(f.page())
		if n := strings.Count(commentsSectionHTML(t, r.body), `<li class="thread">`); n != threadsPerPage {
			t.Errorf("%d threads on the first page", n)
		}
		wantContains(t, r.body, `<a href="`+f.page()+`?cpage=2#comments" rel="next">Older comments</a>`, "thread 19")
		wantNotContains(t, r.body, `rel="prev"`, "Great clip!")
		r = anon.get(f.page() + "?cpage=2")
		if n := strings.Count(commentsSectionHTML(t, r.body), `<li class="thread">`); n != 4 {
			t.Errorf("%d threads on the second page, want 4", n)
		}
		wantContains(t, r.body, `<a href="`+f.page()+`#comments" rel="prev">Newer comments</a>`, "Great clip!", "Page 2")
		wantNotContains(t, r.body, `rel="next"`)
		// Replying from page 2 comes back to page 2.
		r = bob.get(f.page() + "?cpage=2&reply=" + sid)
		wantContains(t, r.body, `<input type="hidden" name="cpage" value="2">`)
		r = bob.submit(f.page()+"?cpage=2&reply="+sid, f.page()+"/comments", url.Values{"text": {"From page two."}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, f.page()+"?cpage=2#c") {
			t.Errorf("Location after replying from page 2 = %q", loc)
		}
	})
}

// TestCommentFormErrors shows the page again with what went wrong and
// the text typed.
func TestCommentFormErrors(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		f := newCommentsFixture(t, s)
		bob := f.signedIn("bob")
		r := bob.submit(f.page(), f.page()+"/comments", url.Values{"text": {"   "}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, `<p class="alert" role="alert" id="comment-error">Your comment is empty: write something first.</p>`,
			`aria-describedby="comment-hint comment-error" aria-invalid="true"`)

		long := strings.Repeat("é", 5001) + " <b>&"
		r = bob.submit(f.page(), f.page()+"/comments", url.Values{"text": {long}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "Your comment is too long: at most 5000 characters (it has 5006).",
			strings.Repeat("é", 5001)+" &lt;b&gt;&amp;</textarea>")

		// A reply to a comment that is not on this item.
		other := seedItem(t, s, f.channel, "Second clip", "", true)
		elsewhere := insertComment(t, s, other, actorOn(t, s, "carol", "remote.example"), 0, "<p>elsewhere</p>")
		form := formFields(t, bob.get(f.page()).body, f.page()+"/comments")
		form.Set("text", "Kept text")
		form.Set("parent_id", strconv.FormatInt(elsewhere.ID, 10))
		r = bob.post(f.page()+"/comments", form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "The comment you replied to is no longer here", ">Kept text</textarea>")
		wantNotContains(t, r.body, `name="parent_id"`)
		form.Set("parent_id", "nonsense")
		wantStatus(t, bob.post(f.page()+"/comments", form), http.StatusUnprocessableEntity)

		// Signed out: sign in first; without the form token, nothing.
		anon := f.h.browser()
		token := formFields(t, anon.get("/login").body, "/login")
		r = anon.post(f.page()+"/comments", url.Values{csrfField: token[csrfField], "text": {"hi"}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/login?next=") {
			t.Errorf("Location = %q", loc)
		}
		wantStatus(t, bob.post(f.page()+"/comments", url.Values{"text": {"hi"}}), http.StatusForbidden)
		if n, _ := s.CountVisibleComments(context.Background(), f.item.ID); n != 0 {
			t.Errorf("%d comments were stored", n)
		}
		// Drafts take no comments, and others do not even see them.
		draft := seedItem(t, s, f.channel, "Draft", "", false)
		form = formFields(t, bob.get("/").body, "/logout")
		form.Set("text", "hi")
		wantStatus(t, bob.post("/i/"+draft.PublicID+"/comments", form), http.StatusNotFound)
		r = f.signedIn("alice").get("/i/" + draft.PublicID)
		wantNotContains(t, r.body, `id="comments"`)
	})
}

// TestCommentsXSS stores hostile comments as remote servers could send
// them, sanitized as the inbox does (with the hostile text as content
// warning, and a hostile author and links), and checks that the thread
// shown to visitors holds nothing that runs, loads or styles anything.
func TestCommentsXSS(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCommentsFixture(t, s)
		evil, err := s.UpsertRemoteActor(ctx, store.Actor{Kind: "Person", Username: `"><script>alert(1)</script>`,
			DisplayName: `<img src=x onerror=alert(1)>`, URI: "https://evil.example/users/x", URL: "javascript:alert(1)",
			Inbox: "https://evil.example/users/x/inbox"})
		if err != nil {
			t.Fatal(err)
		}
		m := markup.New()
		var parent int64
		for i, entry := range markuptest.XSSCorpus {
			c := store.Comment{ItemID: f.item.ID, AuthorID: evil.ID, URI: fmt.Sprintf("https://evil.example/notes/%d", i),
				URL: "javascript:alert(1)", ContentHTML: string(m.Comment(entry)), State: store.CommentVisible}
			if i%2 == 0 {
				c.Summary = entry // content warnings are plain text
			}
			if i%3 == 1 {
				c.ParentID = parent // some replies, some threads
			}
			stored, err := s.InsertComment(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			parent = stored.ID
		}
		anon := f.h.browser()
		threads := 0
		for page := 1; ; page++ {
			r := anon.get(f.page() + "?cpage=" + strconv.Itoa(page))
			wantStatus(t, r, http.StatusOK)
			section := commentsSectionHTML(t, r.body)
			if err := markuptest.InertAllowing(section, "section", "h2", "ol", "li", "article", "header", "time",
				"details", "summary", "div", "nav"); err != nil {
				t.Errorf("page %d of comments is not inert: %v\n%s", page, err, section)
			}
			threads += strings.Count(section, `<li class="thread">`)
			if !strings.Contains(section, `rel="next"`) {
				break
			}
		}
		if want := len(markuptest.XSSCorpus) - len(markuptest.XSSCorpus)/3; threads != want {
			t.Errorf("%d threads shown, want %d", threads, want)
		}
		// The benign sample keeps its links.
		r := anon.get(f.page())
		wantContains(t, r.body, `href="https://mastodon.example/@alice"`)
		// Links that are not http(s) give way to the ids.
		wantContains(t, r.body, `<a class="comment-author" href="https://evil.example/users/x" rel="nofollow noopener">&lt;img src=x onerror=alert(1)&gt;</a>`,
			`<a href="https://evil.example/notes/`)
		wantNotContains(t, r.body, "ZgotmplZ")
	})
}

// TestCommentApprovalAndPolicies covers a channel's comment policies and
// watched words: held comments are seen by moderators only, who approve or
// reject them from the item's page or the channel's comments page.
func TestCommentApprovalAndPolicies(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCommentsFixture(t, s)
		alice, bob, anon := f.signedIn("alice"), f.signedIn("bob"), f.h.browser()

		// The owner requires approval from the channel's comments page.
		r := alice.get("/c/clips")
		wantContains(t, r.body, `<a href="/c/clips/comments">Manage comments</a>`,
			`<link rel="alternate" type="application/rss+xml" title="Comments" href="http://`+f.h.host+`/c/clips/comments.rss">`)
		wantNotContains(t, r.body, "waiting for approval")
		wantNotContains(t, bob.get("/c/clips").body, "Manage comments")
		r = alice.get("/c/clips/comments")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `<label for="policy">Who may comment</label>`, `<option value="open" selected>`,
			`<label for="watched-words">Watched words</label>`, "No comment is waiting for approval.", "Nobody is blocked.")
		r = alice.submit("/c/clips/comments", "/c/clips/comments/settings", url.Values{"policy": {"approval"}, "watched_words": {""}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/c/clips/comments?saved=1#settings-heading" {
			t.Errorf("Location = %q", loc)
		}
		wantContains(t, alice.get("/c/clips/comments?saved=1").body, `<option value="approval" selected>`, "The settings were saved.")

		// Bob's comment waits; he is told so, others do not see it.
		r = bob.get(f.page())
		wantContains(t, r.body, "The creator approves comments before they show.")
		r = bob.submit(f.page(), f.page()+"/comments", url.Values{"text": {"Please approve me"}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != f.page()+"?comment=held#comment-form" {
			t.Fatalf("Location = %q", loc)
		}
		held, err := s.ListComments(ctx, store.CommentFilter{ItemID: f.item.ID, State: store.CommentHeld})
		if err != nil || len(held) != 1 {
			t.Fatalf("held comments: %v, %v", held, err)
		}
		id := strconv.FormatInt(held[0].ID, 10)
		wantContains(t, bob.get(f.page()+"?comment=held").body, "Your comment is waiting for the creator’s approval.")
		for _, b := range []*browser{anon, bob, f.signedIn("mallory")} {
			body := b.get(f.page()).body
			wantNotContains(t, body, "Please approve me")
			wantContains(t, body, "Comments (0)")
		}
		wantStatus(t, anon.get("/comments/"+id), http.StatusNotFound)

		// The owner sees it marked, with Approve and Reject, on the item's
		// page, the channel's page and its comments page.
		r = alice.get(f.page())
		wantContains(t, r.body, "Please approve me", `<span class="badge held">Waiting for approval</span>`,
			`action="/comments/`+id+`/approve"`, `action="/comments/`+id+`/reject"`)
		wantContains(t, alice.get("/c/clips").body, `<span class="badge held">1 waiting for approval</span>`)
		r = alice.get("/c/clips/comments")
		wantContains(t, r.body, "Waiting for approval (1)", "Please approve me",
			`on <a href="`+f.page()+`#c`+id+`">First clip</a>`, `action="/comments/`+id+`/approve"`)
		// The admin moderates too; others may not.
		wantContains(t, f.signedIn("root").get("/c/clips/comments").body, "Please approve me")
		r = bob.get("/c/clips/comments")
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r.body, "Only the owner of @clips and admins can moderate its comments.")
		r = anon.get("/c/clips/comments")
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/login?next=%2Fc%2Fclips%2Fcomments" {
			t.Errorf("Location = %q", loc)
		}
		token := formFields(t, bob.get("/").body, "/logout")
		r = bob.post("/comments/"+id+"/approve", token)
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r.body, "Only the owner of @clips and admins can moderate its comments.")

		// Approved from the comments page: back there, and shown to all.
		r = alice.submit("/c/clips/comments", "/comments/"+id+"/approve", nil)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/c/clips/comments" {
			t.Errorf("Location = %q", loc)
		}
		wantContains(t, anon.get(f.page()).body, "Please approve me", "Comments (1)")
		r = alice.post("/comments/"+id+"/approve", formFields(t, alice.get("/").body, "/logout"))
		wantStatus(t, r, http.StatusConflict)

		// Rejected from the item's page: gone.
		r = bob.submit(f.page(), f.page()+"/comments", url.Values{"text": {"Reject me"}})
		wantStatus(t, r, http.StatusSeeOther)
		held, _ = s.ListComments(ctx, store.CommentFilter{ItemID: f.item.ID, State: store.CommentHeld})
		if len(held) != 1 {
			t.Fatalf("%d held comments", len(held))
		}
		rid := strconv.FormatInt(held[0].ID, 10)
		r = alice.submit(f.page(), "/comments/"+rid+"/reject", nil)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != f.page()+"#comments" {
			t.Errorf("Location = %q", loc)
		}
		wantNotContains(t, alice.get(f.page()).body, "Reject me")
		if _, err := s.CommentByID(ctx, held[0].ID); !isNotFound(err) {
			t.Errorf("rejected comment: %v", err)
		}

		// Watched words hold comments even when comments are open.
		r = alice.submit("/c/clips/comments", "/c/clips/comments/settings",
			url.Values{"policy": {"open"}, "watched_words": {"spam\r\n  Buy   now \r\n\r\nSPAM"}})
		wantStatus(t, r, http.StatusSeeOther)
		if w, _ := s.WatchedWords(ctx, f.channel.ID); w != "spam\nBuy now" {
			t.Errorf("watched words = %q", w)
		}
		wantContains(t, alice.get("/c/clips/comments").body, "spam\nBuy now</textarea>")
		r = bob.submit(f.page(), f.page()+"/comments", url.Values{"text": {"buy now, cheap"}})
		wantStatus(t, r, http.StatusSeeOther)
		wantContains(t, r.Header.Get("Location"), "comment=held")
		r = alice.get("/c/clips/comments")
		wantContains(t, r.body, "Waiting for approval (1)", `<span class="badge held">Held: watched word: buy now</span>`)
		f.post(t, bob, f.page(), "An honest comment")

		// Bad settings are refused with what was typed.
		r = alice.submit("/c/clips/comments", "/c/clips/comments/settings", url.Values{"policy": {"everyone"}, "watched_words": {"kept"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "Choose who may comment", ">kept</textarea>")
		r = alice.submit("/c/clips/comments", "/c/clips/comments/settings",
			url.Values{"policy": {"open"}, "watched_words": {strings.Repeat("x", 101)}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "is too long: at most 100 characters")

		// Closed: no form, and posting anyway is refused.
		r = alice.submit("/c/clips/comments", "/c/clips/comments/settings", url.Values{"policy": {"closed"}})
		wantStatus(t, r, http.StatusSeeOther)
		r = bob.get(f.page())
		wantContains(t, r.body, "<p>Comments are closed.</p>", "An honest comment")
		wantNotContains(t, r.body, `action="`+f.page()+`/comments"`, "?reply=")
		wantContains(t, anon.get(f.page()).body, "<p>Comments are closed.</p>")
		form := formFields(t, bob.get("/").body, "/logout")
		form.Set("text", "Let me in")
		r = bob.post(f.page()+"/comments", form)
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r.body, `<p class="alert" role="alert" id="comment-error">Comments are closed: your comment was not posted.</p>`)
		// Its moderators may still comment.
		r = alice.get(f.page())
		wantContains(t, r.body, "as a moderator you can still comment")
		f.post(t, alice, f.page(), "Closing words")
	})
}

// TestCommentDeleteAndBlock deletes comments (gone from the page, the feed
// and the replies collection; a deleted comment with replies stays as a
// placeholder) and blocks remote authors and servers.
func TestCommentDeleteAndBlock(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCommentsFixture(t, s)
		alice, bob, anon := f.signedIn("alice"), f.signedIn("bob"), f.h.browser()
		carol := actorOn(t, s, "carol", "remote.example")
		erin := actorOn(t, s, "erin", "other.example")
		gus := actorOn(t, s, "gus", "other.example")

		mine := f.post(t, bob, f.page(), "Mine to delete")
		kept := f.post(t, bob, f.page(), "Parent comment")
		under := insertComment(t, s, f.item, carol, kept, "<p>carol answers</p>")
		carolToo := insertComment(t, s, f.item, carol, 0, "<p>carol again</p>")
		insertComment(t, s, f.item, erin, 0, "<p>erin here</p>")
		insertComment(t, s, f.item, gus, 0, "<p>gus here</p>")

		feed := func() rssFeed {
			t.Helper()
			r := anon.get(f.page() + "/comments.rss")
			wantStatus(t, r, http.StatusOK)
			return parseRSS(t, r)
		}
		replies := func() string {
			t.Helper()
			r := anon.request(http.MethodGet, f.page()+"/replies?page=1", nil, http.Header{"Accept": {"application/activity+json"}})
			wantStatus(t, r, http.StatusOK)
			return r.body
		}
		mineURI := "http://" + f.h.host + "/comments/" + strconv.FormatInt(mine, 10)
		if n := len(feed().Channel.Items); n != 6 {
			t.Errorf("feed: %d items, want 6", n)
		}
		wantContains(t, replies(), `"id":"`+mineURI+`"`)

		// Others may not delete Bob's comment.
		sid := strconv.FormatInt(mine, 10)
		r := f.signedIn("mallory").post("/comments/"+sid+"/delete", formFields(t, f.signedIn("mallory").get("/").body, "/logout"))
		wantStatus(t, r, http.StatusForbidden)

		// Bob deletes his: gone everywhere, tombstoned.
		r = bob.submit(f.page(), "/comments/"+sid+"/delete", nil)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != f.page()+"#comments" {
			t.Errorf("Location = %q", loc)
		}
		wantNotContains(t, anon.get(f.page()).body, "Mine to delete", `id="c`+sid+`"`)
		items := feed().Channel.Items
		if len(items) != 5 {
			t.Errorf("feed after deleting: %d items, want 5", len(items))
		}
		for _, it := range items {
			if it.GUID.Value == mineURI {
				t.Error("the deleted comment is still in the feed")
			}
		}
		wantNotContains(t, replies(), mineURI)
		r = anon.request(http.MethodGet, "/comments/"+sid, nil, http.Header{"Accept": {"application/activity+json"}})
		wantStatus(t, r, http.StatusGone)
		r = anon.get("/comments/" + sid)
		wantStatus(t, r, http.StatusGone)
		wantContains(t, r.body, "This comment has been deleted.")
		wantStatus(t, bob.post("/comments/"+sid+"/delete", formFields(t, bob.get("/").body, "/logout")), http.StatusNotFound)

		// The owner deletes Bob's other comment: its reply holds it.
		kid := strconv.FormatInt(kept, 10)
		r = alice.submit(f.page(), "/comments/"+kid+"/delete", nil)
		wantStatus(t, r, http.StatusSeeOther)
		r = anon.get(f.page())
		wantContains(t, r.body, `<article id="c`+kid+`" class="comment deleted">`, "This comment was deleted.", "carol answers")
		wantNotContains(t, r.body, "Parent comment")
		if p := commentPlacement(t, r.body, under.ID); p != (placement{Level: 1, Parent: kept}) {
			t.Errorf("the reply to a deleted comment: %+v", p)
		}

		// The comments page offers blocks for remote authors only.
		r = alice.get("/c/clips/comments")
		cid := strconv.FormatInt(carolToo.ID, 10)
		wantContains(t, r.body, "carol again", "Block @carol@remote.example", "Block everyone on other.example",
			`action="/comments/`+cid+`/block"`)
		wantNotContains(t, r.body, "Block @bob")
		// Only moderators block, and only remote authors.
		token := formFields(t, bob.get("/").body, "/logout")
		token.Set("scope", "author")
		wantStatus(t, bob.post("/comments/"+cid+"/block", token), http.StatusForbidden)
		own := f.post(t, bob, f.page(), "Local")
		form := formFields(t, alice.get("/").body, "/logout")
		form.Set("scope", "author")
		wantStatus(t, alice.post("/comments/"+strconv.FormatInt(own, 10)+"/block", form), http.StatusBadRequest)
		form.Set("scope", "everything")
		wantStatus(t, alice.post("/comments/"+cid+"/block", form), http.StatusBadRequest)

		// Blocking Carol purges her comments.
		r = alice.post("/comments/"+cid+"/block", url.Values{csrfField: form[csrfField], "scope": {"author"}, "next": {"/c/clips/comments"}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/c/clips/comments" {
			t.Errorf("Location = %q", loc)
		}
		r = anon.get(f.page())
		wantNotContains(t, r.body, "carol again", "carol answers")
		wantContains(t, r.body, "erin here", "gus here")
		// Blocking other.example purges Erin's and Gus's.
		var erinComment int64
		for _, cc := range mustList(t, s, f.item.ID) {
			if cc.Author.Username == "erin" {
				erinComment = cc.ID
			}
		}
		r = alice.post("/comments/"+strconv.FormatInt(erinComment, 10)+"/block", url.Values{csrfField: form[csrfField], "scope": {"instance"}})
		wantStatus(t, r, http.StatusSeeOther)
		wantNotContains(t, anon.get(f.page()).body, "erin here", "gus here")
		r = alice.get("/c/clips/comments")
		wantContains(t, r.body, `<span class="handle">https://remote.example/users/carol</span>`,
			`<span class="handle">Everyone on other.example</span>`)
		blocks, err := s.ChannelBlocks(ctx, f.channel.ID)
		if err != nil || len(blocks) != 2 {
			t.Fatalf("blocks: %+v, %v", blocks, err)
		}
		// Unblocking.
		unblock := "/c/clips/blocks/" + strconv.FormatInt(blocks[0].ID, 10) + "/delete"
		wantStatus(t, bob.post(unblock, formFields(t, bob.get("/").body, "/logout")), http.StatusForbidden)
		r = alice.submit("/c/clips/comments", unblock, nil)
		wantStatus(t, r, http.StatusSeeOther)
		if blocks, _ := s.ChannelBlocks(ctx, f.channel.ID); len(blocks) != 1 || blocks[0].Domain != "other.example" {
			t.Errorf("blocks after unblocking: %+v", blocks)
		}
		wantStatus(t, alice.post(unblock, formFields(t, alice.get("/").body, "/logout")), http.StatusNotFound)
	})
}

func mustList(t *testing.T, s *store.Store, itemID int64) []store.ChannelComment {
	t.Helper()
	list, err := s.ListComments(context.Background(), store.CommentFilter{ItemID: itemID})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// rssFeed is what tests read of an RSS 2.0 document.
type rssFeed struct {
	XMLName xml.Name `xml:"rss"`
	Version string   `xml:"version,attr"`
	Channel struct {
		Title string `xml:"title"`
		Link  string `xml:"link"`
		Items []struct {
			Title string `xml:"title"`
			Link  string `xml:"link"`
			GUID  struct {
				Value       string `xml:",chardata"`
				IsPermaLink string `xml:"isPermaLink,attr"`
			} `xml:"guid"`
			Description string `xml:"description"`
			Author      string `xml:"author"`
			PubDate     string `xml:"pubDate"`
		} `xml:"item"`
	} `xml:"channel"`
}

func parseRSS(t *testing.T, r *response) rssFeed {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/rss+xml; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var feed rssFeed
	if err := xml.Unmarshal([]byte(r.body), &feed); err != nil {
		t.Fatalf("the feed is not XML: %v\n%s", err, r.body)
	}
	if feed.Version != "2.0" {
		t.Errorf("RSS version %q", feed.Version)
	}
	return feed
}

// TestCommentFeeds checks the RSS feeds of an item's and a channel's
// comments.
func TestCommentFeeds(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		f := newCommentsFixture(t, s)
		bob, anon := f.signedIn("bob"), f.h.browser()
		first := f.post(t, bob, f.page(), "First <b>comment</b> & more")
		other := seedItem(t, s, f.channel, "Second clip", "", true)
		carol := actorOn(t, s, "carol", "remote.example")
		insertComment(t, s, other, carol, 0, "<p>on the second</p>")
		cw, err := s.InsertComment(context.Background(), store.Comment{ItemID: f.item.ID, AuthorID: carol.ID,
			URI: "https://remote.example/notes/cw", ContentHTML: "<p>hidden</p>", Summary: "Spoiler <ending>", Sensitive: true,
			State: store.CommentVisible, PublishedAt: time.Now().Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}

		r := anon.get(f.page() + "/comments.rss")
		wantStatus(t, r, http.StatusOK)
		feed := parseRSS(t, r)
		parsed, err := gofeed.NewParser().ParseString(r.body)
		if err != nil {
			t.Fatal(err)
		}
		if parsed.Title != "Comments on First clip" || parsed.Link != "http://"+f.h.host+f.page() {
			t.Errorf("feed channel: %q %q", parsed.Title, parsed.Link)
		}
		items := feed.Channel.Items
		if len(items) != 2 {
			t.Fatalf("%d items, want 2:\n%s", len(items), r.body)
		}
		// Newest first: Carol's, with its warning first.
		if it := items[0]; it.Title != "Comment by carol on First clip" || it.GUID.Value != cw.URI ||
			it.Description != "<p><strong>Content warning: Spoiler &lt;ending&gt;</strong></p><p>hidden</p>" {
			t.Errorf("first item: %+v", it)
		}
		it := items[1]
		sid := strconv.FormatInt(first, 10)
		if it.Title != "Comment by bob on First clip" || it.Link != "http://"+f.h.host+f.page()+"#c"+sid ||
			it.GUID.Value != "http://"+f.h.host+"/comments/"+sid || it.GUID.IsPermaLink != "false" {
			t.Errorf("second item: %+v", it)
		}
		// The author's name (not an email address) is the item's dc:creator.
		if a := parsed.Items[1].Authors; len(a) != 1 || a[0].Name != "bob" {
			t.Errorf("second item's author: %+v", a)
		}
		if !strings.Contains(it.Description, "First &lt;b&gt;comment&lt;/b&gt; &amp; more") {
			t.Errorf("description = %q", it.Description)
		}
		if _, err := time.Parse(time.RFC1123Z, it.PubDate); err != nil {
			t.Errorf("pubDate %q: %v", it.PubDate, err)
		}

		// The channel's feed has the comments on all its items.
		r = anon.get("/c/clips/comments.rss")
		wantStatus(t, r, http.StatusOK)
		feed = parseRSS(t, r)
		if len(feed.Channel.Items) != 3 || feed.Channel.Title != "Comments on Clips" {
			t.Errorf("channel feed: %q with %d items", feed.Channel.Title, len(feed.Channel.Items))
		}
		wantStatus(t, anon.get("/c/nobody/comments.rss"), http.StatusNotFound)
		draft := seedItem(t, s, f.channel, "Draft", "", false)
		wantStatus(t, anon.get("/i/"+draft.PublicID+"/comments.rss"), http.StatusNotFound)
	})
}

// TestCommentsAPI reads threads and posts comments with the JSON API.
func TestCommentsAPI(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCommentsFixture(t, s)
		cli := f.h.browser()
		bobAuth := bearer(apiToken(t, s, f.bob))
		alice, err := s.UserByUsername(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		aliceAuth := bearer(apiToken(t, s, alice))
		path := "/api/items/" + f.item.PublicID + "/comments"
		postJSON := func(hdr http.Header, body string) *response {
			t.Helper()
			req, err := http.NewRequest(http.MethodPost, cli.base.String()+path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range hdr {
				req.Header[k] = v
			}
			req.Header.Set("Content-Type", "application/json")
			return cli.do(req)
		}

		// Posting: 201 with the comment.
		r := postJSON(bobAuth, `{"text": "Via the API"}`)
		wantStatus(t, r, http.StatusCreated)
		var created struct {
			ID       int64  `json:"id"`
			URI      string `json:"uri"`
			URL      string `json:"url"`
			ParentID int64  `json:"parent_id"`
			Depth    int    `json:"depth"`
			State    string `json:"state"`
			Content  string `json:"content_html"`
		}
		if err := json.Unmarshal([]byte(r.body), &created); err != nil {
			t.Fatal(err)
		}
		sid := strconv.FormatInt(created.ID, 10)
		if created.URI != "http://"+f.h.host+"/comments/"+sid || created.URL != "http://"+f.h.host+f.page()+"#c"+sid ||
			created.State != "" || created.Content != "<p>Via the API</p>" {
			t.Errorf("created: %s", r.body)
		}
		r = postJSON(bobAuth, fmt.Sprintf(`{"text": "A reply", "parent_id": %d}`, created.ID))
		wantStatus(t, r, http.StatusCreated)
		wantContains(t, r.body, `"parent_id":`+sid, `"depth":1`)
		// Refusals.
		wantStatus(t, postJSON(nil, `{"text": "anonymous"}`), http.StatusUnauthorized)
		jsonError(t, postJSON(bobAuth, `{"text": "  "}`))
		wantStatus(t, postJSON(bobAuth, `{"text": "  "}`), http.StatusUnprocessableEntity)
		wantStatus(t, postJSON(bobAuth, `{"text": "x", "parent_id": 999999}`), http.StatusUnprocessableEntity)
		wantStatus(t, postJSON(bobAuth, `not json`), http.StatusBadRequest)
		wantStatus(t, postJSON(bobAuth, `{"text": "a"} {"text": "b"}`), http.StatusBadRequest)
		// A signed-in page's script must send the CSRF header.
		b := f.signedIn("bob")
		wantStatus(t, func() *response {
			req, _ := http.NewRequest(http.MethodPost, b.base.String()+path, strings.NewReader(`{"text": "no header"}`))
			return b.do(req)
		}(), http.StatusForbidden)
		token := formFields(t, b.get("/").body, "/logout").Get(csrfField)
		req, _ := http.NewRequest(http.MethodPost, b.base.String()+path, strings.NewReader(`{"text": "From the page"}`))
		req.Header.Set(csrfHeader, token)
		wantStatus(t, b.do(req), http.StatusCreated)

		// A held comment: only moderators read it.
		if err := s.SetChannelComments(ctx, f.channel.ID, "approval", ""); err != nil {
			t.Fatal(err)
		}
		r = postJSON(bobAuth, `{"text": "Held one"}`)
		wantStatus(t, r, http.StatusCreated)
		wantContains(t, r.body, `"state":"held"`)

		type author struct{ Name, Handle, URL, Icon string }
		type reply struct {
			ID          int64  `json:"id"`
			URI         string `json:"uri"`
			URL         string `json:"url"`
			Author      author `json:"author"`
			ContentHTML string `json:"content_html"`
			Summary     string `json:"summary"`
			Sensitive   bool   `json:"sensitive"`
			Published   string `json:"published"`
			Likes       int    `json:"likes"`
			Shares      int    `json:"shares"`
			State       string `json:"state"`
			ParentID    *int64 `json:"parent_id"`
			Depth       *int   `json:"depth"`
			Replies     []reply
		}
		var page struct {
			Total   int     `json:"total"`
			Page    int     `json:"page"`
			Threads []reply `json:"threads"`
		}
		read := func(hdr http.Header) {
			t.Helper()
			r := cli.request(http.MethodGet, path, nil, hdr)
			wantStatus(t, r, http.StatusOK)
			page.Threads = nil
			if err := json.Unmarshal([]byte(r.body), &page); err != nil {
				t.Fatal(err)
			}
		}
		read(nil)
		if page.Total != 2 || page.Page != 1 || len(page.Threads) != 2 {
			t.Fatalf("anonymous read: %+v", page)
		}
		th := page.Threads[1] // oldest last
		if th.ID != created.ID || th.Author.Name != "bob" || th.Author.Handle != "bob@"+f.h.host ||
			th.Author.URL != "http://"+f.h.host+"/u/bob" || th.ParentID != nil || th.Depth != nil ||
			len(th.Replies) != 1 || th.Published == "" {
			t.Errorf("thread: %+v", th)
		}
		if rp := th.Replies[0]; rp.ParentID == nil || *rp.ParentID != created.ID || rp.Depth == nil || *rp.Depth != 1 ||
			rp.ContentHTML != "<p>A reply</p>" {
			t.Errorf("reply: %+v", rp)
		}
		read(aliceAuth)
		if page.Total != 3 || page.Threads[0].State != "held" || page.Threads[0].ContentHTML != "<p>Held one</p>" {
			t.Errorf("moderator read: %+v", page)
		}
		r = cli.request(http.MethodGet, path+"?page=2", nil, nil)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `"page":2`, `"threads":[]`)
		wantStatus(t, cli.request(http.MethodGet, path+"?page=zero", nil, nil), http.StatusBadRequest)
		wantStatus(t, cli.request(http.MethodGet, "/api/items/nope/comments", nil, nil), http.StatusNotFound)

		// Closed: refused.
		if err := s.SetChannelComments(ctx, f.channel.ID, "closed", ""); err != nil {
			t.Fatal(err)
		}
		r = postJSON(bobAuth, `{"text": "closed"}`)
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, jsonError(t, r), "Comments are closed")
	})
}

// TestCommentNegotiation covers /comments/{id}: a Note for ActivityPub
// clients, the item's page for browsers; and the replies collections.
func TestCommentNegotiation(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		f := newCommentsFixture(t, s)
		bob, anon := f.signedIn("bob"), f.h.browser()
		id := f.post(t, bob, f.page(), "Hello fediverse")
		sid := strconv.FormatInt(id, 10)
		uri := "http://" + f.h.host + "/comments/" + sid
		ap := http.Header{"Accept": {"application/activity+json"}}

		r := anon.get("/comments/" + sid)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != f.page()+"#c"+sid {
			t.Errorf("Location = %q", loc)
		}
		r = anon.request(http.MethodGet, "/comments/"+sid, nil, ap)
		wantStatus(t, r, http.StatusOK)
		var note struct{ ID, Type, Content, InReplyTo string }
		if err := json.Unmarshal([]byte(r.body), &note); err != nil {
			t.Fatal(err)
		}
		if note.ID != uri || note.Type != "Note" || note.InReplyTo != "http://"+f.h.host+f.page() || !strings.Contains(note.Content, "Hello fediverse") {
			t.Errorf("note: %s", r.body)
		}
		wantStatus(t, anon.get("/comments/999999"), http.StatusNotFound)
		wantStatus(t, anon.get("/comments/x"), http.StatusNotFound)
		wantStatus(t, anon.request(http.MethodGet, "/comments/999999", nil, ap), http.StatusNotFound)

		// Replies collections: of the item, and of a comment.
		reply := f.post(t, bob, f.page()+"?reply="+sid, "A reply")
		r = anon.request(http.MethodGet, f.page()+"/replies", nil, ap)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `"type":"OrderedCollection"`, `"totalItems":1`, `"first":"http://`+f.h.host+f.page()+`/replies?page=1"`)
		r = anon.request(http.MethodGet, f.page()+"/replies?page=1", nil, ap)
		wantContains(t, r.body, `"type":"OrderedCollectionPage"`, `"id":"`+uri+`"`)
		wantNotContains(t, r.body, "A reply")
		r = anon.request(http.MethodGet, "/comments/"+sid+"/replies?page=1", nil, ap)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `"id":"http://`+f.h.host+`/comments/`+strconv.FormatInt(reply, 10)+`"`, "A reply")
		wantStatus(t, anon.request(http.MethodGet, "/comments/999999/replies", nil, ap), http.StatusNotFound)
		// Likes and shares are still counted collections.
		r = anon.request(http.MethodGet, f.page()+"/likes", nil, ap)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `"totalItems":0`)
		draft := seedItem(t, s, f.channel, "Draft", "", false)
		wantStatus(t, anon.request(http.MethodGet, "/i/"+draft.PublicID+"/replies", nil, ap), http.StatusNotFound)
	})
}

// TestItemEditCommentsPolicy checks the comment policy field of the item
// edit form, offered once the store can save it.
func TestItemEditCommentsPolicy(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		f := newCommentsFixture(t, s)
		alice := f.signedIn("alice")
		edit := f.page() + "/edit"
		r := alice.get(edit)
		wantContains(t, r.body, `<label for="comments-policy">Comments</label>`, `<option value="inherit" selected>As the channel</option>`,
			`<option value="approval">Approval required</option>`)
		r = alice.submit(edit, edit, url.Values{"title": {"First clip"}, "comments_policy": {"sometimes"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "Choose who may comment from the list.")
		r = alice.submit(edit, edit, url.Values{"title": {"First clip"}, "comments_policy": {"closed"}})
		wantStatus(t, r, http.StatusSeeOther)
		wantContains(t, f.h.browser().get(f.page()).body, "<p>Comments are closed.</p>")
	})
}

// TestInteractFormMayRedirectAway checks the policy of the remote
// interaction page: its form's answer redirects to the visitor's server,
// which form-action must allow (Chromium holds a form's redirects to it).
// Elsewhere forms stay on this site.
func TestInteractFormMayRedirectAway(t *testing.T) {
	s := storetest.Open(t, store.SQLite)
	f := newCommentsFixture(t, s)
	r := f.h.browser().get("/interact?uri=" + url.QueryEscape("http://"+f.h.host+f.page()))
	wantStatus(t, r, http.StatusOK)
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' http: https:;") &&
		!strings.HasSuffix(csp, "form-action 'self' http: https:") {
		t.Errorf("the interact page's policy is %q", csp)
	}
	if csp := f.h.browser().get(f.page()).Header.Get("Content-Security-Policy"); csp != contentSecurityPolicy {
		t.Errorf("the item page's policy is %q", csp)
	}
}

package web

import (
	"cmp"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/store"
)

// Comments on an item's page: its threads, newest first and paged, each
// with its replies nested under their parents down to maxNestLevel (deeper
// replies show flat at that level, saying whom they reply to), and the
// form to comment or reply.

const (
	// threadsPerPage is the number of threads on a page of comments.
	threadsPerPage = 20
	// maxNestLevel is the deepest indentation of a reply.
	maxNestLevel = 3
)

// Comment policies, of a channel, and of an item ("inherit": its
// channel's).
const (
	policyInherit  = "inherit"
	policyOpen     = "open"
	policyApproval = "approval"
	policyClosed   = "closed"
)

// commentsSection is the data of the comments section of an item's page.
type commentsSection struct {
	ItemID    string // the item's public id
	Count     int    // visible comments, replies included
	Threads   []*commentView
	Page      int // 1-based
	PrevURL   string
	NextURL   string
	Policy    string // effective: open, approval or closed
	Moderator bool   // the viewer moderates the item's comments
	SignedIn  bool
	CanPost   bool // the viewer may comment (signed in, and not closed or moderator)
	CSRFToken string
	// InteractURL is /interact for the item ("" for remote items, which
	// are interacted with on their server).
	InteractURL string
	Form        commentForm
	Held        bool // the viewer's comment was just held for approval
}

// commentForm is what the comment form shows: what was typed, whom it
// replies to, and what went wrong.
type commentForm struct {
	Text    string
	Error   string
	Parent  *store.Comment // the comment replied to; nil: a comment on the item
	ReplyTo *commentView   // Parent as the form shows it
}

// CancelReplyURL goes back to the form without a parent.
func (sec *commentsSection) CancelReplyURL() string {
	return sec.pageURL(sec.Page, "") + "#comment-form"
}

// pageURL is the item's page showing page of comments, with reply when
// not "".
func (sec *commentsSection) pageURL(page int, reply string) string {
	q := url.Values{}
	if page > 1 {
		q.Set("cpage", strconv.Itoa(page))
	}
	if reply != "" {
		q.Set("reply", reply)
	}
	u := "/i/" + sec.ItemID
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// BackURL is where the forms of the section come back to.
func (sec *commentsSection) BackURL() string { return sec.pageURL(sec.Page, "") + "#comments" }

// commentView is one comment as a thread shows it.
type commentView struct {
	*store.Comment
	Name      string // display name, or username
	Handle    string // @user@domain
	AuthorURL string // the author's profile; "" for local authors
	Content   template.HTML
	Deleted   bool // a placeholder kept for its replies
	Held      bool // waiting for approval (moderators only see it)
	Level     int  // indentation, 0 for a top-level comment
	// ReplyingTo names the parent of a reply shown flat, deeper than
	// maxNestLevel: "@user@domain", or "" when it is nested normally.
	ReplyingTo string
	Replies    []*commentView
	ReplyCount int    // visible replies in the thread, for top-level comments
	ReplyURL   string // the comment form replying to it; "" when the viewer may not
	// InteractURL opens the comment on the viewer's own server, for
	// comments of this hub; OriginalURL is where a remote one lives.
	InteractURL string
	OriginalURL string
	CanDelete   bool
	sec         *commentsSection
}

// S is the section the comment is in, for the templates.
func (c *commentView) S() *commentsSection { return c.sec }

// Anchor is the comment's id in the page.
func (c *commentView) Anchor() string { return "c" + strconv.FormatInt(c.ID, 10) }

// Flat tells whether the comment's replies show at its own level.
func (c *commentView) Flat() bool { return c.Level >= maxNestLevel }

// commentsPage reads the page of threads asked for with ?cpage=N (or, for
// the comment form, its cpage field).
func commentsPage(r *http.Request) int {
	n, err := strconv.Atoi(r.FormValue("cpage"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// itemComments builds the comments section of a published item's page
// for user. form is what to show in the comment form (nil: an empty one,
// replying to ?reply=ID when that is a visible comment of the item).
func (s *server) itemComments(w http.ResponseWriter, r *http.Request, user *store.User, item *store.Item, form *commentForm) (*commentsSection, error) {
	ctx := r.Context()
	sec := &commentsSection{
		ItemID:    item.PublicID,
		Page:      commentsPage(r),
		Moderator: federation.CanModerate(user, item),
		SignedIn:  user != nil,
		Held:      r.URL.Query().Get("comment") == "held",
	}
	if item.OriginURI == "" {
		sec.InteractURL = interactURL(s.federation.ItemURI(item.PublicID))
	}
	var err error
	if sec.Policy, err = s.federation.CommentsPolicyOf(r.Context(), item); err != nil {
		return nil, err
	}
	sec.CanPost = user != nil && (sec.Policy != policyClosed || sec.Moderator)
	if sec.SignedIn {
		sec.CSRFToken = s.csrfToken(w, r)
	}
	if sec.Count, err = s.store.CountVisibleComments(ctx, item.ID); err != nil {
		return nil, err
	}
	tp, err := s.store.Threads(ctx, store.ThreadQuery{ItemID: item.ID, WithHeld: sec.Moderator,
		Offset: (sec.Page - 1) * threadsPerPage, Limit: threadsPerPage})
	if err != nil {
		return nil, err
	}
	sec.Threads = s.buildThreads(s.tr(r), tp, sec, user)
	if sec.Page > 1 {
		sec.PrevURL = sec.pageURL(sec.Page-1, "") + "#comments"
	}
	if sec.Page*threadsPerPage < tp.Total {
		sec.NextURL = sec.pageURL(sec.Page+1, "") + "#comments"
	}

	if form != nil {
		sec.Form = *form
	} else if reply := r.URL.Query().Get("reply"); reply != "" && sec.CanPost {
		sec.Form.Parent = s.replyTarget(r, item, reply)
	}
	if sec.Form.Parent != nil {
		sec.Form.ReplyTo = s.commentView(sec.Form.Parent, sec, user)
	}
	return sec, nil
}

// replyTarget is the visible comment of item whose id is in id, or nil.
func (s *server) replyTarget(r *http.Request, item *store.Item, id string) *store.Comment {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return nil
	}
	c, err := s.store.CommentByID(r.Context(), n)
	if err != nil || c.ItemID != item.ID || c.State != store.CommentVisible {
		return nil
	}
	return c
}

// buildThreads nests the replies of each thread of a page under their
// parents. A reply deeper than maxNestLevel goes, flat, under its ancestor
// at that level; a reply whose parent is not shown (held) goes under the
// thread's top-level comment.
func (s *server) buildThreads(tr *catalog, tp *store.ThreadPage, sec *commentsSection, user *store.User) []*commentView {
	threads := make([]*commentView, 0, len(tp.Threads))
	for _, root := range tp.Threads {
		top := s.commentView(root, sec, user)
		top.ReplyCount = tp.Counts[root.ID]
		threads = append(threads, top)
		replies := tp.Replies[root.ID]
		byID := make(map[int64]*commentView, len(replies)+1)
		byID[root.ID] = top
		for _, c := range replies {
			byID[c.ID] = s.commentView(c, sec, user)
		}
		// Place parents before their replies (they come oldest first,
		// but clocks differ between servers), then list the replies
		// under their places oldest first.
		order := slices.Clone(replies)
		slices.SortStableFunc(order, func(a, b *store.Comment) int { return cmp.Compare(a.Depth, b.Depth) })
		under := make(map[int64]*commentView, len(replies))
		for _, c := range order {
			v, parent := byID[c.ID], byID[c.ParentID]
			switch {
			case parent == nil:
				v.Level, under[c.ID] = 1, top
			case parent.Level < maxNestLevel:
				v.Level, under[c.ID] = parent.Level+1, parent
			default:
				// Deeper than the indentation goes: flat beside the
				// ancestor at the deepest level, saying whom it answers.
				v.Level, under[c.ID] = maxNestLevel, parent
				if parent.ReplyingTo != "" {
					under[c.ID] = under[parent.ID]
				}
				v.ReplyingTo = parent.Handle
				if parent.Deleted {
					v.ReplyingTo = tr.T("comment.deleted_parent")
				}
			}
		}
		for _, c := range replies {
			under[c.ID].Replies = append(under[c.ID].Replies, byID[c.ID])
		}
	}
	return threads
}

// commentView is what a thread shows of c to user.
func (s *server) commentView(c *store.Comment, sec *commentsSection, user *store.User) *commentView {
	v := &commentView{Comment: c, sec: sec, Name: c.Author.Name(), Handle: s.authorHandle(c.Author),
		AuthorURL: authorURL(c.Author), Deleted: c.State == store.CommentDeleted, Held: c.State == store.CommentHeld}
	if v.Deleted {
		return v
	}
	v.Content = template.HTML(c.ContentHTML) // #nosec G203: sanitized when stored
	if c.State == store.CommentVisible {
		if sec.CanPost {
			v.ReplyURL = sec.pageURL(sec.Page, strconv.FormatInt(c.ID, 10)) + "#comment-form"
		}
		if c.URI == s.federation.CommentURI(c.ID) {
			v.InteractURL = interactURL(c.URI)
		} else if c.Author.Domain != "" {
			v.OriginalURL = webURL(c.URL)
			if v.OriginalURL == "" {
				v.OriginalURL = webURL(c.URI)
			}
		}
	}
	v.CanDelete = sec.Moderator || (user != nil && user.ActorID == c.AuthorID)
	return v
}

// authorHandle is @user@domain of a comment's author, local ones included.
func (s *server) authorHandle(a store.CommentAuthor) string {
	if a.Domain == "" {
		return "@" + a.Username + "@" + s.publicURL.Host
	}
	return "@" + a.Handle()
}

// authorURL is the profile of a remote comment author, "" for local ones
// (and for profiles that are not web pages).
func authorURL(a store.CommentAuthor) string {
	if a.Domain == "" {
		return ""
	}
	if u := webURL(a.URL); u != "" {
		return u
	}
	return webURL(a.URI)
}

// webURL is u when it is an absolute http(s) URL, else "": what remote
// servers send is linked only then.
func webURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return u
}

// interactURL is the remote interaction form for an object of this hub.
func interactURL(uri string) string {
	return "/interact?uri=" + url.QueryEscape(uri)
}

// MaxLength is the longest comment, in characters.
func (sec *commentsSection) MaxLength() int { return federation.MaxCommentLength }

// SignInURL signs in and comes back to the comments.
func (sec *commentsSection) SignInURL() string {
	return "/login?next=" + url.QueryEscape("/i/"+sec.ItemID+"#comment-form")
}

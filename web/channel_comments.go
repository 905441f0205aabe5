package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/archipel/archipel/store"
)

// The comments page of a channel, for its owner and admins: the comments
// waiting for approval, the recent ones (to delete, or block their authors
// or servers), the channel's blocks, and its comment settings.

// Limits of the channel comments page and its settings form.
const (
	maxHeldShown      = 100
	maxRecentShown    = 50
	maxWatchedWords   = 200
	maxWatchedWordLen = 100
)

// commentPolicies are the choices of a channel's comment policy.
func commentPolicies(tr *catalog) []policyChoice {
	return []policyChoice{
		{policyOpen, tr.T("moderation.policy_open")},
		{policyApproval, tr.T("moderation.policy_approval")},
		{policyClosed, tr.T("moderation.policy_closed")},
	}
}

type policyChoice struct{ Value, Label string }

// channelCommentsPage is the data of a channel's comments page.
type channelCommentsPage struct {
	Channel      *store.Channel
	Held         []*moderatedComment
	HeldTotal    int
	Recent       []*moderatedComment
	Blocks       []channelBlock
	Policies     []policyChoice
	Policy       string
	WatchedWords string
	Error        string // what was wrong with the settings
	Saved        bool
	Next         string // this page, where the forms come back
	CommentsFeed string
	MaxHeld      int
}

// moderatedComment is a comment as the moderation page lists it.
type moderatedComment struct {
	store.ChannelComment
	Name      string
	Handle    string
	AuthorURL string
	Content   template.HTML
	Remote    bool // from another server: its author or server may be blocked
}

// channelBlock is one of a channel's blocks.
type channelBlock struct {
	store.ChannelBlock
	Label string
}

// handleChannelComments shows a channel's comments page.
func (s *server) handleChannelComments(w http.ResponseWriter, r *http.Request) {
	_, c := s.manageChannelFor(w, r, "error.not_owner.comments")
	if c == nil {
		return
	}
	page := &channelCommentsPage{Channel: c, Policy: c.CommentsPolicy, Saved: r.URL.Query().Get("saved") == "1"}
	if page.Policy == "" {
		page.Policy = policyOpen
	}
	words, err := s.store.WatchedWords(r.Context(), c.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	page.WatchedWords = words
	s.showChannelComments(w, r, http.StatusOK, page)
}

// showChannelComments fills in the lists of a channel's comments page and
// renders it with status.
func (s *server) showChannelComments(w http.ResponseWriter, r *http.Request, status int, page *channelCommentsPage) {
	ctx := r.Context()
	c := page.Channel
	page.Policies = commentPolicies(s.tr(r))
	page.Next = "/c/" + c.Handle + "/comments"
	page.CommentsFeed = s.absURL("/c/" + c.Handle + "/comments.rss")
	page.MaxHeld = maxHeldShown
	var err error
	if page.HeldTotal, err = s.store.CountHeldComments(ctx, c.ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	held, err := s.store.ListComments(ctx, store.CommentFilter{ChannelID: c.ID, State: store.CommentHeld, Limit: maxHeldShown})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	recent, err := s.store.ListComments(ctx, store.CommentFilter{ChannelID: c.ID, Limit: maxRecentShown})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, cc := range held {
		page.Held = append(page.Held, s.moderatedComment(cc))
	}
	for _, cc := range recent {
		page.Recent = append(page.Recent, s.moderatedComment(cc))
	}
	blocks, err := s.store.ChannelBlocks(ctx, c.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, b := range blocks {
		label := b.ActorURI
		if b.Domain != "" {
			label = s.tr(r).T("moderation.everyone_on", b.Domain)
		}
		page.Blocks = append(page.Blocks, channelBlock{ChannelBlock: b, Label: label})
	}
	s.render(w, r, status, "channel_comments", s.tr(r).T("moderation.heading", c.Title), page)
}

func (s *server) moderatedComment(cc store.ChannelComment) *moderatedComment {
	return &moderatedComment{ChannelComment: cc, Name: cc.Author.Name(), Handle: s.authorHandle(cc.Author),
		AuthorURL: authorURL(cc.Author), Content: template.HTML(cc.ContentHTML), // #nosec G203: sanitized when stored
		Remote: cc.Author.Domain != ""}
}

// handleChannelCommentSettings saves a channel's comment policy and
// watched words.
func (s *server) handleChannelCommentSettings(w http.ResponseWriter, r *http.Request) {
	user, c := s.manageChannelFor(w, r, "error.not_owner.comments")
	if c == nil {
		return
	}
	page := &channelCommentsPage{Channel: c, Policy: r.PostFormValue("policy"), WatchedWords: r.PostFormValue("watched_words")}
	words, msg := normalizeWatchedWords(s.tr(r), page.WatchedWords)
	switch page.Policy {
	case policyOpen, policyApproval, policyClosed:
	default:
		msg = s.tr(r).T("moderation.policy_invalid")
	}
	if msg != "" {
		page.Error = msg
		s.showChannelComments(w, r, http.StatusUnprocessableEntity, page)
		return
	}
	if err := s.store.SetChannelComments(r.Context(), c.ID, page.Policy, words); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("channel comment settings saved", "channel", c.Handle, "policy", page.Policy, "user", user.Username)
	http.Redirect(w, r, "/c/"+c.Handle+"/comments?saved=1#settings-heading", http.StatusSeeOther)
}

// normalizeWatchedWords turns the watched words as typed, one per line,
// into what is stored: each trimmed, without empty lines or repeats
// (ignoring case). It returns a message for people when they are not
// acceptable.
func normalizeWatchedWords(tr *catalog, typed string) (string, string) {
	var words []string
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.ReplaceAll(typed, "\r\n", "\n"), "\n") {
		w := strings.Join(strings.Fields(line), " ")
		key := strings.ToLower(w)
		if w == "" || seen[key] {
			continue
		}
		if utf8.RuneCountInString(w) > maxWatchedWordLen {
			return "", tr.T("moderation.word_too_long", truncateText(w, 40), maxWatchedWordLen)
		}
		seen[key] = true
		words = append(words, w)
	}
	if len(words) > maxWatchedWords {
		return "", tr.T("moderation.too_many_words", len(words), maxWatchedWords)
	}
	return strings.Join(words, "\n"), ""
}

// handleChannelUnblock lifts one of a channel's blocks.
func (s *server) handleChannelUnblock(w http.ResponseWriter, r *http.Request) {
	user, c := s.manageChannelFor(w, r, "error.not_owner.comments")
	if c == nil {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil && id > 0 {
		err = s.store.UnblockForChannel(r.Context(), c.ID, id)
	} else {
		err = store.ErrNotFound
	}
	if isNotFound(err) {
		s.renderError(w, r, http.StatusNotFound, "error.block_not_found", "error.block_not_found.message", c.Handle)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("channel block lifted", "channel", c.Handle, "block", id, "user", user.Username)
	http.Redirect(w, r, "/c/"+c.Handle+"/comments#blocks-heading", http.StatusSeeOther)
}

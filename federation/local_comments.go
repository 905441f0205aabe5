package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/markup"
	"github.com/archipel/archipel/store"
)

// Local comments: signed-in users comment as their Person. A comment goes
// to its thread (the authors of the thread, the actors it mentions, and
// for a remote item its origin), deduplicated by shared inbox, never to
// the author's followers: a creator's reply on a popular item costs one
// delivery per server in the thread, in one job.

// Errors of PostComment, for the web layer to explain.
var (
	ErrCommentsClosed  = errors.New("comments are closed on this item")
	ErrEmptyComment    = errors.New("the comment is empty")
	ErrCommentTooLong  = fmt.Errorf("the comment is over %d characters", MaxCommentLength)
	ErrParentNotInItem = errors.New("the comment replied to is not on this item")
)

// MaxCommentLength bounds a local comment, in characters.
const MaxCommentLength = 5000

// maxMentions bounds the handles of one comment that are looked up.
const maxMentions = 10

// CommentURI is the ActivityPub id of a local comment.
func (s *Service) CommentURI(id int64) string {
	return s.base + "/comments/" + strconv.FormatInt(id, 10)
}

// parseLocalComment returns the id of a local comment URI.
func (s *Service) parseLocalComment(uri string) (int64, bool) {
	rest, ok := strings.CutPrefix(s.localPath(uri), "/comments/")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

// TagURL is the page of a hashtag on this hub.
func (s *Service) TagURL(tag string) string { return s.base + "/tags/" + url.PathEscape(tag) }

// CanModerate tells whether user moderates the comments of item: its
// channel's owner, or an admin.
func CanModerate(user *store.User, item *store.Item) bool {
	return user != nil && (user.Role == store.RoleAdmin || item.OwnerID != 0 && item.OwnerID == user.ID)
}

// PostComment stores a local user's comment on item (under parentID, or
// on the item itself with 0) and, once visible, sends it to its thread.
// The channel's policy applies to everyone but its moderators: closed
// refuses, approval holds, and a watched word holds.
func (s *Service) PostComment(ctx context.Context, author *store.User, item *store.Item, parentID int64, text string) (*store.Comment, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	switch {
	case text == "":
		return nil, ErrEmptyComment
	case utf8.RuneCountInString(text) > MaxCommentLength:
		return nil, ErrCommentTooLong
	}
	moderator := CanModerate(author, item)
	state, reason := store.CommentVisible, ""
	policy, err := s.CommentsPolicyOf(ctx, item)
	if err != nil {
		return nil, err
	}
	switch policy {
	case "closed":
		if !moderator {
			return nil, ErrCommentsClosed
		}
	case "approval":
		if !moderator {
			state, reason = store.CommentHeld, "approval"
		}
	}
	var parent *store.Comment
	if parentID != 0 {
		p, err := s.store.CommentByID(ctx, parentID)
		if errors.Is(err, store.ErrNotFound) || err == nil && (p.ItemID != item.ID || p.State != store.CommentVisible) {
			return nil, ErrParentNotInItem
		}
		if err != nil {
			return nil, err
		}
		parent = p
		// Mention the parent's remote author, so that the reply reaches
		// them and shows in their notifications.
		if handle := "@" + p.Author.Handle(); p.Author.Domain != "" && !strings.Contains(text, handle) {
			text = handle + " " + text
		}
	}
	mentioned := map[string]*store.Actor{}
	html, _, tags := s.markup.CommentText(text, markup.TextOptions{
		ResolveMention: func(user, host string) (string, bool) {
			if len(mentioned) >= maxMentions {
				return "", false
			}
			a, err := s.resolveHandle(ctx, user, host)
			if err != nil {
				s.log.Info("mention not resolved", "handle", user+"@"+host, "error", err)
				return "", false
			}
			mentioned[a.URI] = a
			href := a.URL
			if href == "" {
				href = a.URI
			}
			return href, true
		},
		TagURL: s.TagURL,
	})
	_ = tags
	if state == store.CommentVisible && item.OriginURI == "" && !moderator {
		if w, err := s.watchedWord(ctx, item.ChannelID, string(html)); err != nil {
			return nil, err
		} else if w != "" {
			state, reason = store.CommentHeld, "watched word: "+w
		}
	}
	var out *store.Comment
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		c := store.Comment{ItemID: item.ID, AuthorID: author.ActorID, ContentHTML: string(html), State: state, HeldReason: reason}
		if parent != nil {
			c.ParentID, c.InReplyTo = parent.ID, parent.URI
		} else {
			c.InReplyTo = s.itemObjectURI(item)
		}
		var err error
		if out, err = tx.InsertComment(ctx, c, s.CommentURI); err != nil {
			return err
		}
		ids := make([]int64, 0, len(mentioned))
		for _, a := range mentioned {
			if a.Local() {
				continue
			}
			ids = append(ids, a.ID)
		}
		if err := tx.AddCommentMentions(ctx, out.ID, ids); err != nil {
			return err
		}
		if state != store.CommentVisible {
			return nil
		}
		return s.queueCommentActivity(ctx, tx, out, "Create", nil)
	})
	return out, err
}

// itemObjectURI is the ActivityPub id of an item, local or remote.
func (s *Service) itemObjectURI(item *store.Item) string {
	if item.OriginURI != "" {
		return item.OriginURI
	}
	return s.ItemURI(item.PublicID)
}

// resolveHandle finds the actor of @user@host: local, stored, or looked up
// with WebFinger and fetched.
func (s *Service) resolveHandle(ctx context.Context, user, host string) (*store.Actor, error) {
	if strings.EqualFold(host, s.host) {
		return s.store.LocalActor(ctx, strings.ToLower(user))
	}
	uri, err := s.webfingerActor(ctx, user, host)
	if err != nil {
		return nil, err
	}
	return s.RemoteActor(ctx, uri)
}

// queueCommentActivity records a Create, Update or Delete of a local
// comment by its author and queues its one delivery job. Recipients are
// resolved by the job (the thread as it is then), or given (a Delete,
// whose comment is gone by then).
func (s *Service) queueCommentActivity(ctx context.Context, tx *store.Tx, c *store.Comment, verb string, inboxes []string) error {
	id, err := tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: c.AuthorID, Type: verb, ObjectURI: c.URI, Public: true, Inboxes: inboxes},
		func(int64) (string, error) { return "", nil })
	if err != nil {
		return err
	}
	return s.queueDelivery(ctx, tx, id)
}

// buildCommentActivity writes the body of a comment's Create or Update
// once committed; "" when the comment is gone or not visible.
func (s *Service) buildCommentActivity(ctx context.Context, act *store.OutboxActivity) (string, error) {
	id, ok := s.parseLocalComment(act.ObjectURI)
	if !ok {
		return "", nil
	}
	c, err := s.store.CommentByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if c.State != store.CommentVisible {
		return "", nil
	}
	obj, err := s.CommentObject(ctx, c)
	if err != nil {
		return "", err
	}
	return s.writeActivityBody(ctx, act, obj.AttributedTo[0], obj)
}

// commentRecipients resolves where a local comment goes: its thread's
// remote authors and the actors it mentions, and for a remote item its
// origin's channel.
func (s *Service) commentRecipients(ctx context.Context, act *store.OutboxActivity) ([]store.Recipient, error) {
	id, ok := s.parseLocalComment(act.ObjectURI)
	if !ok {
		return nil, nil
	}
	rs, err := s.store.ThreadRecipients(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := s.store.CommentByID(ctx, id)
	if err != nil {
		return rs, nil
	}
	item, err := s.store.ItemByID(ctx, c.ItemID)
	if err == nil && item.OriginURI != "" {
		if r, err := s.store.ChannelRecipient(ctx, item.ChannelID); err == nil {
			rs = append(rs, r)
		}
	}
	return rs, nil
}

// CommentObject renders a comment as a Note: a reply to its parent or to
// the item, public, mentioning whom it mentions.
func (s *Service) CommentObject(ctx context.Context, c *store.Comment) (*ap.Object, error) {
	author, err := s.store.ActorByID(ctx, c.AuthorID)
	if err != nil {
		return nil, err
	}
	authorURI := s.ActorURI(author)
	published := c.PublishedAt.UTC()
	o := &ap.Object{Context: ap.DefaultContext(), ID: c.URI, Type: "Note", AttributedTo: ap.IRIs{authorURI},
		InReplyTo: c.InReplyTo, Content: c.ContentHTML, Summary: c.Summary, Sensitive: c.Sensitive,
		Published: &published, To: ap.IRIs{ap.Public}, Cc: ap.IRIs{authorURI + "/followers"},
		URL:     ap.Links{{Href: s.commentPageURL(c), MediaType: "text/html"}},
		Replies: &ap.Ref{ID: c.URI + "/replies"}}
	if !c.UpdatedAt.Equal(c.PublishedAt) && author.Local() {
		u := c.UpdatedAt.UTC()
		o.Updated = &u
	}
	mentions, err := s.store.CommentMentions(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range mentions {
		o.Cc = append(o.Cc, m.URI)
		o.Tag = append(o.Tag, ap.Tag{Type: "Mention", Href: m.URI, Name: "@" + m.Username + "@" + m.Domain})
	}
	return o, nil
}

// commentPageURL is where a comment shows in its item's page.
func (s *Service) commentPageURL(c *store.Comment) string {
	item, err := s.store.ItemByID(context.Background(), c.ItemID)
	if err != nil {
		return c.URL
	}
	return s.ItemURI(item.PublicID) + "#c" + strconv.FormatInt(c.ID, 10)
}

// ModerateComment approves (shows) or rejects (removes) a held comment.
// The remote author is told with ApproveReply or RejectReply, as PeerTube
// does; an approved local comment is sent to its thread.
func (s *Service) ModerateComment(ctx context.Context, c *store.Comment, approve bool) error {
	if c.State != store.CommentHeld {
		return fmt.Errorf("the comment is not waiting for approval")
	}
	item, err := s.store.ItemByID(ctx, c.ItemID)
	if err != nil {
		return err
	}
	author, err := s.store.ActorByID(ctx, c.AuthorID)
	if err != nil {
		return err
	}
	if approve {
		if err := s.store.SetCommentState(ctx, c.ID, store.CommentVisible); err != nil {
			return err
		}
	} else if err := s.store.DeleteComment(ctx, c.ID); err != nil {
		return err
	}
	if author.Local() {
		if !approve {
			return nil
		}
		c.State = store.CommentVisible
		return s.store.InTx(ctx, func(tx *store.Tx) error { return s.queueCommentActivity(ctx, tx, c, "Create", nil) })
	}
	return s.sendReplyDecision(ctx, item, c, author, approve)
}

// sendReplyDecision sends ApproveReply or RejectReply to a comment's
// remote author, from the owner of the item's channel.
func (s *Service) sendReplyDecision(ctx context.Context, item *store.Item, c *store.Comment, author *store.Actor, approve bool) error {
	if item.OriginURI != "" {
		return nil
	}
	ownerActor, err := s.store.ChannelOwnerActor(ctx, item.ChannelID)
	if err != nil {
		return err
	}
	verb := "RejectReply"
	if approve {
		verb = "ApproveReply"
	}
	inReplyTo := c.InReplyTo
	if inReplyTo == "" {
		inReplyTo = s.ItemURI(item.PublicID)
	}
	actorURI := s.ActorURI(ownerActor)
	inbox := author.Inbox
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		id, err := tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: ownerActor.ID, Type: verb, ObjectURI: c.URI, Public: false, Inboxes: []string{inbox}},
			func(id int64) (string, error) {
				return marshal(map[string]any{"@context": ap.ContextActivityStreams, "id": s.ActivityURI(id), "type": verb,
					"actor": actorURI, "object": c.URI, "inReplyTo": inReplyTo, "to": []string{author.URI}})
			})
		if err != nil {
			return err
		}
		return s.queueDelivery(ctx, tx, id)
	})
}

// RemoveComment deletes a comment for its author or a moderator. A local
// comment that was federated is tombstoned and its Delete goes to the
// thread it went to.
func (s *Service) RemoveComment(ctx context.Context, c *store.Comment) error {
	author, err := s.store.ActorByID(ctx, c.AuthorID)
	if err != nil {
		return err
	}
	if !author.Local() || c.State != store.CommentVisible {
		return s.store.DeleteComment(ctx, c.ID)
	}
	rs, err := s.commentRecipients(ctx, &store.OutboxActivity{ObjectURI: c.URI})
	if err != nil {
		return err
	}
	inboxes := inboxesOf(rs)
	authorURI := s.ActorURI(author)
	now := s.now().UTC()
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteComment(ctx, c.ID); err != nil {
			return err
		}
		if err := tx.AddTombstone(ctx, c.URI, "Note"); err != nil {
			return err
		}
		if len(inboxes) == 0 {
			return nil
		}
		id, err := tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: author.ID, Type: "Delete", ObjectURI: c.URI, Public: true, Inboxes: inboxes},
			func(id int64) (string, error) {
				obj, err := ap.Embed(ap.Object{ID: c.URI, Type: "Tombstone", FormerType: "Note", Deleted: &now})
				if err != nil {
					return "", err
				}
				return marshal(ap.Activity{Context: ap.DefaultContext(), ID: s.ActivityURI(id), Type: "Delete",
					Actor: ap.Ref{ID: authorURI}, Object: obj, To: ap.IRIs{ap.Public}, Published: &now})
			})
		if err != nil {
			return err
		}
		return s.queueDelivery(ctx, tx, id)
	})
}

// ServeComment answers a local comment's id with its Note, a Tombstone
// (410) once deleted, else 404.
func (s *Service) ServeComment(w http.ResponseWriter, r *http.Request, id int64) {
	c, err := s.store.CommentByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || err == nil && (c.URI != s.CommentURI(id) || c.State != store.CommentVisible) {
		s.serveTombstone(w, r, s.CommentURI(id))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	o, err := s.CommentObject(r.Context(), c)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeActivity(w, o)
}

// repliesPageSize is the number of replies per page of a replies
// collection.
const repliesPageSize = 50

// ServeReplies answers the replies collection of an item (parent nil) or
// of a comment: a paged OrderedCollection of the visible direct replies,
// embedded as Notes, readable cross-origin (podcast apps read it).
func (s *Service) ServeReplies(w http.ResponseWriter, r *http.Request, item *store.Item, parent *store.Comment) {
	ctx := r.Context()
	id := s.ItemURI(item.PublicID) + "/replies"
	var parentID int64
	if parent != nil {
		id, parentID = s.CommentURI(parent.ID)+"/replies", parent.ID
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	pageParam := r.URL.Query().Get("page")
	n, _ := strconv.Atoi(pageParam)
	if n < 1 {
		_, total, err := s.store.ChildComments(ctx, item.ID, parentID, 0, 0)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		writeActivity(w, ap.OrderedCollection{Context: ap.ContextActivityStreams, ID: id, Type: "OrderedCollection",
			TotalItems: total, First: id + "?page=1"})
		return
	}
	list, total, err := s.store.ChildComments(ctx, item.ID, parentID, (n-1)*repliesPageSize, repliesPageSize)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	page := ap.OrderedCollectionPage{Context: ap.ContextActivityStreams, ID: id + "?page=" + strconv.Itoa(n),
		Type: "OrderedCollectionPage", PartOf: id, TotalItems: &total, OrderedItems: []json.RawMessage{}}
	for _, c := range list {
		o, err := s.commentNote(ctx, c)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		raw, err := json.Marshal(o)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		page.OrderedItems = append(page.OrderedItems, raw)
	}
	if n*repliesPageSize < total {
		page.Next = id + "?page=" + strconv.Itoa(n+1)
	}
	if n > 1 {
		page.Prev = id + "?page=" + strconv.Itoa(n-1)
	}
	writeActivity(w, page)
}

// commentNote is a comment as a replies collection embeds it: the full
// Note for a local one; for a remote one what we hold of it (its id tells
// where the original lives), with our collection of its replies.
func (s *Service) commentNote(ctx context.Context, c *store.Comment) (*ap.Object, error) {
	if c.Author.Domain == "" {
		o, err := s.CommentObject(ctx, c)
		if o != nil {
			o.Context = nil
		}
		return o, err
	}
	published := c.PublishedAt.UTC()
	o := &ap.Object{ID: c.URI, Type: "Note", AttributedTo: ap.IRIs{c.Author.URI}, InReplyTo: c.InReplyTo,
		Content: c.ContentHTML, Summary: c.Summary, Sensitive: c.Sensitive, Published: &published,
		To: ap.IRIs{ap.Public}, Replies: &ap.Ref{ID: s.CommentURI(c.ID) + "/replies"}}
	if c.URL != "" {
		o.URL = ap.Links{{Href: c.URL, MediaType: "text/html"}}
	}
	return o, nil
}

package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/store"
)

// Moderation of comments, from an item's page or a channel's comments page.
// Each form may send next, the local page to go back to (else the item's
// page).

// actionComment loads the comment of a POST /comments/{id}/… and its item
// for the signed-in user. Anonymous visitors are sent to sign in; an
// unknown comment, or one on an item the user may not see, is 404. It
// answers and returns nil then.
func (s *server) actionComment(w http.ResponseWriter, r *http.Request) (*store.User, *store.Comment, *store.Item) {
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return nil, nil, nil
	}
	if user == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(safeNext(r.PostFormValue("next"))), http.StatusSeeOther)
		return nil, nil, nil
	}
	notFound := func() {
		s.renderError(w, r, http.StatusNotFound, "error.comment_not_found", "error.comment_not_found.deleted")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		notFound()
		return nil, nil, nil
	}
	ctx := r.Context()
	c, err := s.store.CommentByID(ctx, id)
	if isNotFound(err) || err == nil && c.State == store.CommentDeleted {
		notFound()
		return nil, nil, nil
	}
	if err != nil {
		s.serverError(w, r, err)
		return nil, nil, nil
	}
	item, err := s.store.ItemByID(ctx, c.ItemID)
	if err == nil && item.State != store.StatePublished && !canManage(user, item.OwnerID) {
		err = store.ErrNotFound
	}
	if isNotFound(err) {
		notFound()
		return nil, nil, nil
	}
	if err != nil {
		s.serverError(w, r, err)
		return nil, nil, nil
	}
	return user, c, item
}

// notModerator refuses a moderation to someone who does not moderate the
// item's comments.
func (s *server) notModerator(w http.ResponseWriter, r *http.Request, item *store.Item) {
	s.renderError(w, r, http.StatusForbidden, "error.not_allowed", "error.not_owner.comments", item.ChannelHandle)
}

// backFromComment goes back to the form's next page, else to the comment's
// item.
func backFromComment(w http.ResponseWriter, r *http.Request, item *store.Item) {
	next := "/i/" + item.PublicID + "#comments"
	if n := r.PostFormValue("next"); n != "" {
		next = safeNext(n)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// handleCommentModerate approves (approve true) or rejects a comment held
// for approval; rejecting deletes it. Moderators only.
func (s *server) handleCommentModerate(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, c, item := s.actionComment(w, r)
		if c == nil {
			return
		}
		if !federation.CanModerate(user, item) {
			s.notModerator(w, r, item)
			return
		}
		if c.State != store.CommentHeld {
			s.renderError(w, r, http.StatusConflict, "error.unchanged", "error.unchanged.comment_decided")
			return
		}
		if err := s.federation.ModerateComment(r.Context(), c, approve); err != nil {
			s.serverError(w, r, err)
			return
		}
		s.state(r).logger.Info("comment moderated", "comment", c.ID, "item", item.PublicID, "approved", approve, "user", user.Username)
		backFromComment(w, r, item)
	}
}

// handleCommentDelete deletes a comment, for its author or a moderator.
// One with replies stays as a placeholder holding them.
func (s *server) handleCommentDelete(w http.ResponseWriter, r *http.Request) {
	user, c, item := s.actionComment(w, r)
	if c == nil {
		return
	}
	if !federation.CanModerate(user, item) && c.AuthorID != user.ActorID {
		s.renderError(w, r, http.StatusForbidden, "error.not_allowed", "error.not_allowed.delete_comment", item.ChannelHandle)
		return
	}
	if err := s.federation.RemoveComment(r.Context(), c); err != nil && !isNotFound(err) {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("comment deleted", "comment", c.ID, "item", item.PublicID, "user", user.Username)
	backFromComment(w, r, item)
}

// handleCommentBlock makes the comment's channel refuse comments from its
// remote author (scope author) or the author's whole server (scope
// instance), and deletes those already there. Moderators only.
func (s *server) handleCommentBlock(w http.ResponseWriter, r *http.Request) {
	user, c, item := s.actionComment(w, r)
	if c == nil {
		return
	}
	if !federation.CanModerate(user, item) {
		s.notModerator(w, r, item)
		return
	}
	if c.Author.Domain == "" || item.OriginURI != "" {
		s.renderError(w, r, http.StatusBadRequest, "error.cannot_block", "error.cannot_block.local")
		return
	}
	var actorURI, domain string
	switch r.PostFormValue("scope") {
	case "author":
		actorURI = c.Author.URI
	case "instance":
		domain = c.Author.Domain
	default:
		s.renderError(w, r, http.StatusBadRequest, "error.cannot_block", "error.cannot_block.scope")
		return
	}
	purged, err := s.store.BlockForChannel(r.Context(), item.ChannelID, actorURI, domain)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("comment author blocked", "channel", item.ChannelHandle, "actor", actorURI, "domain", domain,
		"purged", purged, "user", user.Username)
	next := "/c/" + item.ChannelHandle + "/comments"
	if n := r.PostFormValue("next"); n != "" {
		next = safeNext(n)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

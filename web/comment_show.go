package web

import (
	"net/http"
	"strconv"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/store"
)

// handleComment answers a comment's id, /comments/{id}: its Note for
// ActivityPub clients, and for browsers a 303 to the comment on its item's
// page.
func (s *server) handleComment(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		if federation.WantsActivityJSON(r) {
			http.NotFound(w, r)
			return
		}
		s.renderNotFound(w, r)
		return
	}
	if federation.WantsActivityJSON(r) {
		s.federation.ServeComment(w, r, id)
		return
	}
	c, item, err := s.shownComment(r, id)
	if isNotFound(err) {
		if s.federation.Tombstoned(r.Context(), s.federation.CommentURI(id)) {
			s.renderError(w, r, http.StatusGone, "error.deleted", "error.deleted.comment")
			return
		}
		s.renderError(w, r, http.StatusNotFound, "error.comment_not_found", "error.comment_not_found.message")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Vary", "Accept")
	http.Redirect(w, r, "/i/"+item.PublicID+"#c"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// shownComment finds a comment that its item's page shows (a deleted
// placeholder included) on a published item; others are store.ErrNotFound.
func (s *server) shownComment(r *http.Request, id int64) (*store.Comment, *store.Item, error) {
	ctx := r.Context()
	c, err := s.store.CommentByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if c.State == store.CommentHeld {
		return nil, nil, store.ErrNotFound
	}
	item, err := s.store.ItemByID(ctx, c.ItemID)
	if err != nil {
		return nil, nil, err
	}
	if item.State != store.StatePublished {
		return nil, nil, store.ErrNotFound
	}
	return c, item, nil
}

// handleCommentReplies answers /comments/{id}/replies, the ActivityPub
// collection of a comment's visible replies.
func (s *server) handleCommentReplies(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		http.NotFound(w, r)
		return
	}
	c, item, err := s.shownComment(r, id)
	if isNotFound(err) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.federation.ServeReplies(w, r, item, c)
}

// handleItemReplies answers /i/{id}/replies, the ActivityPub collection of
// the visible comments on a published local item.
func (s *server) handleItemReplies(w http.ResponseWriter, r *http.Request) {
	item, err := s.store.ItemByPublicID(r.Context(), r.PathValue("id"))
	if err == nil && (item.State != store.StatePublished || item.OriginURI != "") {
		err = store.ErrNotFound
	}
	if isNotFound(err) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.federation.ServeReplies(w, r, item, nil)
}

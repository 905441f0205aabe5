package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/store"
)

// handleCommentPost posts the comment form of an item's page (fields text,
// parent_id for a reply, cpage for the page of threads it was sent from)
// as the signed-in user, then goes back to the comment on the page, or to
// the form saying that the comment waits for approval. A comment that
// cannot be posted shows the page again with the reason and the text.
func (s *server) handleCommentPost(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if user == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape("/i/"+id+"#comment-form"), http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	item, manage, err := s.visibleItem(ctx, user, id)
	if isNotFound(err) {
		s.renderItemNotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if item.State != store.StatePublished {
		s.renderItemConflict(w, r, item, "error.unchanged.comments_unpublished")
		return
	}
	text := r.PostFormValue("text")
	var parentID int64
	if p := strings.TrimSpace(r.PostFormValue("parent_id")); p != "" && p != "0" {
		if parentID, err = strconv.ParseInt(p, 10, 64); err != nil || parentID <= 0 {
			parentID = -1 // no comment has it: ErrParentNotInItem
		}
	}
	var c *store.Comment
	if parentID < 0 {
		err = federation.ErrParentNotInItem
	} else {
		c, err = s.federation.PostComment(ctx, user, item, parentID, text)
	}
	if status, msg := commentError(s.tr(r), err, text); msg != "" {
		s.state(r).logger.Info("comment refused", "item", item.PublicID, "user", user.Username, "error", err)
		form := &commentForm{Text: text, Error: msg}
		if parentID > 0 && !errors.Is(err, federation.ErrParentNotInItem) {
			form.Parent = s.replyTarget(r, item, strconv.FormatInt(parentID, 10))
		}
		s.showItem(w, r, status, user, item, manage, form)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("comment posted", "item", item.PublicID, "comment", c.ID, "state", c.State, "user", user.Username)
	q := url.Values{}
	if page := commentsPage(r); page > 1 && parentID > 0 {
		q.Set("cpage", strconv.Itoa(page)) // a reply shows in its thread's page
	}
	fragment := "#c" + strconv.FormatInt(c.ID, 10)
	if c.State == store.CommentHeld {
		q.Set("comment", "held")
		fragment = "#comment-form"
	}
	loc := "/i/" + item.PublicID
	if len(q) > 0 {
		loc += "?" + q.Encode()
	}
	http.Redirect(w, r, loc+fragment, http.StatusSeeOther)
}

// commentError is the status and the message for people of an error of
// PostComment, or "" for an error they cannot act on.
func commentError(tr *catalog, err error, text string) (int, string) {
	switch {
	case errors.Is(err, federation.ErrCommentsClosed):
		return http.StatusForbidden, tr.T("comments.error_closed")
	case errors.Is(err, federation.ErrEmptyComment):
		return http.StatusUnprocessableEntity, tr.T("comments.error_empty")
	case errors.Is(err, federation.ErrCommentTooLong):
		n := utf8.RuneCountInString(strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n")))
		return http.StatusUnprocessableEntity, tr.T("comments.error_too_long", federation.MaxCommentLength, n)
	case errors.Is(err, federation.ErrParentNotInItem):
		return http.StatusUnprocessableEntity, tr.T("comments.error_parent_gone")
	}
	return 0, ""
}

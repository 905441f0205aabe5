package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/store"
)

// commentJSON is a comment as the JSON API answers it.
type commentJSON struct {
	ID          int64             `json:"id"`
	URI         string            `json:"uri"`
	URL         string            `json:"url"` // on its item's page
	Author      commentAuthorJSON `json:"author"`
	ContentHTML string            `json:"content_html"` // sanitized
	Summary     string            `json:"summary"`      // content warning
	Sensitive   bool              `json:"sensitive"`
	Published   time.Time         `json:"published"`
	Likes       int               `json:"likes"`
	Shares      int               `json:"shares"`
	// State is "held" or "deleted" for comments that only moderators see
	// or placeholders kept for their replies; absent for visible ones.
	State string `json:"state,omitempty"`
}

type commentAuthorJSON struct {
	Name   string `json:"name"`
	Handle string `json:"handle"` // user@domain
	URL    string `json:"url"`
	Icon   string `json:"icon"`
}

// replyJSON is a reply in a thread.
type replyJSON struct {
	commentJSON
	ParentID int64 `json:"parent_id"`
	Depth    int   `json:"depth"`
}

// threadJSON is a top-level comment and every reply under it, oldest first.
type threadJSON struct {
	commentJSON
	Replies []replyJSON `json:"replies"`
}

type threadsJSON struct {
	Total   int          `json:"total"` // threads in all
	Page    int          `json:"page"`
	Threads []threadJSON `json:"threads"`
}

// commentJSON is c as the API shows it.
func (s *server) commentJSON(c *store.Comment, itemPublicID string) commentJSON {
	j := commentJSON{ID: c.ID, URI: c.URI, URL: s.absURL("/i/" + itemPublicID + "#c" + strconv.FormatInt(c.ID, 10)),
		ContentHTML: c.ContentHTML, Summary: c.Summary, Sensitive: c.Sensitive, Published: c.PublishedAt.UTC(),
		Likes: c.LikeCount, Shares: c.ShareCount,
		Author: commentAuthorJSON{Name: c.Author.Name(), Handle: s.authorHandle(c.Author)[1:], URL: c.Author.URL, Icon: c.Author.IconURL}}
	if j.Author.URL == "" {
		j.Author.URL = c.Author.URI
		if c.Author.Domain == "" {
			j.Author.URL = s.absURL("/u/" + c.Author.Username)
		}
	}
	if c.State != store.CommentVisible {
		j.State = c.State
	}
	return j
}

// handleAPIItemComments answers GET /api/items/{id}/comments?page=N: a
// page of the item's threads, newest first, each with its replies. Only
// its moderators see the comments held for approval.
func (s *server) handleAPIItemComments(w http.ResponseWriter, r *http.Request) {
	user, item, _ := s.apiItem(w, r)
	if item == nil {
		return
	}
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		var err error
		if page, err = strconv.Atoi(p); err != nil || page < 1 {
			writeJSONError(w, http.StatusBadRequest, "page must be a whole number from 1.")
			return
		}
	}
	tp, err := s.store.Threads(r.Context(), store.ThreadQuery{ItemID: item.ID, WithHeld: federation.CanModerate(user, item),
		Offset: (page - 1) * threadsPerPage, Limit: threadsPerPage})
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	out := threadsJSON{Total: tp.Total, Page: page, Threads: make([]threadJSON, 0, len(tp.Threads))}
	for _, t := range tp.Threads {
		tj := threadJSON{commentJSON: s.commentJSON(t, item.PublicID), Replies: []replyJSON{}}
		for _, c := range tp.Replies[t.ID] {
			tj.Replies = append(tj.Replies, replyJSON{commentJSON: s.commentJSON(c, item.PublicID), ParentID: c.ParentID, Depth: c.Depth})
		}
		out.Threads = append(out.Threads, tj)
	}
	writeJSON(w, http.StatusOK, out)
}

// maxCommentBody bounds the JSON body of a new comment.
const maxCommentBody = 64 << 10

// handleAPICommentPost answers POST /api/items/{id}/comments with
// {"text": "...", "parent_id": N} (parent_id optional): 201 with the new
// comment, whose state is "held" when it waits for approval.
func (s *server) handleAPICommentPost(w http.ResponseWriter, r *http.Request) {
	user, item, _ := s.apiItem(w, r)
	if item == nil {
		return
	}
	if item.State != store.StatePublished {
		writeJSONError(w, http.StatusConflict, "Comments open once the item is published.")
		return
	}
	var in struct {
		Text     string `json:"text"`
		ParentID int64  `json:"parent_id"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxCommentBody))
	if err := dec.Decode(&in); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "The request body is too large.")
			return
		}
		writeJSONError(w, http.StatusBadRequest, "The body must be a JSON object such as {\"text\": \"Nice!\", \"parent_id\": 12}.")
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		writeJSONError(w, http.StatusBadRequest, "The body must hold one JSON object only.")
		return
	}
	if in.ParentID < 0 {
		writeJSONError(w, http.StatusUnprocessableEntity, "parent_id must be the id of a comment on this item.")
		return
	}
	c, err := s.federation.PostComment(r.Context(), user, item, in.ParentID, in.Text)
	if status, msg := commentError(s.locales.catalog(defaultLang), err, in.Text); msg != "" { // the API speaks English
		writeJSONError(w, status, msg)
		return
	}
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	s.state(r).logger.Info("comment posted", "item", item.PublicID, "comment", c.ID, "state", c.State, "user", user.Username)
	writeJSON(w, http.StatusCreated, replyJSON{commentJSON: s.commentJSON(c, item.PublicID), ParentID: c.ParentID, Depth: c.Depth})
}

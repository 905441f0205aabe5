package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/archipel/archipel/store"
)

// manageChannel loads the local channel of a page's POST that changes it
// (/c/{handle}/…) for its owner and admins. Anonymous visitors are sent to
// sign in, an unknown channel is 404 and others get 403. It answers and
// returns nil then.
func (s *server) manageChannel(w http.ResponseWriter, r *http.Request) (*store.User, *store.Channel) {
	return s.manageChannelFor(w, r, "error.not_owner.followers")
}

// manageChannelFor is manageChannel for pages that manage something:
// whatKey is the catalogue's message for those who may not, with the
// channel's handle. Anonymous visitors of a GET page come back to it once
// signed in.
func (s *server) manageChannelFor(w http.ResponseWriter, r *http.Request, whatKey string) (*store.User, *store.Channel) {
	handle := strings.ToLower(r.PathValue("handle"))
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return nil, nil
	}
	if user == nil {
		next := "/c/" + handle
		if safeMethod(r.Method) {
			next = r.URL.Path
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil, nil
	}
	c, err := s.store.LocalChannel(r.Context(), handle)
	if isNotFound(err) {
		s.renderError(w, r, http.StatusNotFound, "error.channel_not_found", "error.channel_not_found.message", handle)
		return nil, nil
	}
	if err != nil {
		s.serverError(w, r, err)
		return nil, nil
	}
	if !canManage(user, c.OwnerID) {
		s.renderError(w, r, http.StatusForbidden, "error.not_allowed", whatKey, c.Handle)
		return nil, nil
	}
	return user, c
}

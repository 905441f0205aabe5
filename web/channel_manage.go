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
	return s.manageChannelFor(w, r, "manage its followers")
}

// manageChannelFor is manageChannel for pages that manage what (said to
// those who may not). Anonymous visitors of a GET page come back to it once
// signed in.
func (s *server) manageChannelFor(w http.ResponseWriter, r *http.Request, what string) (*store.User, *store.Channel) {
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
		s.renderError(w, r, http.StatusNotFound, "Channel not found",
			"There is no channel @"+handle+" on this hub. Check the address, or browse the channels from the home page.")
		return nil, nil
	}
	if err != nil {
		s.serverError(w, r, err)
		return nil, nil
	}
	if !canManage(user, c.OwnerID) {
		s.renderError(w, r, http.StatusForbidden, "Not allowed",
			"Only the owner of @"+c.Handle+" and admins can "+what+".")
		return nil, nil
	}
	return user, c
}

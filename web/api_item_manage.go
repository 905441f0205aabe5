package web

import (
	"net/http"

	"github.com/archipel/archipel/store"
)

// apiItem loads the item of an API request with the user asking and
// whether they manage it: 404 if the user may not see it. It writes the
// error response and returns a nil item then.
func (s *server) apiItem(w http.ResponseWriter, r *http.Request) (*store.User, *store.Item, bool) {
	user, err := s.currentUser(r)
	if err != nil {
		s.apiServerError(w, r, err)
		return nil, nil, false
	}
	item, manage, err := s.visibleItem(r.Context(), user, r.PathValue("id"))
	if isNotFound(err) {
		writeJSONError(w, http.StatusNotFound, "There is no such item.")
		return nil, nil, false
	}
	if err != nil {
		s.apiServerError(w, r, err)
		return nil, nil, false
	}
	return user, item, manage
}

// managedItem loads the item of an API request that changes it: 404 if the
// user may not see it, 403 if they may see but not manage it. It writes the
// error response and returns nil then.
func (s *server) managedItem(w http.ResponseWriter, r *http.Request) (*store.User, *store.Item) {
	user, item, manage := s.apiItem(w, r)
	if item == nil {
		return nil, nil
	}
	if !manage {
		writeJSONError(w, http.StatusForbidden, "Only the owner of @"+item.ChannelHandle+" can change this item.")
		return nil, nil
	}
	return user, item
}

// writeItem answers the item as it now is, source included.
func (s *server) writeItem(w http.ResponseWriter, r *http.Request, id int64) {
	item, err := s.store.ItemByID(r.Context(), id)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	v, err := s.library.View(r.Context(), item, true)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

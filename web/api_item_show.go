package web

import "net/http"

// handleAPIItem answers GET /api/items/{id}: the item with its renditions
// (and, for those who manage it, its source). Unpublished items are 404 to
// others.
func (s *server) handleAPIItem(w http.ResponseWriter, r *http.Request) {
	user, err := s.currentUser(r)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	item, manage, err := s.visibleItem(r.Context(), user, r.PathValue("id"))
	if isNotFound(err) {
		writeJSONError(w, http.StatusNotFound, "There is no such item.")
		return
	}
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	v, err := s.library.View(r.Context(), item, manage)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

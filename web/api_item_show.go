package web

import "net/http"

// handleAPIItem answers GET /api/items/{id}: the item with its renditions
// (and, for those who manage it, its source). Unpublished items are 404 to
// others.
func (s *server) handleAPIItem(w http.ResponseWriter, r *http.Request) {
	_, item, manage := s.apiItem(w, r)
	if item == nil {
		return
	}
	v, err := s.library.View(r.Context(), item, manage)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

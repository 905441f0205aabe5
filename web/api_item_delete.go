package web

import "net/http"

// handleAPIItemDelete answers DELETE /api/items/{id}: the item, its job and
// its files are removed; 204 on success.
func (s *server) handleAPIItemDelete(w http.ResponseWriter, r *http.Request) {
	user, item := s.managedItem(w, r)
	if item == nil {
		return
	}
	err := s.library.Delete(r.Context(), item)
	if isNotFound(err) {
		writeJSONError(w, http.StatusNotFound, "There is no such item.")
		return
	}
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	s.state(r).logger.Info("item deleted", "item", item.PublicID, "user", user.Username)
	w.WriteHeader(http.StatusNoContent)
}

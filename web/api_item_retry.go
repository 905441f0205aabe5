package web

import (
	"net/http"

	"github.com/archipel/archipel/store"
)

// handleAPIItemRetry answers POST /api/items/{id}/retry: a failed item is
// transcoded again (it goes back to processing). Other states give 409.
func (s *server) handleAPIItemRetry(w http.ResponseWriter, r *http.Request) {
	user, item := s.managedItem(w, r)
	if item == nil {
		return
	}
	if item.State != store.StateFailed {
		writeJSONError(w, http.StatusConflict, "Only a failed item can be retried; this item is "+item.State+".")
		return
	}
	err := s.library.Retry(r.Context(), item)
	if isNotFound(err) {
		writeJSONError(w, http.StatusConflict, "Only a failed item can be retried; this item changed meanwhile.")
		return
	}
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	s.state(r).logger.Info("item transcoding retried", "item", item.PublicID, "user", user.Username)
	s.writeItem(w, r, item.ID)
}

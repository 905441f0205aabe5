package web

import (
	"net/http"

	"github.com/archipel/archipel/store"
)

// handleAPIItemPublish answers POST /api/items/{id}/publish: a draft
// becomes published. Other states give 409.
func (s *server) handleAPIItemPublish(w http.ResponseWriter, r *http.Request) {
	user, item := s.managedItem(w, r)
	if item == nil {
		return
	}
	if item.State != store.StateDraft {
		writeJSONError(w, http.StatusConflict, "Only a draft can be published; this item is "+item.State+".")
		return
	}
	err := s.library.Publish(r.Context(), item)
	if isNotFound(err) { // it changed state meanwhile
		writeJSONError(w, http.StatusConflict, "Only a draft can be published; this item changed meanwhile.")
		return
	}
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	s.state(r).logger.Info("item published", "item", item.PublicID, "user", user.Username)
	s.writeItem(w, r, item.ID)
}

package web

import (
	"net/http"

	"github.com/archipel/archipel/store"
)

// handleItemPublish publishes a draft from its page.
func (s *server) handleItemPublish(w http.ResponseWriter, r *http.Request) {
	user, item := s.manageItem(w, r)
	if item == nil {
		return
	}
	const notDraft = "error.unchanged.not_draft"
	if item.State != store.StateDraft {
		s.renderItemConflict(w, r, item, notDraft)
		return
	}
	err := s.library.Publish(r.Context(), item)
	if isNotFound(err) { // it changed meanwhile
		s.renderItemConflict(w, r, item, notDraft)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("item published", "item", item.PublicID, "user", user.Username)
	http.Redirect(w, r, "/i/"+item.PublicID, http.StatusSeeOther)
}

package web

import (
	"net/http"

	"github.com/archipel/archipel/store"
)

// handleItemRetry queues a failed item's transcoding again, from its page.
func (s *server) handleItemRetry(w http.ResponseWriter, r *http.Request) {
	user, item := s.manageItem(w, r)
	if item == nil {
		return
	}
	if item.State != store.StateFailed {
		s.renderItemConflict(w, r, item, "error.unchanged.not_failed")
		return
	}
	err := s.library.Retry(r.Context(), item)
	if isNotFound(err) {
		s.renderItemConflict(w, r, item, "error.unchanged.not_failed")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("item transcoding retried", "item", item.PublicID, "user", user.Username)
	http.Redirect(w, r, "/i/"+item.PublicID, http.StatusSeeOther)
}

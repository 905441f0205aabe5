package web

import "net/http"

// handleItemDelete deletes an item with its files, from its page, and goes
// back to its channel.
func (s *server) handleItemDelete(w http.ResponseWriter, r *http.Request) {
	user, item := s.manageItem(w, r)
	if item == nil {
		return
	}
	err := s.library.Delete(r.Context(), item)
	if isNotFound(err) {
		s.renderItemNotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("item deleted", "item", item.PublicID, "user", user.Username)
	http.Redirect(w, r, "/c/"+item.ChannelHandle, http.StatusSeeOther)
}

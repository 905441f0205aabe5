package web

import "net/http"

// handleChannelManualApproval turns on or off (manual=on|off) the manual
// approval of a channel's new followers. Requests already waiting stay
// listed on the channel's page either way.
func (s *server) handleChannelManualApproval(w http.ResponseWriter, r *http.Request) {
	user, c := s.manageChannel(w, r)
	if c == nil {
		return
	}
	var manual bool
	switch r.PostFormValue("manual") {
	case "on":
		manual = true
	case "off":
	default:
		s.renderError(w, r, http.StatusBadRequest, "error.unchanged", "error.unchanged.manual")
		return
	}
	if err := s.store.SetManuallyApproves(r.Context(), c.ActorID, manual); err != nil {
		s.serverError(w, r, err)
		return
	}
	if s.federation != nil {
		if err := s.federation.ActorUpdated(r.Context(), c.ActorID); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.state(r).logger.Info("follower approval changed", "channel", c.Handle, "manual", manual, "user", user.Username)
	http.Redirect(w, r, "/c/"+c.Handle, http.StatusSeeOther)
}

package web

import (
	"net/http"
	"strconv"

	"github.com/archipel/archipel/store"
)

// handleFollowAnswer accepts (accept true) or rejects a pending request to
// follow a channel, from the channel's page; the follower is sent Accept or
// Reject by a job.
func (s *server) handleFollowAnswer(accept bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, c := s.manageChannel(w, r)
		if c == nil {
			return
		}
		ctx := r.Context()
		notFound := func() {
			s.renderError(w, r, http.StatusNotFound, "error.follow_request_not_found", "error.follow_request_not_found.message", c.Handle)
		}
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			notFound()
			return
		}
		f, err := s.store.FollowByID(ctx, id)
		if isNotFound(err) || (err == nil && f.TargetID != c.ActorID) {
			notFound()
			return
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if f.State != store.FollowPending {
			s.renderError(w, r, http.StatusConflict, "error.unchanged", "error.unchanged.follow_answered")
			return
		}
		if err := s.federation.SetFollowState(ctx, f, accept); err != nil {
			s.serverError(w, r, err)
			return
		}
		s.state(r).logger.Info("follow request answered", "channel", c.Handle, "follower", f.Follower.URI,
			"accepted", accept, "user", user.Username)
		http.Redirect(w, r, "/c/"+c.Handle, http.StatusSeeOther)
	}
}

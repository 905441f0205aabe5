package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/store"
)

// handleApplicationDecide approves (creating the account and channel) or
// declines an application, recording who decided, when, and their message.
func (s *server) handleApplicationDecide(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, ok := s.requireCurator(w, r)
		if !ok {
			return
		}
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			s.renderNotFound(w, r)
			return
		}
		message := r.PostFormValue("message")
		d := store.Decision{By: user.Username, ByUserID: user.ID, Message: message}
		var a *store.Application
		if approve {
			a, err = s.accounts.ApproveApplication(r.Context(), id, d)
		} else {
			a, err = s.accounts.DeclineApplication(r.Context(), id, d)
		}
		log := s.state(r).logger
		var fe *accounts.FieldError
		switch {
		case errors.Is(err, store.ErrNotFound):
			s.renderNotFound(w, r)
			return
		case errors.Is(err, store.ErrAlreadyDecided):
			s.applicationError(w, r, http.StatusConflict, id, "Someone decided this application meanwhile: see below.", message)
			return
		case errors.As(err, &fe):
			msg := fieldMessage(applicationDecisionFields[fe.Field], fe.Message)
			if fe.Field == "username" || fe.Field == "channel_handle" {
				msg = "Cannot approve: " + msg + " Decline the application with a message asking the applicant to apply again with another name."
			}
			log.Info("application decision refused", "application", id, "approve", approve, "reason", fe.Error())
			s.applicationError(w, r, http.StatusUnprocessableEntity, id, msg, message)
			return
		case err != nil:
			s.serverError(w, r, err)
			return
		}
		if approve {
			log.Info("application approved", "application", a.ID, "by", user.Username, "user", a.Username, "channel", a.ChannelHandle)
		} else {
			log.Info("application declined", "application", a.ID, "by", user.Username)
		}
		http.Redirect(w, r, "/curation/applications?decided="+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
	}
}

// applicationDecisionFields label the fields a decision may fail on.
var applicationDecisionFields = map[string]string{
	"message":        "Message",
	"username":       "The username",
	"channel_handle": "The channel handle",
}

// applicationError shows the applications page with an error on one.
func (s *server) applicationError(w http.ResponseWriter, r *http.Request, status int, id int64, msg, typed string) {
	page, err := s.applicationsPage(r, id, msg, typed)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, status, "applications", "Creator applications", page)
}

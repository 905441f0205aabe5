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
			s.applicationError(w, r, http.StatusConflict, id, s.tr(r).T("applications.decided_meanwhile"), message)
			return
		case errors.As(err, &fe):
			tr := s.tr(r)
			msg := tr.fieldError(fieldLabel(tr, applicationDecisionFields[fe.Field]), fe.Message)
			if fe.Field == "username" || fe.Field == "channel_handle" {
				msg = tr.T("applications.cannot_approve", msg)
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

// applicationDecisionFields are the catalogue keys of the labels of the
// fields a decision may fail on.
var applicationDecisionFields = map[string]string{
	"message":        "field.message",
	"username":       "applications.field_username",
	"channel_handle": "applications.field_channel_handle",
}

// applicationError shows the applications page with an error on one.
func (s *server) applicationError(w http.ResponseWriter, r *http.Request, status int, id int64, msg, typed string) {
	page, err := s.applicationsPage(r, id, msg, typed)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, status, "applications", s.tr(r).T("applications.heading"), page)
}

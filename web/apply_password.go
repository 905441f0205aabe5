package web

import (
	"errors"
	"net/http"

	"github.com/archipel/archipel/accounts"
)

// handleApplyPassword lets an approved applicant choose their password,
// once, then signs them in and shows their channel.
func (s *server) handleApplyPassword(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("t")
	page, ok := s.applyStatus(w, r, token)
	if !ok {
		return
	}
	log := s.state(r).logger
	password := r.PostFormValue("password")
	if password != r.PostFormValue("password_again") {
		page.Error = s.tr(r).T("apply_status.passwords_differ")
		s.renderApplyStatus(w, r, http.StatusUnprocessableEntity, page)
		return
	}
	user, err := s.accounts.SetApplicationPassword(r.Context(), token, password)
	var fe *accounts.FieldError
	switch {
	case errors.As(err, &fe):
		page.Error = s.tr(r).fieldError(s.tr(r).T("field.password"), fe.Message)
		s.renderApplyStatus(w, r, http.StatusUnprocessableEntity, page)
		return
	case errors.Is(err, accounts.ErrPasswordAlreadySet), errors.Is(err, accounts.ErrNotApproved):
		log.Info("application password refused", "application", page.App.ID, "reason", err.Error())
		// The page shows why: not approved yet, or already set.
		s.renderApplyStatus(w, r, http.StatusConflict, page)
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}

	sessionToken, err := randomToken()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if _, err := s.store.CreateSession(r.Context(), hashToken(sessionToken), user.ID, r.UserAgent(), s.sessionTTL); err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.store.TouchLogin(r.Context(), user.ID); err != nil {
		log.Warn("cannot record the sign-in time", "user", user.Username, "error", err)
	}
	s.setSessionCookie(w, sessionToken)
	s.rotateCSRF(w, r)
	log.Info("applicant set their password and signed in", "application", page.App.ID, "user", user.Username)
	next := "/"
	if page.Channel != "" {
		next = "/c/" + page.Channel
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

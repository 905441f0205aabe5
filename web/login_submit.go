package web

import "net/http"

// loginFailed is the key of the one message for every failed sign-in, so
// that the page does not tell which usernames exist.
const loginFailed = "login.failed"

// handleLogin checks a username and password and starts a session.
func (s *server) handleLogin(w http.ResponseWriter, r *http.Request) {
	username := r.PostFormValue("username")
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	log := s.state(r).logger

	// Authenticate takes the same time whether the user exists or not.
	user, err := s.accounts.Authenticate(r.Context(), username, password)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if user == nil {
		log.Info("sign-in refused", "username", clip(username, 64))
		s.render(w, r, http.StatusUnauthorized, "login", s.tr(r).T("login.heading"),
			loginPage{Username: username, Next: next, Error: s.tr(r).T(loginFailed)})
		return
	}

	token, err := randomToken()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if _, err := s.store.CreateSession(r.Context(), hashToken(token), user.ID, r.UserAgent(), s.sessionTTL); err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.store.TouchLogin(r.Context(), user.ID); err != nil {
		log.Warn("cannot record the sign-in time", "user", user.Username, "error", err)
	}
	s.setSessionCookie(w, token)
	s.rotateCSRF(w, r) // a new sign-in gets fresh form tokens
	log.Info("signed in", "user", user.Username)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// clip shortens s to at most n bytes for logs.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

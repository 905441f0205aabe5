package web

import "net/http"

// loginPage is the data of the sign-in form. It never holds the password.
type loginPage struct {
	Username string
	Next     string
	Error    string
}

// handleLoginForm shows the sign-in form; signed-in people go on to next.
func (s *server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if user != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", s.tr(r).T("login.heading"), loginPage{Next: next})
}

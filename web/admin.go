package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/archipel/archipel/store"
)

// adminRoutes registers the admins' pages: accounts and the hub's
// settings, and the public page those settings fill.
func (s *server) adminRoutes() {
	s.route("GET /admin/users", s.handleAdminUsers)
	s.route("POST /admin/users/{username}/role", s.handleAdminUserRole)
	s.route("POST /admin/users/{username}/disable", s.handleAdminUserDisabled(true))
	s.route("POST /admin/users/{username}/enable", s.handleAdminUserDisabled(false))
	s.route("GET /admin/settings", s.handleAdminSettings)
	s.route("POST /admin/settings", s.handleAdminSettingsSave)
	s.route("GET /about", s.handleAbout)
}

// requireAdmin lets admins through. It sends anonymous visitors to sign
// in and shows others a 403 page.
func (s *server) requireAdmin(w http.ResponseWriter, r *http.Request) (*store.User, bool) {
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return nil, false
	}
	if user == nil {
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			// Back to the page the form was on.
			next = r.URL.Path
			if strings.HasPrefix(next, "/admin/users/") {
				next = "/admin/users"
			}
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil, false
	}
	if !isAdmin(user) {
		s.renderError(w, r, http.StatusForbidden, "error.not_allowed", "error.not_allowed.admins")
		return nil, false
	}
	return user, true
}

// isAdmin tells whether u may see the admins' pages.
func isAdmin(u *store.User) bool {
	return u != nil && !u.Disabled && u.Role == store.RoleAdmin
}

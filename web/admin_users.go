package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/store"
)

// adminUsersPage is the data of the admin_users template. Done and Error
// are codes the template words: done is role, disabled or enabled; error
// is bad-role, not-found, last-admin or self-disable.
type adminUsersPage struct {
	Users       []*store.User
	Roles       []string
	Me          string // the admin looking
	Done        string
	Error       string
	Account     string // the account Done or Error is about
	AccountRole string // its new role (Done: role)
}

// handleAdminUsers shows GET /admin/users: every account with its role,
// and forms to change it and to disable or enable the account.
func (s *server) handleAdminUsers(w http.ResponseWriter, r *http.Request) {
	admin, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	page := &adminUsersPage{Done: q.Get("done"), Account: q.Get("user"), AccountRole: q.Get("role")}
	s.showAdminUsers(w, r, http.StatusOK, admin, page)
}

func (s *server) showAdminUsers(w http.ResponseWriter, r *http.Request, status int, admin *store.User, page *adminUsersPage) {
	users, err := s.store.ListUsers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	page.Users, page.Roles, page.Me = users, store.Roles, admin.Username
	if page.Done != "" && !slices.ContainsFunc(users, func(u *store.User) bool { return u.Username == page.Account }) {
		page.Done = "" // a link's notice about no account: not shown
	}
	s.render(w, r, status, "admin_users", s.tr(r).T("users.heading"), page)
}

// handleAdminUserRole changes an account's role, unless that would leave
// the hub without an enabled admin.
func (s *server) handleAdminUserRole(w http.ResponseWriter, r *http.Request) {
	admin, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	name := strings.ToLower(r.PathValue("username"))
	role := r.PostFormValue("role")
	fail := func(status int, code string) {
		s.showAdminUsers(w, r, status, admin, &adminUsersPage{Error: code, Account: name})
	}
	if accounts.CheckRole(role) != nil {
		fail(http.StatusUnprocessableEntity, "bad-role")
		return
	}
	if s.userChangeFailed(w, r, s.store.ChangeUserRole(r.Context(), name, role), fail) {
		return
	}
	s.state(r).logger.Info("role changed", "user", name, "role", role, "by", admin.Username)
	if name == admin.Username && role != store.RoleAdmin {
		http.Redirect(w, r, "/", http.StatusSeeOther) // no longer an admin: this page is closed to them
		return
	}
	http.Redirect(w, r, "/admin/users?"+url.Values{"done": {"role"}, "user": {name}, "role": {role}}.Encode(), http.StatusSeeOther)
}

// handleAdminUserDisabled disables or enables an account. Admins cannot
// disable themselves, nor the last enabled admin.
func (s *server) handleAdminUserDisabled(disable bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		admin, ok := s.requireAdmin(w, r)
		if !ok {
			return
		}
		name := strings.ToLower(r.PathValue("username"))
		fail := func(status int, code string) {
			s.showAdminUsers(w, r, status, admin, &adminUsersPage{Error: code, Account: name})
		}
		if disable && name == admin.Username {
			fail(http.StatusConflict, "self-disable")
			return
		}
		if s.userChangeFailed(w, r, s.store.SetUserDisabled(r.Context(), name, disable), fail) {
			return
		}
		done := "enabled"
		if disable {
			done = "disabled"
		}
		s.state(r).logger.Info("account "+done, "user", name, "by", admin.Username)
		http.Redirect(w, r, "/admin/users?"+url.Values{"done": {done}, "user": {name}}.Encode(), http.StatusSeeOther)
	}
}

// userChangeFailed answers a refused change of an account (fail shows the
// page with its error code) or a server error; false when err is nil.
func (s *server) userChangeFailed(w http.ResponseWriter, r *http.Request, err error, fail func(status int, code string)) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNotFound):
		fail(http.StatusNotFound, "not-found")
	case errors.Is(err, store.ErrLastAdmin):
		fail(http.StatusConflict, "last-admin")
	default:
		s.serverError(w, r, err)
	}
	return true
}

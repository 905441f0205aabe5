package web

import (
	"context"
	"net/http"

	"github.com/archipel/archipel/store"
)

// hubName is the hub's name: the one its admins set (/admin/settings),
// else defaultHubName. It never fails: a database error is logged and
// the default shown.
func (s *server) hubName(ctx context.Context) string {
	a, err := s.store.About(ctx)
	if err != nil {
		s.logger.ErrorContext(ctx, "cannot read the hub's name", "error", err)
		return defaultHubName
	}
	if a.Name == "" {
		return defaultHubName
	}
	return a.Name
}

// aboutPage is the data of the about template.
type aboutPage struct {
	store.About
	CanEdit  bool // an admin is looking: link the settings
	Activity bool // the hub federates: link its activity graphs
}

// handleAbout shows GET /about: what the hub's admins say of it, its
// description, rules and contact address.
func (s *server) handleAbout(w http.ResponseWriter, r *http.Request) {
	a, err := s.store.About(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "about", s.tr(r).T("nav.about"), aboutPage{About: a, CanEdit: isAdmin(user), Activity: s.federation != nil})
}

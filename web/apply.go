package web

import (
	"net/http"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/store"
)

// applicationRoutes registers creator applications: the public form, the
// applicant's private status page (where an approved applicant sets their
// password once), and the curators' page where they approve or decline.
func (s *server) applicationRoutes() {
	s.route("GET /apply", s.handleApplyForm)
	s.route("POST /apply", s.handleApplySubmit)
	s.route("GET /apply/status", s.handleApplyStatus)
	s.route("POST /apply/password", s.handleApplyPassword)
	s.route("GET /curation/applications", s.handleApplications)
	s.route("POST /curation/applications/{id}/approve", s.handleApplicationDecide(true))
	s.route("POST /curation/applications/{id}/decline", s.handleApplicationDecide(false))
}

// applyForm is the data of the application form: what the person typed, as
// typed, and the errors by field name ("" for an error of no field).
type applyForm struct {
	Input  accounts.ApplicationInput
	Errors map[string]string

	MaxHandle     int
	MaxTitle      int
	MaxName       int
	MaxEmail      int
	MaxMotivation int
	MaxLinks      int
}

func newApplyForm(in accounts.ApplicationInput) *applyForm {
	return &applyForm{Input: in, Errors: map[string]string{}, MaxHandle: accounts.MaxHandleLength,
		MaxTitle: accounts.MaxTitleLength, MaxName: accounts.MaxNameLength, MaxEmail: accounts.MaxEmailLength,
		MaxMotivation: accounts.MaxMotivationLength, MaxLinks: accounts.MaxLinks}
}

// handleApplyForm shows the empty application form.
func (s *server) handleApplyForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "apply", s.tr(r).T("apply.heading"), newApplyForm(accounts.ApplicationInput{ChannelKind: store.KindVideo}))
}

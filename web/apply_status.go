package web

import (
	"errors"
	"net/http"

	"github.com/archipel/archipel/store"
)

// applyStatusPage is the data of an applicant's status page.
type applyStatusPage struct {
	App      *store.Application
	Token    string
	New      bool   // just applied: tell them to keep the link
	Link     string // the page's absolute address, to copy
	Channel  string // the approved channel's handle
	Error    string // of the password form
	Auto     bool   // approved automatically by e-mail domain
	MinChars int
}

// statusLink is the absolute address of an application's status page.
func (s *server) statusLink(token string) string {
	return s.publicURL.String() + "/apply/status?t=" + token
}

// handleApplyStatus shows an application's state and the curator's message
// to whoever holds its token; once approved, it offers to set the password.
func (s *server) handleApplyStatus(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("t")
	page, ok := s.applyStatus(w, r, token)
	if !ok {
		return
	}
	page.New = r.URL.Query().Get("new") == "1"
	s.renderApplyStatus(w, r, http.StatusOK, page)
}

// applyStatus loads the status page of token; it answers 404 itself.
func (s *server) applyStatus(w http.ResponseWriter, r *http.Request, token string) (*applyStatusPage, bool) {
	a, err := s.accounts.ApplicationByToken(r.Context(), token)
	if errors.Is(err, store.ErrNotFound) {
		s.state(r).logger.Info("unknown application status link")
		s.renderError(w, r, http.StatusNotFound, "error.status_link", "error.status_link.message")
		return nil, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return nil, false
	}
	page := &applyStatusPage{App: a, Token: token, Link: s.statusLink(token), MinChars: 10}
	if a.State == store.ApplicationApproved && a.ChannelID != 0 {
		if c, err := s.store.ChannelByID(r.Context(), a.ChannelID); err == nil {
			page.Channel = c.Handle
		}
	}
	page.Auto = a.DecidedByUser == 0 && len(a.DecidedBy) > 5 && a.DecidedBy[:5] == "auto:"
	return page, true
}

func (s *server) renderApplyStatus(w http.ResponseWriter, r *http.Request, status int, page *applyStatusPage) {
	// The address holds the secret: keep it out of other sites' logs.
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.render(w, r, status, "apply_status", s.tr(r).T("apply_status.heading"), page)
}

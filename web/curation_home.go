package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/archipel/archipel/curation"
)

// The curators arrange the home page here: the channels to discover (this
// hub's or other hubs'), each with a note. Featured collections are
// marked on their own pages.

type curationHomePage struct {
	Channels      []curation.HomeChannel
	Target, Note  string
	Error, Notice string
}

func (s *server) handleCurationHome(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireCurator(w, r); !ok {
		return
	}
	s.showCurationHome(w, r, http.StatusOK, &curationHomePage{Notice: r.URL.Query().Get("done")})
}

func (s *server) showCurationHome(w http.ResponseWriter, r *http.Request, status int, page *curationHomePage) {
	var err error
	if page.Channels, err = s.curator.HomeChannels(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, status, "curation_home", s.tr(r).T("chome.heading"), page)
}

// handleCurationHomeAdd features a channel; one that cannot be found
// shows the form again with what was typed and why.
func (s *server) handleCurationHomeAdd(w http.ResponseWriter, r *http.Request) {
	user, ok := s.requireCurator(w, r)
	if !ok {
		return
	}
	tr := s.tr(r)
	page := &curationHomePage{Target: strings.TrimSpace(r.PostFormValue("channel")), Note: strings.TrimSpace(r.PostFormValue("note"))}
	if len([]rune(page.Note)) > 300 {
		page.Error = tr.T("chome.error_note")
		s.showCurationHome(w, r, http.StatusUnprocessableEntity, page)
		return
	}
	a, err := s.curator.FeatureChannel(r.Context(), page.Target, page.Note, user)
	switch {
	case errors.Is(err, curation.ErrNotAChannel):
		page.Error = tr.T("chome.error_instance")
	case isNotFound(err):
		page.Error = tr.T("chome.error_no_channel")
	case err != nil:
		s.logger.Info("feature a channel", "target", page.Target, "error", err)
		page.Error = tr.T("chome.error_lookup", err.Error())
	}
	if page.Error != "" {
		s.showCurationHome(w, r, http.StatusUnprocessableEntity, page)
		return
	}
	name := a.DisplayName
	if name == "" {
		name = a.Username
	}
	http.Redirect(w, r, "/curation/home?done="+url.QueryEscape(tr.T("chome.done_added", name)), http.StatusSeeOther)
}

// handleCurationHomeRemove takes a channel off the home page.
func (s *server) handleCurationHomeRemove(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireCurator(w, r); !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.renderNotFound(w, r)
		return
	}
	if s.lookupFailed(w, r, s.store.UnfeatureChannel(r.Context(), id)) {
		return
	}
	http.Redirect(w, r, "/curation/home?done="+url.QueryEscape(s.tr(r).T("chome.done_removed")), http.StatusSeeOther)
}

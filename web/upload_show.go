package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/archipel/archipel/store"
)

// uploadPage is the data of the upload form: what was typed, as typed.
type uploadPage struct {
	Channel     *store.Channel
	Accept      string // the file input's accept: video/* or audio/*
	Title       string
	Description string
	Publish     bool
	Error       string
	MaxSize     int64 // 0: no limit
	ScriptURL   string
}

func (s *server) newUploadPage(c *store.Channel) *uploadPage {
	p := &uploadPage{Channel: c, Accept: "video/*", MaxSize: s.uploads.MaxSize, ScriptURL: s.scriptURL, Publish: true}
	if c.Kind == store.KindPodcast {
		p.Accept = "audio/*"
	}
	return p
}

// handleUploadForm shows the upload form of a channel to its owner and
// admins. With JavaScript (static/upload.js) the file goes to the tus API
// in resumable chunks; without, the form posts it whole.
func (s *server) handleUploadForm(w http.ResponseWriter, r *http.Request) {
	_, c, ok := s.requireUploader(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "upload", s.tr(r).T("upload.heading", c.Title), s.newUploadPage(c))
}

// requireUploader finds the channel of /c/{handle}/upload and lets through
// those who may upload to it. It sends anonymous visitors to sign in and
// shows others a 403 page.
func (s *server) requireUploader(w http.ResponseWriter, r *http.Request) (*store.User, *store.Channel, bool) {
	handle := strings.ToLower(r.PathValue("handle"))
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return nil, nil, false
	}
	if user == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape("/c/"+handle+"/upload"), http.StatusSeeOther)
		return nil, nil, false
	}
	c, err := s.store.LocalChannel(r.Context(), handle)
	if isNotFound(err) {
		s.renderError(w, r, http.StatusNotFound, "error.channel_not_found", "error.channel_not_found.message", handle)
		return nil, nil, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return nil, nil, false
	}
	if !canManage(user, c.OwnerID) {
		s.renderError(w, r, http.StatusForbidden, "error.not_allowed", "error.not_owner.upload", c.Handle)
		return nil, nil, false
	}
	return user, c, true
}

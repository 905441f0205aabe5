package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/federation/httpclient"
)

// Remote interaction: a viewer with an account on another fediverse server
// gives their handle, and is sent to their server's "authorize
// interaction" page for one of our items or comments, where they reply,
// like or boost it. The form is a GET, so it works without JavaScript and
// needs no CSRF token: it changes nothing here.

// interactCookie remembers the last handle used, to fill the form in.
const interactCookie = "interact_handle"

// interactPage is the data of the remote interaction form.
type interactPage struct {
	URI           string // the object's ActivityPub id
	Title         string // the item's title; "" for a comment
	Handle        string
	Error         string
	CopyScriptURL string
}

// handleInteract serves GET /interact?uri=OBJECT: the form, and with
// &handle=you@your.server the WebFinger lookup and a 303 to the handle's
// server, or the form again with what went wrong (400 for a handle that is
// not one, 502 for a server that cannot be asked or does not support it).
// OBJECT must be the id of one of our published items or of a local
// comment: nothing else is passed on, so this is no open redirect.
func (s *server) handleInteract(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", s.interactContentSecurityPolicy())
	q := r.URL.Query()
	target, ok := s.federation.ParseInteractTarget(q.Get("uri"))
	if !ok {
		s.renderError(w, r, http.StatusBadRequest, "error.interact", "error.interact.not_here")
		return
	}
	page := &interactPage{URI: target.URI, CopyScriptURL: s.copyScriptURL}
	if target.ItemID != "" {
		item, _, err := s.visibleItem(r.Context(), nil, target.ItemID)
		if isNotFound(err) {
			s.renderError(w, r, http.StatusNotFound, "error.not_found", "error.not_found.message")
			return
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if item.OriginURI != "" {
			s.renderError(w, r, http.StatusBadRequest, "error.interact", "error.interact.remote")
			return
		}
		page.Title = item.Title
	}

	if !q.Has("handle") {
		if c, err := r.Cookie(interactCookie); err == nil {
			if h, err := url.QueryUnescape(c.Value); err == nil {
				page.Handle = h
			}
		}
		s.render(w, r, http.StatusOK, "interact", s.tr(r).T("interact.heading"), page)
		return
	}
	page.Handle = strings.TrimSpace(q.Get("handle"))
	if page.Handle == "" {
		page.Error = s.tr(r).T("interact.handle_missing")
		s.render(w, r, http.StatusBadRequest, "interact", s.tr(r).T("interact.heading"), page)
		return
	}
	to, err := s.federation.InteractURL(r.Context(), page.Handle, target.URI)
	if err != nil {
		var status int
		status, page.Error = interactError(s.tr(r), err, page.Handle)
		s.state(r).logger.Info("remote interaction lookup failed", "handle", page.Handle, "uri", target.URI, "error", err)
		s.render(w, r, status, "interact", s.tr(r).T("interact.heading"), page)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     interactCookie,
		Value:    url.QueryEscape(page.Handle),
		Path:     "/interact",
		MaxAge:   int(365 * 24 * time.Hour / time.Second),
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// interactError is the status and the plain-language message of a failed
// lookup of handle.
func interactError(tr *catalog, err error, handle string) (int, string) {
	host := tr.T("interact.your_server")
	var ie *federation.InteractError
	if errors.As(err, &ie) && ie.Host != "" {
		host = ie.Host
	}
	switch {
	case errors.Is(err, federation.ErrBadHandle):
		return http.StatusBadRequest, tr.T("interact.bad_handle", handle)
	case errors.Is(err, httpclient.ErrForbiddenAddress):
		return http.StatusBadGateway, tr.T("interact.forbidden", host)
	case errors.Is(err, federation.ErrNoInstance):
		return http.StatusBadGateway, tr.T("interact.no_instance", handle, host)
	case errors.Is(err, federation.ErrNoTemplate):
		return http.StatusBadGateway, tr.T("interact.no_template", host)
	case errors.Is(err, federation.ErrForeignObject):
		return http.StatusBadRequest, tr.T("error.interact.not_here")
	}
	return http.StatusBadGateway, tr.T("interact.unreachable", host)
}

package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/archipel/archipel/curation/podimport"
	"github.com/archipel/archipel/store"
)

// importRoutes registers the pages that import a podcast from its feed:
// the form, which reads the feed (refusing invalid XML, a locked feed
// without the owner's word, a channel the person may not manage) and
// queues the import as a job, and the import's progress page.
func (s *server) importRoutes() {
	if s.importer == nil {
		return
	}
	s.route("GET /import", s.handleImportForm)
	s.route("POST /import", s.handleImportSubmit)
	s.route("GET /imports/{id}", s.handleImportProgress)
}

// importPage is the data of the import form: what was typed, as typed.
type importPage struct {
	FeedURL      string
	Channel      string
	Reference    bool // keep the audio where it is (the default)
	ConfirmOwner bool
	Locked       bool // the feed was refused as locked: the checkbox is pointed out
	Error        string
	Channels     []*store.Channel // the person's podcast channels, suggested
	Imports      []*store.Import  // their latest imports
}

func (s *server) newImportPage(r *http.Request, user *store.User) (*importPage, error) {
	p := &importPage{Reference: true}
	chans, err := s.store.ListChannels(r.Context(), store.ChannelFilter{OwnerID: user.ID, LocalOnly: true})
	if err != nil {
		return nil, err
	}
	for _, c := range chans {
		if c.Kind == store.KindPodcast {
			p.Channels = append(p.Channels, c)
		}
	}
	if p.Imports, err = s.store.ListImports(r.Context(), user.ID, 10); err != nil {
		return nil, err
	}
	return p, nil
}

// requireImporter lets through those who may import podcasts (creators,
// curators, admins). It sends anonymous visitors to sign in and shows
// others a 403 page.
func (s *server) requireImporter(w http.ResponseWriter, r *http.Request) (*store.User, bool) {
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return nil, false
	}
	if user == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape("/import"), http.StatusSeeOther)
		return nil, false
	}
	if !podimport.MayImport(user) {
		s.renderError(w, r, http.StatusForbidden, "error.not_allowed", "error.not_allowed.import")
		return nil, false
	}
	return user, true
}

// handleImportForm shows the import form.
func (s *server) handleImportForm(w http.ResponseWriter, r *http.Request) {
	user, ok := s.requireImporter(w, r)
	if !ok {
		return
	}
	p, err := s.newImportPage(r, user)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p.Channel = strings.TrimPrefix(r.URL.Query().Get("channel"), "@")
	s.render(w, r, http.StatusOK, "import", s.tr(r).T("import.heading"), p)
}

// handleImportSubmit reads the feed, then queues its import and shows its
// progress; what keeps the feed out is shown on the form.
func (s *server) handleImportSubmit(w http.ResponseWriter, r *http.Request) {
	user, ok := s.requireImporter(w, r)
	if !ok {
		return
	}
	p, err := s.newImportPage(r, user)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p.FeedURL = strings.TrimSpace(r.PostFormValue("feed_url"))
	p.Channel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("channel")), "@"))
	p.Reference = r.PostFormValue("reference") != ""
	p.ConfirmOwner = r.PostFormValue("confirm_owner") != ""
	refuse := func(msg string) {
		p.Error = msg
		s.render(w, r, http.StatusUnprocessableEntity, "import", s.tr(r).T("import.heading"), p)
	}
	if p.FeedURL == "" {
		refuse(s.tr(r).T("import.feed_url_missing"))
		return
	}
	if _, err := podimport.CheckURL(p.FeedURL); err != nil {
		refuse(s.tr(r).T("import.feed_url_invalid"))
		return
	}
	plan, err := s.importer.Inspect(r.Context(), podimport.Options{
		FeedURL: p.FeedURL, Channel: p.Channel, Owner: user, ConfirmOwner: p.ConfirmOwner,
		Authorize: func(ch *store.Channel) error {
			if !podimport.MayImportInto(user, ch) {
				return &podimport.ChannelError{Reason: s.tr(r).T("import.not_yours", ch.Handle)}
			}
			return nil
		},
	})
	var le *podimport.LockedError
	var fe *podimport.FeedError
	var ce *podimport.ChannelError
	switch {
	case errors.As(err, &le):
		p.Locked = true
		if le.Owner != "" {
			refuse(s.tr(r).T("import.locked_owner", le.Owner))
		} else {
			refuse(s.tr(r).T("import.locked"))
		}
		return
	case errors.As(err, &fe):
		refuse(s.tr(r).T("import.feed_invalid", sentence(fe.Reason)))
		return
	case errors.As(err, &ce):
		refuse(sentence(ce.Reason))
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	mode := store.ImportDownload
	if p.Reference {
		mode = store.ImportReference
	}
	id, err := podimport.Queue(r.Context(), s.store, s.library.Queue, store.NewImport{
		FeedURL: plan.FeedURL, ChannelHandle: plan.Handle, Mode: mode, ConfirmOwner: p.ConfirmOwner, StartedBy: user.ID,
	})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("podcast import queued", "import", id, "feed", plan.FeedURL, "channel", plan.Handle,
		"mode", mode, "user", user.Username)
	http.Redirect(w, r, "/imports/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// sentence capitalises a reason and ends it with a full stop.
func sentence(s string) string {
	return fieldMessage("", s)
}

// importProgressPage is the data of an import's progress page.
type importProgressPage struct {
	Import   *store.Import
	Channel  *store.Channel // nil until known, or once deleted
	Running  bool
	Handled  int // episodes done, skipped or failed
	Percent  int
	Working  []string
	Failures []podimport.ReportEntry
	Warnings []podimport.ReportEntry
	Refresh  int // seconds between reloads while running
}

// handleImportProgress shows an import's progress to whoever started it
// and to admins; it reloads itself (no JavaScript) while the import runs.
func (s *server) handleImportProgress(w http.ResponseWriter, r *http.Request) {
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if user == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.renderNotFound(w, r)
		return
	}
	imp, err := s.store.ImportByID(r.Context(), id)
	if isNotFound(err) || (err == nil && imp.StartedBy != user.ID && user.Role != store.RoleAdmin) {
		s.renderNotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p := &importProgressPage{Import: imp, Running: !imp.Finished(), Refresh: 2}
	p.Handled = imp.Done + imp.Skipped + imp.Failed
	p.Percent = 0
	if imp.Total > 0 {
		p.Percent = p.Handled * 100 / imp.Total
	} else if imp.Finished() {
		p.Percent = 100
	}
	if imp.WorkingOn != "" {
		p.Working = strings.Split(imp.WorkingOn, "\n")
	}
	for _, e := range podimport.ParseReport(imp.Report) {
		if e.Kind == podimport.Failed {
			p.Failures = append(p.Failures, e)
		} else {
			p.Warnings = append(p.Warnings, e)
		}
	}
	if imp.ChannelHandle != "" {
		if c, err := s.store.LocalChannel(r.Context(), imp.ChannelHandle); err == nil && c.ID == imp.ChannelID {
			p.Channel = c
		}
	}
	title := s.tr(r).T("import.of", imp.FeedURL)
	if imp.FeedTitle != "" {
		title = s.tr(r).T("import.of", imp.FeedTitle)
	}
	s.render(w, r, http.StatusOK, "import_progress", title, p)
}

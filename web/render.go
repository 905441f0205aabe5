package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/archipel/archipel/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are the pages, each templates/NAME.html defining "content"
// inside templates/layout.html.
var pageNames = []string{"home", "login", "channel_new", "channel", "error", "upload", "item", "item_edit",
	"channel_comments", "interact", "feed_settings", "import", "import_progress",
	"curation_follows", "curation_review",
	"apply", "apply_status", "applications",
	"federation_health", "activity",
	"collections", "collection", "curation_lists", "curation_home",
	"search", "about", "admin_users", "admin_settings"}

// partials are templates every page may call, parsed with the layout:
// preview.html defines "preview", a page's link previews and metadata.
var partials = []string{"templates/layout.html", "templates/preview.html", "templates/comment_parts.html"}

// view is what every page template receives.
type view struct {
	Hub              string
	Lang             string         // the page's language, for <html lang>
	Languages        []languageLink // the language switch
	Title            string
	Path             string
	User             *store.User
	CanCreateChannel bool
	CanCurate        bool // the curators' pages are linked
	Collections      bool // the hub has media, so collections
	CSRFToken        string
	Version          string
	StyleURL         string
	Page             any // the page's own data
}

// templateFuncs are the template functions that do not depend on the
// language; localeFuncs adds those that do.
var templateFuncs = template.FuncMap{
	"duration": formatDuration,
	"approval": approvalButtons,
	"hostOf":   hostOfURL,
	"list":     func(v ...string) []string { return v },
}

// localeFuncs are the template functions bound to one language: t (text),
// tn (plural: the count first), th (text with markup), and labels, dates
// and sizes in that language.
func localeFuncs(c *catalog) template.FuncMap {
	return template.FuncMap{
		"t":           c.T,
		"tn":          func(key string, n any, args ...any) string { return c.N(key, toInt(n), args...) },
		"th":          c.HTML,
		"kindLabel":   c.kindLabel,
		"kindNoun":    c.kindNoun,
		"stateLabel":  c.stateLabel,
		"roleLabel":   c.roleLabel,
		"policyLabel": c.policyLabel,
		"category":    c.categoryLabel,
		"heldReason":  c.heldReason,
		"importState": c.importState,
		"date":        c.Date,
		"datetime":    c.DateTime,
		"bytes":       c.Bytes,
	}
}

// kindLabel names a channel's kind.
func (c *catalog) kindLabel(kind string) string {
	switch kind {
	case store.KindVideo:
		return c.T("kind.video")
	case store.KindPodcast:
		return c.T("kind.podcast")
	}
	return kind
}

// hostOfURL is the host of a URL ("" when it has none).
func hostOfURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// approvalButtons is the data of the "approval-buttons" template.
func approvalButtons(id int64, name, csrfToken, next string) map[string]any {
	return map[string]any{"ID": id, "Name": name, "CSRFToken": csrfToken, "Next": next}
}

// formatDuration shows a duration as m:ss, or h:mm:ss from an hour.
func formatDuration(d time.Duration) string {
	sec := int64(d.Round(time.Second) / time.Second)
	if sec < 0 {
		sec = 0
	}
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%d:%02d", sec/60, sec%60)
}

// heldReason says why a comment is held, from its held_reason
// ("watched word: WORD" is the one with a detail).
func (c *catalog) heldReason(reason string) string {
	if word, ok := strings.CutPrefix(reason, "watched word: "); ok {
		return c.T("moderation.held_watched", word)
	}
	return c.T("moderation.held_reason", reason)
}

// kindNoun names a channel's kind inside a sentence ("the video channel").
func (c *catalog) kindNoun(kind string) string {
	switch kind {
	case store.KindVideo:
		return c.T("kind.video.noun")
	case store.KindPodcast:
		return c.T("kind.podcast.noun")
	}
	return kind
}

// importState names a podcast import's state.
func (c *catalog) importState(state string) string {
	switch state {
	case store.ImportQueued:
		return c.T("import.state_queued")
	case store.ImportRunning:
		return c.T("import.state_running")
	case store.ImportDone:
		return c.T("import.state_done")
	case store.ImportFailed:
		return c.T("import.state_failed")
	}
	return state
}

// policyLabel says what an instance policy does.
func (c *catalog) policyLabel(policy string) string {
	switch policy {
	case store.PolicyNone:
		return c.T("policy.none")
	case store.PolicyAllow:
		return c.T("policy.allow")
	case store.PolicyMute:
		return c.T("policy.mute")
	case store.PolicyLimit:
		return c.T("policy.limit")
	case store.PolicyBlock:
		return c.T("policy.block")
	}
	return policy
}

// roleLabel names an account's role.
func (c *catalog) roleLabel(role string) string {
	switch role {
	case store.RoleAdmin:
		return c.T("role.admin")
	case store.RoleCurator:
		return c.T("role.curator")
	case store.RoleCreator:
		return c.T("role.creator")
	}
	return role
}

// stateLabel names an item's state for people.
func (c *catalog) stateLabel(state string) string {
	switch state {
	case store.StateDraft:
		return c.T("state.draft")
	case store.StateProcessing:
		return c.T("state.processing")
	case store.StatePublished:
		return c.T("state.published")
	case store.StateFailed:
		return c.T("state.failed")
	}
	return state
}

// templateSet is the pages of one language.
type templateSet struct {
	pages map[string]*template.Template
	embed *template.Template // the player in other sites' iframes, without the layout
}

// loadTemplates parses every page once per language, each page in its own
// set with the layout: html/template binds functions at parse time, so t
// is bound to its language.
func (s *server) loadTemplates() error {
	s.templates = make(map[string]*templateSet, len(s.locales.langs))
	for _, lang := range s.locales.langs {
		set, err := parseTemplates(localeFuncs(s.locales.catalog(lang)))
		if err != nil {
			return fmt.Errorf("%w (%s)", err, lang)
		}
		s.templates[lang] = set
	}
	return nil
}

// parseTemplates parses every page with funcs on top of templateFuncs.
func parseTemplates(funcs template.FuncMap) (*templateSet, error) {
	layout, err := template.New("layout.html").Funcs(templateFuncs).Funcs(funcs).ParseFS(templateFS, partials...)
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	set := &templateSet{pages: make(map[string]*template.Template, len(pageNames))}
	for _, name := range pageNames {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse page %s: %w", name, err)
		}
		set.pages[name] = t
	}
	// The embeddable player is a document of its own, without the layout.
	if set.embed, err = template.New("embed.html").Funcs(templateFuncs).Funcs(funcs).ParseFS(templateFS, "templates/embed.html"); err != nil {
		return nil, fmt.Errorf("web: parse the embed page: %w", err)
	}
	return set, nil
}

// render executes a page into a buffer, then writes it with status. A
// template error gives a 500 page instead of half a page. The page is in
// the request's language (see localizer.negotiate).
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, page any) {
	user, err := s.currentUser(r)
	if err != nil {
		// The page is still useful without the header's account links.
		s.state(r).logger.Error("cannot read the session", "error", err)
	}
	lang := s.lang(r)
	v := view{
		Hub:              s.hubName(r.Context()),
		Lang:             lang,
		Languages:        s.languageLinks(r, lang),
		Title:            title,
		Path:             r.URL.Path,
		User:             user,
		CanCreateChannel: canCreateChannel(user),
		CanCurate:        s.curator != nil && isCurator(user),
		Collections:      s.library != nil,
		CSRFToken:        s.csrfToken(w, r),
		Version:          s.version,
		StyleURL:         s.styleURL,
		Page:             page,
	}
	var buf bytes.Buffer
	if t, ok := s.templates[lang].pages[name]; ok {
		err = t.ExecuteTemplate(&buf, "layout", v)
	} else {
		err = fmt.Errorf("no page template %q", name)
	}
	if err != nil {
		s.state(r).logger.Error("cannot render a page", "page", name, "lang", lang, "error", err)
		if name == "error" {
			http.Error(w, "Internal server error", http.StatusInternalServerError)
			return
		}
		s.renderServerError(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	setLanguageHeaders(w, lang)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// errorPage is the data of the error template.
type errorPage struct {
	Status  int
	Heading string
	Message string
}

// renderError shows a friendly error page: the catalogue's headingKey
// and messageKey, with args for the message.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, status int, headingKey, messageKey string, args ...any) {
	tr := s.tr(r)
	heading := tr.T(headingKey)
	s.render(w, r, status, "error", heading, errorPage{Status: status, Heading: heading, Message: tr.T(messageKey, args...)})
}

func (s *server) renderNotFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound, "error.page_not_found", "error.page_not_found.message")
}

func (s *server) renderServerError(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusInternalServerError, "error.server", "error.server.message")
}

// serverError logs err and shows the 500 page.
func (s *server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.state(r).logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	s.renderServerError(w, r)
}

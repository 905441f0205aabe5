package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
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
	"collections", "collection", "curation_lists",
	"search", "about", "admin_users", "admin_settings"}

// partials are templates every page may call, parsed with the layout:
// preview.html defines "preview", a page's link previews and metadata.
var partials = []string{"templates/layout.html", "templates/preview.html", "templates/comment_parts.html"}

// view is what every page template receives.
type view struct {
	Hub              string
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

var templateFuncs = template.FuncMap{
	"kindLabel": func(kind string) string {
		switch kind {
		case store.KindVideo:
			return "Video"
		case store.KindPodcast:
			return "Podcast"
		}
		return kind
	},
	"duration":   formatDuration,
	"bytes":      formatBytes,
	"stateLabel": stateLabel,
	"plural":     plural,
	"approval":   approvalButtons,
	"hostOf":     hostOfURL,
	"list":       func(v ...string) []string { return v },
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

// plural is "1 follower" or "N followers".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
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

// formatBytes shows a size with a binary unit, e.g. "2.0 GiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// stateLabel names an item's state for people.
func stateLabel(state string) string {
	switch state {
	case store.StateDraft:
		return "Draft"
	case store.StateProcessing:
		return "Processing"
	case store.StatePublished:
		return "Published"
	case store.StateFailed:
		return "Failed"
	}
	return state
}

// loadTemplates parses every page once, each in its own set with the layout.
func (s *server) loadTemplates() error {
	layout, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, partials...)
	if err != nil {
		return fmt.Errorf("web: parse layout: %w", err)
	}
	s.pages = make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("web: parse page %s: %w", name, err)
		}
		s.pages[name] = t
	}
	// The embeddable player is a document of its own, without the layout.
	if s.embedPage, err = template.New("embed.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/embed.html"); err != nil {
		return fmt.Errorf("web: parse the embed page: %w", err)
	}
	return nil
}

// render executes a page into a buffer, then writes it with status. A
// template error gives a 500 page instead of half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, page any) {
	user, err := s.currentUser(r)
	if err != nil {
		// The page is still useful without the header's account links.
		s.state(r).logger.Error("cannot read the session", "error", err)
	}
	v := view{
		Hub:              s.hubName(r.Context()),
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
	if t, ok := s.pages[name]; ok {
		err = t.ExecuteTemplate(&buf, "layout", v)
	} else {
		err = fmt.Errorf("no page template %q", name)
	}
	if err != nil {
		s.state(r).logger.Error("cannot render a page", "page", name, "error", err)
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

// renderError shows a friendly error page.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	s.render(w, r, status, "error", heading, errorPage{Status: status, Heading: heading, Message: message})
}

func (s *server) renderNotFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound, "Page not found",
		"There is nothing at this address. It may have been mistyped, or what was here has been removed.")
}

func (s *server) renderServerError(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusInternalServerError, "Something went wrong",
		"The server could not show this page. The problem has been logged; please try again in a moment.")
}

// serverError logs err and shows the 500 page.
func (s *server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.state(r).logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	s.renderServerError(w, r)
}

package web

import (
	"net/http"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/archipel/archipel/store"
)

// Limits of the hub's settings, in characters.
const (
	maxHubName        = 60
	maxHubDescription = 500
	maxHubRules       = 5000
	maxHubContact     = 254
)

// adminSettingsPage is the data of the admin_settings template: what the
// admin typed, as typed, and the errors by field, as codes the template
// words (too-long, control, email).
type adminSettingsPage struct {
	Input   store.About
	Errors  map[string]string
	Saved   bool
	Default string // the name shown when none is set

	MaxName, MaxDescription, MaxRules, MaxContact int
}

func (s *server) showAdminSettings(w http.ResponseWriter, r *http.Request, status int, in store.About, errs map[string]string, saved bool) {
	s.render(w, r, status, "admin_settings", s.tr(r).T("settings.heading"), &adminSettingsPage{
		Input: in, Errors: errs, Saved: saved, Default: defaultHubName,
		MaxName: maxHubName, MaxDescription: maxHubDescription, MaxRules: maxHubRules, MaxContact: maxHubContact,
	})
}

// handleAdminSettings shows GET /admin/settings: the hub's name,
// description, rules and contact address.
func (s *server) handleAdminSettings(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireAdmin(w, r); !ok {
		return
	}
	a, err := s.store.About(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.showAdminSettings(w, r, http.StatusOK, a, nil, r.URL.Query().Get("done") == "saved")
}

// handleAdminSettingsSave saves the settings when they are all valid, and
// shows them again with their errors when not.
func (s *server) handleAdminSettingsSave(w http.ResponseWriter, r *http.Request) {
	admin, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	in := store.About{
		Name:        strings.TrimSpace(r.PostFormValue("name")),
		Description: strings.TrimSpace(normalizeNewlines(r.PostFormValue("description"))),
		Rules:       strings.TrimSpace(normalizeNewlines(r.PostFormValue("rules"))),
		Contact:     strings.TrimSpace(r.PostFormValue("contact")),
	}
	if errs := checkAbout(in); len(errs) > 0 {
		s.showAdminSettings(w, r, http.StatusUnprocessableEntity, in, errs, false)
		return
	}
	if err := s.store.SetAbout(r.Context(), in); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("hub settings saved", "by", admin.Username, "name", in.Name)
	http.Redirect(w, r, "/admin/settings?done=saved", http.StatusSeeOther)
}

// checkAbout validates the hub's settings: error codes by field.
func checkAbout(a store.About) map[string]string {
	errs := map[string]string{}
	tooLong := func(field, v string, max int) bool {
		if utf8.RuneCountInString(v) > max {
			errs[field] = "too-long"
			return true
		}
		return false
	}
	if !tooLong("name", a.Name, maxHubName) && strings.ContainsFunc(a.Name, unicode.IsControl) {
		errs["name"] = "control"
	}
	tooLong("description", a.Description, maxHubDescription)
	tooLong("rules", a.Rules, maxHubRules)
	if !tooLong("contact", a.Contact, maxHubContact) && a.Contact != "" && !plainEmail(a.Contact) {
		errs["contact"] = "email"
	}
	return errs
}

// plainEmail tells whether v is a bare e-mail address (no display name)
// at a domain with a dot, such as admin@hub.example.
func plainEmail(v string) bool {
	addr, err := mail.ParseAddress(v)
	if err != nil || addr.Name != "" || addr.Address != v {
		return false
	}
	at := strings.LastIndexByte(v, '@')
	domain := v[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".") &&
		!strings.ContainsAny(v, " \t<>")
}

// normalizeNewlines makes CRLF and CR line ends LF, as browsers send
// textareas with CRLF.
func normalizeNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

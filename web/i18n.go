package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The pages speak English and French. Their strings live in
// locales/LANG.json, flat maps from symbolic keys ("nav.home") to text
// with fmt verbs for arguments. A plural is two keys, KEY.one and
// KEY.other, chosen by the language's rule; the count is the first
// argument. Templates call t, tn and th (see localeFuncs); Go code calls
// the methods of the request's *catalog (s.tr(r)). TestCatalogues fails
// when a key is missing in either language, unused, or has different verbs.

//go:embed locales/*.json
var localeFS embed.FS

// defaultLang is the language of a request that asks for none we have.
const defaultLang = "en"

// langCookie holds the language chosen with the switch in the footer.
const langCookie = "lang"

// catalog is one language's strings.
type catalog struct {
	lang string
	msgs map[string]string
}

// localizer holds the catalogues; one per server.
type localizer struct {
	langs []string // the default first, then the others in order
	cats  map[string]*catalog
}

// newLocalizer parses the embedded catalogues.
func newLocalizer() (*localizer, error) {
	files, err := localeFS.ReadDir("locales")
	if err != nil {
		return nil, fmt.Errorf("web: read the catalogues: %w", err)
	}
	l := &localizer{cats: map[string]*catalog{}}
	for _, f := range files {
		lang, ok := strings.CutSuffix(f.Name(), ".json")
		if !ok {
			continue
		}
		b, err := localeFS.ReadFile("locales/" + f.Name())
		if err != nil {
			return nil, fmt.Errorf("web: read the %s catalogue: %w", lang, err)
		}
		c := &catalog{lang: lang}
		if err := json.Unmarshal(b, &c.msgs); err != nil {
			return nil, fmt.Errorf("web: parse the %s catalogue: %w", lang, err)
		}
		l.cats[lang] = c
		l.langs = append(l.langs, lang)
	}
	if l.cats[defaultLang] == nil {
		return nil, fmt.Errorf("web: no %s catalogue", defaultLang)
	}
	slices.SortFunc(l.langs, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == defaultLang:
			return -1
		case b == defaultLang:
			return 1
		}
		return strings.Compare(a, b)
	})
	return l, nil
}

// catalog returns the catalogue of lang, or the default one.
func (l *localizer) catalog(lang string) *catalog {
	if c, ok := l.cats[lang]; ok {
		return c
	}
	return l.cats[defaultLang]
}

// negotiate picks the language of a request: the lang cookie (the switch)
// first, then the best of Accept-Language, then the default.
func (l *localizer) negotiate(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		if _, ok := l.cats[c.Value]; ok {
			return c.Value
		}
	}
	return l.fromAcceptLanguage(r.Header.Values("Accept-Language"))
}

// fromAcceptLanguage picks the language we have with the highest q-value
// (the first listed among equals); a region or script ("fr-CA") counts
// for its language, and "*" for the default.
func (l *localizer) fromAcceptLanguage(headers []string) string {
	best, bestQ := defaultLang, 0.0
	for _, h := range headers {
		for part := range strings.SplitSeq(h, ",") {
			tag, params, _ := strings.Cut(part, ";")
			tag = strings.ToLower(strings.TrimSpace(tag))
			q := 1.0
			for p := range strings.SplitSeq(params, ";") {
				name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.TrimSpace(name) != "q" {
					continue
				}
				v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
				if err != nil || v < 0 || v > 1 {
					v = 0
				}
				q = v
			}
			if q <= bestQ {
				continue
			}
			base, _, _ := strings.Cut(tag, "-")
			if base == "*" {
				base = defaultLang
			}
			if _, ok := l.cats[base]; ok {
				best, bestQ = base, q
			}
		}
	}
	return best
}

// lang is the language of this request, negotiated once.
func (s *server) lang(r *http.Request) string {
	st := s.state(r)
	if st.lang == "" {
		st.lang = s.locales.negotiate(r)
	}
	return st.lang
}

// tr is the catalogue of this request's language.
func (s *server) tr(r *http.Request) *catalog { return s.locales.catalog(s.lang(r)) }

// setLanguageHeaders says which language a page is in, and that it
// depends on the request's Accept-Language and cookies.
func setLanguageHeaders(w http.ResponseWriter, lang string) {
	h := w.Header()
	h.Set("Content-Language", lang)
	h.Add("Vary", "Accept-Language, Cookie")
}

// handleLanguage is the language switch: GET /lang/{lang}?next=/path sets
// the lang cookie for a year and goes back to next (a path on this site).
func (s *server) handleLanguage(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	if _, ok := s.locales.cats[lang]; !ok {
		s.renderNotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.SetCookie(w, &http.Cookie{
		Name:     langCookie,
		Value:    lang,
		Path:     "/",
		MaxAge:   365 * 24 * 60 * 60,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// languageLink is one language of the switch in the footer.
type languageLink struct {
	Lang    string
	Name    string // in the language itself
	URL     string
	Current bool
}

// languageLinks are the switch's links from the page at r.
func (s *server) languageLinks(r *http.Request, current string) []languageLink {
	next := r.URL.Path
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		next = r.URL.RequestURI()
	}
	links := make([]languageLink, 0, len(s.locales.langs))
	for _, lang := range s.locales.langs {
		links = append(links, languageLink{
			Lang:    lang,
			Name:    s.locales.cats[lang].T("lang.name"),
			URL:     "/lang/" + lang + "?next=" + url.QueryEscape(next),
			Current: lang == current,
		})
	}
	return links
}

// T is the text of key with args. A key missing from the catalogue shows
// as itself (TestCatalogues keeps that from happening).
func (c *catalog) T(key string, args ...any) string {
	msg, ok := c.msgs[key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// N is the plural text of key for the count n: KEY.one or KEY.other, with
// n as the first argument and args after it.
func (c *catalog) N(key string, n int, args ...any) string {
	return c.T(key+"."+c.pluralForm(n), append([]any{n}, args...)...)
}

// pluralForm is the plural category of n: French counts 0 and 1 as one,
// English only 1.
func (c *catalog) pluralForm(n int) string {
	if n == 1 || (c.lang == "fr" && n == 0) {
		return "one"
	}
	return "other"
}

// HTML is the text of key as HTML: the catalogue's text is trusted markup
// (a link in a sentence), the arguments are escaped. Arguments are text,
// never URLs that people typed.
func (c *catalog) HTML(key string, args ...any) template.HTML {
	esc := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case int, int64, int32, uint, uint64, float64:
			esc[i] = v
		case template.HTML:
			esc[i] = v // already safe, such as another HTML text
		default:
			esc[i] = template.HTMLEscapeString(fmt.Sprint(v))
		}
	}
	return template.HTML(c.T(key, esc...)) //nolint:gosec // trusted catalogue text, escaped arguments
}

// Date shows a day: "2 January 2006", "2 janvier 2006".
func (c *catalog) Date(t time.Time) string {
	month := t.Month().String()
	if months := strings.Split(c.T("date.months"), "|"); len(months) == 12 {
		month = months[t.Month()-1]
	}
	if c.lang == "fr" && t.Day() == 1 {
		return "1er " + month + " " + strconv.Itoa(t.Year())
	}
	return strconv.Itoa(t.Day()) + " " + month + " " + strconv.Itoa(t.Year())
}

// DateTime shows a day and time: "2 January 2006, 15:04".
func (c *catalog) DateTime(t time.Time) string {
	return c.T("date.with_time", c.Date(t), t.Format("15:04"))
}

// Bytes shows a size with a binary unit: "2.0 GiB", "2,0 Gio".
func (c *catalog) Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return c.T("size.bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	num := strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64)
	if c.lang == "fr" {
		num = strings.Replace(num, ".", ",", 1)
	}
	return c.T("size.unit", num, string("KMGTPE"[exp]))
}

// toInt reads a count from a template: any integer type.
func toInt(n any) int {
	switch v := n.(type) {
	case int:
		return v
	case int64:
		return int(v)
	case int32:
		return int(v)
	case uint:
		return int(v)
	case uint64:
		return int(v)
	case uint32:
		return int(v)
	}
	return 0
}

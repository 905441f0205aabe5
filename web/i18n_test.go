package web

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"image"
	imgpng "image/png"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
	"time"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/curation/feeds"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// testCatalog is the catalogue of lang, for unit tests of functions that
// write messages.
func testCatalog(t testing.TB, lang string) *catalog {
	t.Helper()
	l, err := newLocalizer()
	if err != nil {
		t.Fatal(err)
	}
	c, ok := l.cats[lang]
	if !ok {
		t.Fatalf("no %s catalogue", lang)
	}
	return c
}

// keyRE is what a catalogue key looks like: lower-case dotted words.
var keyRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)

// verbRE finds the fmt verbs of a message ("%%" is no verb).
var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?([a-zA-Z%])`)

// verbs lists the verbs of msg by argument: "1:s 2:d".
func verbs(msg string) string {
	var out []string
	next := 1
	for _, m := range verbRE.FindAllStringSubmatch(msg, -1) {
		if m[3] == "%" {
			continue
		}
		if m[1] != "" {
			next, _ = strconv.Atoi(strings.Trim(m[1], "[]"))
		}
		out = append(out, strconv.Itoa(next)+":"+m[3])
		next++
	}
	sort.Strings(out)
	return strings.Join(slices.Compact(out), " ")
}

// templateKeys collects the keys of the t, th and tn calls of every
// template; a call whose key is not a literal is an error.
func templateKeys(t *testing.T) map[string]bool {
	t.Helper()
	set, err := parseTemplates(localeFuncs(testCatalog(t, defaultLang)))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	var walk func(name string, n parse.Node)
	walk = func(name string, n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(name, c)
			}
		case *parse.ActionNode:
			walk(name, n.Pipe)
		case *parse.IfNode:
			walk(name, n.Pipe)
			walk(name, n.List)
			walk(name, n.ElseList)
		case *parse.RangeNode:
			walk(name, n.Pipe)
			walk(name, n.List)
			walk(name, n.ElseList)
		case *parse.WithNode:
			walk(name, n.Pipe)
			walk(name, n.List)
			walk(name, n.ElseList)
		case *parse.TemplateNode:
			walk(name, n.Pipe)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(name, c)
			}
		case *parse.CommandNode:
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "t" || id.Ident == "th" || id.Ident == "tn") {
				s, ok := n.Args[1].(*parse.StringNode)
				if !ok {
					t.Errorf("%s: %s with a key that is not a literal: %s", name, id.Ident, n)
					return
				}
				if id.Ident == "tn" {
					keys[s.Text+".one"], keys[s.Text+".other"] = true, true
				} else {
					keys[s.Text] = true
				}
			}
			for _, a := range n.Args {
				walk(name, a)
			}
		case *parse.ChainNode:
			walk(name, n.Node)
		}
	}
	pages := set.pages
	pages["embed"] = set.embed
	for _, page := range pages {
		for _, tmpl := range page.Templates() {
			if tmpl.Tree != nil {
				walk(tmpl.Name(), tmpl.Tree.Root)
			}
		}
	}
	return keys
}

// goKeys returns the string literals of the package's Go files (tests
// aside) that look like keys, and those passed as keys to T, N, HTML and
// renderError, which must exist (N's are plural bases).
func goKeys(t *testing.T) (literals, required map[string]bool) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	literals, required = map[string]bool{}, map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					if s, err := strconv.Unquote(n.Value); err == nil && keyRE.MatchString(s) {
						literals[s] = true
					}
				}
			case *ast.CallExpr:
				var fn string
				switch f := n.Fun.(type) {
				case *ast.SelectorExpr:
					fn = f.Sel.Name
				case *ast.Ident:
					fn = f.Name
				}
				var at []int
				switch fn {
				case "T", "HTML", "N":
					at = []int{0}
				case "renderError":
					at = []int{3, 4}
				}
				for _, i := range at {
					if i >= len(n.Args) {
						continue
					}
					lit, ok := n.Args[i].(*ast.BasicLit)
					if !ok {
						continue // a key from a variable: its literal is counted where it is written
					}
					s, _ := strconv.Unquote(lit.Value)
					if fn == "N" {
						required[s+".one"], required[s+".other"] = true, true
					} else {
						required[s] = true
					}
				}
			}
			return true
		})
	}
	return literals, required
}

// TestCatalogues checks the catalogues against each other and against
// what the templates and the Go code use: every key used exists in both
// languages, both have the same keys with the same fmt verbs, and every
// key is used.
func TestCatalogues(t *testing.T) {
	l, err := newLocalizer()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.langs, []string{"en", "fr"}) {
		t.Fatalf("languages = %v, want en, fr", l.langs)
	}
	en, fr := l.cats["en"].msgs, l.cats["fr"].msgs
	for k, msg := range en {
		other, ok := fr[k]
		switch {
		case !ok:
			t.Errorf("%q is in en.json, not in fr.json", k)
		case verbs(msg) != verbs(other):
			t.Errorf("%q: verbs differ: en %q (%s), fr %q (%s)", k, msg, verbs(msg), other, verbs(other))
		case strings.TrimSpace(msg) == "" || strings.TrimSpace(other) == "":
			t.Errorf("%q is empty in a language", k)
		}
		if !keyRE.MatchString(k) {
			t.Errorf("%q is not a key: lower-case dotted words", k)
		}
	}
	for k := range fr {
		if _, ok := en[k]; !ok {
			t.Errorf("%q is in fr.json, not in en.json", k)
		}
	}

	used := templateKeys(t)
	literals, required := goKeys(t)
	for k := range required {
		used[k] = true
	}
	// Apple's podcast categories, shown by categoryLabel.
	for name, subs := range feeds.AppleCategories {
		for _, n := range append([]string{name}, subs...) {
			required[categoryKey(n)], used[categoryKey(n)] = true, true
		}
	}
	namespaces := map[string]bool{}
	for k := range en {
		namespaces[k[:strings.IndexByte(k, '.')]] = true
	}
	for k := range literals {
		_, plain := en[k]
		_, plural := en[k+".one"]
		switch {
		case plain:
			used[k] = true
		case plural:
			used[k+".one"], used[k+".other"] = true, true
		case namespaces[k[:strings.IndexByte(k, '.')]] && !strings.HasSuffix(k, ".html"):
			t.Errorf("Go code has %q, like a key, but no catalogue has it", k)
		}
	}
	for k := range used {
		if _, ok := en[k]; !ok {
			t.Errorf("%q is used but missing from en.json", k)
		}
		if _, ok := fr[k]; !ok {
			t.Errorf("%q is used but missing from fr.json", k)
		}
	}
	for k := range en {
		if !used[k] {
			t.Errorf("%q is in the catalogues but nothing uses it", k)
		}
	}
	if t.Failed() {
		t.Logf("strings live in web/locales/*.json; see the comment at the top of web/i18n.go")
	}
}

// TestTemplatesHaveNoBareText fails when a template holds words outside
// {{t}} calls: visible text, or attributes people read (aria-label,
// placeholder, title, alt, label). Brand and format names may stay.
func TestTemplatesHaveNoBareText(t *testing.T) {
	allowed := map[string]bool{"JSON": true, "OPML": true, "torrent": true}
	technical := map[string]bool{"https://": true, "cc-by-4.0": true} // placeholders that are values, not words
	pathRE := regexp.MustCompile(`\S*/\S*`)
	comment := regexp.MustCompile(`(?s)\{\{-?\s*/\*.*?\*/\s*-?\}\}`)
	action := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	attr := regexp.MustCompile(`\s(aria-label|placeholder|title|alt|label)="([^"]*)"`)
	tag := regexp.MustCompile(`(?s)<[^>]*>`)
	entity := regexp.MustCompile(`&(#\d+|[a-z]+);`)
	word := regexp.MustCompile(`\pL+`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, path)
		if err != nil {
			return err
		}
		src := action.ReplaceAllString(comment.ReplaceAllString(string(b), ""), "\x00")
		for _, m := range attr.FindAllStringSubmatch(src, -1) {
			if technical[m[2]] {
				continue
			}
			for _, w := range word.FindAllString(m[2], -1) {
				if !allowed[w] {
					t.Errorf("%s: %s=%q holds %q outside {{t}}", path, m[1], m[2], w)
				}
			}
		}
		text := pathRE.ReplaceAllString(entity.ReplaceAllString(tag.ReplaceAllString(src, " "), " "), " ")
		for _, w := range word.FindAllString(text, -1) {
			if !allowed[w] {
				t.Errorf("%s: the text %q is outside {{t}}", path, w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAcceptLanguage(t *testing.T) {
	l, err := newLocalizer()
	if err != nil {
		t.Fatal(err)
	}
	for header, want := range map[string]string{
		"":                             "en",
		"fr":                           "fr",
		"fr-FR":                        "fr",
		"fr-CA, en;q=0.5":              "fr",
		"FR-be":                        "fr",
		"fr-FR,fr;q=0.9,en;q=0.8":      "fr",
		"de, en;q=0.5":                 "en",
		"de, fr;q=0.5":                 "fr",
		"en;q=0.4, fr;q=0.8":           "fr",
		"en, fr":                       "en",
		"fr;q=0, en;q=0.1":             "en",
		"fr;q=0":                       "en",
		"de":                           "en",
		"*":                            "en",
		"fr;q=bogus, en;q=0.2":         "en",
		"es-419, fr-CH;q=0.7, *;q=0.1": "fr",
	} {
		var hs []string
		if header != "" {
			hs = []string{header}
		}
		if got := l.fromAcceptLanguage(hs); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", header, got, want)
		}
	}
}

// get fetches path with headers.
func (b *browser) getWith(path string, header http.Header) *response {
	b.t.Helper()
	return b.request(http.MethodGet, path, nil, header)
}

func TestLanguageNegotiation(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		b := newHarness(t, s).browser()

		fr := b.getWith("/", http.Header{"Accept-Language": {"fr-FR,fr;q=0.9,en;q=0.8"}})
		wantStatus(t, fr, http.StatusOK)
		wantContains(t, fr.body, `<html lang="fr">`, "Aucune chaîne pour l’instant.", `<a href="/login">Se connecter</a>`,
			`<a href="/lang/en?next=%2F" hreflang="en" lang="en">English</a>`)
		// No English left: a sample of the home page's strings.
		wantNotContains(t, fr.body, "Sign in", "No channels yet", "Skip to main content", "Channels<", "federated video")
		if got := fr.Header.Get("Content-Language"); got != "fr" {
			t.Errorf("Content-Language = %q, want fr", got)
		}
		if got := fr.Header.Values("Vary"); !slices.Contains(got, "Accept-Language, Cookie") {
			t.Errorf("Vary = %q", got)
		}

		en := b.getWith("/", http.Header{"Accept-Language": {"de, en;q=0.5"}})
		wantContains(t, en.body, `<html lang="en">`, `<a href="/login">Sign in</a>`,
			`<a href="/lang/fr?next=%2F" hreflang="fr" lang="fr">Français</a>`)
		if got := en.Header.Get("Content-Language"); got != "en" {
			t.Errorf("Content-Language = %q, want en", got)
		}

		// The switch sets a cookie that overrides the header, and goes back.
		r := b.get("/lang/fr?next=/login%3Fnext%3D%252Fc%252Fx")
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/login?next=%2Fc%2Fx" {
			t.Errorf("Location = %q", loc)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q", cc)
		}
		c := setCookie(r.Response, "lang")
		if c == nil || c.Value != "fr" || c.Path != "/" || c.MaxAge != 365*24*3600 || c.SameSite != http.SameSiteLaxMode || !c.HttpOnly {
			t.Fatalf("lang cookie = %+v", c)
		}
		r = b.getWith("/login", http.Header{"Accept-Language": {"en"}})
		wantContains(t, r.body, `<html lang="fr">`, "<h1>Connexion</h1>", "Nom d’utilisateur", "Mot de passe")
		wantNotContains(t, r.body, "Username", "Password", ">Sign in<")

		// Back to English, whatever the header says.
		wantStatus(t, b.get("/lang/en?next=/"), http.StatusSeeOther)
		r = b.getWith("/", http.Header{"Accept-Language": {"fr"}})
		wantContains(t, r.body, `<html lang="en">`, "No channels yet.")

		// Only local paths: anything else goes home.
		for _, next := range []string{"//evil.example", "https://evil.example/", "/\\evil.example", "", "evil"} {
			r := b.get("/lang/fr?next=" + url.QueryEscape(next))
			wantStatus(t, r, http.StatusSeeOther)
			if loc := r.Header.Get("Location"); loc != "/" {
				t.Errorf("next %q: Location = %q, want /", next, loc)
			}
		}
		wantStatus(t, b.get("/lang/de?next=/"), http.StatusNotFound)
	})
}

// TestFrenchPages signs in and walks pages in French: each must render and
// hold none of a sample of English strings.
func TestFrenchPages(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		createUser(t, s, "alice", store.RoleAdmin)
		b := newHarness(t, s).browser()
		wantStatus(t, b.get("/lang/fr?next=/"), http.StatusSeeOther)
		b.login("alice")
		r := b.submit("/channels/new", "/channels", url.Values{"handle": {""}, "kind": {"video"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "Identifiant\u00a0: ce champ est obligatoire.", "Nouvelle chaîne")
		wantNotContains(t, r.body, "is required", "New channel")

		for _, path := range []string{"/", "/channels/new", "/apply", "/nowhere"} {
			r := b.get(path)
			wantContains(t, r.body, `<html lang="fr">`)
			wantNotContains(t, r.body, "Sign out", "Home<", "Page not found", "Apply for a channel", "Create channel")
		}
	})
}

// TestFieldErrorsTranslated checks that the messages of the accounts
// package that forms show are known to fieldErrorPatterns.
func TestFieldErrorsTranslated(t *testing.T) {
	fr := testCatalog(t, "fr")
	var msgs []string
	add := func(_ string, err error) {
		if fe, ok := err.(*accounts.FieldError); ok {
			msgs = append(msgs, fe.Message)
		} else {
			t.Errorf("%v is no FieldError", err)
		}
	}
	add(accounts.NormalizeHandle("handle", ""))
	add(accounts.NormalizeHandle("handle", strings.Repeat("a", 99)))
	add(accounts.NormalizeHandle("handle", "a-b"))
	add(accounts.NormalizeHandle("handle", "archipel"))
	add(accounts.NormalizeEmail("email", "nope"))
	add("", accounts.CheckKind("film"))
	add("", accounts.CheckPasswordStrength("x"))
	_, links := accounts.ParseLinks("links", "ftp://example.org")
	msgs = append(msgs, links.Message, "must be at most 5 characters (it has 6)", "contains control characters",
		`"bob" is already taken by a user or a channel`, "already has an account on this hub")
	for _, msg := range msgs {
		if got := fr.fieldError("Champ", msg); got == fieldMessage("Champ", msg) || !strings.HasPrefix(got, "Champ\u00a0: ") {
			t.Errorf("%q in French: %q", msg, got)
		}
	}
	en := testCatalog(t, "en")
	for _, msg := range msgs {
		if got, want := en.fieldError("Field", msg), fieldMessage("Field", msg); got != want {
			t.Errorf("%q in English: %q, want %q", msg, got, want)
		}
	}
}

func TestLocaleFormats(t *testing.T) {
	en, fr := testCatalog(t, "en"), testCatalog(t, "fr")
	day := time.Date(2024, time.March, 1, 15, 4, 0, 0, time.UTC)
	for _, c := range []struct{ got, want string }{
		{en.Date(day), "1 March 2024"},
		{fr.Date(day), "1er mars 2024"},
		{fr.Date(day.AddDate(0, 0, 1)), "2 mars 2024"},
		{en.DateTime(day), "1 March 2024, 15:04"},
		{fr.DateTime(day), "1er mars 2024 à 15:04"},
		{en.Bytes(512), "512 B"},
		{fr.Bytes(512), "512 o"},
		{en.Bytes(3 << 30), "3.0 GiB"},
		{fr.Bytes(1536 << 10), "1,5 Mio"},
		{en.N("count.items", 0), "0 items"},
		{fr.N("count.items", 0), "0 élément"},
		{en.N("count.items", 1), "1 item"},
		{fr.N("count.items", 2), "2 éléments"},
		{en.T("no.such.key"), "no.such.key"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// The catalogues are plain files: check that they stay sorted and
// indented as written, so that diffs stay small.
func TestCatalogueFilesTidy(t *testing.T) {
	for _, lang := range []string{"en", "fr"} {
		b, err := os.ReadFile(filepath.Join("locales", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, line := range strings.Split(string(b), "\n") {
			if k, _, ok := strings.Cut(strings.TrimSpace(line), `": "`); ok {
				keys = append(keys, strings.TrimPrefix(k, `"`))
			}
		}
		if !slices.IsSorted(keys) {
			t.Errorf("%s.json: keys are not sorted", lang)
		}
	}
}

// TestDetailsTranslated feeds detailPatterns the messages of the other
// packages: English gives them back as they were, French translates them,
// and every pattern is used.
func TestDetailsTranslated(t *testing.T) {
	var msgs []string
	add := func(err error) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		msgs = append(msgs, strings.TrimPrefix(err.Error(), library.ErrBadTranscript.Error()+": "))
	}
	for _, text := range []string{"{", "hello", "1:00 One\n0:30 Two", "0:00 ", "0:00 A\n" + strings.Repeat("9:00 B\n", feeds.MaxChapters+1)} {
		_, err := feeds.ParseChapters(text)
		add(err)
	}
	for _, data := range [][]byte{nil, []byte("hello"), {0xff, 0xfe, 0x00}, make([]byte, library.MaxTranscript+1)} {
		_, err := library.TranscriptType(data)
		add(err)
	}
	png := func(img image.Image) []byte {
		var buf bytes.Buffer
		if err := imgpng.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, data := range [][]byte{
		[]byte("not a picture"),
		png(image.NewGray(image.Rect(0, 0, 1400, 1400))),
		png(image.NewRGBA(image.Rect(0, 0, 1400, 1500))),
		png(image.NewRGBA(image.Rect(0, 0, 100, 100))),
		png(image.NewRGBA(image.Rect(0, 0, 3100, 3100))),
	} {
		_, _, err := feeds.CheckArtwork(bytes.NewReader(data))
		add(err)
	}
	// transcode's refusals, as its formats write them.
	msgs = append(msgs, "The file is empty.", "The file is 3.0 GiB; the limit is 2.0 GiB.", "The file has no video or audio in it.",
		"The file has no video track; this channel publishes videos.", "The file has no audio track; podcast episodes need sound.",
		"The video is 8000×6000 (48.0 megapixels); the limit is 36.0 megapixels.",
		"The file is incomplete: it ends before its own index or duration says it should. Please upload the whole file again.",
		"The recording lasts 5h00m; the limit is 4h00m.", "The file could not be read as video or audio in time.",
		"The file could not be read as video or audio in 30 s.", "The file is not a video or audio file we can read.",
		"the artwork is a GIF image; Apple Podcasts accepts only JPEG or PNG", "the artwork uses CMYK colours; save it in RGB",
		`chapter 2 ("B") does not start after the one before it`, "chapter 1 starts before the beginning", "there are no chapters",
		// This package's upload refusals (api_uploads.go; upload_test.go sees three of them sent).
		"Sign in to upload.", "Say which channel to upload to (the channel metadata).", "There is no channel @nowhere.",
		"You cannot upload to @bobs.", "Your account no longer exists.")

	en, fr := testCatalog(t, "en"), testCatalog(t, "fr")
	hit := map[string]bool{}
	for _, msg := range msgs {
		for _, p := range detailPatterns {
			if p.re.MatchString(msg) {
				hit[p.key] = true
				break
			}
		}
		if got := en.detail(msg); got != msg {
			t.Errorf("%q in English: %q", msg, got)
		}
		if got := fr.detail(msg); got == msg {
			t.Errorf("%q is not translated", msg)
		}
	}
	for _, p := range detailPatterns {
		if !hit[p.key] {
			t.Errorf("no sample for %s", p.key)
		}
	}
}

// TestCategoriesInFrench: the feed settings page lists Apple's categories
// in the page's language, while the values (what the feed carries) stay
// Apple's English names.
func TestCategoriesInFrench(t *testing.T) {
	fr := testCatalog(t, "fr")
	for value, want := range map[string]string{
		"Health & Fitness":            "Santé et forme",
		"Health & Fitness > Medicine": "Santé et forme › Médecine",
		"TV & Film > Film Reviews":    "Télévision et cinéma › Critiques de films",
		"Not Apple's":                 "Not Apple's",
	} {
		if got := fr.categoryLabel(value); got != want {
			t.Errorf("categoryLabel(%q) = %q, want %q", value, got, want)
		}
	}
	if got := testCatalog(t, "en").categoryLabel("Sports > Soccer"); got != "Sports › Soccer" {
		t.Errorf("in English: %q", got)
	}
}

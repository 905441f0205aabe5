package markup

import (
	"html"
	"html/template"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"
)

// commentRel is the rel of every link in a comment, remote or local.
// Hashtag links also keep "tag" in front of it.
const commentRel = "nofollow noopener noreferrer"

// mastodonClass matches a class attribute made only of the classes
// Mastodon (and GoToSocial, Pleroma, ...) put in post content.
var mastodonClass = regexp.MustCompile(`^\s*(?:mention|hashtag|h-card|u-url|invisible|ellipsis)(?:\s+(?:mention|hashtag|h-card|u-url|invisible|ellipsis))*\s*$`)

// relTokens matches any rel made of plain words; which of them survive is
// decided by fixLinks, not here.
var relTokens = regexp.MustCompile(`^\s*[A-Za-z-]+(?:\s+[A-Za-z-]+)*\s*$`)

// commentPolicy is what remote comments (ActivityPub Note content) may
// hold: text formatting, lists, quotes, code and http(s) links. Nothing
// that loads, runs or styles anything.
func commentPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "strong", "b", "em", "i", "u", "del", "s",
		"blockquote", "pre", "code", "ul", "ol", "li")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("class").Matching(mastodonClass).OnElements("a", "span")
	p.AllowAttrs("rel").Matching(relTokens).OnElements("a")
	p.RequireParseableURLs(true)
	p.AllowURLSchemes("http", "https")
	p.AllowRelativeURLs(false)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	// What is hidden in these is not text meant for a reader.
	p.SkipElementsContent("svg", "math", "template", "select", "textarea")
	return p
}

// Comment sanitizes the HTML content of a remote comment (Mastodon,
// PeerTube, GoToSocial, ...): stricter than Sanitize, it keeps only text
// formatting and http(s) links, with Mastodon's mention and hashtag
// classes. Every link gets rel="nofollow noopener noreferrer" (hashtag
// links keep rel="tag" as well) and no target. Tags left open are closed
// and stray end tags dropped, so a comment cannot wrap or close the page
// around it.
func (r *Renderer) Comment(html string) template.HTML {
	if html == "" {
		return ""
	}
	return template.HTML(tidyComment(r.comment.Sanitize(html))) // #nosec: sanitized just now
}

// tidyComment parses sanitized comment HTML the way a browser would inside
// a <body> and renders it back: balanced, and with every <a href> given
// exactly rel="[tag ]nofollow noopener noreferrer" (bluemonday only appends
// nofollow and noreferrer to whatever rel came in, and adds noopener only
// along with target="_blank"). The policy leaves no element whose parsing
// differs from its rendering (no foreign content, no raw text), so this
// changes no meaning.
func tidyComment(s string) string {
	body := &xhtml.Node{Type: xhtml.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := xhtml.ParseFragment(strings.NewReader(s), body)
	if err != nil {
		return "" // reading a string does not fail; show nothing rather than guess
	}
	var b strings.Builder
	b.Grow(len(s) + 32)
	for _, n := range nodes {
		fixLinks(n)
		if err := xhtml.Render(&b, n); err != nil {
			return ""
		}
	}
	return b.String()
}

// fixLinks sets the rel of every link in n and below, and puts the
// attributes of links in Mastodon's order (href, class, rel; the parser
// sorts them).
func fixLinks(n *xhtml.Node) {
	if n.Type == xhtml.ElementNode && n.DataAtom == atom.A {
		var href, class *xhtml.Attribute
		var tag bool
		for i, a := range n.Attr {
			switch a.Key {
			case "href":
				href = &n.Attr[i]
			case "class":
				class = &n.Attr[i]
			case "rel":
				for _, v := range strings.Fields(a.Val) {
					tag = tag || strings.EqualFold(v, "tag")
				}
			}
		}
		// The policy lets no other attribute through.
		var attrs []xhtml.Attribute
		if href != nil {
			attrs = append(attrs, *href)
		}
		if class != nil {
			attrs = append(attrs, *class)
		}
		if href != nil {
			rel := commentRel
			if tag {
				rel = "tag " + rel
			}
			attrs = append(attrs, xhtml.Attribute{Key: "rel", Val: rel})
		}
		n.Attr = attrs
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		fixLinks(c)
	}
}

// Mention is a fediverse account a comment mentions.
type Mention struct {
	Handle string // "user@host", host lowercased
	Href   string // as ResolveMention returned it
}

// TextOptions says how CommentText links mentions and hashtags. A nil
// func leaves what it would link as text.
type TextOptions struct {
	// ResolveMention returns the URL of the account @user@host, or false
	// if there is none. Only absolute http(s) URLs are used.
	ResolveMention func(user, host string) (string, bool)
	// TagURL returns the URL of the page of a hashtag, given without '#',
	// lowercased and in Unicode NFC, not URL-escaped. Only absolute http(s) URLs are used; the tag is
	// left as text otherwise.
	TagURL func(tag string) string
}

var (
	urlRe     = regexp.MustCompile(`^(?i:https?)://[^\s<>"]+`)
	mentionRe = regexp.MustCompile(`^@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?)`)
	tagRe     = regexp.MustCompile(`^#([\p{L}\p{M}\p{N}_]+)`)
)

// CommentText turns a local user's plain-text comment into HTML: all of
// it escaped, paragraphs (split on blank lines) in <p>, line breaks as
// <br>, bare http(s) URLs linked, @user@host mentions and #hashtags linked
// the way Mastodon does when opts can resolve them. It returns the HTML,
// the accounts and the (lowercased) hashtags it linked, each once, in
// order of first appearance.
func (r *Renderer) CommentText(text string, opts TextOptions) (template.HTML, []Mention, []string) {
	text = strings.Map(func(c rune) rune {
		switch {
		case c == '\n' || c == '\t':
			return c
		case c < ' ', c == 0x7f:
			return -1
		}
		return c
	}, strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"))

	w := textWriter{opts: opts, seenM: map[string]bool{}, seenT: map[string]bool{}}
	var para []string
	flush := func() {
		if len(para) == 0 {
			return
		}
		w.b.WriteString("<p>")
		for i, line := range para {
			if i > 0 {
				w.b.WriteString("<br>")
			}
			w.line(line)
		}
		w.b.WriteString("</p>")
		para = para[:0]
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRightFunc(line, unicode.IsSpace)
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		para = append(para, line)
	}
	flush()
	if w.b.Len() == 0 {
		return "", nil, nil
	}
	return r.Comment(w.b.String()), w.mentions, w.tags
}

type textWriter struct {
	opts     TextOptions
	b        strings.Builder
	mentions []Mention
	tags     []string
	seenM    map[string]bool // by Href
	seenT    map[string]bool
}

// line writes one line of text, escaped, with its links.
func (w *textWriter) line(s string) {
	plain := 0 // start of the text not written yet
	for i := 0; i < len(s); {
		prev, _ := utf8.DecodeLastRuneInString(s[:i])
		if i == 0 {
			prev = ' '
		}
		n := 0 // bytes of s[i:] written as a link
		switch s[i] {
		case 'h', 'H':
			if !isWordRune(prev) {
				n = w.url(s, i, plain)
			}
		case '@':
			if !isWordRune(prev) && !strings.ContainsRune("/@.+-", prev) {
				n = w.mention(s, i, plain)
			}
		case '#':
			if !isWordRune(prev) && !strings.ContainsRune("/&#)", prev) {
				n = w.tag(s, i, plain)
			}
		}
		if n > 0 {
			i += n
			plain = i
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	w.b.WriteString(html.EscapeString(s[plain:]))
}

// url links the URL at s[i:], if there is one, and returns the length of
// what it wrote.
func (w *textWriter) url(s string, i, plain int) int {
	m := urlRe.FindString(s[i:])
	if m == "" {
		return 0
	}
	if u := trimURL(m); absHTTP(u) {
		m = u
	} else {
		// Not a URL after all: skip it whole, as text, rather than look
		// for one again at each of its characters.
		w.b.WriteString(html.EscapeString(s[plain : i+len(m)]))
		return len(m)
	}
	w.b.WriteString(html.EscapeString(s[plain:i]))
	w.b.WriteString(`<a href="` + html.EscapeString(m) + `" rel="` + commentRel + `">` + html.EscapeString(m) + `</a>`)
	return len(m)
}

// mention links the @user@host at s[i:], if it resolves, and returns its
// length. An unresolved one is skipped whole, so its host is not read as
// something else.
func (w *textWriter) mention(s string, i, plain int) int {
	m := mentionRe.FindStringSubmatch(s[i:])
	if m == nil {
		return 0
	}
	if rest := s[i+len(m[0]):]; rest != "" {
		if next, _ := utf8.DecodeRuneInString(rest); isWordRune(next) || next == '@' {
			return 0 // not a whole handle: @a@b.c_d, @a@b@c
		}
	}
	user, host := m[1], strings.ToLower(m[2])
	var href string
	var ok bool
	if w.opts.ResolveMention != nil {
		href, ok = w.opts.ResolveMention(user, host)
	}
	if !ok || !absHTTP(href) {
		w.b.WriteString(html.EscapeString(s[plain : i+len(m[0])]))
		return len(m[0])
	}
	w.b.WriteString(html.EscapeString(s[plain:i]))
	w.b.WriteString(`<span class="h-card"><a href="` + html.EscapeString(href) + `" class="u-url mention">@<span>` +
		html.EscapeString(user) + `</span></a></span>`)
	if !w.seenM[href] {
		w.seenM[href] = true
		w.mentions = append(w.mentions, Mention{Handle: user + "@" + host, Href: href})
	}
	return len(m[0])
}

// tag links the #hashtag at s[i:], if it is one, and returns its length.
func (w *textWriter) tag(s string, i, plain int) int {
	m := tagRe.FindStringSubmatch(s[i:])
	if m == nil || w.opts.TagURL == nil || !strings.ContainsFunc(m[1], unicode.IsLetter) {
		return 0 // "#1" is a number, not a tag
	}
	tag := strings.ToLower(norm.NFC.String(m[1])) // one tag however é was typed
	href := w.opts.TagURL(tag)
	if !absHTTP(href) {
		return 0
	}
	w.b.WriteString(html.EscapeString(s[plain:i]))
	w.b.WriteString(`<a href="` + html.EscapeString(href) + `" class="mention hashtag" rel="tag">#<span>` +
		html.EscapeString(m[1]) + `</span></a>`)
	if !w.seenT[tag] {
		w.seenT[tag] = true
		w.tags = append(w.tags, tag)
	}
	return len(m[0])
}

// trimURL drops from the end of a URL found in text the punctuation that
// ends the sentence around it, and closing brackets it does not open.
func trimURL(u string) string {
	for u != "" {
		last := u[len(u)-1]
		switch last {
		case '.', ',', ':', ';', '!', '?', '\'', '"', '*':
		case ')', ']', '}':
			open := map[byte]byte{')': '(', ']': '[', '}': '{'}[last]
			if strings.Count(u, string(open)) >= strings.Count(u, string(last)) {
				return u
			}
		default:
			return u
		}
		u = u[:len(u)-1]
	}
	return u
}

// absHTTP reports whether u is an absolute http(s) URL with a host.
func absHTTP(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

func isWordRune(c rune) bool {
	return c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c) || unicode.IsMark(c)
}

package podimport

import (
	"html"
	"regexp"
	"strings"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Descriptions in feeds are HTML; items and channels keep Markdown (raw
// HTML in it is dropped when rendered). markdownFromHTML converts what a
// show's notes use — paragraphs, line breaks, links, emphasis, lists,
// quotes, headings — and keeps the text of anything else. Text that has
// no tag at all is taken as plain text, its line breaks kept.

var tagRE = regexp.MustCompile(`<(?:[A-Za-z][A-Za-z0-9]*|/[A-Za-z][A-Za-z0-9]*|!--)`)

func markdownFromHTML(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if !tagRE.MatchString(s) {
		return plainMarkdown(html.UnescapeString(s))
	}
	nodes, err := xhtml.ParseFragment(strings.NewReader(s), &xhtml.Node{Type: xhtml.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil {
		return plainMarkdown(html.UnescapeString(s))
	}
	w := &mdWriter{}
	for _, n := range nodes {
		w.node(n)
	}
	return tidy(w.b.String())
}

// plainMarkdown escapes plain text for Markdown: blank lines separate
// paragraphs, other line breaks are kept as hard breaks.
func plainMarkdown(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var paras []string
	for _, p := range regexp.MustCompile(`\n[ \t]*\n\s*`).Split(s, -1) {
		var lines []string
		for _, l := range strings.Split(p, "\n") {
			if l = clean(l); l != "" {
				lines = append(lines, escapeLineStart(escapeMarkdown(l)))
			}
		}
		if len(lines) > 0 {
			paras = append(paras, strings.Join(lines, "\\\n"))
		}
	}
	return strings.Join(paras, "\n\n")
}

type mdWriter struct {
	b      strings.Builder
	quote  int    // depth of blockquotes
	list   []int  // open lists: 0 for <ul>, the next number for <ol>
	inLink bool   // links do not nest
	pre    bool   // inside <pre>
	space  bool   // a space is pending before the next text
	start  bool   // at the start of a line (after a break)
	marker string // a list marker waiting for the item's first text
}

// block ends the current block with a blank line.
func (w *mdWriter) block() {
	w.space = false
	s := w.b.String()
	if s == "" || strings.HasSuffix(s, "\n\n") {
		return
	}
	if strings.HasSuffix(s, "\n") {
		w.b.WriteString(w.prefix() + "\n")
	} else {
		w.b.WriteString("\n" + w.prefix() + "\n")
	}
	w.start = true
}

// lineBreak ends the current line inside a block.
func (w *mdWriter) lineBreak() {
	w.space = false
	if w.b.Len() == 0 || w.start {
		return
	}
	w.b.WriteString("\\\n")
	w.start = true
}

func (w *mdWriter) prefix() string {
	p := strings.Repeat("> ", w.quote)
	if n := len(w.list); n > 0 {
		p += strings.Repeat("   ", n-1)
		if w.marker == "" {
			p += "   "
		}
	}
	return strings.TrimRight(p, " ")
}

func (w *mdWriter) text(t string) {
	if w.pre {
		t = strings.ReplaceAll(t, "\n", " ")
	}
	lead := t != "" && isSpace(t[0])
	trail := t != "" && isSpace(t[len(t)-1])
	t = clean(t)
	if t == "" {
		if lead || trail {
			w.space = true
		}
		return
	}
	t = escapeMarkdown(t)
	if w.start || w.b.Len() == 0 {
		p := w.prefix()
		if p != "" {
			p += " "
		}
		if w.marker != "" {
			p += w.marker + " "
			w.marker = ""
		}
		w.b.WriteString(p + escapeLineStart(t))
		w.start = false
	} else {
		if w.space || lead {
			w.b.WriteByte(' ')
		}
		w.b.WriteString(t)
	}
	w.space = trail
}

func (w *mdWriter) inline(mark string, n *xhtml.Node) {
	if w.start || w.b.Len() == 0 {
		w.text("") // nothing: the marker goes with the first text
	}
	inner := &mdWriter{inLink: w.inLink}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		inner.node(c)
	}
	t := strings.TrimSpace(strings.ReplaceAll(inner.b.String(), "\n", " "))
	if t == "" {
		return
	}
	w.raw(mark + t + mark)
}

// raw writes already escaped Markdown as inline text.
func (w *mdWriter) raw(t string) {
	if w.start || w.b.Len() == 0 {
		p := w.prefix()
		if p != "" {
			p += " "
		}
		if w.marker != "" {
			p += w.marker + " "
			w.marker = ""
		}
		w.b.WriteString(p + t)
		w.start = false
	} else {
		if w.space {
			w.b.WriteByte(' ')
		}
		w.b.WriteString(t)
	}
	w.space = false
}

func (w *mdWriter) children(n *xhtml.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c)
	}
}

func (w *mdWriter) node(n *xhtml.Node) {
	switch n.Type {
	case xhtml.TextNode:
		w.text(n.Data)
		return
	case xhtml.ElementNode:
	default:
		return
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Head, atom.Title, atom.Iframe, atom.Object, atom.Template, atom.Noscript:
	case atom.Br:
		w.lineBreak()
	case atom.P, atom.Div, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Figure, atom.Figcaption, atom.Table, atom.Tr, atom.Dl, atom.Dd, atom.Dt:
		w.block()
		w.children(n)
		w.block()
	case atom.Pre:
		w.block()
		w.pre = true
		w.children(n)
		w.pre = false
		w.block()
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		w.block()
		w.inline("**", n)
		w.block()
	case atom.Hr:
		w.block()
		w.raw("* * *")
		w.block()
	case atom.Blockquote:
		w.block()
		w.quote++
		w.start = true
		w.children(n)
		w.block()
		w.quote--
		w.block()
	case atom.Ul, atom.Ol:
		w.block()
		next := 0
		if n.DataAtom == atom.Ol {
			next = 1
		}
		w.list = append(w.list, next)
		w.children(n)
		w.list = w.list[:len(w.list)-1]
		w.marker = ""
		w.block()
	case atom.Li:
		if len(w.list) == 0 {
			w.block()
			w.children(n)
			w.block()
			return
		}
		if !w.start {
			w.b.WriteString("\n")
		}
		w.start = true
		i := len(w.list) - 1
		if w.list[i] == 0 {
			w.marker = "-"
		} else {
			w.marker = itoa(w.list[i]) + "."
			w.list[i]++
		}
		w.children(n)
		w.marker = ""
		if !w.start {
			w.b.WriteString("\n")
			w.start = true
		}
	case atom.Strong, atom.B:
		w.inline("**", n)
	case atom.Em, atom.I, atom.Cite:
		w.inline("*", n)
	case atom.Code:
		inner := &mdWriter{}
		inner.children(n)
		if t := strings.TrimSpace(inner.b.String()); t != "" {
			w.raw(t)
		}
	case atom.A:
		href := strings.TrimSpace(attr(n, "href"))
		if w.inLink || !(strings.HasPrefix(href, "https://") || strings.HasPrefix(href, "http://") || strings.HasPrefix(href, "mailto:")) {
			w.children(n)
			return
		}
		inner := &mdWriter{inLink: true}
		inner.children(n)
		t := strings.TrimSpace(strings.ReplaceAll(inner.b.String(), "\n", " "))
		if t == "" {
			t = escapeMarkdown(href)
		}
		if w.space {
			w.raw(" ")
			w.space = false
			if s := w.b.String(); strings.HasSuffix(s, "  ") {
				w.b.Reset()
				w.b.WriteString(s[:len(s)-1])
			}
		}
		w.raw("[" + t + "](" + markdownURL(href) + ")")
	case atom.Img:
		if alt := clean(attr(n, "alt")); alt != "" {
			w.text(alt)
		}
	default:
		w.children(n)
	}
}

func attr(n *xhtml.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func itoa(n int) string {
	if n <= 0 {
		return "1"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// tidy trims the lines' ends and keeps at most one blank line in a row.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " ")
		if strings.Trim(l, "> ") == "" {
			if !blank && len(out) > 0 {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

var entityRE = regexp.MustCompile(`&(#?[A-Za-z0-9]+;)`)

// escapeMarkdown escapes what Markdown would read as formatting in plain
// text: emphasis, code, links, HTML and entities.
func escapeMarkdown(s string) string {
	s = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
		"<", `\<`, ">", `\>`, "~", `\~`, "|", `\|`).Replace(s)
	return entityRE.ReplaceAllString(s, `\&$1`)
}

var lineStartRE = regexp.MustCompile(`^(#|=+|-|\+|\d+[.)])(\s|$)`)

// escapeLineStart escapes what would start a heading or a list at the
// start of a line.
func escapeLineStart(s string) string {
	if m := lineStartRE.FindStringSubmatchIndex(s); m != nil {
		end := m[3]
		return s[:end-1] + `\` + s[end-1:]
	}
	return s
}

// markdownURL makes a URL safe inside a Markdown link's parentheses.
func markdownURL(u string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(u)
}

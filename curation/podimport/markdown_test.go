package podimport

import (
	"strings"
	"testing"
	"time"

	"github.com/archipel/archipel/markup"
)

func TestMarkdownFromHTML(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"Plain text, 5 < 6 & *stars*", `Plain text, 5 \< 6 & \*stars\*`},
		{"Line one\nLine two\n\nPara two", "Line one\\\nLine two\n\nPara two"},
		{"Tom &amp; Jerry", "Tom & Jerry"},
		{"- not a list\n# not a heading\n1. not a list", "\\- not a list\\\n\\# not a heading\\\n1\\. not a list"},
		{"<p>One <b>bold</b> and <i>it</i></p><p>Two</p>", "One **bold** and *it*\n\nTwo"},
		{`<p>See <a href="https://x.example/a_(b)">the <b>site</b></a>, or <a href="javascript:alert(1)">this</a>.</p>`,
			"See [the **site**](https://x.example/a_%28b%29), or this."},
		{"<h2>Show notes</h2><ul><li>First</li><li>Second <a href=\"https://y.example\">link</a></li></ul><p>After</p>",
			"**Show notes**\n\n- First\n- Second [link](https://y.example)\n\nAfter"},
		{"<ol><li>a</li><li>b</li></ol>", "1. a\n2. b"},
		{"<blockquote><p>Quoted</p></blockquote><p>Not</p>", "> Quoted\n\nNot"},
		{"Text<br/>next<br>last", "Text\\\nnext\\\nlast"},
		{"<div>&lt;script&gt;x&lt;/script&gt;<script>evil()</script><style>p{}</style></div>", `\<script\>x\</script\>`},
		{"<p>&amp;copy; stays text</p>", `\&copy; stays text`},
		{"<p>  lots   of\n  space </p>", "lots of space"},
	} {
		got := markdownFromHTML(c.in)
		if got != c.want {
			t.Errorf("markdownFromHTML(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	// What is escaped renders as the text it was.
	html := string(markup.New().Markdown(markdownFromHTML("<p>a *b* _c_ [d](e) `f` &lt;g&gt;</p>")))
	if !strings.Contains(html, "a *b* _c_ [d](e) `f` &lt;g&gt;") {
		t.Errorf("rendered %s", html)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"":         0,
		"3600":     time.Hour,
		"90.5":     90500 * time.Millisecond,
		"1:30":     90 * time.Second,
		"01:02:03": time.Hour + 2*time.Minute + 3*time.Second,
		"bogus":    0,
		"-5":       0,
		"1:2:3:4":  0,
	} {
		if got := parseDuration(in); got != want {
			t.Errorf("parseDuration(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestHandleFromTitle(t *testing.T) {
	for in, want := range map[string]string{
		"Tom & Jerry's <Show>":                  "tom_jerry_s_show",
		"Ça déménage à Zürich":                  "ca_demenage_a_zurich",
		"日本語":                                   "podcast",
		"":                                      "podcast",
		"A very long title that goes on and on": "a_very_long_title_that_goe",
	} {
		if got := HandleFromTitle(in); got != want {
			t.Errorf("HandleFromTitle(%q) = %q, want %q", in, got, want)
		}
	}
}

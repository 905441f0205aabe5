package markup

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/archipel/archipel/markup/markuptest"
)

// ugcElements are the harmless elements Sanitize (bluemonday's UGC policy)
// keeps beyond those of comments.
var ugcElements = []string{
	"img", "div", "details", "summary", "table", "thead", "tbody", "tfoot", "tr",
	"td", "th", "caption", "col", "colgroup", "h1", "h2", "h3", "h4", "h5", "h6",
	"hr", "dl", "dt", "dd", "sub", "sup", "abbr", "cite", "q", "figure",
	"figcaption", "ins", "mark", "small", "kbd", "samp", "var", "dfn", "time",
	"section", "article", "aside", "header", "footer", "nav", "address", "hgroup",
	"bdi", "bdo", "ruby", "rp", "rt", "tt", "big", "center", "strike", "wbr",
	"map", "area",
}

func TestCorpusInert(t *testing.T) {
	if len(markuptest.XSSCorpus) < 30 {
		t.Fatalf("XSSCorpus has %d entries, want at least 30", len(markuptest.XSSCorpus))
	}
	r := New()
	opts := testOptions()
	for _, in := range markuptest.XSSCorpus {
		c := string(r.Comment(in))
		markuptest.AssertInert(t, c)
		if again := string(r.Comment(c)); again != c {
			t.Errorf("Comment is not stable on %q:\nonce:  %s\ntwice: %s", in, c, again)
		}
		if err := markuptest.InertAllowing(string(r.Sanitize(in)), ugcElements...); err != nil {
			t.Errorf("Sanitize(%q) not inert: %v", in, err)
		}
		h, _, _ := r.CommentText(in, opts)
		markuptest.AssertInert(t, string(h))
		if strings.Contains(in, "<") && strings.Contains(string(h), "<script") {
			t.Errorf("CommentText(%q) = %s", in, h)
		}
	}
}

func TestCommentKeepsMastodon(t *testing.T) {
	got := string(New().Comment(markuptest.MastodonSample))
	for _, want := range []string{
		`<span class="h-card"><a href="https://mastodon.example/@alice" class="u-url mention" rel="nofollow noopener noreferrer">@<span>alice</span></a></span>`,
		`<a href="https://mastodon.example/tags/podcast" class="mention hashtag" rel="tag nofollow noopener noreferrer">#<span>podcast</span></a>`,
		`<a href="https://example.org/shows/42/notes" rel="nofollow noopener noreferrer"><span class="invisible">https://</span><span class="ellipsis">example.org/shows/42/no</span>`,
		`<p>second paragraph<br/>with a break</p>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Comment(MastodonSample) lacks\n%s\nin\n%s", want, got)
		}
	}
	for _, bad := range []string{"target", "translate"} {
		if strings.Contains(got, bad) {
			t.Errorf("Comment(MastodonSample) kept %q: %s", bad, got)
		}
	}
}

func TestComment(t *testing.T) {
	r := New()
	for _, tc := range []struct {
		in, want string
	}{
		{`<p>a <a href="https://x.example/" class="mention evil">x</a></p>`,
			`<p>a <a href="https://x.example/" rel="nofollow noopener noreferrer">x</a></p>`},
		{`<span class="invisible ellipsis">i</span><span class="h-card u-url">j</span><span class="hidden">k</span>`,
			`<span class="invisible ellipsis">i</span><span class="h-card u-url">j</span><span>k</span>`},
		{`<a href="https://x.example/" target="_blank" rel="me ugc">x</a>`,
			`<a href="https://x.example/" rel="nofollow noopener noreferrer">x</a>`},
		{`<a href="HTTPS://X.example/T" rel="TAG">t</a>`,
			`<a href="https://X.example/T" rel="tag nofollow noopener noreferrer">t</a>`},
		{`<a href="/relative">rel</a> <a href="mailto:a@b.example">mail</a> <a href="ftp://x.example/">ftp</a>`,
			`rel mail ftp`},
		{`<blockquote><p>q</p></blockquote><pre><code>x &lt; y</code></pre><ul><li>one</li></ul><ol><li>two</li></ol>`,
			`<blockquote><p>q</p></blockquote><pre><code>x &lt; y</code></pre><ul><li>one</li></ul><ol><li>two</li></ol>`},
		{`<strong>s</strong><b>b</b><em>e</em><i>i</i><u>u</u><del>d</del><s>s</s>`,
			`<strong>s</strong><b>b</b><em>e</em><i>i</i><u>u</u><del>d</del><s>s</s>`},
		{`<h1>title</h1><div><img src="https://x.example/i.png" alt="i">text</div><table><tr><td>c</td></tr></table>`,
			`titletextc`},
		{`<p>open <b>bold <a href="https://x.example/">link`,
			`<p>open <b>bold <a href="https://x.example/" rel="nofollow noopener noreferrer">link</a></b></p>`},
		{`</li></ul></div></p><p>after</p>`, `<p></p><p>after</p>`},
		{``, ``},
	} {
		if got := string(r.Comment(tc.in)); got != tc.want {
			t.Errorf("Comment(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func testOptions() TextOptions {
	accounts := map[string]string{
		"alice@mastodon.example": "https://mastodon.example/@alice",
		"bob@127.0.0.1:8080":     "http://127.0.0.1:8080/accounts/bob",
		"eve@evil.example":       "javascript:alert(1)",
	}
	return TextOptions{
		ResolveMention: func(user, host string) (string, bool) {
			href, ok := accounts[user+"@"+host]
			return href, ok
		},
		TagURL: func(tag string) string { return "https://hub.example/tags/" + url.PathEscape(tag) },
	}
}

func TestCommentText(t *testing.T) {
	const (
		alice    = `<span class="h-card"><a href="https://mastodon.example/@alice" class="u-url mention" rel="nofollow noopener noreferrer">@<span>alice</span></a></span>`
		aliceM   = "alice@mastodon.example"
		aliceURL = "https://mastodon.example/@alice"
	)
	r := New()
	for _, tc := range []struct {
		name     string
		in       string
		nilOpts  bool
		want     string // the whole output, if not empty
		contains []string
		lacks    []string
		mentions []Mention
		tags     []string
	}{
		{name: "escaping", in: `<b>hi</b> & "q" <script>alert(1)</script>`,
			want: `<p>&lt;b&gt;hi&lt;/b&gt; &amp; &#34;q&#34; &lt;script&gt;alert(1)&lt;/script&gt;</p>`},
		{name: "paragraphs", in: "\n\none\ntwo  \n \n\n\r\nthree\r\nfour\n\n",
			want: `<p>one<br/>two</p><p>three<br/>four</p>`},
		{name: "empty", in: " \n\n\t", want: ``},
		{name: "url trailing dot", in: "see https://example.org/a/b.html?x=1&y=2.",
			want: `<p>see <a href="https://example.org/a/b.html?x=1&amp;y=2" rel="nofollow noopener noreferrer">https://example.org/a/b.html?x=1&amp;y=2</a>.</p>`},
		{name: "url punctuation", in: "(https://example.org/x), http://example.org/y! https://example.org/z?",
			want: `<p>(<a href="https://example.org/x" rel="nofollow noopener noreferrer">https://example.org/x</a>), ` +
				`<a href="http://example.org/y" rel="nofollow noopener noreferrer">http://example.org/y</a>! ` +
				`<a href="https://example.org/z" rel="nofollow noopener noreferrer">https://example.org/z</a>?</p>`},
		{name: "url balanced parens", in: "https://en.wikipedia.org/wiki/Foo_(bar)",
			contains: []string{`href="https://en.wikipedia.org/wiki/Foo_(bar)"`}},
		{name: "not urls", in: "http:// and xhttps://example.org and javascript:alert(1)",
			lacks: []string{"<a"}},
		{name: "bad url is text", in: "https://[::1#go https://%zz #go",
			want: `<p>https://[::1#go https://%zz <a href="https://hub.example/tags/go" class="mention hashtag" rel="tag nofollow noopener noreferrer">#<span>go</span></a></p>`,
			tags: []string{"go"}},
		{name: "url with quotes", in: `https://example.org/"onmouseover="alert(1)`,
			contains: []string{`<a href="https://example.org/" rel="nofollow noopener noreferrer">https://example.org/</a>&#34;onmouseover=&#34;alert(1)`}},
		{name: "mention", in: "hi @alice@mastodon.example!",
			want:     `<p>hi ` + alice + `!</p>`,
			mentions: []Mention{{aliceM, aliceURL}}},
		{name: "mention host case", in: "@alice@Mastodon.Example",
			want:     `<p>` + alice + `</p>`,
			mentions: []Mention{{aliceM, aliceURL}}},
		{name: "mention unresolved", in: "hi @carol@nowhere.example and @alice",
			want: `<p>hi @carol@nowhere.example and @alice</p>`},
		{name: "mention with port", in: "cc @bob@127.0.0.1:8080: look",
			want:     `<p>cc <span class="h-card"><a href="http://127.0.0.1:8080/accounts/bob" class="u-url mention" rel="nofollow noopener noreferrer">@<span>bob</span></a></span>: look</p>`,
			mentions: []Mention{{"bob@127.0.0.1:8080", "http://127.0.0.1:8080/accounts/bob"}}},
		{name: "mention bad href", in: "@eve@evil.example",
			want: `<p>@eve@evil.example</p>`},
		{name: "email is no mention", in: "write to a@b.c or me@alice@mastodon.example or x.@alice@mastodon.example",
			lacks: []string{"<a", "<span"}},
		{name: "mention then dot", in: "thanks @alice@mastodon.example.",
			want:     `<p>thanks ` + alice + `.</p>`,
			mentions: []Mention{{aliceM, aliceURL}}},
		{name: "hashtag", in: "#Podcast time",
			want: `<p><a href="https://hub.example/tags/podcast" class="mention hashtag" rel="tag nofollow noopener noreferrer">#<span>Podcast</span></a> time</p>`,
			tags: []string{"podcast"}},
		{name: "hashtag accents", in: "bonne #écoute, #ÉCOUTE!",
			contains: []string{
				`<a href="https://hub.example/tags/%C3%A9coute" class="mention hashtag" rel="tag nofollow noopener noreferrer">#<span>écoute</span></a>,`,
				`#<span>ÉCOUTE</span></a>!`,
			},
			tags: []string{"écoute"}},
		{name: "hashtag unicode", in: "#日本語 #snake_case #año2024 #e\u0301coute #\u00e9coute",
			contains: []string{"#<span>e\u0301coute</span>", `href="https://hub.example/tags/%C3%A9coute"`},
			tags:     []string{"日本語", "snake_case", "año2024", "\u00e9coute"}},
		{name: "no tags", in: "issue #1, C# and foo#bar, ##, #_ and &#39;",
			lacks: []string{"<a"}},
		{name: "hash in url", in: "https://example.org/page#section and https://example.org/#/route",
			contains: []string{
				`<a href="https://example.org/page#section" rel="nofollow noopener noreferrer">`,
				`<a href="https://example.org/#/route" rel="nofollow noopener noreferrer">`,
			},
			lacks: []string{"hashtag"}},
		{name: "dedupe", in: "@alice@mastodon.example #Go\n@alice@mastodon.example #go @bob@127.0.0.1:8080 #GO",
			contains: []string{alice + ` <a`},
			mentions: []Mention{{aliceM, aliceURL}, {"bob@127.0.0.1:8080", "http://127.0.0.1:8080/accounts/bob"}},
			tags:     []string{"go"}},
		{name: "nil options", in: "@alice@mastodon.example #go https://example.org/", nilOpts: true,
			want: `<p>@alice@mastodon.example #go <a href="https://example.org/" rel="nofollow noopener noreferrer">https://example.org/</a></p>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			if tc.nilOpts {
				opts = TextOptions{}
			}
			h, mentions, tags := r.CommentText(tc.in, opts)
			got := string(h)
			if tc.want != "" || (tc.contains == nil && tc.lacks == nil && tc.tags == nil) {
				if got != tc.want {
					t.Errorf("CommentText(%q)\n got %s\nwant %s", tc.in, got, tc.want)
				}
			}
			for _, w := range tc.contains {
				if !strings.Contains(got, w) {
					t.Errorf("CommentText(%q) = %s\nlacks %s", tc.in, got, w)
				}
			}
			for _, w := range tc.lacks {
				if strings.Contains(got, w) {
					t.Errorf("CommentText(%q) = %s\ncontains %s", tc.in, got, w)
				}
			}
			if !reflect.DeepEqual(mentions, tc.mentions) {
				t.Errorf("CommentText(%q) mentions = %v, want %v", tc.in, mentions, tc.mentions)
			}
			if !reflect.DeepEqual(tags, tc.tags) {
				t.Errorf("CommentText(%q) tags = %q, want %q", tc.in, tags, tc.tags)
			}
			markuptest.AssertInert(t, got)
			if again := string(r.Comment(got)); again != got {
				t.Errorf("Comment changes CommentText(%q):\n%s\n%s", tc.in, got, again)
			}
		})
	}
}

func TestInertCatches(t *testing.T) {
	for _, bad := range []string{
		`<script>alert(1)</script>`,
		`<a onclick=x>x</a>`,
		`<a href="javascript:x">x</a>`,
		`<a href=" JaVa&#x09;Script&colon;x">x</a>`,
		`<a href="&#x01;javascript:x">x</a>`,
		`<a href="data:text/html,x">x</a>`,
		`<a href="vbscript:x">x</a>`,
		`<a href="foo:bar">x</a>`,
		`<p style="color:red">x</p>`,
		`<style>p{}</style>`,
		`<svg></svg>`,
		`<svg><a xlink:href="javascript:x">x</a></svg>`,
		`<iframe src="https://x.example/"></iframe>`,
		`<img src="https://x.example/i.png">`,
		`<div>x</div>`,
		`<form action="https://x.example/"></form>`,
		`<math><mi>x</mi></math>`,
		`<p ONMOUSEOVER="x">x</p>`,
	} {
		if err := markuptest.Inert(bad); err == nil {
			t.Errorf("Inert(%q) = nil, want an error", bad)
		}
	}
	if err := markuptest.InertAllowing(`<img src="https://x.example/i.png" onerror="x">`, "img"); err == nil {
		t.Errorf("InertAllowing(img) let onerror through")
	}
	if err := markuptest.InertAllowing(`<script></script>`, "script"); err == nil {
		t.Errorf("InertAllowing let script be allowed")
	}
	for _, good := range []string{
		``,
		`alert(1) &lt;script&gt;alert(1)&lt;/script&gt;`,
		`<p>a <a href="https://x.example/a:b" rel="nofollow">x</a> <a href="/p?q=a:b">r</a> <a href="mailto:a@b.example">m</a></p>`,
		markuptest.MastodonSample,
		`<!-- a comment -->`,
	} {
		if err := markuptest.Inert(good); err != nil {
			t.Errorf("Inert(%q) = %v, want nil", good, err)
		}
	}
}

package markup

import (
	"strings"
	"testing"
)

func TestMarkdown(t *testing.T) {
	r := New()
	for _, tc := range []struct {
		in       string
		want     []string
		dontWant []string
	}{
		{"**bold** and *italics*", []string{"<p><strong>bold</strong> and <em>italics</em></p>"}, nil},
		{"<script>alert(1)</script>\n\nafter", []string{"<p>after</p>"}, []string{"<script", "alert(1)"}},
		{"inline <script>alert(1)</script> html", []string{"inline"}, []string{"<script"}},
		{"[site](https://example.org) and https://auto.example/x",
			[]string{`<a href="https://example.org" rel="nofollow noopener">site</a>`,
				`<a href="https://auto.example/x" rel="nofollow noopener">https://auto.example/x</a>`}, nil},
		{"[bad](javascript:alert(1))", nil, []string{"javascript:"}},
		{`<a href="https://x.example" onclick="evil()">raw</a>`, nil, []string{"onclick", "<a "}},
		{"![img](https://x.example/i.png)", []string{`<img src="https://x.example/i.png" alt="img"`}, nil},
		{"- one\n- two", []string{"<ul>", "<li>one</li>"}, nil},
		{"", nil, []string{"<p>"}},
	} {
		got := string(r.Markdown(tc.in))
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("Markdown(%q) = %q, lacks %q", tc.in, got, w)
			}
		}
		for _, w := range tc.dontWant {
			if strings.Contains(got, w) {
				t.Errorf("Markdown(%q) = %q, contains %q", tc.in, got, w)
			}
		}
	}
}

func TestSanitize(t *testing.T) {
	r := New()
	got := string(r.Sanitize(`<p onclick="x()">hi <a href="https://m.example/@a">@a</a><script>alert(1)</script></p>`))
	for _, bad := range []string{"onclick", "<script", "alert"} {
		if strings.Contains(got, bad) {
			t.Errorf("Sanitize kept %q: %s", bad, got)
		}
	}
	if !strings.Contains(got, `href="https://m.example/@a"`) || !strings.Contains(got, "nofollow") {
		t.Errorf("Sanitize lost the link or its nofollow: %s", got)
	}
}

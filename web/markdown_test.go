package web

import (
	"strings"
	"testing"
	"time"
)

func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func TestRenderMarkdown(t *testing.T) {
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
		got := string(renderMarkdown(tc.in))
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("renderMarkdown(%q) = %q, lacks %q", tc.in, got, w)
			}
		}
		for _, w := range tc.dontWant {
			if strings.Contains(got, w) {
				t.Errorf("renderMarkdown(%q) = %q, contains %q", tc.in, got, w)
			}
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for in, want := range map[float64]string{0: "0:00", 2.04: "0:02", 65.5: "1:06", 3599: "59:59", 3725: "1:02:05"} {
		if got := formatDuration(secondsDuration(in)); got != want {
			t.Errorf("formatDuration(%vs) = %q, want %q", in, got, want)
		}
	}
}

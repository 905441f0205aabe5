package feeds

import (
	"strings"
	"testing"
)

func TestParseChapters(t *testing.T) {
	got, err := ParseChapters("0:00 Intro\n\n1:30 The news & more\n1:02:03.5 Questions")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":"1.2.0","chapters":[{"startTime":0,"title":"Intro"},{"startTime":90,"title":"The news \u0026 more"},{"startTime":3723.5,"title":"Questions"}]}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	json := `{"version":"1.2.0","chapters":[{"startTime":0,"title":"A","img":"https://x.example/a.jpg"},{"startTime":10,"title":"B"}]}`
	if got, err := ParseChapters(json); err != nil || !strings.Contains(got, `"img":"https://x.example/a.jpg"`) {
		t.Errorf("JSON input: %s %v", got, err)
	}
	if FormatChapters(json) != json {
		t.Errorf("chapters with pictures stay JSON")
	}
	if lines := FormatChapters(want); !strings.HasPrefix(lines, "{") {
		t.Errorf("fractional starts stay JSON: %q", lines)
	}
	plain, _ := ParseChapters("0:00 Intro\n1:02:03 End")
	if lines := FormatChapters(plain); lines != "0:00 Intro\n1:02:03 End\n" {
		t.Errorf("FormatChapters = %q", lines)
	}
	if got, err := ParseChapters("  "); got != "" || err != nil {
		t.Errorf("empty: %q %v", got, err)
	}
	for _, bad := range []string{"Intro at the start", "0:00 Intro\n0:00 Again", "1:00 B\n0:30 A", "0:00", "0:75 x",
		`{"chapters":[{"startTime":-1,"title":"x"}]}`, `{"chapters":`, `{"version":"1.2.0","chapters":[]}`} {
		if _, err := ParseChapters(bad); err == nil {
			t.Errorf("ParseChapters(%q) accepted", bad)
		}
	}
}

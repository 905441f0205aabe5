package ap

import (
	"testing"
	"time"
)

func TestIsActivityJSON(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"application/activity+json", true},
		{"application/activity+json; charset=utf-8", true},
		{"APPLICATION/Activity+JSON", true},
		{MediaTypeLD, true},
		{"application/ld+json", true},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams https://example.com/ext"`, true},
		{`application/ld+json; profile="https://example.com/other"`, false},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams",application/activity+json`, true}, // GoToSocial's Accept
		{"application/activity+json, text/html", true},
		{"text/html;q=0.9, application/activity+json", true},
		{"application/activity+json;q=0.5, text/html", false},
		{"application/activity+json;q=0", false},
		{"application/activity+json;q=junk", false},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false},
		{"text/html", false},
		{"application/json", false},
		{"*/*", false},
		{"", false},
		{"garbage;;;", false},
	}
	for _, tt := range tests {
		if got := IsActivityJSON(tt.header); got != tt.want {
			t.Errorf("IsActivityJSON(%q) = %t, want %t", tt.header, got, tt.want)
		}
	}
}

func TestIsPublic(t *testing.T) {
	for s, want := range map[string]bool{
		Public:      true,
		"as:Public": true,
		"Public":    true,
		"https://www.w3.org/ns/activitystreams#public": false,
		"https://gts.test/users/admin/followers":       false,
		"":                                             false,
	} {
		if IsPublic(s) != want {
			t.Errorf("IsPublic(%q) = %t", s, !want)
		}
	}
}

func TestDurationISO(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                       "PT0S",
		12 * time.Second:        "PT12S",
		123 * time.Second:       "PT123S",
		1499 * time.Millisecond: "PT1S",
		1500 * time.Millisecond: "PT2S",
		2 * time.Hour:           "PT7200S",
		-5 * time.Second:        "PT0S",
	} {
		if got := DurationISO(d); got != want {
			t.Errorf("DurationISO(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseDurationISO(t *testing.T) {
	good := map[string]time.Duration{
		"PT123S":      123 * time.Second,
		"PT0S":        0,
		"P0D":         0,
		"PT1H2M3S":    time.Hour + 2*time.Minute + 3*time.Second,
		"PT2M":        2 * time.Minute,
		"PT1.5S":      1500 * time.Millisecond,
		"PT0.25S":     250 * time.Millisecond,
		"PT1M30.5S":   90*time.Second + 500*time.Millisecond,
		"P1DT1H":      25 * time.Hour,
		"pt12s":       12 * time.Second,
		"PT36000S":    10 * time.Hour,
		"PT0.000001S": time.Microsecond,
	}
	for s, want := range good {
		if got, err := ParseDurationISO(s); err != nil || got != want {
			t.Errorf("ParseDurationISO(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{
		"", "P", "PT", "123", "12S", "PT12", "PTS", "PT1S2M", "PT1H1H", "PT1.2.3S", "PT.S", "P1M", "P1Y", "P1W",
		"PT-5S", "-PT5S", "PT5SX", " PT5S", "PT5 S", "P1H", "PT99999999999999999999S", "abc",
	} {
		if got, err := ParseDurationISO(s); err == nil {
			t.Errorf("ParseDurationISO(%q) = %v, want an error", s, got)
		}
	}
	for _, d := range []time.Duration{0, time.Second, 12 * time.Second, 3*time.Hour + 7*time.Second} {
		if got, err := ParseDurationISO(DurationISO(d)); err != nil || got != d {
			t.Errorf("round trip of %v = %v, %v", d, got, err)
		}
	}
}

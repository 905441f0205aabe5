package ap

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// DurationISO formats d as an ISO 8601 duration in whole seconds, "PT123S", the form PeerTube
// requires. d is rounded to the nearest second; negative durations give "PT0S".
func DurationISO(d time.Duration) string {
	return "PT" + strconv.FormatInt(int64(max(d, 0).Round(time.Second)/time.Second), 10) + "S"
}

// ParseDurationISO parses an ISO 8601 duration made of days, hours, minutes and seconds, such as
// "PT123S", "PT1H2M3.5S", "P1DT2H" or "P0D". Years, months and weeks are not accepted, having no
// fixed length.
func ParseDurationISO(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(strings.ToUpper(s), "P")
	if !ok || rest == "" {
		return 0, fmt.Errorf("ap: invalid ISO 8601 duration %q", s)
	}
	datePart, timePart, hasTime := strings.Cut(rest, "T")
	if hasTime && timePart == "" {
		return 0, fmt.Errorf("ap: invalid ISO 8601 duration %q", s)
	}
	days, err := parseDurationFields(datePart, "D", []float64{86400})
	if err != nil {
		return 0, fmt.Errorf("ap: invalid ISO 8601 duration %q: %w", s, err)
	}
	secs, err := parseDurationFields(timePart, "HMS", []float64{3600, 60, 1})
	if err != nil {
		return 0, fmt.Errorf("ap: invalid ISO 8601 duration %q: %w", s, err)
	}
	total := (days + secs) * float64(time.Second)
	if total >= math.MaxInt64 {
		return 0, fmt.Errorf("ap: ISO 8601 duration %q is too long", s)
	}
	return time.Duration(math.Round(total)), nil
}

// parseDurationFields adds up fields such as "1H2M3S": a number then one of units, in the order of
// units, each worth the matching scale in seconds.
func parseDurationFields(s, units string, scale []float64) (float64, error) {
	total, next := 0.0, 0
	for s != "" {
		i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i <= 0 {
			return 0, fmt.Errorf("want a number then a unit at %q", s)
		}
		k := strings.IndexByte(units[next:], s[i])
		if k < 0 {
			return 0, fmt.Errorf("unexpected unit %q", s[i])
		}
		v, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("bad number %q", s[:i])
		}
		total += v * scale[next+k]
		next += k + 1
		s = s[i+1:]
	}
	return total, nil
}

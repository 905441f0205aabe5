package web

import (
	"testing"
	"time"
)

func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func TestFormatDuration(t *testing.T) {
	for in, want := range map[float64]string{0: "0:00", 2.04: "0:02", 65.5: "1:06", 3599: "59:59", 3725: "1:02:05"} {
		if got := formatDuration(secondsDuration(in)); got != want {
			t.Errorf("formatDuration(%vs) = %q, want %q", in, got, want)
		}
	}
}

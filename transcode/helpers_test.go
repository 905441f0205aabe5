package transcode

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// needFFmpeg skips the test when ffmpeg or ffprobe is missing.
func needFFmpeg(tb testing.TB) {
	tb.Helper()
	for _, bin := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(bin); err != nil {
			tb.Skipf("%s not found: %v", bin, err)
		}
	}
}

// testRunner logs to the test at warning level and above.
func testRunner(tb testing.TB) *Runner {
	tb.Helper()
	return &Runner{Logger: slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// gen runs ffmpeg to make a test input; args come before the output path.
func gen(tb testing.TB, out string, args ...string) string {
	tb.Helper()
	full := append([]string{"-nostdin", "-hide_banner", "-v", "error", "-y"}, args...)
	full = append(full, out)
	cmd := exec.Command("ffmpeg", full...)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("generating %s: %v\n%s", filepath.Base(out), err, b)
	}
	return out
}

// lavfiAV returns the input options of a testsrc2 picture with a sine tone.
func lavfiAV(w, h, fps int, secs float64) []string {
	d := strconv.FormatFloat(secs, 'f', -1, 64)
	return []string{
		"-f", "lavfi", "-i", "testsrc2=s=" + strconv.Itoa(w) + "x" + strconv.Itoa(h) + ":r=" + strconv.Itoa(fps) + ":d=" + d,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=" + d,
	}
}

// h264AAC are fast encoder options for generated MP4 inputs.
func h264AAC() []string {
	return []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ac", "2"}
}

type probed struct {
	Streams []struct {
		CodecName  string `json:"codec_name"`
		CodecType  string `json:"codec_type"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		Channels   int    `json:"channels"`
		SampleRate string `json:"sample_rate"`
		Duration   string `json:"duration"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

func probeFile(tb testing.TB, path string) probed {
	tb.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probed
	if err := json.Unmarshal(out, &p); err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	return p
}

func (p probed) duration(tb testing.TB) time.Duration {
	tb.Helper()
	d := parseSeconds(p.Format.Duration)
	if d == 0 {
		tb.Fatalf("no duration in %+v", p.Format)
	}
	return d
}

func (p probed) count(codecType string) int {
	n := 0
	for _, s := range p.Streams {
		if s.CodecType == codecType {
			n++
		}
	}
	return n
}

// topAtoms lists the first top-level boxes of an MP4 file.
func topAtoms(tb testing.TB, path string) []string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var names []string
	var hdr [16]byte
	for off := int64(0); len(names) < 8; {
		if _, err := f.ReadAt(hdr[:8], off); err != nil {
			if err == io.EOF {
				break
			}
			tb.Fatal(err)
		}
		size := int64(binary.BigEndian.Uint32(hdr[:4]))
		names = append(names, string(hdr[4:8]))
		if size == 1 {
			if _, err := f.ReadAt(hdr[8:16], off+8); err != nil {
				tb.Fatal(err)
			}
			size = int64(binary.BigEndian.Uint64(hdr[8:16]))
		}
		if size < 8 {
			break
		}
		off += size
	}
	return names
}

func assertFaststart(tb testing.TB, path string) {
	tb.Helper()
	atoms := topAtoms(tb, path)
	moov, mdat := -1, -1
	for i, a := range atoms {
		switch {
		case a == "moov" && moov < 0:
			moov = i
		case a == "mdat" && mdat < 0:
			mdat = i
		}
	}
	if moov < 0 || mdat < 0 || moov > mdat {
		tb.Errorf("%s: top-level boxes %v, want moov before mdat", filepath.Base(path), atoms)
	}
}

// loudness measures integrated loudness (LUFS) and true peak (dBTP) with
// ffmpeg's ebur128 filter.
func measureLoudness(tb testing.TB, path string) (i, tp float64) {
	tb.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", path,
		"-af", "ebur128=peak=true", "-f", "null", "-").CombinedOutput()
	if err != nil {
		tb.Fatalf("ebur128 %s: %v\n%s", path, err, out)
	}
	s := string(out)
	if k := bytes.LastIndex(out, []byte("Summary:")); k >= 0 {
		s = s[k:]
	}
	reI := regexp.MustCompile(`(?m)^\s*I:\s+(-?[0-9.]+) LUFS`)
	reTP := regexp.MustCompile(`(?m)^\s*Peak:\s+(-?[0-9.]+|-inf) dBFS`)
	mi, mp := reI.FindStringSubmatch(s), reTP.FindStringSubmatch(s)
	if mi == nil || mp == nil {
		tb.Fatalf("no ebur128 summary for %s:\n%s", path, s)
	}
	i, _ = strconv.ParseFloat(mi[1], 64)
	tp, _ = strconv.ParseFloat(mp[1], 64)
	return i, tp
}

// outputsByName indexes outputs and fails on duplicates.
func outputsByName(tb testing.TB, outs []Output) map[string]Output {
	tb.Helper()
	m := make(map[string]Output, len(outs))
	for _, o := range outs {
		if _, dup := m[o.Name]; dup {
			tb.Fatalf("two outputs named %q", o.Name)
		}
		m[o.Name] = o
	}
	return m
}

func within(a, b, tol time.Duration) bool {
	d := a - b
	return d <= tol && d >= -tol
}

// dirEntries lists the names in dir.
func dirEntries(tb testing.TB, dir string) []string {
	tb.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func checkCtx(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}

// meanLuma decodes a picture and averages its luma (0..255).
func meanLuma(tb testing.TB, path string) float64 {
	tb.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-frames:v", "1",
		"-f", "rawvideo", "-pix_fmt", "gray", "-").Output()
	if err != nil || len(out) == 0 {
		tb.Fatalf("decoding %s: %v", path, err)
	}
	var sum int
	for _, b := range out {
		sum += int(b)
	}
	return float64(sum) / float64(len(out))
}

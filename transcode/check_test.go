package transcode

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cut writes the first frac of src's bytes to dst.
func cut(t *testing.T, src, dst string, frac float64) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b[:int(float64(len(b))*frac)], 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestCheckRejects(t *testing.T) {
	needFFmpeg(t)
	tmp := t.TempDir()
	small := append(lavfiAV(320, 240, 25, 2), append(h264AAC(), "-shortest")...)
	plain := gen(t, filepath.Join(tmp, "plain.mp4"), small...) // moov at the end
	fast := gen(t, filepath.Join(tmp, "fast.mp4"), append(small, "-movflags", "+faststart")...)
	webm := gen(t, filepath.Join(tmp, "full.webm"), append(lavfiAV(320, 240, 25, 3),
		"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus", "-shortest")...)
	tone := gen(t, filepath.Join(tmp, "tone.ogg"), "-f", "lavfi", "-i", "sine=duration=2", "-c:a", "libopus")
	vbr := gen(t, filepath.Join(tmp, "vbr.mp3"), "-f", "lavfi", "-i", "sine=duration=6", "-c:a", "libmp3lame", "-q:a", "5")
	noXing := gen(t, filepath.Join(tmp, "noxing.mp3"), "-f", "lavfi", "-i", "sine=duration=6", "-c:a", "libmp3lame",
		"-q:a", "5", "-write_xing", "0")
	silentVideo := gen(t, filepath.Join(tmp, "silent.mkv"), "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1",
		"-c:v", "libx264", "-preset", "ultrafast")
	empty := filepath.Join(tmp, "empty.mp4")
	text := filepath.Join(tmp, "x.mp4")
	srt := filepath.Join(tmp, "subs.srt")
	for path, content := range map[string]string{
		empty: "",
		text:  "This is not a video, just some text in a file named x.mp4.\n",
		srt:   "1\n00:00:00,000 --> 00:00:01,000\nHello\n",
	} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	subsOnly := gen(t, filepath.Join(tmp, "subs.mkv"), "-i", srt)
	st, err := os.Stat(plain)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, path string
		kind       Kind
		lim        Limits
		reason     string
		message    string // a part of the message
	}{
		{"empty", empty, Video, Limits{}, ReasonEmpty, "The file is empty."},
		{"text named .mp4", text, Video, Limits{}, ReasonNotMedia, "not a video or audio file"},
		{"subtitles only", subsOnly, Video, Limits{}, ReasonNotMedia, "no video or audio"},
		{"mp4 cut before its index", cut(t, plain, filepath.Join(tmp, "cut.mp4"), 0.6), Video, Limits{}, ReasonTruncated, "incomplete"},
		{"faststart mp4 cut in its data", cut(t, fast, filepath.Join(tmp, "cutfast.mp4"), 0.6), Video, Limits{}, ReasonTruncated, "incomplete"},
		{"webm cut", cut(t, webm, filepath.Join(tmp, "cut.webm"), 0.7), Video, Limits{}, ReasonTruncated, "incomplete"},
		{"mp3 shorter than its Xing header says", cut(t, vbr, filepath.Join(tmp, "cut.mp3"), 0.5), Audio, Limits{}, ReasonTruncated, "incomplete"},
		{"too large", plain, Video, Limits{MaxBytes: 10_000}, ReasonTooLarge,
			"; the limit is 10 kB."},
		{"too large, close to the limit", plain, Video, Limits{MaxBytes: st.Size() - 1}, ReasonTooLarge,
			"the limit is " + formatBytes(float64(st.Size()-1), 3)},
		{"too long", plain, Video, Limits{MaxDuration: 1500 * time.Millisecond}, ReasonTooLong,
			"The recording lasts 2 s; the limit is 1.5 s."},
		{"too long podcast", tone, Audio, Limits{MaxDuration: time.Second}, ReasonTooLong, "the limit is 1 s."},
		{"too many pixels", plain, Video, Limits{MaxPixels: 50_000}, ReasonTooManyPixels,
			"The video is 320×240 (0.08 megapixels); the limit is 0.05 megapixels."},
		{"no video on a video channel", tone, Video, Limits{}, ReasonNoVideo, "no video track"},
		{"no audio on a podcast", silentVideo, Audio, Limits{}, ReasonNoAudio, "no audio track"},
	} {
		t.Run(c.name, func(t *testing.T) {
			info, err := testRunner(t).Check(checkCtx(t), c.path, c.kind, c.lim)
			var re *RejectError
			if !errors.As(err, &re) {
				t.Fatalf("info %+v, err %v; want a RejectError %q", info, err, c.reason)
			}
			if re.Reason != c.reason || !strings.Contains(re.Message, c.message) {
				t.Errorf("got %q %q, want %q containing %q", re.Reason, re.Message, c.reason, c.message)
			}
			if !strings.Contains(re.Error(), re.Message) {
				t.Errorf("Error() %q", re.Error())
			}
			t.Logf("%s: %s", re.Reason, re.Message)
		})
	}

	// The same files within their limits pass.
	for _, c := range []struct {
		path string
		kind Kind
	}{{plain, Video}, {fast, Video}, {webm, Video}, {tone, Audio}, {silentVideo, Video}, {plain, Audio}, {vbr, Audio}, {noXing, Audio}} {
		if _, err := testRunner(t).Check(checkCtx(t), c.path, c.kind, Limits{MaxBytes: 1 << 30, MaxDuration: time.Hour, MaxPixels: 1 << 24}); err != nil {
			t.Errorf("%s as %s: %v", filepath.Base(c.path), c.kind, err)
		}
	}

	// Without a Xing header an MP3's duration is an estimate: a cut one is
	// taken for what it holds.
	info, err := testRunner(t).Check(checkCtx(t), cut(t, noXing, filepath.Join(tmp, "cut2.mp3"), 0.5), Audio, Limits{})
	if err != nil || !within(info.Duration, 3*time.Second, 300*time.Millisecond) {
		t.Errorf("cut MP3 without a Xing header: %+v, %v; want about 3 s", info, err)
	}
}

// Cover art in an MP3 is not a video stream.
func TestCheckIgnoresCoverArt(t *testing.T) {
	needFFmpeg(t)
	tmp := t.TempDir()
	cover := gen(t, filepath.Join(tmp, "cover.jpg"), "-f", "lavfi", "-i", "testsrc2=s=300x300:d=1", "-frames:v", "1")
	mp3 := gen(t, filepath.Join(tmp, "episode.mp3"), "-f", "lavfi", "-i", "sine=duration=2", "-i", cover,
		"-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-b:a", "64k", "-c:v", "copy", "-disposition:v", "attached_pic")
	if n := probeFile(t, mp3).count("video"); n != 1 {
		t.Fatalf("the fixture has %d video streams, want its cover", n)
	}
	r := testRunner(t)
	info, err := r.Check(checkCtx(t), mp3, Audio, Limits{MaxPixels: 1})
	if err != nil {
		t.Fatal(err)
	}
	if info.Video != nil || info.Audio == nil || info.Audio.Codec != "mp3" || !within(info.Duration, 2*time.Second, 100*time.Millisecond) ||
		info.FormatName != "mp3" || info.Size == 0 || info.Bitrate == 0 {
		t.Errorf("info %+v, video %+v, audio %+v", info, info.Video, info.Audio)
	}
	var re *RejectError
	if _, err := r.Check(checkCtx(t), mp3, Video, Limits{}); !errors.As(err, &re) || re.Reason != ReasonNoVideo {
		t.Errorf("as a video: %v", err)
	}
}

func TestCheckCancelled(t *testing.T) {
	needFFmpeg(t)
	src := gen(t, filepath.Join(t.TempDir(), "tone.wav"), "-f", "lavfi", "-i", "sine=duration=1")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := testRunner(t).Check(ctx, src, Audio, Limits{})
	var re *RejectError
	if !errors.Is(err, context.Canceled) || errors.As(err, &re) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

func TestCheckErrors(t *testing.T) {
	r := testRunner(t)
	if _, err := r.Check(t.Context(), filepath.Join(t.TempDir(), "missing.mp4"), Video, Limits{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := r.Check(t.Context(), t.TempDir(), Video, Limits{}); err == nil {
		t.Error("a directory passed")
	}
	if _, err := r.Check(t.Context(), "x", Kind("text"), Limits{}); err == nil {
		t.Error("unknown kind passed")
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct {
		v, lim float64
		minDec int
		f      func(float64, int) string
		a, b   string
	}{
		{3.2e9, 2e9, 1, formatBytes, "3.2 GB", "2 GB"},
		{2_040_000_000, 2e9, 1, formatBytes, "2.04 GB", "2 GB"},
		{1 << 31, 2e9, 1, formatBytes, "2.1 GB", "2 GB"},
		{12_345, 10_000, 1, formatBytes, "12.3 kB", "10 kB"},
		{1920 * 1080 / 1e6, 0.9, 1, formatNumber, "2.1", "0.9"},
		{2, 1.5, 0, formatSeconds, "2 s", "1.5 s"},
		{2*3600 + 13*60 + 5, 2 * 3600, 0, formatSeconds, "2 h 13 min", "2 h"},
		{3600 + 20, 3600, 0, formatSeconds, "1 h 20 s", "1 h"},
		{45*60 + 30, 45 * 60, 0, formatSeconds, "45 min 30 s", "45 min"},
	} {
		if a, b := formatPair(c.v, c.lim, c.minDec, c.f); a != c.a || b != c.b {
			t.Errorf("formatPair(%v, %v) = %q, %q; want %q, %q", c.v, c.lim, a, b, c.a, c.b)
		}
	}
}

func TestParseRatio(t *testing.T) {
	for s, want := range map[string]float64{"30000/1001": 30000.0 / 1001, "25/1": 25, "0/0": 0, "16:9": 16.0 / 9, "": 0, "x": 0, "24": 24} {
		if got := parseRatio(s); got != want {
			t.Errorf("parseRatio(%q) = %v, want %v", s, got, want)
		}
	}
}

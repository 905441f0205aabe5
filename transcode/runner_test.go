package transcode

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRing(t *testing.T) {
	r := newRing(8)
	_, _ = r.Write([]byte("abc"))
	_, _ = r.Write([]byte("def"))
	if got := r.String(); got != "abcdef" {
		t.Errorf("got %q", got)
	}
	_, _ = r.Write([]byte("gh\nijk"))
	if got := r.String(); got != "ijk" { // "defgh\nijk" minus the partial first line
		t.Errorf("got %q", got)
	}
	_, _ = r.Write([]byte(strings.Repeat("x", 20)))
	if got := r.String(); got != "xxxxxxxx" {
		t.Errorf("got %q", got)
	}
}

func TestProgress(t *testing.T) {
	var got []float64
	p := newPercent(func(v float64) { got = append(got, v) }, 10*time.Second, 0, 100)
	w := &progressWriter{fn: p.report}
	for _, chunk := range []string{
		"frame=1\nout_time_us=0\nprogress=cont", "inue\nout_time_us=N/A\nout_time_us=2500000\n",
		"out_time_ms=2500000\nprogress=continue\nout_time_us=5000", "000\nout_time_us=20000000\nprogress=end\n",
	} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	p.finish()
	want := []float64{0, 25, 50, 99.9, 100}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-9 || d < -1e-9 {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// nil callbacks and unknown durations are fine.
	newPercent(nil, 0, 0, 100).report(time.Second, false)
	var one []float64
	q := newPercent(func(v float64) { one = append(one, v) }, 0, 10, 100)
	q.report(time.Second, false)
	q.report(2*time.Second, false)
	q.finish()
	if len(one) != 2 || one[0] != 10 || one[1] != 100 {
		t.Errorf("unknown duration: %v", one)
	}
}

func TestFFmpegErrorMessage(t *testing.T) {
	e := &FFmpegError{ExitCode: 1, StderrTail: "first\nInvalid argument\n"}
	if e.Error() != "ffmpeg exited with status 1: Invalid argument" {
		t.Errorf("got %q", e.Error())
	}
	if (&FFmpegError{ExitCode: -1}).Error() != "ffmpeg failed" {
		t.Error((&FFmpegError{ExitCode: -1}).Error())
	}
}

func TestRunnerDefaults(t *testing.T) {
	var r Runner
	if r.ffmpeg() != "ffmpeg" || r.ffprobe() != "ffprobe" || r.nice() != 10 || r.preset() != "veryfast" ||
		r.threads() != max(1, runtime.NumCPU()-1) || r.logger() == nil {
		t.Errorf("defaults: %s %s %d %s %d", r.ffmpeg(), r.ffprobe(), r.nice(), r.preset(), r.threads())
	}
	r = Runner{FFmpeg: "/x/ffmpeg", FFprobe: "/x/ffprobe", Threads: 3, Nice: 5, Preset: "ultrafast"}
	if r.ffmpeg() != "/x/ffmpeg" || r.ffprobe() != "/x/ffprobe" || r.threads() != 3 || r.nice() != 5 || r.preset() != "ultrafast" {
		t.Errorf("settings ignored: %+v", r)
	}
}

func TestMissingFFmpeg(t *testing.T) {
	needFFmpeg(t)
	src := gen(t, filepath.Join(t.TempDir(), "tone.wav"), "-f", "lavfi", "-i", "sine=duration=1")
	r := testRunner(t)
	r.FFprobe = filepath.Join(t.TempDir(), "no-ffprobe")
	_, err := r.Check(checkCtx(t), src, Audio, Limits{})
	var re *RejectError
	if err == nil || errors.As(err, &re) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err %v, want a plain error about the missing binary", err)
	}
}

func TestFileArg(t *testing.T) {
	got, err := fileArg("-weird name|concat:x.mp4")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "file:/") || !strings.HasSuffix(got, "/-weird name|concat:x.mp4") {
		t.Errorf("got %q", got)
	}
}

func TestInspectMP4(t *testing.T) {
	dir := t.TempDir()
	box := func(typ string, size int) []byte {
		b := make([]byte, size)
		b[0], b[1], b[2], b[3] = byte(size>>24), byte(size>>16), byte(size>>8), byte(size)
		copy(b[4:], typ)
		return b
	}
	join := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, c := range []struct {
		name            string
		data            []byte
		isMP4, truncted bool
	}{
		{"complete", join(box("ftyp", 24), box("moov", 100), box("mdat", 1000)), true, false},
		{"cut mdat", join(box("ftyp", 24), box("moov", 100), box("mdat", 1000))[:600], true, true},
		{"cut header", join(box("ftyp", 24), box("mdat", 100))[:128], true, true},
		{"mdat to the end", join(box("ftyp", 24), []byte{0, 0, 0, 0, 'm', 'd', 'a', 't'}, make([]byte, 50)), true, false},
		{"text", []byte("hello world, this is text"), false, false},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
		if err := os.WriteFile(path, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := inspectMP4(path, int64(len(c.data)))
		if err != nil || l.isMP4 != c.isMP4 || l.truncated != c.truncted {
			t.Errorf("%s: %+v, %v", c.name, l, err)
		}
	}
}

func TestMP3DeclaresLength(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	// An ID3 tag of 0x3fff bytes in front, to check the syncsafe size.
	for _, c := range []struct {
		name string
		args []string
		want bool
	}{
		{"cbr.mp3", []string{"-b:a", "64k"}, true}, // an "Info" header
		{"vbr.mp3", []string{"-q:a", "5"}, true},   // a "Xing" header
		{"bare.mp3", []string{"-q:a", "5", "-write_xing", "0"}, false},
		{"tagged.mp3", []string{"-q:a", "5", "-metadata", "comment=" + strings.Repeat("z", 0x3fff)}, true},
	} {
		path := gen(t, filepath.Join(dir, c.name), append([]string{"-f", "lavfi", "-i", "sine=duration=1", "-c:a", "libmp3lame"}, c.args...)...)
		if got := mp3DeclaresLength(path); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// Child processes run with the configured niceness, threads included.
func TestNice(t *testing.T) {
	needFFmpeg(t)
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	r := testRunner(t)
	r.Nice = 7
	ctx, cancel := context.WithCancel(checkCtx(t))
	defer cancel()
	var (
		mu     sync.Mutex
		nices  []int
		probed bool
	)
	// A 30 s tone read in real time; stopped as soon as it was looked at.
	args := []string{"-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", "sine=duration=30",
		"-f", "null", "-progress", "pipe:1", "-"}
	_, err := r.run(ctx, r.ffmpeg(), args, runOpts{progress: func(out time.Duration, end bool) {
		mu.Lock()
		defer mu.Unlock()
		if probed || out < 200*time.Millisecond {
			return
		}
		probed = true
		nices = childNices(t)
		cancel()
	}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(nices) == 0 {
		t.Fatal("no ffmpeg child found")
	}
	for _, n := range nices {
		if n != 7 {
			t.Errorf("thread niceness %d, want 7 (all: %v)", n, nices)
		}
	}
}

// childNices returns the niceness of every thread of this process's children.
func childNices(t *testing.T) []int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	me := strconv.Itoa(os.Getpid())
	var nices []int
	for _, p := range procs {
		f := statFields(p)
		if len(f) < 17 || f[1] != me { // f[0] is the state, f[1] the parent
			continue
		}
		tasks, _ := filepath.Glob(filepath.Join(filepath.Dir(p), "task", "*", "stat"))
		for _, tp := range tasks {
			if tf := statFields(tp); len(tf) >= 17 {
				n, _ := strconv.Atoi(tf[16])
				nices = append(nices, n)
			}
		}
	}
	return nices
}

// statFields splits /proc/…/stat after the command name.
func statFields(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

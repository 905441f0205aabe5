// Package transcode validates uploads with ffprobe and turns them into the
// renditions Archipel serves, each in one ffmpeg process: a whole H.264/AAC
// ladder with its thumbnail and poster for a video, loudness-normalized MP3
// and AAC files with a waveform for a podcast episode.
//
// ffmpeg and ffprobe always run from argument lists (never through a shell),
// with -nostdin, a bounded thread count and a raised niceness, so that
// transcoding never starves request handling. Inputs are opened through the
// file protocol only and a whitelist of container formats, so that an upload
// cannot make ffmpeg read other files (HLS or concat playlists) or the network.
package transcode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Runner runs ffprobe and ffmpeg. The zero value works: it finds both on PATH,
// uses all CPUs but one and niceness 10.
type Runner struct {
	FFmpeg, FFprobe string // paths; "" => "ffmpeg"/"ffprobe" from PATH
	// Threads bounds ffmpeg's threads per decoder, encoder and filter graph
	// (-threads, -filter_complex_threads); 0 => max(1, runtime.NumCPU()-1).
	Threads int
	// Nice is the niceness given to every child process right after it
	// starts; 0 => 10, negative => leave the niceness unchanged.
	Nice int
	// Preset is the libx264 preset; "" => "veryfast".
	Preset string
	Logger *slog.Logger // nil => discard
}

// FFmpegError reports that ffmpeg (or ffprobe) failed.
type FFmpegError struct {
	ExitCode   int    // -1 when killed by a signal
	StderrTail string // the last ~4 KiB of its standard error
}

func (e *FFmpegError) Error() string {
	msg := "ffmpeg failed"
	if e.ExitCode >= 0 {
		msg = fmt.Sprintf("ffmpeg exited with status %d", e.ExitCode)
	}
	if last := lastLine(e.StderrTail); last != "" {
		msg += ": " + last
	}
	return msg
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}

const (
	stderrTailSize = 4 << 10
	defaultNice    = 10
	defaultPreset  = "veryfast"
	// waitDelay bounds how long Wait waits for output pipes after ffmpeg exited
	// or was killed.
	waitDelay = 5 * time.Second
)

func (r *Runner) ffmpeg() string {
	if r.FFmpeg != "" {
		return r.FFmpeg
	}
	return "ffmpeg"
}

func (r *Runner) ffprobe() string {
	if r.FFprobe != "" {
		return r.FFprobe
	}
	return "ffprobe"
}

func (r *Runner) threads() int {
	if r.Threads > 0 {
		return r.Threads
	}
	return max(1, runtime.NumCPU()-1)
}

func (r *Runner) nice() int {
	if r.Nice == 0 {
		return defaultNice
	}
	return r.Nice
}

func (r *Runner) preset() string {
	if r.Preset != "" {
		return r.Preset
	}
	return defaultPreset
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// runOpts tunes one child process.
type runOpts struct {
	stdout     *bytes.Buffer // collects stdout (ffprobe JSON); nil => discard unless progress is set
	progress   func(out time.Duration, end bool)
	extraFiles []*os.File // fd 3, 4, ... in the child; the caller closes them after run returns
	tailSize   int        // stderr bytes kept; 0 => stderrTailSize
}

// run starts bin with args, lowers its priority and waits for it. It returns
// the tail of stderr. A failure is a *FFmpegError, or the context's error
// (wrapped) when ctx ended first.
func (r *Runner) run(ctx context.Context, bin string, args []string, o runOpts) (string, error) {
	log := r.logger()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = waitDelay
	tail := newRing(orDefault(o.tailSize, stderrTailSize))
	cmd.Stderr = tail
	switch {
	case o.progress != nil:
		cmd.Stdout = &progressWriter{fn: o.progress}
	case o.stdout != nil:
		cmd.Stdout = o.stdout
	}
	cmd.ExtraFiles = o.extraFiles
	log.Debug("transcode: starting", "cmd", filepath.Base(bin), "args", args)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("transcode: start %s: %w", bin, err)
	}
	if n := r.nice(); n >= 0 {
		if err := setNice(cmd.Process.Pid, n); err != nil {
			log.Debug("transcode: cannot set niceness", "pid", cmd.Process.Pid, "nice", n, "err", err)
		}
	}
	err := cmd.Wait()
	stderr := tail.String()
	if ctx.Err() != nil {
		log.Debug("transcode: interrupted", "cmd", filepath.Base(bin), "after", time.Since(start))
		return stderr, fmt.Errorf("transcode: %s interrupted: %w", filepath.Base(bin), ctx.Err())
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code := ee.ExitCode()
			if code >= 0 && strings.TrimSpace(stderr) == "" {
				stderr = fmt.Sprintf("%s exited with status %d and no message", filepath.Base(bin), code)
			}
			return stderr, &FFmpegError{ExitCode: code, StderrTail: stderr}
		}
		return stderr, fmt.Errorf("transcode: %s: %w", filepath.Base(bin), err)
	}
	log.Debug("transcode: finished", "cmd", filepath.Base(bin), "took", time.Since(start))
	return stderr, nil
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// ring keeps the last size bytes written to it.
type ring struct {
	mu   sync.Mutex
	buf  []byte
	size int
}

func newRing(size int) *ring { return &ring{size: size} }

func (r *ring) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(p)
	if len(p) >= r.size {
		r.buf = append(r.buf[:0], p[len(p)-r.size:]...)
		return n, nil
	}
	if over := len(r.buf) + len(p) - r.size; over > 0 {
		r.buf = append(r.buf[:0], r.buf[over:]...)
	}
	r.buf = append(r.buf, p...)
	return n, nil
}

func (r *ring) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := string(r.buf)
	if len(r.buf) == r.size {
		// Drop the probably partial first line.
		if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
			s = s[i+1:]
		}
	}
	return s
}

// progressWriter parses ffmpeg's "-progress pipe:1" key=value stream.
type progressWriter struct {
	fn      func(out time.Duration, end bool)
	partial []byte
}

func (w *progressWriter) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.line(string(bytes.TrimSpace(w.partial[:i])))
		w.partial = w.partial[i+1:]
	}
	if len(w.partial) > 4096 { // not ffmpeg's progress output; do not grow
		w.partial = w.partial[:0]
	}
	return len(p), nil
}

func (w *progressWriter) line(l string) {
	key, val, ok := strings.Cut(l, "=")
	if !ok {
		return
	}
	switch key {
	case "out_time_us", "out_time_ms": // both are microseconds in ffmpeg 5
		if us, err := strconv.ParseInt(val, 10, 64); err == nil && us >= 0 {
			w.fn(time.Duration(us)*time.Microsecond, false)
		}
	case "progress":
		if val == "end" {
			w.fn(0, true)
		}
	}
}

// percent turns progress reports into calls of fn with increasing values in
// [from, to], ending exactly at to when ffmpeg reports the end. fn may be nil.
type percent struct {
	fn       func(float64)
	total    time.Duration
	from, to float64
	last     float64
	ended    bool
}

func newPercent(fn func(float64), total time.Duration, from, to float64) *percent {
	return &percent{fn: fn, total: total, from: from, to: to, last: -1}
}

func (p *percent) report(out time.Duration, end bool) {
	if p.fn == nil || p.ended {
		return
	}
	var v float64
	switch {
	case end:
		v, p.ended = p.to, true
	case p.total > 0:
		f := min(float64(out)/float64(p.total), 0.999)
		v = p.from + (p.to-p.from)*f
	default:
		v = p.from
	}
	if v > p.last {
		p.last = v
		p.fn(v)
	}
}

// monotonic forwards only values above the last one forwarded, so that
// progress keeps increasing across several ffmpeg runs. nil stays nil.
func monotonic(fn func(float64)) func(float64) {
	if fn == nil {
		return nil
	}
	last := math.Inf(-1)
	return func(v float64) {
		if v > last {
			last = v
			fn(v)
		}
	}
}

// finish reports the end if ffmpeg did not.
func (p *percent) finish() { p.report(0, true) }

// fileArg makes path safe to pass as an ffmpeg/ffprobe URL: absolute (so it
// never starts with "-") and with the file: protocol (so "concat:...",
// "http:..." or a "|" in a name mean nothing).
func fileArg(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return "file:" + abs, nil
}

// inputFormats are the demuxers uploads may use. Playlists (hls, concat),
// image sequences and raw streams are left out on purpose.
const inputFormats = "mov,matroska,webm,avi,flv,mpegts,mpeg,mp3,ogg,wav,w64,flac,aac,ac3,eac3," +
	"asf,aiff,caf,amr,amrnb,amrwb,mxf,dv,wv,ape,tta,dts,ivf,rm,nut,au"

// inputArgs are the options that open an upload safely.
func inputArgs(src string) ([]string, error) {
	in, err := fileArg(src)
	if err != nil {
		return nil, err
	}
	return []string{"-protocol_whitelist", "file", "-format_whitelist", inputFormats, "-i", in}, nil
}

// removeAll deletes the given files, ignoring those that do not exist.
func removeAll(log *slog.Logger, paths []string) {
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			log.Warn("transcode: cannot remove partial output", "path", p, "err", err)
		}
	}
}

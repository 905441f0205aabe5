package transcode

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

type wantRung struct {
	name string
	w, h int
}

// checkLadder asserts what Video wrote for a source of duration srcDur.
func checkLadder(t *testing.T, outs []Output, dir string, srcDur time.Duration, rungs []wantRung, audio bool, thumbW, posterW int) {
	t.Helper()
	byName := outputsByName(t, outs)
	want := len(rungs) + 2
	if audio {
		want++
	}
	if len(outs) != want {
		t.Errorf("%d outputs, want %d: %+v", len(outs), want, outs)
	}
	for _, o := range outs {
		if filepath.Dir(o.Path) != dir {
			t.Errorf("%s written to %s, outside %s", o.Name, o.Path, dir)
		}
	}
	for _, r := range rungs {
		o, ok := byName[r.name]
		if !ok {
			t.Errorf("no %s output", r.name)
			continue
		}
		if o.MimeType != "video/mp4" || o.Width != r.w || o.Height != r.h || o.Bitrate <= 0 {
			t.Errorf("%s: %+v, want video/mp4 %dx%d with a bitrate", r.name, o, r.w, r.h)
		}
		p := probeFile(t, o.Path)
		if got := p.count("audio"); (got == 1) != audio || got > 1 {
			t.Errorf("%s: %d audio streams, want audio=%v", r.name, got, audio)
		}
		for _, s := range p.Streams {
			switch s.CodecType {
			case "video":
				if s.CodecName != "h264" || s.Width != r.w || s.Height != r.h {
					t.Errorf("%s: video %s %dx%d, want h264 %dx%d", r.name, s.CodecName, s.Width, s.Height, r.w, r.h)
				}
			case "audio":
				if s.CodecName != "aac" || s.Channels != 2 {
					t.Errorf("%s: audio %s with %d channels, want aac stereo", r.name, s.CodecName, s.Channels)
				}
			}
		}
		if d := p.duration(t); !within(d, srcDur, 200*time.Millisecond) {
			t.Errorf("%s lasts %v, source %v", r.name, d, srcDur)
		}
		assertFaststart(t, o.Path)
	}
	if a, ok := byName["audio"]; ok != audio {
		t.Errorf("audio output present=%v, want %v", ok, audio)
	} else if ok {
		p := probeFile(t, a.Path)
		if len(p.Streams) != 1 || p.Streams[0].CodecName != "aac" || a.MimeType != "audio/mp4" || filepath.Ext(a.Path) != ".m4a" {
			t.Errorf("audio rendition %+v: streams %+v, want one aac stream in .m4a", a, p.Streams)
		}
		if d := p.duration(t); !within(d, srcDur, 200*time.Millisecond) {
			t.Errorf("audio lasts %v, source %v", d, srcDur)
		}
		assertFaststart(t, a.Path)
	}
	for name, w := range map[string]int{"thumbnail": thumbW, "poster": posterW} {
		o, ok := byName[name]
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		p := probeFile(t, o.Path)
		if len(p.Streams) != 1 || p.Streams[0].CodecName != "mjpeg" || p.Streams[0].Width != w ||
			p.Streams[0].Width != o.Width || p.Streams[0].Height != o.Height || o.MimeType != "image/jpeg" {
			t.Errorf("%s %+v: %+v, want a %d px wide JPEG", name, o, p.Streams, w)
		}
	}
}

// progressLog records progress calls.
type progressLog struct {
	mu   sync.Mutex
	vals []float64
}

func (p *progressLog) report(v float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.vals = append(p.vals, v)
}

func (p *progressLog) check(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.vals) < 2 {
		t.Fatalf("progress called %d times: %v", len(p.vals), p.vals)
	}
	for i := 1; i < len(p.vals); i++ {
		if p.vals[i] <= p.vals[i-1] {
			t.Errorf("progress not increasing: %v", p.vals)
			break
		}
	}
	if p.vals[0] < 0 || p.vals[len(p.vals)-1] != 100 {
		t.Errorf("progress %v, want 0..100 ending at 100", p.vals)
	}
}

func TestVideoLadder1080(t *testing.T) {
	needFFmpeg(t)
	tmp := t.TempDir()
	src := gen(t, filepath.Join(tmp, "src.mp4"), append(lavfiAV(1920, 1080, 30, 3), append(h264AAC(), "-shortest")...)...)
	r := testRunner(t)
	ctx := checkCtx(t)
	info, err := r.Check(ctx, src, Video, Limits{MaxBytes: 1 << 30, MaxDuration: time.Minute, MaxPixels: 1920 * 1080})
	if err != nil {
		t.Fatal(err)
	}
	if info.Video == nil || info.Video.Width != 1920 || info.Video.Height != 1080 || info.Video.Codec != "h264" ||
		info.Video.FPS != 30 || info.Audio == nil || info.Audio.Codec != "aac" || !within(info.Duration, 3*time.Second, 100*time.Millisecond) {
		t.Fatalf("info %+v video %+v audio %+v", info, info.Video, info.Audio)
	}
	dir := filepath.Join(tmp, "out")
	var prog progressLog
	outs, err := r.Video(ctx, src, info, dir, prog.report)
	if err != nil {
		t.Fatal(err)
	}
	checkLadder(t, outs, dir, info.Duration, []wantRung{
		{"1080p", 1920, 1080}, {"720p", 1280, 720}, {"480p", 854, 480}, {"360p", 640, 360}, {"240p", 426, 240},
	}, true, 480, 1280)
	for _, o := range outs {
		if o.MimeType == "video/mp4" && o.FPS != 30 {
			t.Errorf("%s: FPS %d, want 30", o.Name, o.FPS)
		}
	}
	prog.check(t)
}

func TestVideoLadder360WebM(t *testing.T) {
	needFFmpeg(t)
	tmp := t.TempDir()
	src := gen(t, filepath.Join(tmp, "src.webm"), append(lavfiAV(640, 360, 25, 3),
		"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "500k",
		"-c:a", "libopus", "-b:a", "64k", "-shortest")...)
	r := testRunner(t)
	ctx := checkCtx(t)
	info, err := r.Check(ctx, src, Video, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Video.Codec != "vp9" || info.Audio.Codec != "opus" || info.FormatName != "matroska,webm" {
		t.Fatalf("info %+v video %+v audio %+v", info, info.Video, info.Audio)
	}
	dir := filepath.Join(tmp, "out")
	outs, err := r.Video(ctx, src, info, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkLadder(t, outs, dir, info.Duration, []wantRung{{"360p", 640, 360}, {"240p", 426, 240}}, true, 480, 640)
}

func TestVideoWithoutAudio(t *testing.T) {
	needFFmpeg(t)
	tmp := t.TempDir()
	// Black for 0.2 s, then white: the pictures come from 10% in (0.3 s).
	src := gen(t, filepath.Join(tmp, "silent.mp4"), "-f", "lavfi", "-i",
		"color=c=black:s=320x240:r=25:d=0.2[a];color=c=white:s=320x240:r=25:d=2.8[b];[a][b]concat=n=2:v=1:a=0",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
	r := testRunner(t)
	ctx := checkCtx(t)
	info, err := r.Check(ctx, src, Video, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Audio != nil {
		t.Fatalf("audio %+v in a silent video", info.Audio)
	}
	// Characters that mean something to ffmpeg's tee muxer and protocols.
	dir := filepath.Join(tmp, `out|[1]:a=b's\x`)
	outs, err := r.Video(ctx, src, info, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkLadder(t, outs, dir, info.Duration, []wantRung{{"240p", 320, 240}}, false, 320, 320)
	for _, o := range outs {
		if o.MimeType == "image/jpeg" {
			if l := meanLuma(t, o.Path); l < 200 {
				t.Errorf("%s has mean luma %.0f: taken from the black start, not 10%% in", o.Name, l)
			}
		}
	}
}

// A portrait phone video: 320×240 pixels with a 90° display matrix.
func TestVideoRotatedIsPortrait(t *testing.T) {
	needFFmpeg(t)
	tmp := t.TempDir()
	plain := gen(t, filepath.Join(tmp, "plain.mp4"), "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
	// ffmpeg 5 writes a display matrix from the rotate tag only when copying.
	src := gen(t, filepath.Join(tmp, "phone.mp4"), "-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90")
	r := testRunner(t)
	ctx := checkCtx(t)
	info, err := r.Check(ctx, src, Video, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if v := info.Video; v.Width != 240 || v.Height != 320 || (v.Rotation != 90 && v.Rotation != 270) {
		t.Fatalf("video %+v, want 240x320 turned 90°", v)
	}
	outs, err := r.Video(ctx, src, info, filepath.Join(tmp, "out"), nil)
	if err != nil {
		t.Fatal(err)
	}
	o := outputsByName(t, outs)["240p"]
	p := probeFile(t, o.Path)
	if o.Width != 240 || o.Height != 320 || p.Streams[0].Width != 240 || p.Streams[0].Height != 320 {
		t.Errorf("240p %+v, stream %+v; want 240x320", o, p.Streams[0])
	}
}

// VideoSequential (the benchmark's baseline) writes the same files as Video.
func TestVideoSequentialMatchesOnePass(t *testing.T) {
	needFFmpeg(t)
	tmp := t.TempDir()
	src := gen(t, filepath.Join(tmp, "src.mp4"), append(lavfiAV(480, 270, 25, 1), append(h264AAC(), "-shortest")...)...)
	r := testRunner(t)
	ctx := checkCtx(t)
	info, err := r.Check(ctx, src, Video, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	one, err := r.Video(ctx, src, info, filepath.Join(tmp, "one"), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "seq")
	seq, err := r.VideoSequential(ctx, src, info, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != len(seq) {
		t.Fatalf("one pass %+v, sequential %+v", one, seq)
	}
	for i := range one {
		a, b := one[i], seq[i]
		if a.Name != b.Name || filepath.Base(a.Path) != filepath.Base(b.Path) || a.Width != b.Width || a.Height != b.Height {
			t.Errorf("one pass %+v, sequential %+v", a, b)
		}
	}
	checkLadder(t, seq, dir, info.Duration, []wantRung{{"240p", 426, 240}}, true, 480, 480)
}

// An Info that promises a video stream the file does not have makes ffmpeg
// fail: the error carries its stderr and nothing is left in dir.
func TestVideoFFmpegError(t *testing.T) {
	needFFmpeg(t)
	tmp := t.TempDir()
	src := gen(t, filepath.Join(tmp, "tone.wav"), "-f", "lavfi", "-i", "sine=duration=1")
	info := &Info{Duration: time.Second, Video: &VideoStream{Codec: "h264", Width: 320, Height: 240, FPS: 25, Index: 1},
		Audio: &AudioStream{Codec: "pcm_s16le", Channels: 1, SampleRate: 44100}}
	dir := filepath.Join(tmp, "out")
	_, err := testRunner(t).Video(checkCtx(t), src, info, dir, nil)
	var fe *FFmpegError
	if !errors.As(err, &fe) {
		t.Fatalf("err %v (%T), want *FFmpegError", err, err)
	}
	if fe.ExitCode == 0 || fe.StderrTail == "" || len(fe.StderrTail) > stderrTailSize {
		t.Errorf("FFmpegError %+v", fe)
	}
	t.Logf("ffmpeg said: %v", err)
	if left := dirEntries(t, dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestVideoCancel(t *testing.T) {
	needFFmpeg(t)
	tmp := t.TempDir()
	src := gen(t, filepath.Join(tmp, "src.mp4"), append(lavfiAV(1280, 720, 30, 10), append(h264AAC(), "-shortest")...)...)
	r := testRunner(t)
	info, err := r.Check(checkCtx(t), src, Video, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(checkCtx(t))
	defer cancel()
	dir := filepath.Join(tmp, "out")
	start := time.Now()
	_, err = r.Video(ctx, src, info, dir, func(pct float64) {
		if pct > 0 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("cancelling took %v", d)
	}
	if left := dirEntries(t, dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestPlanVideo(t *testing.T) {
	names := func(p *videoPlan) []string {
		var n []string
		for _, r := range p.rungs {
			n = append(n, r.name)
		}
		return n
	}
	for _, c := range []struct {
		v     VideoStream
		rungs []string
		top   [2]int
	}{
		{VideoStream{Width: 3840, Height: 2160, FPS: 30}, []string{"1080p", "720p", "480p", "360p", "240p"}, [2]int{1920, 1080}},
		{VideoStream{Width: 1280, Height: 720, FPS: 120}, []string{"720p", "480p", "360p", "240p"}, [2]int{1280, 720}},
		{VideoStream{Width: 1080, Height: 1920, FPS: 30}, []string{"1080p", "720p", "480p", "360p", "240p"}, [2]int{1080, 1920}},
		{VideoStream{Width: 720, Height: 576, FPS: 25, PixelAspect: 64.0 / 45}, []string{"480p", "360p", "240p"}, [2]int{854, 480}},
		{VideoStream{Width: 176, Height: 144, FPS: 15}, []string{"144p"}, [2]int{176, 144}},
		{VideoStream{Width: 175, Height: 99, FPS: 15}, []string{"100p"}, [2]int{176, 100}},
	} {
		p, err := planVideo(&Info{Duration: 10 * time.Second, Video: &c.v})
		if err != nil {
			t.Fatal(err)
		}
		if got := names(p); !slices.Equal(got, c.rungs) || p.rungs[0].w != c.top[0] || p.rungs[0].h != c.top[1] {
			t.Errorf("%+v: rungs %v, top %dx%d; want %v, %v", c.v, got, p.rungs[0].w, p.rungs[0].h, c.rungs, c.top)
		}
		if p.fps > maxFPS || p.thumbAt != 1 || p.thumbW > thumbnailBox || p.posterW > posterBox {
			t.Errorf("%+v: plan %+v", c.v, p)
		}
	}
}

package transcode

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Output is one file a pipeline wrote.
type Output struct {
	Name     string // video: "1080p" … "240p", "audio", "thumbnail", "poster"; episode: "mp3", "aac", "waveform"
	Path     string // file inside dir
	MimeType string // "video/mp4", "audio/mp4", "audio/mpeg", "image/jpeg", "application/json"
	Width    int
	Height   int
	FPS      int
	Bitrate  int64 // measured bits/s (size over duration), 0 for pictures and JSON
}

// rungSpec is one step of the ladder: rungs are named after the short side
// of the picture, so a portrait 1080×1920 video has a "1080p" rung too.
// maxRate caps the constant-quality encode (bits/s up to 30 fps; ×1.5 above).
type rungSpec struct {
	short   int
	maxRate int64
}

// ladder lists the rungs, largest first.
func ladder() []rungSpec {
	return []rungSpec{
		{1080, 4_500_000},
		{720, 2_500_000},
		{480, 1_200_000},
		{360, 800_000},
		{240, 450_000},
	}
}

const (
	videoCRF       = "23"
	maxFPS         = 60
	videoAudioRate = "128k"
	thumbnailBox   = 480  // the thumbnail fits in 480×480
	posterBox      = 1280 // the poster fits in 1280×1280
	jpegQuality    = "3"  // mjpeg qscale: 2 (best) … 31
)

// rung is one planned MP4 rendition.
type rung struct {
	name    string
	w, h    int
	maxRate int64
}

// videoPlan is everything both video pipelines need to know.
type videoPlan struct {
	rungs            []rung // largest first
	thumbW, thumbH   int
	posterW, posterH int
	thumbAt          float64 // seconds into the video
	fps              float64 // output frame rate, 0 if unknown
	prefilter        string  // filters applied to the decoded video before scaling, "" or ending in ","
	audio            bool
	audioRate        int // output sample rate
	gop              int
}

func even(f float64) int { return max(2, 2*int(math.Round(f/2))) }

// fit scales w×h (display size) into a box×box square, never enlarging.
func fit(w, h float64, box int) (int, int) {
	s := math.Min(1, float64(box)/math.Max(w, h))
	return even(w * s), even(h * s)
}

func planVideo(info *Info) (*videoPlan, error) {
	v := info.Video
	if v == nil || v.Width <= 0 || v.Height <= 0 {
		return nil, errors.New("transcode: the source has no video stream")
	}
	// Display size: pixel aspect applied (Width and Height are already turned).
	dw, dh := float64(v.Width), float64(v.Height)
	if pa := v.PixelAspect; pa > 0 && pa != 1 {
		if v.Rotation == 90 || v.Rotation == 270 {
			dh *= pa
		} else {
			dw *= pa
		}
	}
	p := &videoPlan{audio: info.Audio != nil}
	p.fps = v.FPS
	var pre []string
	if v.Interlaced {
		pre = append(pre, "bwdif=mode=send_frame:deint=interlaced")
	}
	if p.fps > maxFPS+0.5 {
		p.fps = maxFPS
		pre = append(pre, "fps="+strconv.Itoa(maxFPS))
	}
	if len(pre) > 0 {
		p.prefilter = strings.Join(pre, ",") + ","
	}
	if p.fps > 0 {
		p.gop = int(math.Round(2 * p.fps)) // a keyframe every 2 s, for seeking and later HLS
	}
	short := math.Min(dw, dh)
	scaleTo := func(s float64) (int, int) {
		if dw <= dh {
			return even(s), even(s * dh / dw)
		}
		return even(s * dw / dh), even(s)
	}
	rateFactor := 1.0
	if p.fps > 31 {
		rateFactor = 1.5
	}
	steps := ladder()
	for _, l := range steps {
		if float64(l.short) <= short {
			w, h := scaleTo(float64(l.short))
			p.rungs = append(p.rungs, rung{name: strconv.Itoa(l.short) + "p", w: w, h: h,
				maxRate: int64(float64(l.maxRate) * rateFactor)})
		}
	}
	if len(p.rungs) == 0 { // smaller than the smallest rung: keep its size
		w, h := scaleTo(short)
		s := min(w, h)
		p.rungs = []rung{{name: strconv.Itoa(s) + "p", w: w, h: h,
			maxRate: int64(float64(steps[len(steps)-1].maxRate) * rateFactor)}}
	}
	p.thumbW, p.thumbH = fit(dw, dh, thumbnailBox)
	p.posterW, p.posterH = fit(dw, dh, posterBox)
	if d := info.Duration.Seconds(); d >= 1 {
		p.thumbAt = math.Round(d*0.1*1000) / 1000
	}
	if a := info.Audio; a != nil {
		p.audioRate = 48000
		if a.SampleRate == 44100 {
			p.audioRate = 44100
		}
	}
	return p, nil
}

// scaleFilter scales to exactly w×h with square pixels, in the pixel format
// x264 (and every browser) wants.
func scaleFilter(w, h int) string {
	return fmt.Sprintf("scale=%d:%d,setsar=1,format=yuv420p", w, h)
}

// pictureFilter picks the frame thumbAt seconds in (or the first frame when
// the video is shorter): it passes the first frame and the first frame at
// or after thumbAt, and the image muxer keeps the last one it got.
func (p *videoPlan) pictureFilter() string {
	return fmt.Sprintf("setpts=PTS-STARTPTS,select='eq(n,0)+gte(t,%s)',trim=end_frame=2",
		strconv.FormatFloat(p.thumbAt, 'f', -1, 64))
}

func jpegFilter(w, h int) string {
	return fmt.Sprintf("scale=%d:%d,setsar=1,format=yuvj420p", w, h)
}

// x264Args are the encoder options of one rung (same in both pipelines).
// sel is the output stream specifier ("v", "v:2") the options apply to.
func (r *Runner) x264Args(ru rung, p *videoPlan, sel string) []string {
	a := []string{"-c:" + sel, "libx264", "-preset:" + sel, r.preset(), "-crf:" + sel, videoCRF,
		"-maxrate:" + sel, strconv.FormatInt(ru.maxRate, 10), "-bufsize:" + sel, strconv.FormatInt(2*ru.maxRate, 10),
		"-profile:" + sel, "high"}
	if p.gop > 0 {
		a = append(a, "-g:"+sel, strconv.Itoa(p.gop))
	}
	return a
}

// teeEscape protects a file name inside the tee muxer's list of outputs.
func teeEscape(path string) string {
	var b strings.Builder
	for _, c := range path {
		if strings.ContainsRune(`\'|[]:=`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func aacArgs(rate int) []string {
	return []string{"-c:a", "aac", "-aac_coder", aacCoder, "-b:a", videoAudioRate, "-ar", strconv.Itoa(rate), "-ac", "2"}
}

// mp4Args finish an MP4 output: index first, no metadata from the upload
// (which can hold GPS positions and device names).
func mp4Args(threads int) []string {
	return []string{"-threads", strconv.Itoa(threads), "-movflags", "+faststart",
		"-map_metadata", "-1", "-map_chapters", "-1", "-max_muxing_queue_size", "1024"}
}

func jpegArgs() []string {
	return []string{"-c:v", "mjpeg", "-q:v", jpegQuality, "-fps_mode", "passthrough", "-frames:v", "2", "-update", "1",
		"-map_metadata", "-1", "-f", "image2"}
}

// videoOutputs lists the files the plan writes into dir.
func videoOutputs(p *videoPlan, dir string) []Output {
	var outs []Output
	fps := int(math.Round(p.fps))
	for _, ru := range p.rungs {
		outs = append(outs, Output{Name: ru.name, Path: filepath.Join(dir, ru.name+".mp4"),
			MimeType: "video/mp4", Width: ru.w, Height: ru.h, FPS: fps})
	}
	if p.audio {
		outs = append(outs, Output{Name: "audio", Path: filepath.Join(dir, "audio.m4a"), MimeType: "audio/mp4"})
	}
	outs = append(outs,
		Output{Name: "thumbnail", Path: filepath.Join(dir, "thumbnail.jpg"), MimeType: "image/jpeg", Width: p.thumbW, Height: p.thumbH},
		Output{Name: "poster", Path: filepath.Join(dir, "poster.jpg"), MimeType: "image/jpeg", Width: p.posterW, Height: p.posterH})
	return outs
}

func outputPaths(outs []Output) []string {
	paths := make([]string, len(outs))
	for i, o := range outs {
		paths[i] = o.Path
	}
	return paths
}

// Video runs ONE ffmpeg process that decodes src once and writes into dir
// every rendition: the H.264/AAC MP4 ladder (1080p … 240p, capped at the
// source size), an AAC audio-only rendition when the source has sound, and
// a JPEG thumbnail and poster from a frame about 10% in.
//
// The decoded picture is split once; each rung is scaled from the next
// larger one (a cascade: 1080 → 720 → 480 …), which costs far less than
// scaling every rung from the full-size source. The audio is encoded once:
// the tee muxer writes the one AAC stream into every MP4 and the .m4a.
// Memory is about the sum of the rungs' encoders (≈ 380 MB for a 1080p
// ladder with 1 thread, ≈ 480 MB with 2).
//
// progress, if not nil, is called from another goroutine (never two calls
// at once, all before Video returns) with increasing values ending at 100.
// On failure the partial outputs are removed.
func (r *Runner) Video(ctx context.Context, src string, info *Info, dir string, progress func(pct float64)) ([]Output, error) {
	p, in, outs, err := prepareVideo(src, info, dir)
	if err != nil {
		return nil, err
	}
	t := r.threads()

	// Filter graph.
	var g []string
	n := len(p.rungs)
	g = append(g, fmt.Sprintf("[0:%d]%ssplit=2[pic][v0in]", info.Video.Index, p.prefilter))
	for i, ru := range p.rungs {
		chain := fmt.Sprintf("[v%din]%s", i, scaleFilter(ru.w, ru.h))
		if i < n-1 {
			chain += fmt.Sprintf(",split=2[v%d][v%din]", i, i+1)
		} else {
			chain += fmt.Sprintf("[v%d]", i)
		}
		g = append(g, chain)
	}
	g = append(g, fmt.Sprintf("[pic]%s,split=2[th0][po0]", p.pictureFilter()),
		fmt.Sprintf("[th0]%s[th]", jpegFilter(p.thumbW, p.thumbH)),
		fmt.Sprintf("[po0]%s[po]", jpegFilter(p.posterW, p.posterH)))
	if p.audio {
		g = append(g, fmt.Sprintf("[0:%d]aformat=sample_fmts=fltp:sample_rates=%d:channel_layouts=stereo[aud]",
			info.Audio.Index, p.audioRate))
	}

	// One output for every encoder, written by the tee muxer into the MP4
	// renditions and the .m4a: each MP4 takes its own video stream, and they
	// all share one AAC encode.
	args := []string{"-nostdin", "-hide_banner", "-v", "error", "-y", "-threads", strconv.Itoa(t)}
	args = append(args, in...)
	args = append(args, "-filter_complex_threads", strconv.Itoa(t), "-filter_complex", strings.Join(g, ";"))
	var slaves []string
	for i, ru := range p.rungs {
		args = append(args, "-map", fmt.Sprintf("[v%d]", i))
		args = append(args, r.x264Args(ru, p, "v:"+strconv.Itoa(i))...)
		sel := fmt.Sprintf(`v:%d`, i)
		if p.audio {
			sel += ",a"
		}
		slaves = append(slaves, fmt.Sprintf(`[f=mp4:movflags=+faststart:select=\'%s\']file:%s`, sel, teeEscape(outs[i].Path)))
	}
	k := n
	if p.audio {
		args = append(args, "-map", "[aud]")
		args = append(args, aacArgs(p.audioRate)...)
		slaves = append(slaves, fmt.Sprintf(`[f=ipod:movflags=+faststart:select=a]file:%s`, teeEscape(outs[k].Path)))
		k++
	}
	args = append(args, "-flags", "+global_header", "-threads", strconv.Itoa(t),
		"-map_metadata", "-1", "-map_chapters", "-1", "-max_muxing_queue_size", "1024",
		"-f", "tee", strings.Join(slaves, "|"))
	args = append(args, "-map", "[th]")
	args = append(args, jpegArgs()...)
	args = append(args, "file:"+outs[k].Path, "-map", "[po]")
	args = append(args, jpegArgs()...)
	args = append(args, "file:"+outs[k+1].Path, "-progress", "pipe:1", "-nostats")

	pr := newPercent(progress, info.Duration, 0, 100)
	start := time.Now()
	if _, err := r.run(ctx, r.ffmpeg(), args, runOpts{progress: pr.report}); err != nil {
		removeAll(r.logger(), outputPaths(outs))
		return nil, err
	}
	if err := finishOutputs(outs, info.Duration); err != nil {
		removeAll(r.logger(), outputPaths(outs))
		return nil, err
	}
	pr.finish()
	r.logger().Info("transcode: video ladder done", "src", src, "renditions", len(p.rungs), "took", time.Since(start))
	return outs, nil
}

// finishOutputs checks that every output exists and is not empty, and
// measures bitrates.
func finishOutputs(outs []Output, d time.Duration) error {
	for i := range outs {
		st, err := os.Stat(outs[i].Path)
		if err != nil {
			return fmt.Errorf("transcode: ffmpeg did not write %s: %w", outs[i].Name, err)
		}
		if st.Size() == 0 {
			return fmt.Errorf("transcode: ffmpeg wrote an empty %s", outs[i].Name)
		}
		switch outs[i].MimeType {
		case "image/jpeg", "application/json":
		default:
			if d > 0 {
				outs[i].Bitrate = int64(float64(st.Size()*8) / d.Seconds())
			}
		}
	}
	return nil
}

// VideoSequential writes the same files as Video the way PeerTube does: one
// ffmpeg process per rendition (each decoding the whole source and scaling
// from full size), one for the audio-only rendition and one for the
// pictures, run one after another. Only a baseline for benchmarks.
func (r *Runner) VideoSequential(ctx context.Context, src string, info *Info, dir string) ([]Output, error) {
	p, in, outs, err := prepareVideo(src, info, dir)
	if err != nil {
		return nil, err
	}
	t := r.threads()
	head := append([]string{"-nostdin", "-hide_banner", "-v", "error", "-y", "-threads", strconv.Itoa(t)}, in...)
	head = append(head, "-filter_complex_threads", strconv.Itoa(t))
	audioChain := ""
	if p.audio {
		audioChain = fmt.Sprintf(";[0:%d]aformat=sample_fmts=fltp:sample_rates=%d:channel_layouts=stereo[a]",
			info.Audio.Index, p.audioRate)
	}
	var cmds [][]string
	for i, ru := range p.rungs {
		args := append([]string(nil), head...)
		args = append(args, "-filter_complex",
			fmt.Sprintf("[0:%d]%s%s[v]%s", info.Video.Index, p.prefilter, scaleFilter(ru.w, ru.h), audioChain),
			"-map", "[v]")
		args = append(args, r.x264Args(ru, p, "v")...)
		if p.audio {
			args = append(args, "-map", "[a]")
			args = append(args, aacArgs(p.audioRate)...)
		}
		args = append(args, mp4Args(t)...)
		cmds = append(cmds, append(args, "file:"+outs[i].Path))
	}
	k := len(p.rungs)
	if p.audio {
		args := append([]string(nil), head...)
		args = append(args, "-filter_complex", audioChain[1:], "-map", "[a]")
		args = append(args, aacArgs(p.audioRate)...)
		args = append(args, mp4Args(t)...)
		cmds = append(cmds, append(args, "-f", "ipod", "file:"+outs[k].Path))
		k++
	}
	args := append([]string(nil), head...)
	args = append(args, "-filter_complex", fmt.Sprintf("[0:%d]%s%s,split=2[th0][po0];[th0]%s[th];[po0]%s[po]",
		info.Video.Index, p.prefilter, p.pictureFilter(), jpegFilter(p.thumbW, p.thumbH), jpegFilter(p.posterW, p.posterH)),
		"-map", "[th]")
	args = append(args, jpegArgs()...)
	args = append(args, "file:"+outs[k].Path, "-map", "[po]")
	args = append(args, jpegArgs()...)
	cmds = append(cmds, append(args, "file:"+outs[k+1].Path))

	for _, args := range cmds {
		if _, err := r.run(ctx, r.ffmpeg(), args, runOpts{}); err != nil {
			removeAll(r.logger(), outputPaths(outs))
			return nil, err
		}
	}
	if err := finishOutputs(outs, info.Duration); err != nil {
		removeAll(r.logger(), outputPaths(outs))
		return nil, err
	}
	return outs, nil
}

// prepareVideo plans the ladder, checks the input and lays out the outputs
// in dir, for both the one-pass and the sequential ladder.
func prepareVideo(src string, info *Info, dir string) (*videoPlan, []string, []Output, error) {
	p, err := planVideo(info)
	if err != nil {
		return nil, nil, nil, err
	}
	in, err := inputArgs(src)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("transcode: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, nil, fmt.Errorf("transcode: %w", err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, nil, nil, fmt.Errorf("transcode: %w", err)
	}
	return p, in, videoOutputs(p, dir), nil
}

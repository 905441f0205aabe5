package transcode

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Loudness targets of podcast renditions (EBU R128 for streaming / Apple
// Podcasts: −16 LUFS, true peak −1 dBTP).
const (
	targetI = -16.0
	// targetLRA is reported, not enforced: see Audio.
	targetLRA = 11.0
	// targetTP is the true peak allowed before encoding: 0.5 dB under the
	// −1 dBTP goal, because resampling and lossy encoding make peaks
	// overshoot a little.
	targetTP = -1.5
	// Below this integrated loudness the input is (nearly) silent and is
	// left alone instead of amplified into noise.
	silentI = -70.0
	// The limiter's ceiling, under targetTP for resampling and encoding.
	limitCeiling = targetTP - 0.5
	// Calibrating the gain through the limiter: at most limitPasses extra
	// measuring passes, stopping within limitTolerance LU of the target,
	// adding at most limitBoostMax dB to the plain gain.
	limitPasses    = 2
	limitTolerance = 0.3
	limitBoostMax  = 6.0
)

// lameCBRLoss makes up for LAME's constant-bitrate quantizer, which plays
// back about 0.45 dB quieter than its input at 64–128 kbit/s (measured with
// LAME 3.100 on tones and pink noise; 0.1 dB at 320k, none in VBR mode). Peaks
// drop by as much, so the true-peak margin is unchanged.
const lameCBRLoss = 0.45

// aacCoder is the native AAC encoder's quantizer search. The default
// (twoloop) overshoots peaks by 3–7 dB on tones and onsets (measured with
// ffmpeg 5.1), which would undo the true-peak limit; "fast" stays within a
// fraction of a dB, costs less CPU and sounds as good from 64 kbit/s mono.
const aacCoder = "fast"

// Waveform: 8 kHz mono 16-bit from ffmpeg, about one peak per 1/10 s, at
// most maxPeaks points.
const (
	waveRate      = 8000
	waveMinSPP    = waveRate / 10
	maxPeaks      = 2000
	waveVersion   = 1
	measureWeight = 10.0     // progress: the measuring pass is the first 10%
	summaryTail   = 16 << 10 // stderr kept from the measuring pass
	fineLimit     = 1 << 16  // even, so halving keeps buckets aligned
)

// Waveform is the JSON written to waveform.json.
type Waveform struct {
	Version        int       `json:"version"`
	SampleRate     int       `json:"sample_rate"`
	SamplesPerPeak int       `json:"samples_per_peak"`
	Duration       float64   `json:"duration"` // seconds
	Peaks          []float64 `json:"peaks"`    // max |sample| per bucket, 0..1
}

// loudness is the measuring pass's EBU R128 report.
type loudness struct {
	I, Thresh, LRA, TP float64 // LUFS, LUFS, LU, dBTP
}

// Audio writes an MP3 and an AAC (.m4a) rendition of src's audio normalized
// to −16 LUFS integrated, true peak −1 dBTP and LRA 11, plus waveform.json.
// Mono sources stay mono; anything else becomes stereo.
//
// Loudness is normalized in two passes, not with single-pass loudnorm, and
// loudnorm's dynamic mode is not used at all. Single-pass loudnorm only knows
// the last 3 s: it rides the gain (pumping speech) and misses the target on
// short or uneven programmes, and even seeded with two-pass measurements its
// dynamic fallback left an 8 s speech-like clip at −18.2 LUFS. Instead:
//
//  1. A measuring pass decodes the audio alone (no video, no encoding),
//     downmixed as the renditions will be, through ebur128 with true peak:
//     the same BS.1770 measurement as loudnorm print_format=json, but at the
//     source's own rate (five times faster than loudnorm's, which works at
//     192 kHz) and the meter the acceptance test reads.
//  2. When one constant gain brings the programme to −16 LUFS with its true
//     peak still under targetTP — always for a sine tone, usually for
//     mastered programmes — the encoding pass applies just that gain. This is
//     what loudnorm's linear mode does, exact to about 0.1 LU even on a few
//     seconds of audio.
//  3. Otherwise (raw speech often peaks 18–20 dB over its loudness; −16 LUFS
//     at −1.5 dBTP allows 14.5) the gain is followed by a lookahead limiter
//     running at 192 kHz, so that it catches true (inter-sample) peaks. The
//     limiter takes some loudness away, so up to two more measuring passes
//     calibrate the gain through the limiter before encoding.
//
// The loudness range is measured and logged but not compressed towards LRA
// 11: only loudnorm's dynamic mode does that, at the cost of the integrated
// target, and a constant gain keeps a programme's dynamics as its makers
// mixed them. Spoken programmes rarely exceed LRA 11.
//
// The encoding pass decodes the source once and writes both renditions and
// the waveform (raw 8 kHz samples on a pipe, fd 3, reduced to peaks here).
// progress works as for Video; the measuring passes count for the first 10%
// (20% when calibrating the limiter).
func (r *Runner) Audio(ctx context.Context, src string, info *Info, dir string, progress func(pct float64)) ([]Output, error) {
	a := info.Audio
	if a == nil {
		return nil, errors.New("transcode: the source has no audio stream")
	}
	in, err := inputArgs(src)
	if err != nil {
		return nil, fmt.Errorf("transcode: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("transcode: %w", err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("transcode: %w", err)
	}
	start := time.Now()
	progress = monotonic(progress)
	layout, mp3Rate, aacRate := "stereo", "128k", "128k"
	if a.Channels == 1 {
		layout, mp3Rate, aacRate = "mono", "64k", "64k"
	}
	// Every pass starts the same way, so measurements match the output.
	head := fmt.Sprintf("[0:%d]aformat=channel_layouts=%s,", a.Index, layout)

	norm, encodeFrom, err := r.normalization(ctx, in, head, info.Duration, progress)
	if err != nil {
		return nil, err
	}

	// The encoding pass.
	outs := []Output{
		{Name: "mp3", Path: filepath.Join(dir, "audio.mp3"), MimeType: "audio/mpeg"},
		{Name: "aac", Path: filepath.Join(dir, "audio.m4a"), MimeType: "audio/mp4"},
		{Name: "waveform", Path: filepath.Join(dir, "waveform.json"), MimeType: "application/json"},
	}
	graph := fmt.Sprintf("%s%saformat=sample_fmts=fltp:sample_rates=44100:channel_layouts=%s,asplit=3[mp3in][aac][w0];"+
		"[mp3in]volume=%gdB[mp3];[w0]aresample=%d,aformat=sample_fmts=s16:channel_layouts=mono[w]",
		head, norm, layout, lameCBRLoss, waveRate)
	args := append([]string{"-nostdin", "-hide_banner", "-v", "error", "-y", "-threads", strconv.Itoa(r.threads())}, in...)
	args = append(args, "-filter_complex", graph,
		"-map", "[mp3]", "-c:a", "libmp3lame", "-b:a", mp3Rate, "-id3v2_version", "3",
		"-map_metadata", "-1", "-map_chapters", "-1",
		"file:"+outs[0].Path,
		"-map", "[aac]", "-c:a", "aac", "-aac_coder", aacCoder, "-b:a", aacRate, "-movflags", "+faststart",
		"-map_metadata", "-1", "-map_chapters", "-1", "-f", "ipod", "file:"+outs[1].Path,
		"-map", "[w]", "-c:a", "pcm_s16le", "-f", "s16le", "pipe:3",
		"-progress", "pipe:1", "-nostats")

	spp := waveMinSPP
	if d := info.Duration.Seconds(); d > 0 {
		spp = max(spp, int(math.Ceil(d*waveRate/maxPeaks)))
	}
	pipeR, pipeW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("transcode: %w", err)
	}
	type waveResult struct {
		w   *Waveform
		err error
	}
	waveDone := make(chan waveResult, 1)
	go func() {
		w, err := readPeaks(pipeR, spp)
		_, _ = io.Copy(io.Discard, pipeR) // never block ffmpeg
		_ = pipeR.Close()
		waveDone <- waveResult{w, err}
	}()
	pr := newPercent(progress, info.Duration, encodeFrom, 100)
	_, err = r.run(ctx, r.ffmpeg(), args, runOpts{progress: pr.report, extraFiles: []*os.File{pipeW}})
	_ = pipeW.Close() // the child has its copy; EOF comes when it exits
	wave := <-waveDone
	if err == nil {
		err = wave.err
	}
	if err == nil {
		err = writeJSON(outs[2].Path, wave.w)
	}
	if err == nil {
		err = finishOutputs(outs, info.Duration)
	}
	if err != nil {
		removeAll(r.logger(), outputPaths(outs))
		return nil, err
	}
	pr.finish()
	r.logger().Info("transcode: episode done", "src", src, "took", time.Since(start), "normalization", norm)
	return outs, nil
}

// parseEBUR128 reads the summary ebur128 logs when its input ends.
func parseEBUR128(stderr string) (loudness, error) {
	var m loudness
	i := strings.LastIndex(stderr, "Summary:")
	if i < 0 {
		return m, fmt.Errorf("transcode: no loudness summary in ffmpeg's output (last line: %q)", lastLine(stderr))
	}
	sum := stderr[i:]
	// The summary lists "Threshold" twice: integrated first, then LRA's.
	for _, f := range []struct {
		re  string
		dst *float64
	}{
		{`I:\s+(\S+) LUFS`, &m.I},
		{`I:\s+\S+ LUFS\s+Threshold:\s+(\S+) LUFS`, &m.Thresh},
		{`LRA:\s+(\S+) LU`, &m.LRA},
		{`Peak:\s+(\S+) dBFS`, &m.TP},
	} {
		sub := regexp.MustCompile(f.re).FindStringSubmatch(sum)
		if sub == nil {
			return m, fmt.Errorf("transcode: loudness summary without %s: %q", f.re, sum)
		}
		v, err := strconv.ParseFloat(sub[1], 64) // "-inf" parses as -Inf
		if err != nil {
			return m, fmt.Errorf("transcode: loudness summary: %w", err)
		}
		*f.dst = v
	}
	return m, nil
}

// normalization measures the programme and returns the filters (ending
// with a comma, or "" to leave it alone) that bring it to the targets, and
// where the encoding pass's progress starts.
func (r *Runner) normalization(ctx context.Context, in []string, head string, d time.Duration, progress func(float64)) (string, float64, error) {
	m, err := r.measure(ctx, in, head, newPercent(progress, d, 0, measureWeight))
	if err != nil {
		return "", 0, err
	}
	r.logger().Debug("transcode: loudness", "integrated", m.I, "true_peak", m.TP, "range", m.LRA, "range_target", targetLRA)
	if silent(m) {
		return "", measureWeight, nil // nothing to bring up
	}
	gain := targetI - m.I
	if m.TP+gain <= targetTP {
		return gainFilter(gain), measureWeight, nil
	}
	// Calibrate the gain through the limiter. The first step assumes that
	// loudness follows gain one for one; the next uses the slope between the
	// two measured points (a secant step). The gain is bounded so that a
	// programme made of peaks is not amplified without end.
	maxGain, slope := gain+limitBoostMax, 1.0
	var prevGain, prevI float64
	for pass := 0; pass < limitPasses; pass++ {
		lo := measureWeight + measureWeight*float64(pass)/limitPasses
		lm, err := r.measure(ctx, in, head+limitFilter(gain), newPercent(progress, d, lo, lo+measureWeight/limitPasses))
		if err != nil {
			return "", 0, err
		}
		r.logger().Debug("transcode: limiter calibration", "gain", gain, "loudness", lm.I, "true_peak", lm.TP)
		miss := targetI - lm.I
		if math.Abs(miss) <= limitTolerance || silent(lm) {
			break
		}
		if pass > 0 && gain != prevGain {
			slope = math.Max(0.2, math.Min(1, (lm.I-prevI)/(gain-prevGain)))
		}
		prevGain, prevI = gain, lm.I
		gain = math.Min(maxGain, gain+miss/slope)
	}
	return limitFilter(gain), 2 * measureWeight, nil
}

func silent(m loudness) bool {
	return math.IsNaN(m.I) || m.I <= silentI || math.IsInf(m.TP, -1)
}

func gainFilter(db float64) string { return fmt.Sprintf("volume=%.2fdB,", db) }

// limitFilter applies a gain then limits peaks at limitCeiling, at 192 kHz so
// that peaks between the source's samples are caught too.
func limitFilter(db float64) string {
	return fmt.Sprintf("%saresample=192000,alimiter=limit=%.4f:attack=2:release=50:level=false:latency=true,",
		gainFilter(db), math.Pow(10, limitCeiling/20))
}

// measure runs a measuring pass: graph (ending with a comma) then ebur128.
// Its per-frame log goes to the verbose level, so stderr ends with the
// summary.
func (r *Runner) measure(ctx context.Context, in []string, graph string, pr *percent) (loudness, error) {
	args := append([]string{"-nostdin", "-hide_banner", "-nostats", "-v", "info", "-threads", strconv.Itoa(r.threads())}, in...)
	args = append(args, "-filter_complex", graph+"ebur128=peak=true:framelog=verbose[m]",
		"-map", "[m]", "-f", "null", "-progress", "pipe:1", "-")
	stderr, err := r.run(ctx, r.ffmpeg(), args, runOpts{progress: pr.report, tailSize: summaryTail})
	if err != nil {
		var fe *FFmpegError
		if errors.As(err, &fe) {
			fe.StderrTail = tailOf(fe.StderrTail)
		}
		return loudness{}, err
	}
	return parseEBUR128(stderr)
}

func tailOf(s string) string {
	if len(s) > stderrTailSize {
		return s[len(s)-stderrTailSize:]
	}
	return s
}

// readPeaks reads 16-bit little-endian mono samples and keeps the largest
// magnitude of every spp samples, then halves the resolution until there are
// at most maxPeaks points.
func readPeaks(rd io.Reader, spp int) (*Waveform, error) {
	br := bufio.NewReaderSize(rd, 64<<10)
	var (
		peaks   []float64
		cur     int
		inCur   int
		samples int64
		buf     [2]byte
	)
	for {
		if _, err := io.ReadFull(br, buf[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			return nil, fmt.Errorf("transcode: waveform: %w", err)
		}
		v := int(int16(binary.LittleEndian.Uint16(buf[:])))
		if v < 0 {
			v = -v
		}
		cur = max(cur, v)
		samples++
		if inCur++; inCur == spp {
			peaks = append(peaks, float64(cur)/32768)
			cur, inCur = 0, 0
			if len(peaks) == fineLimit { // far longer than announced: bound memory
				peaks, spp = halve(peaks), spp*2
			}
		}
	}
	if inCur > 0 {
		peaks = append(peaks, float64(cur)/32768)
	}
	for len(peaks) > maxPeaks {
		peaks, spp = halve(peaks), spp*2
	}
	for i, p := range peaks {
		peaks[i] = math.Round(p*1000) / 1000
	}
	if peaks == nil {
		peaks = []float64{}
	}
	return &Waveform{Version: waveVersion, SampleRate: waveRate, SamplesPerPeak: spp,
		Duration: math.Round(float64(samples)/waveRate*1000) / 1000, Peaks: peaks}, nil
}

// halve merges neighbouring peaks.
func halve(p []float64) []float64 {
	out := p[:0]
	for i := 0; i < len(p); i += 2 {
		v := p[i]
		if i+1 < len(p) {
			v = math.Max(v, p[i+1])
		}
		out = append(out, v)
	}
	return out
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("transcode: %w", err)
	}
	if err := os.WriteFile(path, b, 0o640); err != nil {
		return fmt.Errorf("transcode: %w", err)
	}
	return nil
}

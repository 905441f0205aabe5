package transcode

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Kind is what a channel publishes.
type Kind string

const (
	Video Kind = "video"
	Audio Kind = "audio"
)

// Limits bound what an upload may be.
type Limits struct {
	MaxBytes    int64         // 0 = no limit
	MaxDuration time.Duration // 0 = no limit
	MaxPixels   int64         // width*height of the video stream; 0 = no limit
}

// Info describes a checked upload.
type Info struct {
	FormatName string // ffprobe format_name
	Duration   time.Duration
	Size       int64
	Bitrate    int64
	Video      *VideoStream // nil if none (cover art is not a video stream)
	Audio      *AudioStream // nil if none
}

// VideoStream is the upload's video stream. Width and Height are as shown:
// swapped when the file says to rotate by 90°.
type VideoStream struct {
	Codec         string
	Width, Height int
	FPS           float64
	Index         int     // ffprobe stream index
	Rotation      int     // degrees clockwise the player turns the picture: 0, 90, 180 or 270
	PixelAspect   float64 // sample aspect ratio, 1 for square pixels
	Interlaced    bool
}

// AudioStream is the upload's audio stream.
type AudioStream struct {
	Codec                string
	Channels, SampleRate int
	Index                int // ffprobe stream index
}

// RejectError refuses an upload. Message is a sentence for the uploader
// naming what is wrong and, for limits, the limit.
type RejectError struct {
	Reason  string // one of the Reason* constants
	Message string
}

func (e *RejectError) Error() string { return "upload refused (" + e.Reason + "): " + e.Message }

// Reasons of a RejectError.
const (
	ReasonEmpty         = "empty"
	ReasonNotMedia      = "not-media"
	ReasonTruncated     = "truncated"
	ReasonTooLarge      = "too-large"
	ReasonTooLong       = "too-long"
	ReasonTooManyPixels = "too-many-pixels"
	ReasonNoVideo       = "no-video"
	ReasonNoAudio       = "no-audio"
)

func reject(reason, format string, args ...any) error {
	return &RejectError{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

const (
	probeTimeout = 30 * time.Second
	// scanTimeout bounds the demux-only read of the whole file: a fixed part
	// plus one second per 20 MB (a slow disk).
	scanTimeout     = 60 * time.Second
	scanBytesPerSec = 20 << 20
)

// Check stats the file, ffprobes it and validates it for kind against
// limits. Any refusal is a *RejectError; other errors mean the check itself
// could not run.
//
// Besides ffprobe, Check reads the whole file once without decoding it (an
// ffmpeg stream copy to the null muxer, at disk speed) to find truncated
// files: the demuxer's "partial file" / "ended prematurely" errors, and data
// that stops well before the duration the container declares.
func (r *Runner) Check(ctx context.Context, path string, kind Kind, lim Limits) (*Info, error) {
	if kind != Video && kind != Audio {
		return nil, fmt.Errorf("transcode: unknown kind %q", kind)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("transcode: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("transcode: %s is not a regular file", path)
	}
	size := st.Size()
	if size == 0 {
		return nil, reject(ReasonEmpty, "The file is empty.")
	}
	if lim.MaxBytes > 0 && size > lim.MaxBytes {
		a, b := formatPair(float64(size), float64(lim.MaxBytes), 1, formatBytes)
		return nil, reject(ReasonTooLarge, "The file is %s; the limit is %s.", a, b)
	}
	mp4, err := inspectMP4(path, size)
	if err != nil {
		return nil, fmt.Errorf("transcode: %w", err)
	}

	info, err := r.probe(ctx, path, mp4)
	if err != nil {
		return nil, err
	}
	info.Size = size
	if info.Video == nil && info.Audio == nil {
		return nil, reject(ReasonNotMedia, "The file has no video or audio in it.")
	}
	if mp4.truncated {
		return nil, rejectTruncated()
	}
	switch {
	case kind == Video && info.Video == nil:
		return nil, reject(ReasonNoVideo, "The file has no video track; this channel publishes videos.")
	case kind == Audio && info.Audio == nil:
		return nil, reject(ReasonNoAudio, "The file has no audio track; podcast episodes need sound.")
	}
	if err := checkDuration(info.Duration, lim); err != nil {
		return nil, err
	}
	if kind == Video && lim.MaxPixels > 0 {
		v := info.Video
		if px := int64(v.Width) * int64(v.Height); px > lim.MaxPixels {
			a, b := formatPair(float64(px)/1e6, float64(lim.MaxPixels)/1e6, 1, formatNumber)
			return nil, reject(ReasonTooManyPixels, "The video is %d×%d (%s megapixels); the limit is %s megapixels.",
				v.Width, v.Height, a, b)
		}
	}

	measured, err := r.scan(ctx, path, size, info)
	if err != nil {
		return nil, err
	}
	if measured > 0 {
		reliable := declaredDurationIsReliable(info.FormatName) || (info.FormatName == "mp3" && mp3DeclaresLength(path))
		if reliable && info.Duration > 0 {
			tolerance := max(time.Second, info.Duration/20)
			if measured < info.Duration-tolerance {
				r.logger().Info("transcode: data ends before the declared duration",
					"path", path, "declared", info.Duration, "data", measured)
				return nil, rejectTruncated()
			}
		} else {
			// Estimated durations (MP3 without a Xing header, MPEG-TS, ...)
			// can be far off; the data tells the truth.
			info.Duration = measured
			if err := checkDuration(info.Duration, lim); err != nil {
				return nil, err
			}
		}
	}
	if info.Bitrate == 0 && info.Duration > 0 {
		info.Bitrate = int64(float64(size*8) / info.Duration.Seconds())
	}
	return info, nil
}

func rejectTruncated() error {
	return reject(ReasonTruncated, "The file is incomplete: it ends before its own index or duration says it should. Please upload the whole file again.")
}

func checkDuration(d time.Duration, lim Limits) error {
	if lim.MaxDuration > 0 && d > lim.MaxDuration {
		a, b := formatPair(d.Seconds(), lim.MaxDuration.Seconds(), 0, formatSeconds)
		return reject(ReasonTooLong, "The recording lasts %s; the limit is %s.", a, b)
	}
	return nil
}

// declaredDurationIsReliable reports whether the container states its
// duration in an index or header (so data ending much earlier means the file
// was cut), as opposed to ffmpeg estimating it from the bitrate.
func declaredDurationIsReliable(format string) bool {
	for _, f := range strings.Split(format, ",") {
		switch f {
		case "mov", "matroska", "webm", "flac", "wav", "w64", "avi", "asf", "aiff", "caf", "mxf":
			return true
		}
	}
	return false
}

// mp3DeclaresLength reports whether an MP3 file states its frame count (a
// Xing, Info or VBRI header in its first frame), from which ffmpeg takes an
// exact duration instead of estimating one from the bitrate.
func mp3DeclaresLength(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var off int64
	var id3 [10]byte
	if _, err := f.ReadAt(id3[:], 0); err == nil && string(id3[:3]) == "ID3" {
		off = 10 + (int64(id3[6]&0x7f)<<21 | int64(id3[7]&0x7f)<<14 | int64(id3[8]&0x7f)<<7 | int64(id3[9]&0x7f))
		if id3[5]&0x10 != 0 {
			off += 10 // footer
		}
	}
	buf := make([]byte, 8<<10)
	n, _ := f.ReadAt(buf, off)
	buf = buf[:n]
	for i := 0; i+4 < len(buf); i++ {
		if buf[i] == 0xff && buf[i+1]&0xe0 == 0xe0 { // first frame's sync word
			frame := buf[i:min(len(buf), i+200)]
			return bytes.Contains(frame, []byte("Xing")) || bytes.Contains(frame, []byte("Info")) ||
				bytes.Contains(frame, []byte("VBRI"))
		}
	}
	return false
}

// ffprobe's JSON, the parts Check reads.
type probeOutput struct {
	Streams []struct {
		Index             int               `json:"index"`
		CodecName         string            `json:"codec_name"`
		CodecType         string            `json:"codec_type"`
		Width             int               `json:"width"`
		Height            int               `json:"height"`
		SampleAspectRatio string            `json:"sample_aspect_ratio"`
		FieldOrder        string            `json:"field_order"`
		AvgFrameRate      string            `json:"avg_frame_rate"`
		RFrameRate        string            `json:"r_frame_rate"`
		SampleRate        string            `json:"sample_rate"`
		Channels          int               `json:"channels"`
		Duration          string            `json:"duration"`
		Disposition       map[string]int    `json:"disposition"`
		Tags              map[string]string `json:"tags"`
		SideDataList      []struct {
			Rotation *float64 `json:"rotation"`
		} `json:"side_data_list"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
		BitRate    string `json:"bit_rate"`
	} `json:"format"`
}

func (r *Runner) probe(ctx context.Context, path string, mp4 mp4Layout) (*Info, error) {
	in, err := fileArg(path)
	if err != nil {
		return nil, fmt.Errorf("transcode: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var out bytes.Buffer
	args := []string{"-v", "error", "-hide_banner",
		"-protocol_whitelist", "file", "-format_whitelist", inputFormats,
		"-print_format", "json", "-show_format", "-show_streams", in}
	stderr, err := r.run(pctx, r.ffprobe(), args, runOpts{stdout: &out})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		var fe *FFmpegError
		if !errors.As(err, &fe) && pctx.Err() == nil {
			return nil, err // ffprobe could not start
		}
		r.logger().Info("transcode: ffprobe refused the file", "path", path, "err", err)
		if pctx.Err() != nil {
			return nil, reject(ReasonNotMedia, "The file could not be read as video or audio in %s.", formatSeconds(probeTimeout.Seconds(), 0))
		}
		if strings.Contains(stderr, "moov atom not found") && mp4.isMP4 {
			return nil, rejectTruncated()
		}
		return nil, reject(ReasonNotMedia, "The file is not a video or audio file we can read.")
	}
	var po probeOutput
	if err := json.Unmarshal(out.Bytes(), &po); err != nil {
		return nil, fmt.Errorf("transcode: ffprobe output: %w", err)
	}
	info := &Info{
		FormatName: po.Format.FormatName,
		Duration:   parseSeconds(po.Format.Duration),
	}
	info.Bitrate, _ = strconv.ParseInt(po.Format.BitRate, 10, 64)
	var longest time.Duration
	for _, s := range po.Streams {
		longest = max(longest, parseSeconds(s.Duration))
		switch s.CodecType {
		case "video":
			if info.Video != nil || s.Disposition["attached_pic"] == 1 || s.Width <= 0 || s.Height <= 0 {
				continue
			}
			v := &VideoStream{Codec: s.CodecName, Width: s.Width, Height: s.Height, Index: s.Index, PixelAspect: 1}
			if v.FPS = parseRatio(s.AvgFrameRate); v.FPS <= 0 || v.FPS > 1000 {
				if v.FPS = parseRatio(s.RFrameRate); v.FPS > 1000 {
					v.FPS = 0
				}
			}
			if sar := parseRatio(s.SampleAspectRatio); sar > 0.1 && sar < 10 {
				v.PixelAspect = sar
			}
			switch s.FieldOrder {
			case "tt", "bb", "tb", "bt":
				v.Interlaced = true
			}
			rot := 0.0
			if t, ok := s.Tags["rotate"]; ok {
				rot, _ = strconv.ParseFloat(t, 64)
			}
			for _, sd := range s.SideDataList {
				if sd.Rotation != nil {
					// The display matrix turns counterclockwise.
					rot = -*sd.Rotation
				}
			}
			v.Rotation = ((int(math.Round(rot/90))*90)%360 + 360) % 360
			if v.Rotation == 90 || v.Rotation == 270 {
				v.Width, v.Height = v.Height, v.Width
			}
			info.Video = v
		case "audio":
			if info.Audio != nil || s.Channels <= 0 {
				continue
			}
			sr, _ := strconv.Atoi(s.SampleRate)
			info.Audio = &AudioStream{Codec: s.CodecName, Channels: s.Channels, SampleRate: sr, Index: s.Index}
		}
	}
	if info.Duration <= 0 {
		info.Duration = longest
	}
	return info, nil
}

// scan reads every packet of the streams Archipel uses without decoding them
// and returns how far the data goes. A demuxer error that means the file was
// cut is a RejectError.
func (r *Runner) scan(ctx context.Context, path string, size int64, info *Info) (time.Duration, error) {
	in, err := inputArgs(path)
	if err != nil {
		return 0, fmt.Errorf("transcode: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, scanTimeout+time.Duration(size/scanBytesPerSec)*time.Second)
	defer cancel()
	args := append([]string{"-nostdin", "-hide_banner", "-v", "error"}, in...)
	if info.Video != nil {
		args = append(args, "-map", "0:"+strconv.Itoa(info.Video.Index))
	}
	if info.Audio != nil {
		args = append(args, "-map", "0:"+strconv.Itoa(info.Audio.Index))
	}
	args = append(args, "-c", "copy", "-f", "null", "-progress", "pipe:1", "-nostats", "-")
	var last time.Duration
	stderr, err := r.run(sctx, r.ffmpeg(), args, runOpts{progress: func(out time.Duration, end bool) {
		if !end {
			last = out
		}
	}})
	if err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		var fe *FFmpegError
		if errors.As(err, &fe) || sctx.Err() != nil {
			r.logger().Info("transcode: reading the file failed", "path", path, "err", err)
			if sctx.Err() != nil {
				return 0, reject(ReasonNotMedia, "The file could not be read as video or audio in time.")
			}
			if cutMarker(stderr) {
				return 0, rejectTruncated()
			}
			return 0, reject(ReasonNotMedia, "The file is not a video or audio file we can read.")
		}
		return 0, err
	}
	if cutMarker(stderr) {
		r.logger().Info("transcode: file is cut", "path", path, "stderr", lastLine(stderr))
		return 0, rejectTruncated()
	}
	return last, nil
}

// cutMarker reports whether ffmpeg's errors say that the file ends early.
func cutMarker(stderr string) bool {
	s := strings.ToLower(stderr)
	for _, m := range []string{"partial file", "ended prematurely", "truncat", "moov atom not found"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// mp4Layout is what the top-level boxes of an ISO BMFF (MP4/MOV) file say.
type mp4Layout struct {
	isMP4     bool // starts like an MP4: ftyp, or a known top-level box
	truncated bool // a box claims to extend past the end of the file
}

// inspectMP4 walks the top-level boxes of the file, when it looks like an
// MP4, without reading their contents.
func inspectMP4(path string, size int64) (mp4Layout, error) {
	var l mp4Layout
	f, err := os.Open(path)
	if err != nil {
		return l, err
	}
	defer f.Close()
	var hdr [16]byte
	for off, first := int64(0), true; off < size; first = false {
		n, err := f.ReadAt(hdr[:], off)
		if n < 8 {
			if err != nil && !errors.Is(err, io.EOF) {
				return l, err
			}
			if l.isMP4 {
				l.truncated = true // a box header cut in the middle
			}
			return l, nil
		}
		boxSize := int64(binary.BigEndian.Uint32(hdr[:4]))
		typ := string(hdr[4:8])
		if first {
			switch typ {
			case "ftyp", "moov", "mdat", "free", "skip", "wide", "pnot":
				l.isMP4 = true
			default:
				return l, nil
			}
		}
		switch boxSize {
		case 0: // extends to the end of the file
			return l, nil
		case 1: // 64-bit size follows
			if n < 16 {
				l.truncated = true
				return l, nil
			}
			boxSize = int64(binary.BigEndian.Uint64(hdr[8:16]))
		}
		if boxSize < 8 || boxSize > math.MaxInt64-off {
			return l, nil // not a box we understand; leave it to ffprobe
		}
		if off+boxSize > size {
			l.truncated = true
			return l, nil
		}
		off += boxSize
	}
	return l, nil
}

func parseSeconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f <= 0 || f > 1e7 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

func parseRatio(s string) float64 {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		a, b, ok = strings.Cut(s, ":")
	}
	if !ok {
		b = "1"
	}
	n, err1 := strconv.ParseFloat(a, 64)
	d, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil || d == 0 || math.IsNaN(n/d) || math.IsInf(n/d, 0) {
		return 0
	}
	return n / d
}

// formatPair formats a value and its limit with the fewest decimals (from
// minDec up to three) that make them differ, so that "the file is 2 GB; the
// limit is 2 GB" never happens.
func formatPair(v, limit float64, minDec int, format func(float64, int) string) (string, string) {
	for dec := minDec; dec < 3; dec++ {
		if a, b := format(v, dec), format(limit, dec); a != b {
			return a, b
		}
	}
	return format(v, 3), format(limit, 3)
}

// formatNumber prints f with dec decimals and no trailing zeros.
func formatNumber(f float64, dec int) string {
	s := strconv.FormatFloat(f, 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// formatBytes prints a size in decimal units: "3.2 GB".
func formatBytes(b float64, dec int) string {
	units := []string{"bytes", "kB", "MB", "GB", "TB"}
	i := 0
	for b >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	if i == 0 {
		return formatNumber(b, 0) + " bytes"
	}
	return formatNumber(b, dec) + " " + units[i]
}

// formatSeconds prints a duration for people: "2 h 5 min", "12 min 30 s",
// "45 s"; dec > 0 adds seconds (with decimals) where they were left out.
func formatSeconds(sec float64, dec int) string {
	if sec < 60 {
		return formatNumber(sec, dec) + " s"
	}
	total := int64(sec)
	h, m, s := total/3600, total%3600/60, sec-float64(total/60*60)
	var parts []string
	if h > 0 {
		parts = append(parts, strconv.FormatInt(h, 10)+" h")
	}
	if m > 0 {
		parts = append(parts, strconv.FormatInt(m, 10)+" min")
	}
	if (h == 0 || dec > 0) && s >= 0.0005 {
		if formatNumber(s, max(dec-1, 0)) != "0" {
			parts = append(parts, formatNumber(s, max(dec-1, 0))+" s")
		}
	}
	return strings.Join(parts, " ")
}

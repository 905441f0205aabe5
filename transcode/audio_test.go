package transcode

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkEpisode asserts what Audio wrote for a source of channels channels.
func checkEpisode(t *testing.T, outs []Output, dir string, srcDur time.Duration, channels int) {
	t.Helper()
	byName := outputsByName(t, outs)
	if len(outs) != 3 {
		t.Fatalf("outputs %+v, want mp3, aac and waveform", outs)
	}
	for name, want := range map[string]struct{ codec, mime, ext string }{
		"mp3": {"mp3", "audio/mpeg", ".mp3"},
		"aac": {"aac", "audio/mp4", ".m4a"},
	} {
		o, ok := byName[name]
		if !ok {
			t.Errorf("no %s output", name)
			continue
		}
		if o.MimeType != want.mime || filepath.Ext(o.Path) != want.ext || filepath.Dir(o.Path) != dir || o.Bitrate <= 0 {
			t.Errorf("%s: %+v", name, o)
		}
		p := probeFile(t, o.Path)
		if len(p.Streams) != 1 || p.Streams[0].CodecName != want.codec || p.Streams[0].Channels != channels {
			t.Errorf("%s: streams %+v, want one %s stream with %d channels", name, p.Streams, want.codec, channels)
		}
		// MP3 encoder delay and AAC priming add a few tens of ms at most.
		if d := p.duration(t); !within(d, srcDur, 200*time.Millisecond) {
			t.Errorf("%s lasts %v, source %v", name, d, srcDur)
		}
		i, tp := measureLoudness(t, o.Path)
		t.Logf("%s: integrated %.1f LUFS, true peak %.1f dBTP", name, i, tp)
		if math.Abs(i-targetI) > 1 {
			t.Errorf("%s: integrated loudness %.1f LUFS, want %.0f ± 1", name, i, targetI)
		}
		if tp > -0.5 {
			t.Errorf("%s: true peak %.1f dBTP, want ≤ -1 (+0.5)", name, tp)
		}
		if name == "aac" {
			assertFaststart(t, o.Path)
		}
	}
	w, ok := byName["waveform"]
	if !ok {
		t.Fatal("no waveform")
	}
	if w.MimeType != "application/json" || filepath.Ext(w.Path) != ".json" {
		t.Errorf("waveform %+v", w)
	}
	b, err := os.ReadFile(w.Path)
	if err != nil {
		t.Fatal(err)
	}
	var wf Waveform
	if err := json.Unmarshal(b, &wf); err != nil {
		t.Fatalf("waveform.json: %v\n%s", err, b)
	}
	secs := srcDur.Seconds()
	if wf.Version != 1 || wf.SampleRate != waveRate || wf.SamplesPerPeak < waveMinSPP ||
		math.Abs(wf.Duration-secs) > 0.2 || len(wf.Peaks) > maxPeaks {
		t.Errorf("waveform header %+v (%d peaks), source %.2f s", wf, len(wf.Peaks), secs)
	}
	want := secs * waveRate / float64(wf.SamplesPerPeak)
	if n := float64(len(wf.Peaks)); n < want-2 || n > want+2 {
		t.Errorf("%d peaks, want about %.0f", len(wf.Peaks), want)
	}
	var loud int
	for _, p := range wf.Peaks {
		if p < 0 || p > 1 {
			t.Fatalf("peak %v out of 0..1", p)
		}
		if p > 0.05 {
			loud++
		}
	}
	if loud < len(wf.Peaks)/2 {
		t.Errorf("a steady tone gave mostly silent peaks: %v", wf.Peaks)
	}
}

// A mono FLAC tone stays mono and is brought up to −16 LUFS.
func TestAudioMonoFLAC(t *testing.T) {
	needFFmpeg(t)
	tmp := t.TempDir()
	src := gen(t, filepath.Join(tmp, "voice.flac"), "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=44100:duration=4", "-ac", "1")
	r := testRunner(t)
	ctx := checkCtx(t)
	info, err := r.Check(ctx, src, Audio, Limits{MaxDuration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if info.Audio == nil || info.Audio.Codec != "flac" || info.Audio.Channels != 1 || info.Video != nil {
		t.Fatalf("info %+v audio %+v", info, info.Audio)
	}
	dir := filepath.Join(tmp, "out")
	var prog progressLog
	outs, err := r.Audio(ctx, src, info, dir, prog.report)
	if err != nil {
		t.Fatal(err)
	}
	checkEpisode(t, outs, dir, info.Duration, 1)
	prog.check(t)
}

// A short, loud stereo Opus file in Ogg is brought down to −16 LUFS, and
// stays stereo.
func TestAudioStereoOpusShortAndLoud(t *testing.T) {
	needFFmpeg(t)
	tmp := t.TempDir()
	src := gen(t, filepath.Join(tmp, "loud.ogg"), "-f", "lavfi", "-i",
		"sine=frequency=220:sample_rate=48000:duration=2.5,volume=15dB", "-ac", "2", "-c:a", "libopus", "-b:a", "96k")
	r := testRunner(t)
	ctx := checkCtx(t)
	info, err := r.Check(ctx, src, Audio, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Audio.Codec != "opus" || info.Audio.Channels != 2 {
		t.Fatalf("audio %+v", info.Audio)
	}
	dir := filepath.Join(tmp, "out")
	outs, err := r.Audio(ctx, src, info, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkEpisode(t, outs, dir, info.Duration, 2)
}

// Speech-like material (syllables and pauses with plosive peaks) too peaky
// for a plain gain: the loudnorm path, from the soundtrack of a video.
func TestAudioPeakySpeechFromVideo(t *testing.T) {
	needFFmpeg(t)
	tmp := t.TempDir()
	speech := "aevalsrc='0.1*(sin(2*PI*180*t)+0.5*sin(2*PI*360*t)+0.3*sin(2*PI*720*t)+0.2*sin(2*PI*1500*t))" +
		"*pow(max(0,sin(2*PI*3*t)),2)*gt(mod(t,4),0.6)+0.7*lt(mod(t,1.7),0.006)*sin(2*PI*200*t)':s=48000:d=8"
	src := gen(t, filepath.Join(tmp, "talk.mp4"),
		"-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=8", "-f", "lavfi", "-i", speech,
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-shortest")
	r := testRunner(t)
	ctx := checkCtx(t)
	info, err := r.Check(ctx, src, Audio, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "out")
	var prog progressLog // over four ffmpeg runs
	outs, err := r.Audio(ctx, src, info, dir, prog.report)
	if err != nil {
		t.Fatal(err)
	}
	checkEpisode(t, outs, dir, info.Duration, 1)
	prog.check(t)
}

// Digital silence is encoded as it is, not amplified.
func TestAudioSilence(t *testing.T) {
	needFFmpeg(t)
	tmp := t.TempDir()
	src := gen(t, filepath.Join(tmp, "silence.wav"), "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "2")
	r := testRunner(t)
	info, err := r.Check(checkCtx(t), src, Audio, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := r.Audio(checkCtx(t), src, info, filepath.Join(tmp, "out"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(outputsByName(t, outs)["waveform"].Path)
	if err != nil {
		t.Fatal(err)
	}
	var wf Waveform
	if err := json.Unmarshal(b, &wf); err != nil || len(wf.Peaks) != 20 || slices.Max(wf.Peaks) != 0 {
		t.Errorf("waveform %s, %v", b, err)
	}
	if p := probeFile(t, outputsByName(t, outs)["mp3"].Path); len(p.Streams) != 1 || p.Streams[0].Channels != 2 {
		t.Errorf("mp3 streams %+v", p.Streams)
	}
}

func TestAudioNeedsAudio(t *testing.T) {
	_, err := (&Runner{}).Audio(t.Context(), "x.mp4", &Info{}, t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "no audio") {
		t.Errorf("err %v", err)
	}
}

func TestReadPeaks(t *testing.T) {
	var buf bytes.Buffer
	// 2.5 buckets of 800 samples: a ramp to half scale, full negative scale,
	// then silence.
	for i := 0; i < 2000; i++ {
		var v int16
		switch {
		case i < 800:
			v = int16(i * 16384 / 799)
		case i < 1600:
			v = -32768
		}
		_ = binary.Write(&buf, binary.LittleEndian, v)
	}
	w, err := readPeaks(&buf, 800)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{0.5, 1, 0}; len(w.Peaks) != 3 || w.Peaks[0] != want[0] || w.Peaks[1] != want[1] || w.Peaks[2] != want[2] {
		t.Errorf("peaks %v, want %v", w.Peaks, want)
	}
	if w.Duration != 0.25 || w.SamplesPerPeak != 800 || w.SampleRate != 8000 {
		t.Errorf("waveform %+v", w)
	}

	// Far more samples than announced: at most maxPeaks points.
	buf.Reset()
	buf.Write(make([]byte, 2*8000*300)) // 300 s of silence, announced as 100 s
	if w, err = readPeaks(&buf, 400); err != nil {
		t.Fatal(err)
	}
	if len(w.Peaks) > maxPeaks || len(w.Peaks) < maxPeaks/2 || w.SamplesPerPeak != 1600 || w.Duration != 300 {
		t.Errorf("%d peaks of %d samples over %v s", len(w.Peaks), w.SamplesPerPeak, w.Duration)
	}
}

// A failing read must not block: readPeaks reports it.
func TestReadPeaksError(t *testing.T) {
	_, err := readPeaks(errReader{}, 800)
	if err == nil {
		t.Error("no error")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestParseEBUR128(t *testing.T) {
	tail := "[Parsed_ebur128_0 @ 0x1] Summary:\n\n  Integrated loudness:\n    I:         -27.5 LUFS\n    Threshold: -37.7 LUFS\n\n" +
		"  Loudness range:\n    LRA:         2.0 LU\n    Threshold: -48.0 LUFS\n    LRA low:   -28.4 LUFS\n    LRA high:  -26.4 LUFS\n\n" +
		"  True peak:\n    Peak:       -1.4 dBFS\n"
	m, err := parseEBUR128("[Parsed_ebur128_0 @ 0x1] Summary: (an earlier one)\n" + tail)
	if err != nil {
		t.Fatal(err)
	}
	if m != (loudness{I: -27.5, Thresh: -37.7, LRA: 2, TP: -1.4}) {
		t.Errorf("parsed %+v", m)
	}
	if silent(m) {
		t.Error("silent")
	}
	if f := gainFilter(5.75); f != "volume=5.75dB," {
		t.Errorf("gain filter %q", f)
	}
	if f := limitFilter(11.5); f != "volume=11.50dB,aresample=192000,alimiter=limit=0.7943:attack=2:release=50:level=false:latency=true," {
		t.Errorf("limit filter %q", f)
	}
	silentSum := strings.NewReplacer("-27.5 LUFS", "-70.0 LUFS", "-1.4 dBFS", "-inf dBFS").Replace(tail)
	if m, err = parseEBUR128(silentSum); err != nil || !math.IsInf(m.TP, -1) || !silent(m) {
		t.Errorf("silence: %+v, %v", m, err)
	}
	if _, err := parseEBUR128("no summary here"); err == nil {
		t.Errorf("err %v without a summary", err)
	}
}

package transcode

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// benchInput returns a 30 s 1080p testsrc2 + sine H.264/AAC file, made once
// and kept in the system's temporary directory for later runs.
func benchInput(b *testing.B) string {
	b.Helper()
	needFFmpeg(b)
	path := filepath.Join(os.TempDir(), "archipel-transcode-bench-1080p-30s.mp4")
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return path
	}
	tmp := path + ".partial.mp4"
	gen(b, tmp, append(lavfiAV(1920, 1080, 30, 30), append(h264AAC(), "-shortest", "-movflags", "+faststart")...)...)
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchSetup(b *testing.B) (*Runner, string, *Info) {
	b.Helper()
	src := benchInput(b)
	r := &Runner{Threads: benchThreads()}
	info, err := r.Check(context.Background(), src, Video, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	return r, src, info
}

type ladderFunc func(ctx context.Context, r *Runner, src string, info *Info, dir string) error

func onePass(ctx context.Context, r *Runner, src string, info *Info, dir string) error {
	_, err := r.Video(ctx, src, info, dir, nil)
	return err
}

func sequential(ctx context.Context, r *Runner, src string, info *Info, dir string) error {
	_, err := r.VideoSequential(ctx, src, info, dir)
	return err
}

// timeLadder runs one ladder into a fresh directory and removes it.
func timeLadder(b *testing.B, f ladderFunc, r *Runner, src string, info *Info) time.Duration {
	b.Helper()
	dir, err := os.MkdirTemp("", "archipel-ladder-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	if err := f(context.Background(), r, src, info, dir); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// BenchmarkLadder times the whole ladder (5 MP4 rungs, audio, thumbnail and
// poster) of a 30 s 1080p video in one ffmpeg process and, as PeerTube does,
// in one process per rendition.
func BenchmarkLadder(b *testing.B) {
	r, src, info := benchSetup(b)
	for _, c := range []struct {
		name string
		f    ladderFunc
	}{{"onepass", onePass}, {"sequential", sequential}} {
		b.Run(c.name, func(b *testing.B) {
			var total time.Duration
			n := 0
			for b.Loop() {
				total += timeLadder(b, c.f, r, src, info)
				n++
			}
			b.ReportMetric(total.Seconds()/float64(n), "s/ladder")
		})
	}
}

// BenchmarkLadderRatio runs both ladders once per iteration and reports
// onepass/sequential wall-clock time (the goal is ≤ 0.7).
func BenchmarkLadderRatio(b *testing.B) {
	r, src, info := benchSetup(b)
	var one, seq time.Duration
	for b.Loop() {
		one += timeLadder(b, onePass, r, src, info)
		seq += timeLadder(b, sequential, r, src, info)
	}
	b.ReportMetric(one.Seconds()/seq.Seconds(), "ratio")
	b.ReportMetric(one.Seconds()/float64(b.N), "onepass-s")
	b.ReportMetric(seq.Seconds()/float64(b.N), "sequential-s")
}

// benchThreads is Runner.Threads for the benchmarks: 0 (the production
// default, all CPUs but one) unless ARCHIPEL_BENCH_THREADS says otherwise.
func benchThreads() int {
	n, _ := strconv.Atoi(os.Getenv("ARCHIPEL_BENCH_THREADS"))
	return n
}

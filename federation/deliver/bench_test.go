package deliver_test

// Fan-out benchmarks over real loopback TCP: one Create-sized activity to
// 3,000 distinct fake remote servers (fedtest.Farm, each on its own port, each
// checking the signature with go-fed/httpsig), through the production client
// (federation/httpclient, AllowPrivate) and signer (federation/httpsig), each
// request signed afresh with one RSA-2048 key.
//
// Every run uses a new httpclient.Client, so every request opens a new TCP
// connection, as a real fan-out to 3,000 distinct hosts would; keep-alive is
// on as in production, it just finds nothing to reuse. The farm is started
// once per benchmark and reused by every run.
//
// The machine may be shared, so each benchmark iteration makes `rounds`
// interleaved measurements and reports medians; it also reports the process
// CPU time of a fan-out (client and farm together) against that of the
// signing floor, which other tenants disturb less than wall time.
//
//	go test -run '^$' -bench Fanout -benchtime 1x ./federation/deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/archipel/archipel/federation/deliver"
	"github.com/archipel/archipel/federation/fedtest"
	"github.com/archipel/archipel/federation/httpsig"
)

const fanoutHosts = 3000

// createBody returns a Create of a Video, about 3 KB of JSON.
func createBody() []byte {
	var tags strings.Builder
	for i := range 12 {
		if i > 0 {
			tags.WriteString(",")
		}
		fmt.Fprintf(&tags, `{"type":"Hashtag","name":"#tag%d","href":"https://hub.example/tags/tag%d"}`, i, i)
	}
	body := fmt.Sprintf(`{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],`+
		`"id":"https://hub.example/videos/3f1c/activity","type":"Create","actor":"https://hub.example/accounts/alice",`+
		`"to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://hub.example/accounts/alice/followers"],`+
		`"object":{"type":"Video","id":"https://hub.example/videos/3f1c","uuid":"3f1c6f0e-3c0b-4b7e-9d55-2a8f1e0c9b11",`+
		`"name":"Night ferry to the islands","duration":"PT1234S","published":"2026-11-21T12:00:00Z",`+
		`"mediaType":"text/markdown","content":"%s","tag":[%s],`+
		`"attributedTo":["https://hub.example/accounts/alice","https://hub.example/channels/ferries"],`+
		`"url":[{"type":"Link","mediaType":"text/html","href":"https://hub.example/w/3f1c"},`+
		`{"type":"Link","mediaType":"video/mp4","href":"https://hub.example/static/3f1c-1080.mp4","height":1080,"size":123456789,"fps":30},`+
		`{"type":"Link","mediaType":"video/mp4","href":"https://hub.example/static/3f1c-720.mp4","height":720,"size":62345678,"fps":30}]}}`,
		strings.Repeat("A long description of the crossing, the harbour lights and the engine hum. ", 20), tags.String())
	return []byte(body)
}

// rounds is the number of interleaved measurements per benchmark iteration.
const rounds = 3

// cpuTime returns the CPU time (user + system) used by the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measured is the wall and CPU time of one measurement.
type measured struct {
	wall, cpu time.Duration
}

// signFloor times n signatures of requests like the fan-out's, spread over
// GOMAXPROCS goroutines: the CPU floor of the fan-out.
func signFloor(b *testing.B, s *httpsig.Signer, inboxes []string, body []byte) measured {
	b.Helper()
	runtime.GC()
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0, start := cpuTime(), time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(inboxes) {
					return
				}
				req, err := http.NewRequest(http.MethodPost, inboxes[i], bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/activity+json")
				if err := s.SignRequest(req, body); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return measured{wall: time.Since(start), cpu: cpuTime() - cpu0}
}

// fanout is one delivery run.
type fanout struct {
	measured                  // until Deliver returned
	lastHealthy time.Duration // until the last Delivered result
	outcomes    [3]int
	tookP50     time.Duration // Result.Took percentiles: one attempt's latency
	tookP99     time.Duration
}

// runFanout delivers body to inboxes with a new client and the default engine
// bounds, timing it.
func runFanout(b *testing.B, a actor, inboxes []string, body []byte, timeout time.Duration) fanout {
	b.Helper()
	client := newClient(b, time.Minute)
	defer client.CloseIdleConnections()
	e := newEngine(client, a, body, timeout)
	runtime.GC()
	var (
		mu  sync.Mutex
		out fanout
	)
	cpu0, start := cpuTime(), time.Now()
	res := e.Deliver(context.Background(), inboxes, func(r deliver.Result) {
		if r.Outcome == deliver.Delivered {
			at := time.Since(start)
			mu.Lock()
			out.lastHealthy = max(out.lastHealthy, at)
			mu.Unlock()
		}
	})
	out.wall, out.cpu = time.Since(start), cpuTime()-cpu0
	logged := 0
	took := make([]time.Duration, 0, len(res))
	for _, r := range res {
		took = append(took, r.Took)
		out.outcomes[r.Outcome]++
		if r.Outcome != deliver.Delivered && r.Status == 0 && !errors.Is(r.Err, context.DeadlineExceeded) && logged < 3 {
			b.Logf("unexpected: %s: status %d, err %v", r.Inbox, r.Status, r.Err)
			logged++
		}
	}
	slices.Sort(took)
	out.tookP50, out.tookP99 = took[len(took)/2], took[len(took)*99/100]
	return out
}

// median returns the median of xs (the mean of the middle two for an even
// count).
func median(xs []float64) float64 {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	n := len(xs)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func BenchmarkFanout(b *testing.B) {
	a := newActor(b)
	f := startFarm(b, a, fanoutHosts, nil)
	inboxes := f.Inboxes()
	body := createBody()

	var walls, floors, ratios, cpuRatios, p99s []float64
	delivered := 0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		floor := signFloor(b, a.signer, inboxes, body)
		for r := range rounds {
			total0, rejected0 := f.Total(), f.Rejected()
			b.StartTimer()
			run := runFanout(b, a, inboxes, body, 10*time.Second)
			b.StopTimer()
			if got := f.Total() - total0; run.outcomes[deliver.Delivered] != fanoutHosts || got != fanoutHosts {
				b.Fatalf("round %d: delivered %d (farm counted %d), want %d; outcomes %v",
					r, run.outcomes[deliver.Delivered], got, fanoutHosts, run.outcomes)
			}
			if n := f.Rejected() - rejected0; n != 0 {
				b.Fatalf("round %d: %d deliveries rejected by the farm", r, n)
			}
			delivered += run.outcomes[deliver.Delivered]
			// The floor of a round is the mean of the measurements around it.
			next := signFloor(b, a.signer, inboxes, body)
			fl := (floor.wall + next.wall) / 2
			flCPU := (floor.cpu + next.cpu) / 2
			floor = next
			walls = append(walls, run.wall.Seconds())
			floors = append(floors, fl.Seconds())
			ratios = append(ratios, run.wall.Seconds()/fl.Seconds())
			cpuRatios = append(cpuRatios, run.cpu.Seconds()/flCPU.Seconds())
			p99s = append(p99s, float64(run.tookP99)/float64(time.Millisecond))
			b.Logf("round %d: wall %.3fs (cpu %.3fs), signing floor %.3fs (cpu %.3fs): ratio %.3f, cpu ratio %.3f; attempt p50 %v p99 %v",
				r, run.wall.Seconds(), run.cpu.Seconds(), fl.Seconds(), flCPU.Seconds(), ratios[len(ratios)-1], cpuRatios[len(cpuRatios)-1],
				run.tookP50.Round(time.Millisecond), run.tookP99.Round(time.Millisecond))
		}
		b.StartTimer()
	}
	b.ReportMetric(median(walls), "wall-s")
	b.ReportMetric(median(floors), "floor-s")
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(median(cpuRatios), "cpu-ratio")
	b.ReportMetric(median(p99s), "attempt-p99-ms")
	b.ReportMetric(float64(delivered)/float64(b.N*rounds), "delivered")
	b.ReportMetric(float64(f.Rejected()), "rejected")
}

func BenchmarkFanoutDeadHosts(b *testing.B) {
	a := newActor(b)
	f := startFarm(b, a, fanoutHosts, nil)
	inboxes := f.Inboxes()
	body := createBody()
	dead := func(i int) fedtest.Mode {
		switch i % 10 {
		case 3:
			return fedtest.Hang
		case 7:
			return fedtest.Fail500
		}
		return fedtest.Healthy
	}
	healthyHosts := 0
	for i := range inboxes {
		if dead(i) == fedtest.Healthy {
			healthyHosts++
		}
	}
	setModes := func(m func(int) fedtest.Mode) {
		for i := range inboxes {
			f.SetMode(i, m(i))
		}
	}
	const timeout = 10 * time.Second

	var walls, healthy, baselines, ratios []float64
	b.ResetTimer()
	for range b.N {
		for r := range rounds {
			b.StopTimer()
			setModes(func(int) fedtest.Mode { return fedtest.Healthy })
			base := runFanout(b, a, inboxes, body, timeout)
			if base.outcomes[deliver.Delivered] != fanoutHosts {
				b.Fatalf("round %d: baseline delivered %d, want %d", r, base.outcomes[deliver.Delivered], fanoutHosts)
			}
			setModes(dead)
			total0 := f.Total()
			b.StartTimer()

			run := runFanout(b, a, inboxes, body, timeout)

			b.StopTimer()
			if run.outcomes[deliver.Delivered] != healthyHosts || f.Total()-total0 != healthyHosts ||
				run.outcomes[deliver.Retry] != fanoutHosts-healthyHosts {
				b.Fatalf("round %d: outcomes %v (farm counted %d), want %d delivered and %d retry",
					r, run.outcomes, f.Total()-total0, healthyHosts, fanoutHosts-healthyHosts)
			}
			walls = append(walls, run.wall.Seconds())
			healthy = append(healthy, run.lastHealthy.Seconds())
			baselines = append(baselines, base.wall.Seconds())
			ratios = append(ratios, run.lastHealthy.Seconds()/base.wall.Seconds())
			b.Logf("round %d: all healthy %.3fs; 10%% hang + 10%% 500: last healthy delivery at %.3fs (ratio %.3f), all done %.3fs",
				r, base.wall.Seconds(), run.lastHealthy.Seconds(), ratios[len(ratios)-1], run.wall.Seconds())
			b.StartTimer()
		}
	}
	b.StopTimer()
	if f.Rejected() != 0 {
		b.Fatalf("%d deliveries rejected by the farm", f.Rejected())
	}
	b.ReportMetric(median(healthy), "healthy-s")
	b.ReportMetric(median(baselines), "baseline-s")
	b.ReportMetric(median(ratios), "healthy-ratio")
	b.ReportMetric(median(walls), "wall-s")
	b.ReportMetric(float64(f.Rejected()), "rejected")
}

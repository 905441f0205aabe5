package deliver_test

// Fan-out benchmarks over real loopback TCP: one Create-sized activity to
// 3,000 distinct fake remote servers (fedtest.Farm, each on its own port, each
// checking the signature with go-fed/httpsig), through the production client
// (federation/httpclient, AllowPrivate) and signer (federation/httpsig), each
// request signed afresh with one RSA-2048 key.
//
// Every run uses a new httpclient.Client, so every request opens a new TCP
// connection, as a real fan-out to 3,000 hosts mostly would (the pool keeps
// at most 100 idle connections for 90s). The farm is reused across b.N.
//
//	go test -run '^$' -bench Fanout -benchtime 1x ./federation/deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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

// signFloor returns the time to make n signatures of requests like the
// fan-out's, spread over GOMAXPROCS goroutines: the CPU floor of the fan-out.
func signFloor(b *testing.B, s *httpsig.Signer, inboxes []string, body []byte) time.Duration {
	b.Helper()
	runtime.GC()
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
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
	return time.Since(start)
}

// fanout is one delivery run.
type fanout struct {
	wall        time.Duration // until Deliver returned
	lastHealthy time.Duration // until the last Delivered result
	outcomes    [3]int
}

// runFanout delivers body to inboxes with a new client and the default engine
// bounds, timing it.
func runFanout(b *testing.B, a actor, inboxes []string, body []byte, timeout time.Duration) fanout {
	b.Helper()
	client := newClient(b, time.Minute)
	defer client.CloseIdleConnections()
	e := &deliver.Engine{
		Send:    postSend(client, a.signer, deliver.NewGate(0), body),
		Timeout: timeout,
	}
	runtime.GC()
	var (
		mu  sync.Mutex
		out fanout
	)
	start := time.Now()
	res := e.Deliver(context.Background(), inboxes, func(r deliver.Result) {
		if r.Outcome == deliver.Delivered {
			at := time.Since(start)
			mu.Lock()
			out.lastHealthy = max(out.lastHealthy, at)
			mu.Unlock()
		}
	})
	out.wall = time.Since(start)
	logged := 0
	for _, r := range res {
		out.outcomes[r.Outcome]++
		if r.Outcome != deliver.Delivered && r.Status == 0 && !errors.Is(r.Err, context.DeadlineExceeded) && logged < 3 {
			b.Logf("unexpected: %s: status %d, err %v", r.Inbox, r.Status, r.Err)
			logged++
		}
	}
	return out
}

func BenchmarkFanout(b *testing.B) {
	a := newActor(b)
	f := startFarm(b, a, fanoutHosts, nil)
	inboxes := f.Inboxes()
	body := createBody()

	var wall, floor time.Duration
	var delivered int
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		before := signFloor(b, a.signer, inboxes, body)
		total0, rejected0 := f.Total(), f.Rejected()
		b.StartTimer()

		run := runFanout(b, a, inboxes, body, 10*time.Second)

		b.StopTimer()
		after := signFloor(b, a.signer, inboxes, body)
		if got := f.Total() - total0; run.outcomes[deliver.Delivered] != fanoutHosts || got != fanoutHosts {
			b.Fatalf("delivered %d (farm counted %d), want %d; outcomes %v", run.outcomes[deliver.Delivered], got, fanoutHosts, run.outcomes)
		}
		if r := f.Rejected() - rejected0; r != 0 {
			b.Fatalf("%d deliveries rejected by the farm", r)
		}
		b.Logf("wall %v, signing floor %v before / %v after", run.wall, before, after)
		wall += run.wall
		floor += (before + after) / 2
		delivered += run.outcomes[deliver.Delivered]
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(wall.Seconds()/n, "wall-s")
	b.ReportMetric(floor.Seconds()/n, "floor-s")
	b.ReportMetric(wall.Seconds()/floor.Seconds(), "ratio")
	b.ReportMetric(float64(delivered)/n, "delivered")
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

	var wall, healthy, baseline time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		setModes(func(int) fedtest.Mode { return fedtest.Healthy })
		base := runFanout(b, a, inboxes, body, 10*time.Second)
		if base.outcomes[deliver.Delivered] != fanoutHosts {
			b.Fatalf("baseline delivered %d, want %d", base.outcomes[deliver.Delivered], fanoutHosts)
		}
		setModes(dead)
		total0 := f.Total()
		b.StartTimer()

		run := runFanout(b, a, inboxes, body, 10*time.Second)

		b.StopTimer()
		if run.outcomes[deliver.Delivered] != healthyHosts || f.Total()-total0 != healthyHosts ||
			run.outcomes[deliver.Retry] != fanoutHosts-healthyHosts {
			b.Fatalf("outcomes %v (farm counted %d), want %d delivered and %d retry",
				run.outcomes, f.Total()-total0, healthyHosts, fanoutHosts-healthyHosts)
		}
		b.Logf("baseline %v; with dead hosts: last healthy %v, wall %v", base.wall, run.lastHealthy, run.wall)
		wall += run.wall
		healthy += run.lastHealthy
		baseline += base.wall
		b.StartTimer()
	}
	if f.Rejected() != 0 {
		b.Fatalf("%d deliveries rejected by the farm", f.Rejected())
	}
	n := float64(b.N)
	b.ReportMetric(healthy.Seconds()/n, "healthy-s")
	b.ReportMetric(baseline.Seconds()/n, "baseline-s")
	b.ReportMetric(healthy.Seconds()/baseline.Seconds(), "healthy-ratio")
	b.ReportMetric(wall.Seconds()/n, "wall-s")
	b.ReportMetric(float64(f.Rejected()), "rejected")
}

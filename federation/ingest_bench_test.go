package federation_test

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gofed "github.com/go-fed/httpsig"

	"github.com/archipel/archipel/federation/httpsig"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// signedPost is a request signed ahead of time, replayed by the benchmark.
type signedPost struct {
	body   []byte
	header http.Header
}

// BenchmarkReplyIngest sends signed Mastodon-shaped replies to a published
// video from 50 remote actors and waits until every reply answered 202 is
// visible in the item's thread: HTTP, signature verification (keys
// cached), durable storage, the inbox job, the comment. Reported: replies
// per second end to end, the RSA-verify floor measured in the same run
// (verifying as many signatures on all cores) and their ratio.
func BenchmarkReplyIngest(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) { benchReplyIngest(b, storetest.Open(b, engine)) })
	}
}

func benchReplyIngest(b *testing.B, s *store.Store) {
	{
		const replies = 3000
		h := newHubTB(b, s, hubOptions{})
		item := h.publishItem("Ingest")
		rm := newRemoteTB(b)
		itemURI := h.url + "/i/" + item.PublicID
		sign := func(i int, actor string) signedPost {
			id := fmt.Sprintf("%s/statuses/%d-%d", actor, time.Now().UnixNano(), i)
			note := map[string]any{"id": id, "type": "Note", "attributedTo": actor, "inReplyTo": itemURI,
				"content": fmt.Sprintf(`<p><span class="h-card"><a href="%s" class="u-url mention">@<span>news</span></a></span> reply %d</p>`, h.url+"/c/news", i),
				"to":      []string{"https://www.w3.org/ns/activitystreams#Public"}, "cc": []string{actor + "/followers", h.url + "/c/news"},
				"tag":       []any{map[string]string{"type": "Mention", "href": h.url + "/c/news", "name": "@news@" + h.addr}},
				"published": time.Now().UTC().Format(time.RFC3339)}
			act := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id + "/activity", "type": "Create",
				"actor": actor, "object": note, "to": note["to"], "cc": note["cc"]}
			body, _ := json.Marshal(act)
			req, _ := http.NewRequest("POST", "http://"+h.addr+"/inbox", bytes.NewReader(body))
			req.Header.Set("Host", h.addr)
			req.Header.Set("Content-Type", "application/activity+json")
			req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
			signer, _, _ := gofed.NewSigner([]gofed.Algorithm{gofed.RSA_SHA256}, gofed.DigestSha256,
				[]string{gofed.RequestTarget, "host", "date", "digest"}, gofed.Signature, 0)
			if err := signer.SignRequest(crypto.PrivateKey(rm.key), actor+"#main-key", req, body); err != nil {
				b.Fatal(err)
			}
			return signedPost{body: body, header: req.Header}
		}
		actors := make([]string, 50)
		for i := range actors {
			actors[i] = rm.actor(fmt.Sprintf("fan%d", i))
			p := sign(-i-1, actors[i]) // warms the key cache and the actor rows
			if code := sendSigned(b, h.addr, p); code != http.StatusAccepted {
				b.Fatalf("warm-up reply: %d", code)
			}
		}
		waitComments(b, h, item.ID, len(actors))
		var wall, floor, cpu, dbCPU time.Duration
		db := dbServerCPU(b, s)
		accepted := 0
		for n := 0; n < b.N; n++ {
			posts := make([]signedPost, replies)
			for i := range posts {
				posts[i] = sign(n*replies+i, actors[i%len(actors)])
			}
			before := countComments(b, h, item.ID)
			cpu0, db0 := processCPU(), db()
			start := time.Now()
			var ok atomic.Int64
			var next atomic.Int64
			var wg sync.WaitGroup
			for c := 0; c < 16; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= len(posts) {
							return
						}
						if sendSigned(b, h.addr, posts[i]) == http.StatusAccepted {
							ok.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			b.Logf("%d POSTs answered in %v", replies, time.Since(start))
			waitComments(b, h, item.ID, before+int(ok.Load()))
			wall += time.Since(start)
			cpu += processCPU() - cpu0
			dbCPU += db() - db0
			accepted += int(ok.Load())
			floor += verifyFloor(b, posts, h.addr, rm)
		}
		if accepted != replies*b.N {
			b.Fatalf("%d of %d replies accepted", accepted, replies*b.N)
		}
		b.ReportMetric(float64(accepted)/wall.Seconds(), "replies/s")
		b.ReportMetric(float64(accepted)/floor.Seconds(), "verify-floor/s")
		b.ReportMetric(wall.Seconds()/floor.Seconds(), "ratio")
		// CPU of this process (hub and load generator) per reply, and
		// how many cores it kept busy: near GOMAXPROCS means CPU-bound.
		b.ReportMetric(float64(cpu.Microseconds())/float64(accepted), "cpu-µs/reply")
		b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cores")
		if dbCPU > 0 {
			// The PostgreSQL server's CPU per reply, when it runs here.
			b.ReportMetric(float64(dbCPU.Microseconds())/float64(accepted), "pg-cpu-µs/reply")
		}
	}
}

var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func sendSigned(b *testing.B, addr string, p signedPost) int {
	req, _ := http.NewRequest("POST", "http://"+addr+"/inbox", bytes.NewReader(p.body))
	req.Header = p.header.Clone()
	resp, err := benchClient.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func countComments(b *testing.B, h *hub, itemID int64) int {
	n, err := h.s.CountVisibleComments(context.Background(), itemID)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func waitComments(b *testing.B, h *hub, itemID int64, want int) {
	deadline := time.Now().Add(5 * time.Minute)
	for countComments(b, h, itemID) < want {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d replies reached the thread", countComments(b, h, itemID), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// processCPU is the user and system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// dbServerCPU returns a function reading the CPU time used so far by the
// PostgreSQL server of s (the postmaster, its live backends and those that
// exited), when that server runs on this machine and /proc shows it; it
// reads 0 otherwise (SQLite runs inside this process).
func dbServerCPU(b *testing.B, s *store.Store) func() time.Duration {
	none := func() time.Duration { return 0 }
	if s.Engine() != store.Postgres {
		return none
	}
	var backend int
	if err := s.DB().QueryRow(`SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		b.Fatal(err)
	}
	stat := func(pid int) []string {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil
		}
		_, rest, _ := strings.Cut(string(raw), ") ")
		return strings.Fields(rest) // state is field 0; ppid 1; utime 11 … cstime 14
	}
	f := stat(backend)
	if f == nil {
		return none // not on this machine
	}
	postmaster, _ := strconv.Atoi(f[1])
	ticks := func(f []string, from, to int) (n int64) {
		for i := from; i <= to && i < len(f); i++ {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			n += v
		}
		return n
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return func() time.Duration {
		n := ticks(stat(postmaster), 11, 14)
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if f := stat(pid); len(f) > 14 && f[1] == strconv.Itoa(postmaster) {
				n += ticks(f, 11, 12)
			}
		}
		return time.Duration(n) * tick
	}
}

// verifyFloor verifies the posts' signatures on all cores with our
// verifier: the least the ingest can cost.
func verifyFloor(b *testing.B, posts []signedPost, addr string, rm *remote) time.Duration {
	v := &httpsig.Verifier{Window: time.Hour}
	pub := rm.key.Public()
	workers := runtime.GOMAXPROCS(0)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(posts); i += workers {
				req, _ := http.NewRequest("POST", "http://"+addr+"/inbox", bytes.NewReader(posts[i].body))
				req.Header = posts[i].header.Clone()
				req.Host = addr
				sig, err := v.Parse(req, posts[i].body)
				if err == nil {
					err = sig.Verify(pub)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	return time.Since(start)
}

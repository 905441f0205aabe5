package federation_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/archipel/archipel/federation/fedtest"
	"github.com/archipel/archipel/federation/httpsig"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

const fanoutHosts = 3000

// fanoutRig is a hub whose channel has one follower on each of
// fanoutHosts loopback servers (a fedtest.Farm, which verifies every
// signature with go-fed/httpsig).
type fanoutRig struct {
	h    *hub
	farm *fedtest.Farm
	key  crypto.PublicKey
}

func newFanoutRig(b *testing.B, modes func(i int) fedtest.Mode) *fanoutRig {
	ctx := context.Background()
	s := storetest.Open(b, store.SQLite)
	h := newHubTB(b, s, hubOptions{timeout: 10 * time.Second})
	// The channel's key, as its actor document serves it.
	resp, body := h.get("/c/news", "application/activity+json")
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("actor: %d", resp.StatusCode)
	}
	var doc struct {
		PublicKey struct{ ID, PublicKeyPem string } `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		b.Fatal(err)
	}
	block, _ := pem.Decode([]byte(doc.PublicKey.PublicKeyPem))
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		b.Fatal(err)
	}
	farm, err := fedtest.StartFarm(fedtest.FarmConfig{N: fanoutHosts, Modes: modes,
		KeyPEM: fedtest.KeyMap(map[string]crypto.PublicKey{doc.PublicKey.ID: pub})})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(farm.Close)
	for i, inbox := range farm.Inboxes() {
		a, err := s.UpsertRemoteActor(ctx, store.Actor{Kind: "Person", Username: "f", URI: fmt.Sprintf("%s#actor%d", inbox, i),
			Inbox: inbox, SharedInbox: inbox})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.UpsertFollow(ctx, a.ID, h.channel.ActorID, store.FollowAccepted, fmt.Sprintf("urn:follow:%d", i)); err != nil {
			b.Fatal(err)
		}
	}
	return &fanoutRig{h: h, farm: farm, key: pub}
}

// signingFloor is the time to make n signatures of a Create-sized POST on
// all cores: the least a fan-out to n hosts can take.
func signingFloor(b *testing.B, n int) time.Duration {
	key, _, _, err := httpsig.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 3000)
	signer := &httpsig.Signer{KeyID: "http://hub.example/c/news#main-key", Key: key}
	workers := runtime.GOMAXPROCS(0)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				req, _ := http.NewRequest("POST", fmt.Sprintf("http://127.0.0.1:%d/inbox", 10000+i), nil)
				if err := signer.SignRequest(req, body); err != nil {
					b.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	return time.Since(start)
}

// publishAndWait publishes an item and returns how long until want
// deliveries arrived.
func (r *fanoutRig) publishAndWait(b *testing.B, title string, want int) time.Duration {
	before := r.farm.Total()
	start := time.Now()
	r.h.publishItem(title)
	deadline := start.Add(5 * time.Minute)
	for r.farm.Total()-before < want {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d deliveries arrived", r.farm.Total()-before, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

func (r *fanoutRig) deliverJobs(b *testing.B) int {
	var n int
	if err := r.h.s.DB().QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'federation_deliver'`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkFanoutJob publishes one video to a channel followed from 3,000
// loopback hosts: one Create, through the real River job, each request
// signed and verified. Reported: wall time from publishing to the last
// delivery, the signing floor measured in the same run (3,000 signatures
// on all cores), their ratio (goal ≤ 1.3) and the delivery jobs created
// (goal 1).
func BenchmarkFanoutJob(b *testing.B) {
	r := newFanoutRig(b, nil)
	var wall, floor time.Duration
	for i := 0; i < b.N; i++ {
		jobsBefore := r.deliverJobs(b)
		wall += r.publishAndWait(b, fmt.Sprintf("Episode %d", i), fanoutHosts)
		floor += signingFloor(b, fanoutHosts)
		if n := r.deliverJobs(b) - jobsBefore; n != 1 {
			b.Fatalf("%d delivery jobs for one activity", n)
		}
	}
	if r.farm.Rejected() != 0 {
		b.Fatalf("%d deliveries failed signature verification", r.farm.Rejected())
	}
	n := float64(b.N)
	b.ReportMetric(wall.Seconds()/n, "wall-s")
	b.ReportMetric(floor.Seconds()/n, "floor-s")
	b.ReportMetric(wall.Seconds()/floor.Seconds(), "ratio")
	b.ReportMetric(1, "jobs")
}

// BenchmarkFanoutJobDeadHosts is the same with 10% of hosts that accept
// and never answer and 10% that answer 500. Reported: the time until the
// last healthy host got the activity, against an all-healthy publication
// measured in the same run (goal ≤ 1.2), and the retry jobs created.
func BenchmarkFanoutJobDeadHosts(b *testing.B) {
	r := newFanoutRig(b, nil)
	healthy := 0
	for i := 0; i < fanoutHosts; i++ {
		if i%10 != 3 && i%10 != 7 {
			healthy++
		}
	}
	var base, withDead time.Duration
	for i := 0; i < b.N; i++ {
		for j := 0; j < fanoutHosts; j++ {
			r.farm.SetMode(j, fedtest.Healthy)
		}
		base += r.publishAndWait(b, fmt.Sprintf("Healthy %d", i), fanoutHosts)
		for j := 0; j < fanoutHosts; j++ {
			switch j % 10 {
			case 3:
				r.farm.SetMode(j, fedtest.Hang)
			case 7:
				r.farm.SetMode(j, fedtest.Fail500)
			}
		}
		withDead += r.publishAndWait(b, fmt.Sprintf("Dead %d", i), healthy)
	}
	n := float64(b.N)
	b.ReportMetric(base.Seconds()/n, "baseline-s")
	b.ReportMetric(withDead.Seconds()/n, "healthy-s")
	b.ReportMetric(withDead.Seconds()/base.Seconds(), "healthy-ratio")
}

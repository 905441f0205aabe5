package web

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// BenchmarkPageP95 requests each key page of a hub of 100 items (on
// SQLite, with the P2P player on) over loopback HTTP, one after the other
// on a kept-alive connection, as a visitor or as whoever the page is for,
// and reports the 95th percentile of each page's latency (NAME-p95-ms,
// the whole response read) and the worst of them (p95-ms; goal < 50 ms).
// Each iteration requests every page once.
func BenchmarkPageP95(b *testing.B) {
	s := storetest.Open(b, store.SQLite)
	st := newSite(b, s, siteOptions{realMedia: true, items: 100, p2p: true})
	pages := st.keyPages()
	clients := map[string]*browser{}
	for _, p := range pages {
		if clients[p.user] == nil {
			c := st.h.browser()
			if p.user != "" {
				c.login(p.user)
			}
			clients[p.user] = c
		}
	}
	get := func(p keyPage) time.Duration {
		start := time.Now()
		r := clients[p.user].request(http.MethodGet, p.path, nil, english)
		d := time.Since(start)
		if r.StatusCode != http.StatusOK {
			b.Fatalf("%s: status %d", p.path, r.StatusCode)
		}
		return d
	}
	for _, p := range pages { // warm up: templates, statements, caches
		get(p)
	}
	samples := make([][]time.Duration, len(pages))
	for b.Loop() {
		for i, p := range pages {
			samples[i] = append(samples[i], get(p))
		}
	}
	worst := 0.0
	for i, p := range pages {
		v := p95(samples[i])
		b.ReportMetric(v, p.name+"-p95-ms")
		worst = max(worst, v)
	}
	b.ReportMetric(worst, "p95-ms")
}

// p95 is the 95th percentile of ds, in milliseconds (nearest rank).
func p95(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := (len(s)*95 + 99) / 100 // ceil(0.95 n)
	return float64(s[rank-1].Microseconds()) / 1000
}

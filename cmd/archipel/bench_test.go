package main

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
)

// waitHealthy polls /healthz until it answers 200.
func waitHealthy(b *testing.B, base string) {
	b.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.Fatalf("%s never became healthy", base)
}

// BenchmarkStartToHealthy measures, on SQLite, the time from exec to the
// first 200 of /healthz on an existing hub (first: a new hub, which also
// migrates and hashes the admin password).
func BenchmarkStartToHealthy(b *testing.B) {
	for _, first := range []bool{true, false} {
		name := "restart"
		if first {
			name = "first"
		}
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				h := newHub(b, store.SQLite)
				if !first {
					h.mustRun("", "migrate")
					h.mustRun("", "user", "create", "admin", "--role", "admin")
				}
				b.StartTimer()
				start := time.Now()
				srv := h.serve("ARCHIPEL_ADMIN_PASSWORD=bench-password-1")
				waitHealthy(b, srv.base)
				total += time.Since(start)
				b.StopTimer()
				srv.cmd.Process.Kill()
				srv.wait(b)
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/start")
		})
	}
}

// BenchmarkIdleRSS measures the resident memory of a served hub on SQLite
// after a few page views and two idle seconds, on a new hub (first: it
// migrated and hashed the admin password) and on an existing one.
func BenchmarkIdleRSS(b *testing.B) {
	for _, first := range []bool{true, false} {
		name := "restart"
		if first {
			name = "first"
		}
		b.Run(name, func(b *testing.B) {
			var total float64
			for i := 0; i < b.N; i++ {
				h := newHub(b, store.SQLite)
				if !first {
					h.mustRun("", "user", "create", "admin", "--role", "admin")
				}
				srv := h.serve("ARCHIPEL_ADMIN_PASSWORD=bench-password-1")
				waitHealthy(b, srv.base)
				for _, p := range []string{"/", "/login", "/healthz", "/metrics", "/nowhere"} {
					if resp, err := http.Get(srv.base + p); err == nil {
						resp.Body.Close()
					}
				}
				time.Sleep(2 * time.Second)
				total += rssMB(b, srv.cmd.Process.Pid)
				srv.cmd.Process.Kill()
				srv.wait(b)
			}
			b.ReportMetric(total/float64(b.N), "MB-rss")
		})
	}
}

func rssMB(b *testing.B, pid int) float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

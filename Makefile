# Archipel: make run (a working hub on SQLite under ./data) and make test.
GO        ?= go
BIN       := bin/archipel
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
PG_TEST_DB ?= archipel_test
SHELL     := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: run build test bench lint clean assets e2e-deps

# Pure Go: without cgo, anacrolix/torrent leaves out the C SQLite and
# libutp it does not need here (10 MB less resident, measured by make bench).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/archipel

run: build
	@mkdir -p data
	./$(BIN) serve --data-dir ./data

# The store suite runs on SQLite always, and on PostgreSQL when
# ARCHIPEL_TEST_DATABASE_URL is set or a server answers on 127.0.0.1:5432.
# PG_URL: ARCHIPEL_TEST_DATABASE_URL, or the local server's test database
# (created if missing), or nothing.
PG_URL = url="$${ARCHIPEL_TEST_DATABASE_URL:-}"; \
	if [ -z "$$url" ] && command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then \
		psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(PG_TEST_DB)'" | grep -q 1 || \
			psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $(PG_TEST_DB)"; \
		url="postgres://postgres@127.0.0.1:5432/$(PG_TEST_DB)?sslmode=disable"; \
	fi

test: e2e-deps
	@$(PG_URL); \
	if [ -n "$$url" ]; then echo "== engines: SQLite and PostgreSQL"; else echo "== engines: SQLite only (no PostgreSQL reachable)"; fi; \
	export ARCHIPEL_TEST_DATABASE_URL="$$url"; \
	echo "== store suite" && $(GO) test -race -count=1 -v ./store/... | grep -E '^(\s*--- |ok|FAIL|PASS|panic)' && \
	echo "== everything else" && $(GO) test -race -count=1 $$($(GO) list ./... | grep -v '/store')

# Start-up time and idle memory of the real binary, the one-pass ladder
# against one ffmpeg per rung, range serving against nginx (when nginx is
# installed), and the fan-out of one Create to 3,000 loopback hosts against
# the RSA signing floor (goal <= 1.3, one job) and with 20% dead hosts
# (goal <= 1.2), and signed replies ingested end to end per second on
# SQLite (goal >= 1,500) and PostgreSQL (goal >= 3,000), and a 1,000-item
# feed: cold generation, and warm requests against nginx (goal >= 0.5),
# the share of three Chromium viewers' bytes carried by peers rather than
# the web seed (goal >= 0.6), what seeding 500 torrents costs, and the
# 95th-percentile latency of the key pages of a 100-item hub (goal < 50 ms,
# the worst page), each against its goal.
bench:
	@rm -f bench.out; $(PG_URL); export ARCHIPEL_TEST_DATABASE_URL="$$url"; \
	$(GO) test -run '^$$' -bench . -benchtime 5x ./cmd/archipel/ | tee -a bench.out | grep '^Benchmark'; \
	$(GO) test -run '^$$' -bench LadderRatio -benchtime 1x -timeout 60m ./transcode/ | tee -a bench.out | grep '^Benchmark'; \
	$(GO) test -run '^$$' -bench RangeRatio -benchtime 200x ./media/ | tee -a bench.out | grep -E '^Benchmark|nginx'; \
	$(GO) test -run '^$$' -bench FanoutJob -benchtime 1x -timeout 30m ./federation/ | tee -a bench.out | grep '^Benchmark'; \
	$(GO) test -run '^$$' -bench ReplyIngest -benchtime 3x -timeout 30m ./federation/ | tee -a bench.out | grep '^Benchmark'; \
	$(GO) test -run '^$$' -bench Feed1000 -benchtime 5x ./web/ | tee -a bench.out | grep '^Benchmark'; \
	$(GO) test -run '^$$' -bench P2POffload -benchtime 1x -timeout 10m ./web/ | tee -a bench.out | grep '^Benchmark'; \
	$(GO) test -run '^$$' -bench SeedCost -benchtime 1x -timeout 10m ./media/seed/ | tee -a bench.out | grep '^Benchmark'; \
	$(GO) test -run '^$$' -bench PageP95 -benchtime 200x ./web/ | tee -a bench.out | grep '^Benchmark'; \
	echo; printf '%-34s %10s %10s %8s\n' "measure" "measured" "goal" "ratio"; \
	awk 'function val(u) { for (i = 1; i < NF; i++) if ($$(i+1) == u) return $$i; return "" } \
	     /ms\/start/ { v = val("ms/start"); printf "%-34s %7.1f ms %7s ms %8.2f\n", $$1, v, "<= 300", v/300 } \
	     /^BenchmarkIdleRSS/ && /MB-rss/ { v = val("MB-rss");   printf "%-34s %7.1f MB %7s MB %8.2f\n", $$1, v, "<= 50", v/50 } \
	     /^BenchmarkLadderRatio/ { v = val("ratio"); printf "%-34s %10s %10s %8.2f\n", "one-pass / sequential ladder", "", "<= 0.70", v } \
	     /^BenchmarkRangeRatio/  { v = val("ratio"); if (v != "") printf "%-34s %10s %10s %8.2f\n", "range throughput / nginx", "", ">= 0.80", v } \
	     /^BenchmarkFanoutJob-/  { printf "%-34s %7.2f s  %7.2f s  %8.2f\n", "fan-out 3000 hosts / signing floor", val("wall-s"), val("floor-s"), val("ratio"); \
	                               printf "%-34s %10d %10s %8s\n", "delivery jobs for one Create", val("jobs"), "1", "" } \
	     /^BenchmarkFanoutJobDeadHosts/ { printf "%-34s %7.2f s  %7.2f s  %8.2f\n", "healthy deliveries, 20% dead hosts", val("healthy-s"), val("baseline-s"), val("healthy-ratio") } \
	     /^BenchmarkReplyIngest\/(sqlite|postgres)/ { split($$1, e, /[\/-]/); goal = (e[2] == "sqlite") ? 1500 : 3000; \
	                               printf "%-34s %7.0f /s %7d /s %8.2f\n", "reply ingest, " e[2], val("replies/s"), goal, val("replies/s")/goal; \
	                               printf "%-34s %7.0f /s %10s %8.1f\n", "  RSA-verify floor, same run", val("verify-floor/s"), "", val("ratio") ; \
	                               if (val("pg-cpu-µs/reply") != "") printf "%-34s %7.0f µs %10s %8s\n", "  PostgreSQL server CPU per reply", val("pg-cpu-µs/reply"), "", "" } \
	     /^BenchmarkFeed1000/ { printf "%-34s %7.0f ms %10s %8s\n", "feed of 1,000 items, cold", val("cold-ms"), "", ""; \
	                            if (val("ratio") != "") printf "%-34s %7.0f /s %7.0f /s %8.2f  (goal >= 0.5)\n", "  warm, ours / nginx", val("warm-req/s"), val("nginx-req/s"), val("ratio"); \
	                            else printf "%-34s %7.0f /s %10s %8s\n", "  warm (nginx not installed)", val("warm-req/s"), "", "" } \
	     /^BenchmarkP2POffload/ { printf "%-34s %10.2f %10s %8.2f\n", "P2P offload, 3 Chromium viewers", val("offload"), ">= 0.60", val("offload")/0.6; \
	                              printf "%-34s %10s %10s %8s\n", "  hub WebRTC / browsers / web seed", sprintf("%.2f/%.2f/%.2f", val("hub-peer-share"), val("browser-share"), val("webseed-share")), "", "" } \
	     /^BenchmarkSeedCost\/webrtc/ { printf "%-34s %7.0f MB %10s %8s\n", "seeding 500 torrents over WebRTC", val("MB-rss"), "", ""; \
	                                   printf "%-34s %10d %10s %8s\n", "  sockets / goroutines", val("sockets"), val("goroutines"), "" } \
	     /^BenchmarkSeedCost\/tcp/ { printf "%-34s %7.0f MB %10s %8s\n", "seeding 500 torrents over TCP only", val("MB-rss"), "", ""; \
	                                printf "%-34s %10d %10s %8s\n", "  sockets / goroutines", val("sockets"), val("goroutines"), "" } \
	     /^BenchmarkPageP95/ { v = val("p95-ms"); printf "%-34s %7.1f ms %7s ms %8.2f\n", "page p95 (ms), worst key page", v, "< 50", v/50 }' bench.out; \
	grep -q '^BenchmarkRangeRatio.*ratio' bench.out || echo "range throughput / nginx: nginx is not installed, not measured"; \
	rm -f bench.out

# axe-core, which the accessibility test (web/axe_browser_test.go) injects
# into each key page, installed from web/e2e/package-lock.json when missing.
# Without npm nothing is installed, and the test is skipped (it fails in CI).
AXE := web/e2e/node_modules/axe-core/axe.min.js
e2e-deps:
	@if [ ! -f $(AXE) ] && command -v npm >/dev/null 2>&1; then \
		npm ci --ignore-scripts --no-audit --no-fund --loglevel=error --prefix web/e2e; fi

# The player's WebTorrent, vendored from npm into the embedded assets
# (web/player/package-lock.json pins it; nothing loads from a CDN). CI runs
# this and checks that the committed files are what npm gives.
WT_DIST := web/player/node_modules/webtorrent/dist
assets:
	cd web/player && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	sed '/^\/\/# sourceMappingURL=/d' $(WT_DIST)/webtorrent.min.js > web/static/vendor/webtorrent.min.js
	sed '/^\/\/# sourceMappingURL=/d' $(WT_DIST)/sw.min.js > web/static/vendor/webtorrent-sw.min.js

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin data bench.out

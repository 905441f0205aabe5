package web

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// Page weight budgets: sizes are deterministic, so they are tested, not
// benchmarked (BenchmarkPageP95 measures speed).
const (
	htmlBudget = 60 << 10 // bytes of a key page's HTML
	jsBudget   = 50 << 10 // bytes of the scripts a page loads, the player's aside
)

// english asks for the pages in English, as the browser tests do.
var english = http.Header{"Accept-Language": {"en"}}

var scriptSrcRE = regexp.MustCompile(`<script\b[^>]*\bsrc="([^"]+)"`)

// playerScript tells the P2P player and its WebTorrent bundle, which only
// item pages load and which the script budget leaves out.
func playerScript(path string) bool {
	return strings.HasPrefix(path, "/static/player.js") || strings.HasPrefix(path, "/static/vendor/")
}

// TestPageBudgets checks that the HTML of each key page, on a hub of 100
// items with the P2P player on, is under 60 KB, and that the scripts it
// loads (its <script src> files; on item pages, not the player and its
// WebTorrent) are under 50 KB.
func TestPageBudgets(t *testing.T) {
	s := storetest.Open(t, store.SQLite)
	st := newSite(t, s, siteOptions{realMedia: true, items: 100, p2p: true})
	clients := map[string]*browser{}
	for _, p := range st.keyPages() {
		b := clients[p.user]
		if b == nil {
			b = st.h.browser()
			if p.user != "" {
				b.login(p.user)
			}
			clients[p.user] = b
		}
		r := b.request(http.MethodGet, p.path, nil, english)
		wantStatus(t, r, http.StatusOK)
		var js, player int
		var scripts []string
		for _, m := range scriptSrcRE.FindAllStringSubmatch(r.body, -1) {
			src := html.UnescapeString(m[1])
			sr := b.get(src)
			wantStatus(t, sr, http.StatusOK)
			if strings.HasPrefix(p.name, "item-") && playerScript(src) {
				player += len(sr.body)
				continue
			}
			js += len(sr.body)
			scripts = append(scripts, src)
		}
		if strings.HasPrefix(p.name, "item-") && player == 0 {
			t.Errorf("%s: no player script; the budget leaves out nothing", p.name)
		}
		t.Logf("%-18s HTML %6.1f KB, scripts %5.1f KB %v (player %.1f KB aside)", p.name, float64(len(r.body))/1024,
			float64(js)/1024, scripts, float64(player)/1024)
		if len(r.body) > htmlBudget {
			t.Errorf("%s (%s): HTML of %d bytes, over the budget of %d", p.name, p.path, len(r.body), htmlBudget)
		}
		if js > jsBudget {
			t.Errorf("%s (%s): scripts %v of %d bytes, over the budget of %d", p.name, p.path, scripts, js, jsBudget)
		}
	}
}

package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// BenchmarkP2POffload has three Chromium viewers, each in its own browser
// context and arriving one second after the other, watch one 30-second
// video while the hub seeds it over WebRTC and its web seed answers too.
// Each downloads the whole file. Reported: the share of the viewers'
// bytes that came from peers (the hub's WebRTC peer and other browsers)
// rather than the web seed (goal >= 0.6), and the three sources' shares.
func BenchmarkP2POffload(b *testing.B) {
	for b.Loop() {
		s := storetest.Open(b, store.SQLite)
		h := newMediaHarness(b, s, mediaOptions{p2p: true})
		v := publishP2P(b, h, s, 30)
		if err := h.seeder.Reconcile(context.Background()); err != nil {
			b.Fatal(err)
		}
		browser := newChromium(b)
		page := h.srv.URL + "/i/" + v.ID
		var viewers []*tab
		for i := range 3 {
			if i > 0 {
				time.Sleep(time.Second)
			}
			tb := browser.newTab()
			tb.run(20*time.Second, chromedp.Navigate(page))
			tb.waitFor("the player starts", `document.querySelector(".player").dataset.p2pState === "on"`, 30*time.Second)
			evalJS[bool](tb, `document.querySelector("video").play().then(() => true)`)
			viewers = append(viewers, tb)
		}
		var webseed, server, peers int64
		for i, tb := range viewers {
			tb.waitFor("a viewer gets the whole file", `document.querySelector(".player").dataset.done === "true"`, 120*time.Second)
			w := tb.int64Of(`document.querySelector(".player").dataset.bytesWebseed`)
			sv := tb.int64Of(`document.querySelector(".player").dataset.bytesServer`)
			p := tb.int64Of(`document.querySelector(".player").dataset.bytesPeers`)
			b.Logf("viewer %d: %d bytes from the web seed, %d from the hub's peer, %d from other viewers", i+1, w, sv, p)
			webseed, server, peers = webseed+w, server+sv, peers+p
		}
		total := float64(webseed + server + peers)
		b.ReportMetric(float64(server+peers)/total, "offload")
		b.ReportMetric(float64(server)/total, "hub-peer-share")
		b.ReportMetric(float64(peers)/total, "browser-share")
		b.ReportMetric(float64(webseed)/total, "webseed-share")
		b.ReportMetric(float64(v.Renditions[0].Size)/1e6, "MB-file")
	}
}

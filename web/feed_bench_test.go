package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/media"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/media/mediatest"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// BenchmarkFeed1000 serves the RSS feed of a podcast of 1,000 episodes.
// Reported: the cold generation time (the first request after the
// channel changed), warm requests per second from the cache (16 clients,
// no compression, keep-alive), and when nginx is installed the same bytes
// served by nginx as a static file, and the ratio ours/nginx (goal ≥ 0.5).
func BenchmarkFeed1000(b *testing.B) {
	ctx := context.Background()
	s := storetest.Open(b, store.SQLite)
	srv := httptest.NewUnstartedServer(nil)
	pub, _ := url.Parse("http://" + srv.Listener.Addr().String())
	storage, err := media.NewLocalStorage(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	lib := &library.Library{Store: s, Storage: storage, PublicURL: pub, WorkDir: b.TempDir()}
	handler, err := New(ctx, Deps{Store: s, Accounts: &accounts.Service{Store: s}, Logger: slog.New(slog.DiscardHandler),
		PublicURL: pub, Registry: prometheus.NewRegistry(), Version: "bench", Library: lib,
		Uploads: &media.Uploads{Dir: b.TempDir(), BasePath: uploadsPath, MaxSize: 1 << 20, Expiry: time.Hour}, FeedItems: 1000})
	if err != nil {
		b.Fatal(err)
	}
	srv.Config.Handler = handler
	srv.Start()
	b.Cleanup(srv.Close)

	owner, err := (&accounts.Service{Store: s}).CreateUser(ctx, "maya", store.RoleCreator, "", "a long enough password")
	if err != nil {
		b.Fatal(err)
	}
	ch, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: owner.ID, Kind: store.KindPodcast, Handle: "radio", Title: "Radio",
		Description: "A show with a thousand episodes"})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		var item *store.Item
		if err := s.InTx(ctx, func(tx *store.Tx) (err error) {
			item, err = tx.CreateItem(ctx, store.NewItem{ChannelID: ch.ID, Kind: store.ItemEpisode, PublishWhenReady: true,
				Title: fmt.Sprintf("Episode %d: news & notes", i), Description: "What we said in **episode** " + fmt.Sprint(i)})
			return err
		}); err != nil {
			b.Fatal(err)
		}
		key := "items/" + item.PublicID + "/1/audio.m4a"
		if _, err := s.FinishItem(ctx, item.ID, 45*time.Minute, []store.MediaFile{
			{Rendition: "audio", MimeType: "audio/mp4", Size: 40 << 20, StorageKey: key, Bitrate: 128000}}, nil); err != nil {
			b.Fatal(err)
		}
	}
	feedURL := srv.URL + "/c/radio/feed.rss"
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 32}}
	get := func(u string) []byte {
		resp, err := client.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d", u, resp.StatusCode)
		}
		return body
	}

	var cold time.Duration
	var body []byte
	for i := 0; i < b.N; i++ {
		// A change of the channel makes the next request generate the feed.
		if err := s.SetChannelFeed(ctx, ch.ID, store.ChannelFeedSettings{FeedType: "episodic", Locked: true,
			License: fmt.Sprint("run ", i)}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		body = get(feedURL)
		cold += time.Since(start)
	}
	ours := rate(get, feedURL, 2*time.Second)
	b.ReportMetric(float64(cold.Milliseconds())/float64(b.N), "cold-ms")
	b.ReportMetric(float64(len(body))/1e6, "feed-MB")
	b.ReportMetric(ours, "warm-req/s")

	root := b.TempDir()
	if err := os.WriteFile(filepath.Join(root, "feed.rss"), body, 0o644); err != nil {
		b.Fatal(err)
	}
	nginxURL, ok := mediatest.StartNginx(b, root, "feed.rss", map[string]string{"rss": "application/rss+xml"})
	if !ok {
		b.Log("nginx is not installed: no ratio to measure")
		return
	}
	theirs := rate(get, nginxURL+"/feed.rss", 2*time.Second)
	b.ReportMetric(theirs, "nginx-req/s")
	b.ReportMetric(ours/theirs, "ratio")
}

// rate is how many GETs of u per second 16 clients complete in d.
func rate(get func(string) []byte, u string, d time.Duration) float64 {
	var n atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				get(u)
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

package curation_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/curation"
	"github.com/archipel/archipel/federation/httpclient"
	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/media"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// Publishing an item, then editing it within the same window, pings the
// WebSub hub once per feed format: the two changes share one ping.
func TestWebSubPing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var mu sync.Mutex
		var topics []string
		hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			form, _ := url.ParseQuery(string(body))
			mu.Lock()
			if form.Get("hub.mode") == "publish" {
				topics = append(topics, form.Get("hub.url"))
			}
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}))
		defer hub.Close()
		if err := jobs.Migrate(ctx, s); err != nil {
			t.Fatal(err)
		}
		pub, _ := url.Parse("http://hub.example")
		storage, err := media.NewLocalStorage(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		lib := &library.Library{Store: s, Storage: storage, PublicURL: pub, WorkDir: t.TempDir()}
		client, err := httpclient.New(httpclient.Config{UserAgent: "test", AllowPrivate: true})
		if err != nil {
			t.Fatal(err)
		}
		ws := &curation.WebSub{Store: s, Client: client, Hub: hub.URL, Feeds: &curation.Feeds{Store: s, Library: lib, PublicURL: pub},
			Window: time.Second}
		lib.Events = library.EventsList{ws}
		workers := river.NewWorkers()
		river.AddWorker(workers, &curation.WebSubWorker{WebSub: ws})
		runner, err := jobs.New(s, workers, jobs.Config{NodeName: "websub-test", Workers: 2, RescueAfter: time.Hour,
			ShutdownTimeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler), Work: true})
		if err != nil {
			t.Fatal(err)
		}
		lib.Queue, ws.Queue = runner, runner
		if err := runner.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer runner.Stop()

		owner, err := (&accounts.Service{Store: s}).CreateUser(ctx, "maya", store.RoleCreator, "", "a long enough password")
		if err != nil {
			t.Fatal(err)
		}
		ch, err := s.CreateChannel(ctx, store.NewChannel{OwnerID: owner.ID, Kind: store.KindPodcast, Handle: "radio", Title: "Radio"})
		if err != nil {
			t.Fatal(err)
		}
		var item *store.Item
		if err := s.InTx(ctx, func(tx *store.Tx) (err error) {
			item, err = tx.CreateItem(ctx, store.NewItem{ChannelID: ch.ID, Kind: store.ItemEpisode, Title: "Pilot"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FinishItem(ctx, item.ID, time.Second, []store.MediaFile{{Rendition: "audio", MimeType: "audio/mp4", Size: 10, StorageKey: "k"}}, nil); err != nil {
			t.Fatal(err)
		}
		item, _ = s.ItemByID(ctx, item.ID)
		if err := lib.Publish(ctx, item); err != nil {
			t.Fatal(err)
		}
		item, _ = s.ItemByID(ctx, item.ID)
		if err := lib.Update(ctx, item, store.ItemEdit{Title: "Pilot, edited"}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			mu.Lock()
			n := len(topics)
			mu.Unlock()
			if n >= 3 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(1500 * time.Millisecond) // a second ping would come by now
		mu.Lock()
		defer mu.Unlock()
		sort.Strings(topics)
		want := []string{"http://hub.example/c/radio/feed.atom", "http://hub.example/c/radio/feed.json", "http://hub.example/c/radio/feed.rss"}
		if len(topics) != 3 || topics[0] != want[0] || topics[1] != want[1] || topics[2] != want[2] {
			// The publish and the edit may straddle two windows: then two
			// pings of the same three topics.
			if !(len(topics) == 6 && topics[0] == want[0] && topics[5] == want[2]) {
				t.Errorf("hub got %v, want %v", topics, want)
			}
		}
	})
}

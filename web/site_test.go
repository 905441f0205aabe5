package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
)

// site is a federating hub with a little of everything a visitor, a
// creator and a curator meet: alice's video channel @clips and podcast
// @talks, a published video with a comment thread and a published episode,
// a featured collection of both, a remote channel the hub follows and an
// item of it waiting for review. Accounts: alice and bob (creators with
// channels; bob comments), erin (a creator without a channel yet) and cora
// (a curator), all with testPassword. The browser journeys, the
// accessibility test, the page budgets and the page benchmark share it.
type site struct {
	h              *mediaHarness
	s              *store.Store
	clips, talks   *store.Channel
	video, episode *store.Item
	comment        int64  // bob's comment on the video
	collection     string // the featured collection's slug
	pending        *store.Item
}

type siteOptions struct {
	// realMedia transcodes the video and the episode from files ffmpeg
	// makes, so that they play and every file they link exists; otherwise
	// they are seeded without files (see seedItem), which is enough for
	// pages read over HTTP.
	realMedia bool
	// items are more published items, half videos on @clips, half
	// episodes on @talks, each with a thumbnail or two renditions.
	items int
	// allowPrivate lets the hub reach a fake remote instance on loopback.
	allowPrivate bool
	// p2p turns on the peer-to-peer player, as on a production hub.
	p2p bool
}

func newSite(t testing.TB, s *store.Store, opt siteOptions) *site {
	t.Helper()
	ctx := context.Background()
	alice := createUser(t, s, "alice", store.RoleCreator)
	bob := createUser(t, s, "bob", store.RoleCreator)
	createUser(t, s, "erin", store.RoleCreator)
	cora := createUser(t, s, "cora", store.RoleCurator)
	createUser(t, s, "ada", store.RoleAdmin)
	st := &site{s: s}
	st.clips = createChannel(t, s, alice, "clips", store.KindVideo)
	st.talks = createChannel(t, s, alice, "talks", store.KindPodcast)
	createChannel(t, s, bob, "bobs_garden", store.KindVideo)
	st.h = newMediaHarness(t, s, mediaOptions{federation: true, allowPrivate: opt.allowPrivate, p2p: opt.p2p})

	if opt.realMedia {
		auth := bearer(apiToken(t, s, alice))
		cli := st.h.browser()
		upload := func(channel, title, file string, data []byte) string {
			r := cli.tusUpload(auth, data, 1<<20, map[string]string{"channel": channel, "title": title,
				"description": "Recorded by the **harbour** at dawn.", "publish": "1", "filename": file})
			wantStatus(t, r, http.StatusOK)
			return decodeItem(t, r).ID
		}
		videoID := upload("clips", "Harbour at dawn", "harbour.mp4", sampleVideo(t))
		episodeID := upload("talks", "Tide tables, explained", "tides.mp3", sampleAudio(t))
		for _, id := range []string{videoID, episodeID} {
			if v := cli.waitItem(auth, id); v.State != store.StatePublished {
				t.Fatalf("item %s: %+v; logs:\n%s", id, v, st.h.logs.String())
			}
		}
		st.video = itemByPublicID(t, s, videoID)
		st.episode = itemByPublicID(t, s, episodeID)
	} else {
		st.video = seedItem(t, s, st.clips, "Harbour at dawn", "Recorded by the **harbour** at dawn.", true)
		st.episode = seedItem(t, s, st.talks, "Tide tables, explained", "Recorded by the **harbour** at dawn.", true)
	}
	for i := range opt.items {
		c := st.clips
		if i%2 == 1 {
			c = st.talks
		}
		seedItem(t, s, c, fmt.Sprintf("Harbour notes %d", i+1), "Notes *from* the harbour, part "+fmt.Sprint(i+1)+".", true)
	}

	// A thread: bob comments through the form, someone on another server
	// replies.
	b := st.h.browser()
	b.login("bob")
	page := "/i/" + st.video.PublicID
	r := b.submit(page, page+"/comments", url.Values{"text": {"The light on the water at 0:01 is lovely. #harbour"}})
	wantStatus(t, r, http.StatusSeeOther)
	if _, err := fmt.Sscanf(r.Header.Get("Location"), page+"#c%d", &st.comment); err != nil {
		t.Fatalf("Location after commenting: %q", r.Header.Get("Location"))
	}
	insertComment(t, s, st.video, actorOn(t, s, "rosa", "social.example"), st.comment, "@bob Agreed, it is!")

	st.collection = "harbour-picks"
	coll, err := s.CreateCollection(ctx, st.collection, "Harbour picks", "What our curators liked this month.", true, cora.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range []*store.Item{st.video, st.episode} {
		if err := s.AddToCollection(ctx, coll.ID, it.ID, "A calm one."); err != nil {
			t.Fatal(err)
		}
	}

	// The hub follows a remote channel, which brought an item to review.
	// Its media stay on their (unresolvable) host: nothing loads them
	// until a curator opens the preview.
	inst, err := st.h.fed.InstanceActor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	group, err := s.UpsertRemoteActor(ctx, store.Actor{Kind: "Group", Username: "films", URI: "https://videos.example/c/films",
		URL: "https://videos.example/c/films", Inbox: "https://videos.example/c/films/inbox", DisplayName: "Films by the sea"})
	if err != nil {
		t.Fatal(err)
	}
	var followID int64
	if err := s.InTx(ctx, func(tx *store.Tx) (err error) {
		followID, err = tx.PutCuratedFollow(ctx, inst.ID, group.ID, "http://"+st.h.host+"/activities/follow-films",
			"@films@videos.example", store.FollowSettings{Review: true}, cora.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFollowState(ctx, followID, store.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	in := store.IndexedItem{ViaActorID: group.ID, ReviewState: store.ReviewPending, Language: "en",
		Files: []store.MediaFile{{Rendition: "720p", MimeType: "video/mp4", RemoteURL: "https://videos.example/static/seaside.mp4",
			Width: 1280, Height: 720, Size: 4 << 20}}}
	in.ChannelActorID, in.Kind, in.Title = group.ID, store.ItemVideo, "Seaside in winter"
	in.OriginURI, in.OriginURL = "https://videos.example/videos/seaside", "https://videos.example/w/seaside"
	in.Duration, in.PublishedAt = 95*time.Second, time.Now().Add(-time.Hour)
	if st.pending, _, err = s.IndexRemoteItem(ctx, in); err != nil {
		t.Fatal(err)
	}
	return st
}

// warnings are the hub's log lines of level WARN or ERROR.
func (st *site) warnings() string {
	var out []string
	for _, l := range strings.Split(st.h.logs.String(), "\n") {
		if strings.Contains(l, `"level":"WARN"`) || strings.Contains(l, `"level":"ERROR"`) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// itemByPublicID loads an item.
func itemByPublicID(t testing.TB, s *store.Store, id string) *store.Item {
	t.Helper()
	it, err := s.ItemByPublicID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// sampleAudio is a 2-second MP3 made by ffmpeg.
func sampleAudio(t testing.TB) []byte {
	t.Helper()
	sampleVideo(t) // checks ffmpeg is there
	out := filepath.Join(t.TempDir(), "tides.mp3")
	if b, err := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", "-f", "lavfi",
		"-i", "sine=frequency=330:duration=2", "-c:a", "libmp3lame", "-b:a", "96k", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keyPage is a page the budgets, the accessibility test and the benchmark
// look at, and who looks at it ("" for a visitor).
type keyPage struct {
	name, path, user string
}

// keyPages are the site's main pages.
func (st *site) keyPages() []keyPage {
	return []keyPage{
		{"home", "/", ""},
		{"channel", "/c/" + st.clips.Handle, ""},
		{"item-video", "/i/" + st.video.PublicID, ""},
		{"item-episode", "/i/" + st.episode.PublicID, ""},
		{"collection", "/collections/" + st.collection, ""},
		{"login", "/login", ""},
		{"apply", "/apply", ""},
		{"interact", "/interact?uri=" + url.QueryEscape("http://"+st.h.host+"/i/"+st.video.PublicID), ""},
		{"upload", "/c/" + st.clips.Handle + "/upload", "alice"},
		{"review", "/curation/review", "cora"},
		{"follows", "/curation/follows", "cora"},
		{"federation-health", "/admin/federation", "cora"},
		{"search", "/search?q=" + url.QueryEscape(st.video.Title), ""},
		{"about", "/about", ""},
		{"curation-home", "/curation/home", "cora"},
		{"lists", "/curation/lists", "cora"},
		{"admin-users", "/admin/users", "ada"},
		{"admin-settings", "/admin/settings", "ada"},
	}
}

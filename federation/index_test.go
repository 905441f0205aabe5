package federation_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// peerTube makes r look like a PeerTube instance: NodeInfo naming the
// software, its Application actor (acct:peertube@host) and a channel Group.
func peerTube(r *remote) (app, channel string) {
	app, channel = r.actor("peertube"), r.actor("films")
	r.serveDoc("/.well-known/nodeinfo", map[string]any{"links": []map[string]string{
		{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": r.base() + "/nodeinfo/2.0.json"}}})
	r.serveDoc("/nodeinfo/2.0.json", map[string]any{"version": "2.0", "software": map[string]string{"name": "peertube", "version": "7.1.0"}})
	for _, a := range []struct{ id, typ, name string }{{app, "Application", "peertube"}, {channel, "Group", "films"}} {
		r.serveDoc("/users/"+a.name, map[string]any{
			"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       a.id, "type": a.typ, "preferredUsername": a.name, "name": "Films of " + a.name,
			"inbox": a.id + "/inbox", "outbox": a.id + "/outbox", "followers": a.id + "/followers",
			"endpoints": map[string]string{"sharedInbox": r.base() + "/inbox"},
			"publicKey": map[string]string{"id": a.id + "#main-key", "owner": a.id, "publicKeyPem": r.pubPEM},
		})
	}
	return app, channel
}

// peerTubeVideo is a Video as PeerTube 7 sends it (trimmed): attributedTo
// its account and its channel, url[] with the page, a file, its torrent
// and magnet, then the tracker.
func peerTubeVideo(r *remote, id, title, lang, fileURL string) map[string]any {
	return map[string]any{
		"type": "Video", "id": id, "name": title, "duration": "PT42S", "uuid": "9c9de5e8-0a1b-4b5c-8f1e-0a1b2c3d4e5f",
		"tag":       []any{map[string]string{"type": "Hashtag", "name": "#Science"}},
		"language":  map[string]string{"identifier": lang, "name": lang},
		"sensitive": false, "published": "2026-11-20T10:00:00.000Z", "mediaType": "text/markdown", "content": "A *film*",
		"to": []string{"https://www.w3.org/ns/activitystreams#Public"}, "cc": []string{r.actor("films") + "/followers"},
		"attributedTo": []any{map[string]string{"type": "Person", "id": r.actor("alice")}, map[string]string{"type": "Group", "id": r.actor("films")}},
		"icon":         []any{map[string]any{"type": "Image", "url": r.base() + "/lazy-static/thumbnails/x.jpg", "mediaType": "image/jpeg", "width": 280, "height": 157}},
		"url": []any{
			map[string]any{"type": "Link", "mediaType": "text/html", "href": r.base() + "/w/abc"},
			map[string]any{"type": "Link", "mediaType": "video/mp4", "href": fileURL, "height": 720, "size": 123456, "fps": 30},
			map[string]any{"type": "Link", "mediaType": "application/x-bittorrent", "href": r.base() + "/lazy-static/torrents/x-720.torrent", "height": 720},
			map[string]any{"type": "Link", "mediaType": "application/x-bittorrent;x-scheme-handler/magnet", "href": "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", "height": 720},
			map[string]any{"type": "Link", "name": "tracker-websocket", "rel": []string{"tracker", "websocket"}, "href": "ws://" + r.host() + "/tracker/socket"},
		},
	}
}

// TestIndexPeerTubeInstance follows a PeerTube-shaped instance by its bare
// host, gets its Accept, and indexes its Video (with the channel, file,
// torrent, magnet, thumbnail, duration, language and tags) into the review
// queue; edits and deletions follow. Refused, with the reason logged: a
// video whose file is on another private address, one in a language the
// follow keeps out, an item boosted from a blocked instance, and a video
// from an actor the hub does not follow.
func TestIndexPeerTubeInstance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHub(t, s, hubOptions{})
		r := newRemote(t)
		app, channel := peerTube(r)

		target, err := h.fed.ResolveTarget(ctx, r.host())
		if err != nil {
			t.Fatal(err)
		}
		if target.URI != app || target.Kind != "Application" {
			t.Fatalf("the bare host resolved to %s (%s), want the Application actor", target.URI, target.Kind)
		}
		if _, err := h.fed.FollowRemote(ctx, target, r.host(), store.FollowSettings{Review: true, Languages: []string{"fr"}}, 0); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the Follow reaches the instance", func() bool { return len(r.activities("Follow")) == 1 })
		follow := r.activities("Follow")[0]
		if follow["object"] != app || follow["actor"] != h.url+"/actor" {
			t.Fatalf("Follow = %v", follow)
		}
		if code, body := r.post(h.url+"/actor/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": r.base() + "/accepts/1", "type": "Accept", "actor": app, "object": follow}); code != http.StatusAccepted {
			t.Fatalf("Accept: %d %s", code, body)
		}
		eventually(t, "the follow is accepted", func() bool {
			f, err := s.CuratedFollowOf(ctx, target.ID)
			return err == nil && f.State == store.FollowAccepted
		})

		create := func(n string, obj map[string]any) {
			t.Helper()
			if code, body := r.post(h.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
				"id": r.base() + "/activities/" + n, "type": "Create", "actor": r.actor("alice"), "object": obj,
				"to": obj["to"], "cc": obj["cc"]}); code != http.StatusAccepted {
				t.Fatalf("Create %s: %d %s", n, code, body)
			}
		}
		videoID := r.base() + "/videos/watch/abc"
		create("1", peerTubeVideo(r, videoID, "Seaside", "fr", r.base()+"/static/web-videos/abc-720.mp4"))
		var item *store.Item
		eventually(t, "the video waits for review", func() bool {
			q, _ := s.ReviewQueue(ctx, 10, 0)
			if len(q) == 1 {
				item = q[0]
			}
			return item != nil
		})
		if item.Title != "Seaside" || item.Kind != store.ItemVideo || item.Duration != 42*time.Second || item.Language != "fr" ||
			item.OriginURI != videoID || item.OriginURL != r.base()+"/w/abc" || item.ChannelTitle != "Films of films" || item.ReviewState != store.ReviewPending {
			t.Fatalf("indexed item = %+v", item)
		}
		files, _ := s.MediaFiles(ctx, item.ID)
		var video, thumb *store.MediaFile
		for _, f := range files {
			switch f.Rendition {
			case "720p":
				video = f
			case "thumbnail":
				thumb = f
			}
		}
		if video == nil || video.RemoteURL != r.base()+"/static/web-videos/abc-720.mp4" || video.Size != 123456 || video.FPS != 30 ||
			video.TorrentURL != r.base()+"/lazy-static/torrents/x-720.torrent" || !strings.HasPrefix(video.MagnetURI, "magnet:?xt=urn:btih:0123") {
			t.Fatalf("video file = %+v", video)
		}
		if thumb == nil || thumb.RemoteURL != r.base()+"/lazy-static/thumbnails/x.jpg" {
			t.Fatalf("thumbnail = %+v", thumb)
		}
		if tags, _ := s.ItemTags(ctx, item.ID); len(tags) != 1 || tags[0] != "science" {
			t.Fatalf("tags = %v", tags)
		}
		ch, _ := s.RemoteActorByURI(ctx, channel)
		if ch == nil || ch.Kind != "Group" {
			t.Fatalf("the channel actor was not fetched: %+v", ch)
		}

		// Refusals, each logged with its reason; nothing is stored.
		create("2", peerTubeVideo(r, r.base()+"/videos/watch/ssrf", "Internal", "fr", "http://10.1.2.3:8080/admin.mp4"))
		create("3", peerTubeVideo(r, r.base()+"/videos/watch/en", "In English", "en", r.base()+"/static/en.mp4"))
		if err := s.SetInstancePolicy(ctx, "blocked.example", store.PolicyBlock); err != nil {
			t.Fatal(err)
		}
		if code, body := r.post(h.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": r.base() + "/activities/4", "type": "Announce", "actor": app, "object": "https://blocked.example/videos/watch/1",
			"to": []string{"https://www.w3.org/ns/activitystreams#Public"}}); code != http.StatusAccepted {
			t.Fatalf("Announce: %d %s", code, body)
		}
		stranger := newRemote(t)
		if code, body := stranger.post(h.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": stranger.base() + "/activities/5", "type": "Create", "actor": stranger.actor("bob"),
			"object": peerTubeVideo(stranger, stranger.base()+"/videos/watch/z", "Unasked", "fr", stranger.base()+"/z.mp4")}); code != http.StatusAccepted {
			t.Fatalf("stranger's Create: %d %s", code, body)
		}
		for _, reason := range []string{"is on a private address (10.1.2.3)", `language \"en\" is not among [fr]`,
			"announced https://blocked.example/videos/watch/1 is from a blocked instance", "not from an actor the hub follows"} {
			eventually(t, "the refusal is logged: "+reason, func() bool { return strings.Contains(h.logText(), reason) })
		}
		if n, _ := s.CountReviewQueue(ctx); n != 1 {
			t.Fatalf("%d items wait for review after the refusals, want 1", n)
		}

		// The origin edits the video, then deletes it.
		edited := peerTubeVideo(r, videoID, "Seaside, edited", "fr", r.base()+"/static/web-videos/abc-720.mp4")
		if code, body := r.post(h.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": r.base() + "/activities/6", "type": "Update", "actor": r.actor("alice"), "object": edited,
			"to": edited["to"]}); code != http.StatusAccepted {
			t.Fatalf("Update: %d %s", code, body)
		}
		eventually(t, "the edit is applied", func() bool {
			it, err := s.ItemByID(ctx, item.ID)
			return err == nil && it.Title == "Seaside, edited" && it.ReviewState == store.ReviewPending
		})
		if code, body := r.post(h.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": r.base() + "/activities/7", "type": "Delete", "actor": r.actor("alice"), "object": videoID,
			"to": []string{"https://www.w3.org/ns/activitystreams#Public"}}); code != http.StatusAccepted {
			t.Fatalf("Delete: %d %s", code, body)
		}
		eventually(t, "the deletion is applied", func() bool {
			_, err := s.ItemByID(ctx, item.ID)
			return err == store.ErrNotFound
		})
	})
}

// TestMirrorFollowedItem follows a PeerTube-shaped channel with mirroring
// and automatic acceptance: the hub copies the video's file, serves it
// from its own /media with a torrent of its own, and tells the origin
// with a CacheFile, as PeerTube announces redundancies.
func TestMirrorFollowedItem(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHub(t, s, hubOptions{})
		r := newRemote(t)
		_, channel := peerTube(r)
		data := bytes.Repeat([]byte("archipel mirror "), 20000) // 320 KB
		r.serveFile("/static/web-videos/m.mp4", data)
		target, err := h.fed.RemoteActor(ctx, channel)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.fed.FollowRemote(ctx, target, channel, store.FollowSettings{Mirror: true}, 0); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the Follow arrives", func() bool { return len(r.activities("Follow")) == 1 })
		if code, body := r.post(h.url+"/actor/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": r.base() + "/accepts/m", "type": "Accept", "actor": channel, "object": r.activities("Follow")[0]}); code != http.StatusAccepted {
			t.Fatalf("Accept: %d %s", code, body)
		}
		eventually(t, "the follow is accepted", func() bool {
			f, err := s.CuratedFollowOf(ctx, target.ID)
			return err == nil && f.State == store.FollowAccepted
		})
		videoID := r.base() + "/videos/watch/m"
		video := peerTubeVideo(r, videoID, "Mirrored", "fr", r.base()+"/static/web-videos/m.mp4")
		if code, body := r.post(h.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": r.base() + "/activities/m1", "type": "Create", "actor": r.actor("alice"), "object": video,
			"to": video["to"], "cc": video["cc"]}); code != http.StatusAccepted {
			t.Fatalf("Create: %d %s", code, body)
		}
		var mirrored *store.MediaFile
		eventually(t, "the file is mirrored", func() bool {
			it, err := s.ItemByOriginURI(ctx, videoID)
			if err != nil {
				return false
			}
			files, _ := s.MediaFiles(ctx, it.ID)
			for _, f := range files {
				if f.Rendition == "720p" && f.StorageKey != "" {
					mirrored = f
				}
			}
			return mirrored != nil
		})
		if mirrored.Size != int64(len(data)) || mirrored.RemoteURL != r.base()+"/static/web-videos/m.mp4" {
			t.Fatalf("mirrored file = %+v", mirrored)
		}
		if tors, _ := s.ItemTorrents(ctx, mirrored.ItemID); len(tors) != 1 || tors[0].MediaFileID != mirrored.ID {
			t.Fatalf("the mirror has no torrent of its own: %+v", tors)
		}
		resp, body := h.get("/media/"+mirrored.StorageKey, "")
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
			t.Fatalf("the hub serves its copy: %d, %d bytes", resp.StatusCode, len(body))
		}
		eventually(t, "the origin hears of the copy", func() bool {
			for _, c := range r.activities("Create") {
				obj, _ := c["object"].(map[string]any)
				u, _ := obj["url"].(map[string]any)
				if obj["type"] == "CacheFile" && obj["object"] == videoID && u["href"] == h.url+"/media/"+mirrored.StorageKey {
					return true
				}
			}
			return false
		})

		// A limited instance's items wait for review even from a follow
		// that accepts automatically.
		if err := s.SetInstancePolicy(ctx, r.host(), store.PolicyLimit); err != nil {
			t.Fatal(err)
		}
		second := peerTubeVideo(r, r.base()+"/videos/watch/m2", "Limited", "fr", r.base()+"/static/web-videos/m.mp4")
		if code, body := r.post(h.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": r.base() + "/activities/m2", "type": "Create", "actor": r.actor("alice"), "object": second,
			"to": second["to"], "cc": second["cc"]}); code != http.StatusAccepted {
			t.Fatalf("Create: %d %s", code, body)
		}
		eventually(t, "the limited instance's item waits for review", func() bool {
			it, err := s.ItemByOriginURI(ctx, r.base()+"/videos/watch/m2")
			return err == nil && it.ReviewState == store.ReviewPending
		})
	})
}

package web

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/coder/websocket"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// TestTorrentLinksEverywhere follows a published video's torrent: its
// .torrent (with and without web seed), its magnet link on the page, its
// links in the ActivityPub object (PeerTube's shape) and in the podcast
// feed's alternateEnclosure, and the tracker that announces it.
func TestTorrentLinksEverywhere(t *testing.T) {
	data := sampleVideo(t)
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		alice := createUser(t, s, "alice", store.RoleCreator)
		createChannel(t, s, alice, "clips", store.KindVideo)
		h := newMediaHarness(t, s, mediaOptions{p2p: true, federation: true})
		auth := bearer(apiToken(t, s, alice))
		cli := h.browser()
		r := cli.tusUpload(auth, data, 64<<10, map[string]string{"channel": "clips", "title": "Torrent", "publish": "1", "filename": "t.mp4"})
		wantStatus(t, r, http.StatusOK)
		v := cli.waitItem(auth, decodeItem(t, r).ID)
		var best *itemRendition
		for i := range v.Renditions {
			rv := &v.Renditions[i]
			switch {
			case strings.HasPrefix(rv.MimeType, "video/") || strings.HasPrefix(rv.MimeType, "audio/"):
				if rv.Torrent == nil {
					t.Fatalf("rendition %s has no torrent", rv.Name)
				}
				if best == nil {
					best = rv
				}
			case rv.Torrent != nil:
				t.Fatalf("rendition %s (%s) has a torrent", rv.Name, rv.MimeType)
			}
		}
		tr := best.Torrent
		tracker := "ws://" + h.host + "/tracker/socket"
		if tr.Tracker != tracker || tr.WebSeed != best.URL || tr.Torrent != h.srv.URL+"/torrents/"+tr.InfoHash+".torrent" {
			t.Fatalf("torrent links = %+v", tr)
		}

		// The .torrent: tracker, exact file URL as web seed, our infohash.
		anon := h.browser()
		r = anon.get("/torrents/" + tr.InfoHash + ".torrent")
		wantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "application/x-bittorrent" || r.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("Content-Type %q, ACAO %q", ct, r.Header.Get("Access-Control-Allow-Origin"))
		}
		mi, err := metainfo.Load(strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		info, err := mi.UnmarshalInfo()
		if err != nil {
			t.Fatal(err)
		}
		if mi.HashInfoBytes().HexString() != tr.InfoHash || mi.Announce != tracker || len(mi.UrlList) != 1 || mi.UrlList[0] != best.URL ||
			info.Length != best.Size || info.PieceLength < 256<<10 || info.PieceLength > 1<<20 {
			t.Fatalf(".torrent: hash %s, announce %q, url-list %v, length %d, pieces of %d", mi.HashInfoBytes().HexString(), mi.Announce, mi.UrlList, info.Length, info.PieceLength)
		}
		// Its pieces are the file's.
		file := h.browser().get(h.mediaPath(t, best.URL))
		if err := checkPieces(&info, []byte(file.body)); err != nil {
			t.Fatal(err)
		}
		r = anon.get("/torrents/" + tr.InfoHash + ".torrent?webseed=0")
		wantStatus(t, r, http.StatusOK)
		if bare, err := metainfo.Load(strings.NewReader(r.body)); err != nil || len(bare.UrlList) != 0 || bare.HashInfoBytes() != mi.HashInfoBytes() {
			t.Fatalf("?webseed=0: url-list %v, %v", bare.UrlList, err)
		}
		for _, bad := range []string{strings.Repeat("0", 40), strings.ToUpper(tr.InfoHash), "xyz", tr.InfoHash} {
			wantStatus(t, anon.get("/torrents/"+bad+map[bool]string{true: "", false: ".torrent"}[bad == tr.InfoHash]), http.StatusNotFound)
		}

		// The page: the P2P player and the magnet link.
		r = anon.get("/i/" + v.ID)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `data-p2p-torrent="`+tr.Torrent+`?webseed=0"`, `data-p2p-webseed="`+best.URL+`"`,
			`data-p2p-server-peer="`+hex.EncodeToString([]byte("-AP0001-"))+`"`, `href="magnet:?xt=urn:btih:`+tr.InfoHash,
			`class="p2p-switch"`, "They can see your IP address")

		// ActivityPub: per file a .torrent and a magnet link, then the tracker.
		r = anon.request(http.MethodGet, "/i/"+v.ID, nil, http.Header{"Accept": {"application/activity+json"}})
		wantStatus(t, r, http.StatusOK)
		var obj struct {
			URL []struct {
				MediaType string   `json:"mediaType"`
				Href      string   `json:"href"`
				Height    int      `json:"height"`
				Rel       []string `json:"rel"`
			} `json:"url"`
		}
		if err := json.Unmarshal([]byte(r.body), &obj); err != nil {
			t.Fatal(err)
		}
		found := map[string]bool{}
		for _, u := range obj.URL {
			switch {
			case u.MediaType == "application/x-bittorrent" && u.Href == tr.Torrent && u.Height == best.Height:
				found["torrent"] = true
			case u.MediaType == "application/x-bittorrent;x-scheme-handler/magnet" && u.Href == tr.Magnet && u.Height == best.Height:
				found["magnet"] = true
			case len(u.Rel) == 2 && u.Rel[0] == "tracker" && u.Rel[1] == "websocket" && u.Href == tracker:
				found["tracker"] = true
			}
		}
		if len(found) != 3 {
			t.Fatalf("ActivityPub url[] lacks some P2P links (found %v): %s", found, r.body)
		}

		// The podcast feed: the torrent and the magnet as alternate sources.
		r = anon.get("/c/clips/feed.rss")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `<podcast:source uri="`+tr.Torrent+`" contentType="application/x-bittorrent"></podcast:source>`,
			`<podcast:source uri="magnet:?xt=urn:btih:`+tr.InfoHash)

		// The tracker is mounted and knows the swarm, and only it.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, tracker, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		ih, _ := hex.DecodeString(tr.InfoHash)
		for _, c := range []struct {
			ih   []byte
			want string
		}{{ih, `"interval"`}, {bytes.Repeat([]byte{7}, 20), "unknown info_hash"}} {
			msg, _ := json.Marshal(map[string]any{"action": "announce", "info_hash": binaryString(c.ih),
				"peer_id": binaryString([]byte("-WW0300-abcdefghijkl")), "numwant": 0, "left": 0, "event": "started"})
			if err := ws.Write(ctx, websocket.MessageText, msg); err != nil {
				t.Fatal(err)
			}
			_, reply, err := ws.Read(ctx)
			if err != nil || !strings.Contains(string(reply), c.want) {
				t.Fatalf("tracker reply %s, %v; want %s", reply, err, c.want)
			}
		}
	})
}

// binaryString is the tracker protocol's form of bytes: one code point each.
func binaryString(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// checkPieces verifies data against info's piece hashes.
func checkPieces(info *metainfo.Info, data []byte) error {
	if int64(len(data)) != info.Length {
		return &pieceError{"length", -1}
	}
	for i := 0; i < info.NumPieces(); i++ {
		p := info.Piece(i)
		sum := metainfo.HashBytes(data[p.Offset() : p.Offset()+p.Length()])
		if !bytes.Equal(sum[:], info.Pieces[i*20:(i+1)*20]) {
			return &pieceError{"hash", i}
		}
	}
	return nil
}

type pieceError struct {
	what  string
	piece int
}

func (e *pieceError) Error() string { return "piece " + itoa(e.piece) + ": bad " + e.what }

// TestSameBytesTwice uploads one video twice: the two items transcode to
// the same bytes, yet each gets its own torrent (the file's name in it is
// its storage key) and both finish.
func TestSameBytesTwice(t *testing.T) {
	data := sampleVideo(t)
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		alice := createUser(t, s, "alice", store.RoleCreator)
		createChannel(t, s, alice, "clips", store.KindVideo)
		h := newMediaHarness(t, s, mediaOptions{p2p: true})
		auth := bearer(apiToken(t, s, alice))
		cli := h.browser()
		seen := map[string]string{}
		for _, title := range []string{"First", "Second"} {
			r := cli.tusUpload(auth, data, 64<<10, map[string]string{"channel": "clips", "title": title, "publish": "1", "filename": "same.mp4"})
			wantStatus(t, r, http.StatusOK)
			v := cli.waitItem(auth, decodeItem(t, r).ID)
			for _, rv := range v.Renditions {
				if rv.Torrent == nil {
					continue
				}
				if other, dup := seen[rv.Torrent.InfoHash]; dup {
					t.Fatalf("%s's %s has the infohash of %s", title, rv.Name, other)
				}
				seen[rv.Torrent.InfoHash] = title + " " + rv.Name
			}
		}
		if len(seen) < 2 {
			t.Fatalf("torrents: %v", seen)
		}
	})
}

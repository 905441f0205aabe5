package web

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/archipel/archipel/config"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/media/seed"
	"github.com/archipel/archipel/media/torrent"
)

// handleTorrent serves GET /torrents/{infohash}.torrent: the .torrent of a
// published item's rendition, announcing to the hub's tracker with the
// file's URL as web seed. Any origin may fetch it (players on other sites
// and other hubs do), and it is cached for an hour: its bytes change only
// if the hub's address does.
func (s *server) handleTorrent(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".torrent")
	if b, err := hex.DecodeString(name); !ok || err != nil || len(b) != 20 || strings.ToLower(name) != name {
		s.renderNotFound(w, r)
		return
	}
	t, f, err := s.store.PublishedTorrent(r.Context(), name)
	if s.lookupFailed(w, r, err) {
		return
	}
	webSeed := f.StorageKey
	if r.URL.Query().Get("webseed") == "0" {
		webSeed = "" // for players that add the web seed only when peers lack
	}
	b, err := s.library.TorrentFile(t, webSeed)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", torrent.MimeType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Disposition", `attachment; filename="`+name+`.torrent"`)
	etag := `"` + name[:32] + map[bool]string{true: "-p"}[webSeed == ""] + `"`
	h.Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b)
}

// serveTracker hands GET /tracker/socket to the WebTorrent tracker. Its
// WebSockets live as long as viewers watch: the server's whole-request
// deadlines are lifted (the tracker pings and bounds its own writes).
func (s *server) serveTracker(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	s.tracker.ServeHTTP(w, r)
}

// playerP2P is the P2P player's data for a source that has a torrent.
func (s *server) playerP2P(src library.RenditionView) *playerP2P {
	return &playerP2P{
		Torrent:    src.Torrent.Torrent + "?webseed=0",
		WebSeed:    src.Torrent.WebSeed,
		ServerPeer: hex.EncodeToString([]byte(seed.PeerIDPrefix)),
		ICE:        s.iceJSON,
		Lib:        "/static/vendor/webtorrent.min.js?v=" + s.static["/static/vendor/webtorrent.min.js"],
		Worker:     "/static/vendor/webtorrent-sw.min.js",
		Script:     "/static/player.js?v=" + s.static["/static/player.js"],
	}
}

// iceServersJSON is the players' RTCIceServer list.
func iceServersJSON(list []config.ICEServer) string {
	type iceServer struct {
		URLs       string `json:"urls"`
		Username   string `json:"username,omitempty"`
		Credential string `json:"credential,omitempty"`
	}
	out := []iceServer{}
	for _, s := range list {
		out = append(out, iceServer{URLs: s.URL, Username: s.Username, Credential: s.Credential})
	}
	b, _ := json.Marshal(out)
	return string(b)
}

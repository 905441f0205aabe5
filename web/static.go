package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var staticFS embed.FS

// fingerprinted are the static files that pages link with a content hash,
// so that browsers may cache them for good.
var fingerprinted = []string{"static/style.css", "static/upload.js", "static/copy.js", "static/item.js", "static/player.js",
	"static/vendor/webtorrent.min.js"}

// loadStatic fingerprints the style sheet and the scripts.
func (s *server) loadStatic() error {
	s.static = make(map[string]string, len(fingerprinted))
	for _, name := range fingerprinted {
		data, err := staticFS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("web: read %s: %w", name, err)
		}
		sum := sha256.Sum256(data)
		s.static["/"+name] = hex.EncodeToString(sum[:6])
	}
	s.styleHash = s.static["/static/style.css"]
	s.styleURL = "/static/style.css?v=" + s.styleHash
	s.scriptURL = "/static/upload.js?v=" + s.static["/static/upload.js"]
	s.copyScriptURL = "/static/copy.js?v=" + s.static["/static/copy.js"]
	s.itemScriptURL = "/static/item.js?v=" + s.static["/static/item.js"]
	return nil
}

// handleStatic serves the embedded files under /static/. Fingerprinted URLs
// are cached for a year, others for an hour.
func (s *server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	if fi, err := fs.Stat(staticFS, name); err != nil || fi.IsDir() {
		s.renderNotFound(w, r)
		return
	}
	if v := r.URL.Query().Get("v"); v != "" && v == s.static[r.URL.Path] {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=3600")
	}
	if name == "static/vendor/webtorrent-sw.min.js" {
		// WebTorrent's service worker must control the item pages, so its
		// scope is the whole site (it answers only /webtorrent/ URLs).
		// Not fingerprinted: browsers check it for updates themselves.
		w.Header().Set("Service-Worker-Allowed", "/")
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeFileFS(w, r, staticFS, name)
}

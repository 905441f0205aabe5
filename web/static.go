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

// loadStatic fingerprints the style sheet, so that pages can link it with a
// version that lets browsers cache it for good.
func (s *server) loadStatic() error {
	css, err := staticFS.ReadFile("static/style.css")
	if err != nil {
		return fmt.Errorf("web: read style sheet: %w", err)
	}
	sum := sha256.Sum256(css)
	s.styleHash = hex.EncodeToString(sum[:6])
	s.styleURL = "/static/style.css?v=" + s.styleHash
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
	if r.URL.Path == "/static/style.css" && r.URL.Query().Get("v") == s.styleHash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=3600")
	}
	http.ServeFileFS(w, r, staticFS, name)
}

package web

import (
	"errors"
	"net/http"
	"path"
	"strings"

	"github.com/archipel/archipel/media"
	"github.com/archipel/archipel/store"
)

// handleMedia serves GET and HEAD /media/{key...}: a stored file of an
// item, with byte ranges and conditional requests (media.ServeFile). The
// file must belong to a published item, or the requester (by session or
// bearer token) must manage it; otherwise it is not found. The uploaded
// original (rendition "source", whose key is predictable and which may
// carry the uploader's metadata) is only ever served to those who manage
// the item. Keys include the
// transcoding job's id, so a key's content never changes: it is cached for
// good, with the start of its SHA-256 as its ETag.
func (s *server) handleMedia(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if media.CheckKey(key) != nil {
		s.renderNotFound(w, r)
		return
	}
	if strings.HasPrefix(key, artworkPrefix) {
		s.serveArtwork(w, r, key)
		return
	}
	f, err := s.store.MediaFileByKey(r.Context(), key)
	if isNotFound(err) {
		s.renderNotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	item, err := s.store.ItemByID(r.Context(), f.ItemID)
	if isNotFound(err) {
		s.renderNotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if item.State != store.StatePublished || f.Rendition == "source" {
		user, _, err := s.authenticate(r)
		if err != nil && !errors.Is(err, errBadToken) {
			s.serverError(w, r, err)
			return
		}
		if !canManage(user, item.OwnerID) {
			s.renderNotFound(w, r)
			return
		}
		// Only its owner and admins may see it: keep it out of shared caches.
		w.Header().Set("Vary", "Cookie, Authorization")
		w = &privateCache{ResponseWriter: w}
	}
	etag := ""
	if len(f.SHA256) >= 32 {
		etag = `"` + f.SHA256[:32] + `"`
	}
	extendDeadlines(w, f.Size, false, true)
	media.ServeFile(w, r, s.library.Storage, key, f.MimeType, etag, true)
}

// serveArtwork serves a channel's picture. Its key is new at each upload,
// so it is cached for good too.
func (s *server) serveArtwork(w http.ResponseWriter, r *http.Request, key string) {
	ok, err := s.store.IsChannelArtwork(r.Context(), key)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !ok {
		s.renderNotFound(w, r)
		return
	}
	mimeType := "image/jpeg"
	if strings.HasSuffix(key, ".png") {
		mimeType = "image/png"
	}
	media.ServeFile(w, r, s.library.Storage, key, mimeType, `"`+path.Base(key)+`"`, true)
}

// privateCache replaces the Cache-Control that media.ServeFile sets by one
// that lets only the browser keep the file, revalidating it each time.
type privateCache struct {
	http.ResponseWriter
	wrote bool
}

func (p *privateCache) WriteHeader(code int) {
	if !p.wrote {
		p.wrote = true
		p.Header().Set("Cache-Control", "private, no-cache")
	}
	p.ResponseWriter.WriteHeader(code)
}

func (p *privateCache) Write(b []byte) (int, error) {
	if !p.wrote {
		p.WriteHeader(http.StatusOK)
	}
	return p.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (p *privateCache) Unwrap() http.ResponseWriter { return p.ResponseWriter }

package media

import (
	"errors"
	"io/fs"
	"net/http"
	"path"
)

// Cache-Control values of ServeFile.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheShort     = "public, max-age=300"
)

// ServeFile serves key from st with full HTTP semantics, streaming it:
// GET and HEAD, Range (one range gives 206 with Content-Range, several give
// multipart/byteranges, an unsatisfiable one gives 416 with
// "Content-Range: bytes */size"), If-Range, the strong etag given by the
// caller (e.g. `"<first 32 hex of the sha256>"`) with If-None-Match,
// Last-Modified with If-Modified-Since, Content-Type = contentType,
// Accept-Ranges: bytes, X-Content-Type-Options: nosniff, and Cache-Control
// "public, max-age=31536000, immutable" when immutable, else
// "public, max-age=300". A missing key gives 404.
//
// It is http.ServeContent over the opened File, which seeks and copies only
// the requested bytes. A LocalStorage file embeds its *os.File (so it has
// SyscallConn), which lets net/http hand the copy to the kernel (sendfile)
// when w is the server's own ResponseWriter or a wrapper that implements
// io.ReaderFrom by delegating to it.
func ServeFile(w http.ResponseWriter, r *http.Request, st Storage, key, contentType, etag string, immutable bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, err := st.Open(r.Context(), key)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrInvalidKey) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	defer f.Close()

	if contentType == "" {
		contentType = "application/octet-stream" // never sniff
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Accept-Ranges", "bytes")
	h.Set("X-Content-Type-Options", "nosniff")
	if immutable {
		h.Set("Cache-Control", cacheImmutable)
	} else {
		h.Set("Cache-Control", cacheShort)
	}
	if etag != "" {
		h.Set("Etag", etag)
	}

	http.ServeContent(w, r, path.Base(key), f.ModTime(), f)
}

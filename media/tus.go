package media

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// tus protocol constants.
const (
	tusVersion     = "1.0.0"
	tusExtensions  = "creation,expiration,termination"
	tusContentType = "application/offset+octet-stream"

	// DefaultUploadExpiry is used when Uploads.Expiry is 0.
	DefaultUploadExpiry = 24 * time.Hour

	maxMetadataHeader = 4 << 10  // bytes of Upload-Metadata accepted
	maxSidecarSize    = 64 << 10 // bytes of a .json sidecar read back
	idBytes           = 16       // 128-bit upload IDs
)

// UserError is an error whose message may be shown to the person uploading.
// Accept and Complete may return one (or any error with a UserMessage
// method) to refuse an upload with that message.
type UserError struct {
	Message string
}

func (e *UserError) Error() string       { return e.Message }
func (e *UserError) UserMessage() string { return e.Message }

// Refuse returns a *UserError with a formatted message.
func Refuse(format string, args ...any) error {
	return &UserError{Message: fmt.Sprintf(format, args...)}
}

// userMessage returns the UserMessage of err or of an error it wraps.
func userMessage(err error) (string, bool) {
	var um interface{ UserMessage() string }
	if errors.As(err, &um) {
		return um.UserMessage(), true
	}
	return "", false
}

// Uploads is a tus 1.0.0 server (core protocol plus the creation,
// expiration and termination extensions). Partial uploads live in Dir as
// <id>.bin (the data; its size is the upload offset) and <id>.json (the
// rest, written atomically). Set the fields, then mount Handler at BasePath
// without stripping the prefix. An Uploads must not be copied after first
// use.
type Uploads struct {
	Dir      string        // where partial uploads live: <id>.bin data + <id>.json metadata
	BasePath string        // URL path prefix the handler is mounted at, e.g. "/api/uploads/"; Location = BasePath + id
	MaxSize  int64         // largest Upload-Length accepted (413 above it); 0 means no limit
	Expiry   time.Duration // an unfinished upload not touched for this long expires; 0 means DefaultUploadExpiry
	Logger   *slog.Logger  // nil discards

	// Owner identifies the caller (user id), or returns ok=false for 401.
	// Every upload belongs to its creator; another owner gets 404.
	Owner func(r *http.Request) (owner int64, ok bool)
	// Accept is called at creation with the decoded Upload-Metadata. An
	// error with a UserMessage() method refuses with 422 and that message;
	// any other error gives 500. nil accepts everything.
	Accept func(r *http.Request, owner int64, meta map[string]string) error
	// Complete is called once, synchronously, when the last byte has
	// arrived. It takes ownership of the data file u.Path (it may move it
	// away). Its result is sent to the client as JSON (200) in the final
	// PATCH response; an error with UserMessage() gives 422 {"error": msg},
	// any other 500 {"error":"internal error"}. Either way the upload's
	// files are removed afterwards. Its context is not cancelled when the
	// client goes away.
	Complete func(ctx context.Context, u *Upload) (any, error)
	// Localize, when set, puts an error message into the language of the
	// request (the browser's upload page shows it as it comes).
	Localize func(r *http.Request, msg string) string
	Now      func() time.Time // nil means time.Now

	mu   sync.Mutex
	busy map[string]struct{} // uploads with a PATCH, DELETE or Sweep in progress
}

// Upload is one upload as seen by Complete.
type Upload struct {
	ID        string
	Owner     int64
	Length    int64
	Offset    int64
	Metadata  map[string]string
	Path      string // the data file
	CreatedAt time.Time
	ExpiresAt time.Time
}

// uploadInfo is the JSON sidecar of an upload. The offset is not in it: the
// data file's size is the offset.
type uploadInfo struct {
	ID        string            `json:"id"`
	Owner     int64             `json:"owner"`
	Length    int64             `json:"length"`
	Metadata  map[string]string `json:"metadata"`
	CreatedAt time.Time         `json:"created_at"`
	TouchedAt time.Time         `json:"touched_at"` // creation or last PATCH
}

func (u *Uploads) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

func (u *Uploads) expiry() time.Duration {
	if u.Expiry > 0 {
		return u.Expiry
	}
	return DefaultUploadExpiry
}

func (u *Uploads) logger() *slog.Logger {
	if u.Logger != nil {
		return u.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (u *Uploads) basePath() string {
	if strings.HasSuffix(u.BasePath, "/") {
		return u.BasePath
	}
	return u.BasePath + "/"
}

func (u *Uploads) binPath(id string) string  { return filepath.Join(u.Dir, id+".bin") }
func (u *Uploads) jsonPath(id string) string { return filepath.Join(u.Dir, id+".json") }

func (u *Uploads) expiresAt(info *uploadInfo) time.Time {
	return info.TouchedAt.Add(u.expiry())
}

func (u *Uploads) expired(info *uploadInfo) bool {
	return !u.now().Before(u.expiresAt(info))
}

// tryLock marks upload id busy; false if it already is.
func (u *Uploads) tryLock(id string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.busy == nil {
		u.busy = make(map[string]struct{})
	}
	if _, ok := u.busy[id]; ok {
		return false
	}
	u.busy[id] = struct{}{}
	return true
}

func (u *Uploads) unlock(id string) {
	u.mu.Lock()
	delete(u.busy, id)
	u.mu.Unlock()
}

// Handler serves OPTIONS on BasePath and BasePath+id, POST on BasePath
// (creation), and HEAD, PATCH and DELETE on BasePath+id. It expects the
// full request path (do not wrap it in http.StripPrefix). It panics if Dir,
// BasePath, Owner or Complete is unset.
func (u *Uploads) Handler() http.Handler {
	switch {
	case u.Dir == "":
		panic("media: Uploads.Dir is empty")
	case u.BasePath == "":
		panic("media: Uploads.BasePath is empty")
	case u.Owner == nil:
		panic("media: Uploads.Owner is nil")
	case u.Complete == nil:
		panic("media: Uploads.Complete is nil")
	}
	return http.HandlerFunc(u.serveHTTP)
}

func (u *Uploads) serveHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Tus-Resumable", tusVersion)

	method := r.Method
	if o := r.Header.Get("X-HTTP-Method-Override"); o != "" && method == http.MethodPost {
		method = strings.ToUpper(o)
	}

	base := u.basePath()
	var id string
	switch p := r.URL.Path; {
	case p == base || p == strings.TrimSuffix(base, "/"):
	case strings.HasPrefix(p, base) && !strings.Contains(p[len(base):], "/"):
		id = p[len(base):]
	default:
		u.writeError(w, r, http.StatusNotFound, "not found")
		return
	}

	if method == http.MethodOptions {
		h.Set("Tus-Version", tusVersion)
		h.Set("Tus-Extension", tusExtensions)
		if u.MaxSize > 0 {
			h.Set("Tus-Max-Size", strconv.FormatInt(u.MaxSize, 10))
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Header.Get("Tus-Resumable") != tusVersion {
		h.Set("Tus-Version", tusVersion)
		u.writeError(w, r, http.StatusPreconditionFailed, "unsupported tus version: this server speaks tus "+tusVersion)
		return
	}
	owner, ok := u.Owner(r)
	if !ok {
		u.writeError(w, r, http.StatusUnauthorized, "sign in to upload")
		return
	}

	if id == "" {
		if method != http.MethodPost {
			h.Set("Allow", "OPTIONS, POST")
			u.writeError(w, r, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		u.create(w, r, owner)
		return
	}
	switch method {
	case http.MethodHead:
		u.head(w, r, owner, id)
	case http.MethodPatch:
		u.patch(w, r, owner, id)
	case http.MethodDelete:
		u.terminate(w, r, owner, id)
	default:
		h.Set("Allow", "OPTIONS, HEAD, PATCH, DELETE")
		u.writeError(w, r, http.StatusMethodNotAllowed, "method not allowed")
	}
}

// create handles POST: a new upload.
func (u *Uploads) create(w http.ResponseWriter, r *http.Request, owner int64) {
	log := u.logger().With("owner", owner)
	if r.Header.Get("Upload-Defer-Length") != "" {
		u.writeError(w, r, http.StatusBadRequest, "Upload-Defer-Length is not supported: send Upload-Length")
		return
	}
	lengthHeader := r.Header.Get("Upload-Length")
	if lengthHeader == "" {
		u.writeError(w, r, http.StatusBadRequest, "Upload-Length is required")
		return
	}
	length, ok := parseOffset(lengthHeader)
	if !ok {
		u.writeError(w, r, http.StatusBadRequest, "Upload-Length must be a non-negative integer")
		return
	}
	if length == 0 {
		u.writeError(w, r, http.StatusBadRequest, "the file is empty")
		return
	}
	if u.MaxSize > 0 && length > u.MaxSize {
		log.Info("upload refused: too large", "length", length, "max", u.MaxSize)
		u.writeError(w, r, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the file is too large: the limit is %d bytes (%s)", u.MaxSize, humanBytes(u.MaxSize)))
		return
	}
	meta, err := parseMetadata(r.Header.Get("Upload-Metadata"))
	if err != nil {
		u.writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	// Creation-with-upload is not offered: a body must be empty.
	if r.ContentLength > 0 {
		u.writeError(w, r, http.StatusBadRequest, "send the data with PATCH (creation-with-upload is not supported)")
		return
	} else if r.ContentLength < 0 {
		if n, _ := io.ReadFull(r.Body, make([]byte, 1)); n > 0 {
			u.writeError(w, r, http.StatusBadRequest, "send the data with PATCH (creation-with-upload is not supported)")
			return
		}
	}
	if u.Accept != nil {
		if err := u.Accept(r, owner, meta); err != nil {
			if msg, ok := userMessage(err); ok {
				log.Info("upload refused", "reason", msg)
				u.writeError(w, r, http.StatusUnprocessableEntity, msg)
				return
			}
			log.Error("upload accept", "err", err)
			u.writeError(w, r, http.StatusInternalServerError, "internal error")
			return
		}
	}

	now := u.now()
	info := &uploadInfo{
		ID:        randomHex(idBytes),
		Owner:     owner,
		Length:    length,
		Metadata:  meta,
		CreatedAt: now,
		TouchedAt: now,
	}
	if err := u.createFiles(info); err != nil {
		log.Error("upload create", "err", err)
		u.writeError(w, r, http.StatusInternalServerError, "internal error")
		return
	}
	log.Info("upload created", "upload", info.ID, "length", length)
	w.Header().Set("Location", u.basePath()+info.ID)
	w.Header().Set("Upload-Expires", u.expiresAt(info).UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusCreated)
}

// createFiles makes the empty data file, then the sidecar.
func (u *Uploads) createFiles(info *uploadInfo) error {
	if err := os.MkdirAll(u.Dir, dirPerm); err != nil {
		return err
	}
	f, err := os.OpenFile(u.binPath(info.ID), os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := u.writeInfo(info); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

func (u *Uploads) writeInfo(info *uploadInfo) error {
	data, err := json.Marshal(info)
	if err != nil {
		return err
	}
	return writeFileAtomic(u.jsonPath(info.ID), data)
}

// readInfo reads the sidecar of upload id.
func (u *Uploads) readInfo(id string) (*uploadInfo, error) {
	f, err := os.Open(u.jsonPath(id))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var info uploadInfo
	if err := json.NewDecoder(io.LimitReader(f, maxSidecarSize)).Decode(&info); err != nil {
		return nil, fmt.Errorf("upload %s: sidecar: %w", id, err)
	}
	if info.ID != id {
		return nil, fmt.Errorf("upload %s: sidecar names %q", id, info.ID)
	}
	return &info, nil
}

// lookup finds upload id for owner and its offset. It writes the error
// response (404 unknown or not the owner's, 410 expired) and returns nil
// when there is none.
// lockedLookup is lookup for requests that change an upload: it takes the
// upload's lock first (423 when another request holds it). On success the
// caller must call unlock; on failure the response is written.
func (u *Uploads) lockedLookup(w http.ResponseWriter, r *http.Request, owner int64, id string) (*uploadInfo, int64, func()) {
	if !validID(id) {
		u.writeError(w, r, http.StatusNotFound, "upload not found")
		return nil, 0, nil
	}
	if !u.tryLock(id) {
		u.writeError(w, r, http.StatusLocked, "this upload is busy with another request")
		return nil, 0, nil
	}
	info, offset := u.lookup(w, r, owner, id)
	if info == nil {
		u.unlock(id)
		return nil, 0, nil
	}
	return info, offset, func() { u.unlock(id) }
}

func (u *Uploads) lookup(w http.ResponseWriter, r *http.Request, owner int64, id string) (*uploadInfo, int64) {
	if !validID(id) {
		u.writeError(w, r, http.StatusNotFound, "upload not found")
		return nil, 0
	}
	info, err := u.readInfo(id)
	if errors.Is(err, fs.ErrNotExist) {
		u.writeError(w, r, http.StatusNotFound, "upload not found")
		return nil, 0
	} else if err != nil {
		u.logger().Error("upload read", "upload", id, "err", err)
		u.writeError(w, r, http.StatusInternalServerError, "internal error")
		return nil, 0
	}
	if info.Owner != owner {
		u.writeError(w, r, http.StatusNotFound, "upload not found")
		return nil, 0
	}
	if u.expired(info) {
		u.writeError(w, r, http.StatusGone, "upload expired")
		return nil, 0
	}
	fi, err := os.Stat(u.binPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		u.writeError(w, r, http.StatusNotFound, "upload not found")
		return nil, 0
	} else if err != nil {
		u.logger().Error("upload stat", "upload", id, "err", err)
		u.writeError(w, r, http.StatusInternalServerError, "internal error")
		return nil, 0
	}
	return info, fi.Size()
}

// head handles HEAD: the upload's offset.
func (u *Uploads) head(w http.ResponseWriter, r *http.Request, owner int64, id string) {
	info, offset := u.lookup(w, r, owner, id)
	if info == nil {
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	h.Set("Upload-Length", strconv.FormatInt(info.Length, 10))
	if len(info.Metadata) > 0 {
		h.Set("Upload-Metadata", encodeMetadata(info.Metadata))
	}
	h.Set("Upload-Expires", u.expiresAt(info).UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
}

// patch handles PATCH: data at an offset.
func (u *Uploads) patch(w http.ResponseWriter, r *http.Request, owner int64, id string) {
	log := u.logger().With("owner", owner, "upload", id)
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != tusContentType {
		u.writeError(w, r, http.StatusUnsupportedMediaType, "Content-Type must be "+tusContentType)
		return
	}
	clientOffset, ok := parseOffset(r.Header.Get("Upload-Offset"))
	if !ok {
		u.writeError(w, r, http.StatusBadRequest, "Upload-Offset must be a non-negative integer")
		return
	}
	info, offset, unlock := u.lockedLookup(w, r, owner, id)
	if info == nil {
		return
	}
	defer unlock()
	if clientOffset != offset {
		u.writeError(w, r, http.StatusConflict,
			fmt.Sprintf("Upload-Offset %d does not match the upload's offset %d", clientOffset, offset))
		return
	}
	remaining := info.Length - offset
	if r.ContentLength > remaining {
		u.writeError(w, r, http.StatusBadRequest,
			fmt.Sprintf("the body (%d bytes) goes past Upload-Length (%d bytes remain)", r.ContentLength, remaining))
		return
	}

	n, copyErr, err := u.writeAt(id, offset, r.Body, remaining)
	offset += n
	if err != nil {
		log.Error("upload write", "offset", offset, "err", err)
		u.writeError(w, r, http.StatusInternalServerError, "internal error")
		return
	}
	if n > 0 {
		info.TouchedAt = u.now()
		if err := u.writeInfo(info); err != nil {
			log.Error("upload touch", "err", err)
		}
	}
	if copyErr != nil {
		if errors.Is(copyErr, errTooMuchData) {
			log.Info("upload refused: body past Upload-Length", "offset", offset)
			u.writeError(w, r, http.StatusBadRequest, "the body goes past Upload-Length")
			return
		}
		// The client went away (or sent a broken body): the bytes that
		// arrived are kept, HEAD tells where to resume.
		log.Info("upload interrupted", "offset", offset, "length", info.Length, "err", copyErr)
		u.writeError(w, r, http.StatusBadRequest, "the body was cut short; resume from Upload-Offset")
		return
	}

	w.Header().Set("Upload-Offset", strconv.FormatInt(offset, 10))
	if offset < info.Length {
		w.Header().Set("Upload-Expires", u.expiresAt(info).UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	u.complete(w, r, info, offset)
}

var errTooMuchData = errors.New("body goes past Upload-Length")

// writeAt appends body to the data file of id at offset, never past
// remaining bytes. n is what was written and kept. copyErr is a body error
// (the client's side: a cut connection, or errTooMuchData, in which case
// nothing is kept); err is the server's side.
func (u *Uploads) writeAt(id string, offset int64, body io.Reader, remaining int64) (n int64, copyErr, err error) {
	f, err := os.OpenFile(u.binPath(id), os.O_WRONLY, 0)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return 0, nil, err
	}
	// Read one byte more than fits, to tell an oversized body; capWriter
	// refuses a chunk that would go past remaining.
	cw := &capWriter{w: f, limit: remaining}
	_, copyErr = copyBuffer(cw, io.LimitReader(body, remaining+1))
	n = cw.n
	switch {
	case cw.werr != nil:
		copyErr, err = nil, cw.werr
	case cw.over:
		copyErr = errTooMuchData
		// A refused request leaves the upload as it was.
		if terr := f.Truncate(offset); terr != nil {
			return 0, nil, terr
		}
		n = 0
	}
	if serr := f.Sync(); serr != nil && err == nil {
		err = serr
	}
	if cerr := f.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return n, copyErr, err
}

// capWriter writes at most limit bytes: a write that would go past it is
// refused whole (over). It keeps a write error apart from read errors.
type capWriter struct {
	w     io.Writer
	n     int64
	limit int64
	over  bool
	werr  error
}

func (cw *capWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > cw.limit-cw.n {
		cw.over = true
		return 0, errTooMuchData
	}
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	if err != nil {
		cw.werr = err
	}
	return n, err
}

// complete hands a finished upload to Complete, answers with its result,
// and removes the upload's files.
func (u *Uploads) complete(w http.ResponseWriter, r *http.Request, info *uploadInfo, offset int64) {
	log := u.logger().With("owner", info.Owner, "upload", info.ID)
	up := &Upload{
		ID:        info.ID,
		Owner:     info.Owner,
		Length:    info.Length,
		Offset:    offset,
		Metadata:  info.Metadata,
		Path:      u.binPath(info.ID),
		CreatedAt: info.CreatedAt,
		ExpiresAt: u.expiresAt(info),
	}
	result, err := u.Complete(context.WithoutCancel(r.Context()), up)
	u.removeFiles(info.ID)
	if err != nil {
		if msg, ok := userMessage(err); ok {
			log.Info("upload refused at completion", "reason", msg)
			u.writeError(w, r, http.StatusUnprocessableEntity, msg)
			return
		}
		log.Error("upload complete", "err", err)
		u.writeError(w, r, http.StatusInternalServerError, "internal error")
		return
	}
	data, err := json.Marshal(result)
	if err != nil {
		log.Error("upload complete: encode result", "err", err)
		u.writeError(w, r, http.StatusInternalServerError, "internal error")
		return
	}
	log.Info("upload completed", "length", info.Length)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)+1))
	w.WriteHeader(http.StatusOK)
	w.Write(append(data, '\n'))
}

// removeFiles removes the sidecar, then the data file (if still there).
func (u *Uploads) removeFiles(id string) {
	for _, p := range []string{u.jsonPath(id), u.binPath(id)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			u.logger().Error("upload remove", "upload", id, "path", p, "err", err)
		}
	}
}

// terminate handles DELETE.
func (u *Uploads) terminate(w http.ResponseWriter, r *http.Request, owner int64, id string) {
	info, _, unlock := u.lockedLookup(w, r, owner, id)
	if info == nil {
		return
	}
	defer unlock()
	u.removeFiles(id)
	u.logger().Info("upload terminated", "owner", owner, "upload", id)
	w.WriteHeader(http.StatusNoContent)
}

// Sweep removes expired uploads (both files), orphaned data files and
// leftover temporary files older than the expiry, and returns how many
// uploads it removed. Uploads busy with a request are left for next time.
func (u *Uploads) Sweep(ctx context.Context) (removed int, err error) {
	entries, err := os.ReadDir(u.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("media: sweep uploads: %w", err)
	}
	now := u.now()
	names := make(map[string]bool, len(entries))
	for _, e := range entries {
		names[e.Name()] = true
	}
	for _, e := range entries {
		name := e.Name()
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		switch {
		case strings.HasSuffix(name, ".json") && validID(strings.TrimSuffix(name, ".json")):
			id := strings.TrimSuffix(name, ".json")
			if !u.tryLock(id) {
				continue
			}
			info, err := u.readInfo(id)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				// completed or terminated meanwhile
			case err != nil:
				// Unreadable sidecar: judge by its age.
				if u.olderThanExpiry(filepath.Join(u.Dir, name), now) {
					u.removeFiles(id)
					removed++
				}
			case !now.Before(u.expiresAt(info)):
				u.removeFiles(id)
				u.logger().Info("upload expired", "owner", info.Owner, "upload", id)
				removed++
			}
			u.unlock(id)
		case strings.HasSuffix(name, ".bin") && validID(strings.TrimSuffix(name, ".bin")):
			id := strings.TrimSuffix(name, ".bin")
			if names[id+".json"] || !u.tryLock(id) {
				continue
			}
			if _, err := os.Stat(u.jsonPath(id)); errors.Is(err, fs.ErrNotExist) &&
				u.olderThanExpiry(u.binPath(id), now) {
				u.removeFiles(id)
				removed++
			}
			u.unlock(id)
		case strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-"):
			p := filepath.Join(u.Dir, name)
			if u.olderThanExpiry(p, now) {
				os.Remove(p)
			}
		}
	}
	return removed, nil
}

func (u *Uploads) olderThanExpiry(path string, now time.Time) bool {
	fi, err := os.Stat(path)
	return err == nil && !now.Before(fi.ModTime().Add(u.expiry()))
}

// writeError answers with a JSON {"error": msg} (no body for HEAD).
func (u *Uploads) writeError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h := w.Header()
	h.Del("Upload-Offset")
	h.Del("Upload-Expires")
	h.Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	if u.Localize != nil {
		msg = u.Localize(r, msg)
	}
	data, _ := json.Marshal(map[string]string{"error": msg})
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// validID reports whether id looks like an upload ID: 32 lower-case hex.
func validID(id string) bool {
	if len(id) != 2*idBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// parseOffset parses a non-negative decimal integer with digits only.
func parseOffset(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parseMetadata decodes Upload-Metadata: comma-separated "key base64value"
// pairs, the value optional. Keys must be unique, non-empty, without spaces
// or commas; values must decode to UTF-8 text.
func parseMetadata(s string) (map[string]string, error) {
	meta := map[string]string{}
	if len(s) > maxMetadataHeader {
		return nil, fmt.Errorf("Upload-Metadata is too long (the limit is %d bytes)", maxMetadataHeader)
	}
	if strings.TrimSpace(s) == "" {
		return meta, nil
	}
	for pair := range strings.SplitSeq(s, ",") {
		pair = strings.TrimSpace(pair)
		key, value, _ := strings.Cut(pair, " ")
		value = strings.TrimSpace(value)
		if key == "" || strings.ContainsAny(key, " \t") {
			return nil, errors.New("Upload-Metadata: malformed key")
		}
		if _, dup := meta[key]; dup {
			return nil, fmt.Errorf("Upload-Metadata: duplicate key %q", key)
		}
		if strings.Contains(value, " ") {
			return nil, fmt.Errorf("Upload-Metadata: malformed value for %q", key)
		}
		dec, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			dec, err = base64.RawStdEncoding.DecodeString(value)
		}
		if err != nil {
			return nil, fmt.Errorf("Upload-Metadata: value for %q is not base64", key)
		}
		if !utf8.Valid(dec) {
			return nil, fmt.Errorf("Upload-Metadata: value for %q is not UTF-8 text", key)
		}
		meta[key] = string(dec)
	}
	return meta, nil
}

// encodeMetadata is the inverse of parseMetadata, keys sorted.
func encodeMetadata(meta map[string]string) string {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		if v := meta[k]; v != "" {
			b.WriteByte(' ')
			b.WriteString(base64.StdEncoding.EncodeToString([]byte(v)))
		}
	}
	return b.String()
}

// humanBytes formats n bytes with a binary unit, e.g. "2.0 GiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"

	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/transcode"
)

// maxFieldBytes bounds each text field of the upload form.
const maxFieldBytes = 64 << 10

// errFieldTooLong is a text field of the upload form over maxFieldBytes.
var errFieldTooLong = errors.New("form field too long")

// handleUploadSubmit receives the upload form when JavaScript is off: a
// multipart body whose csrf_token field comes first, then the file and the
// other fields in any order. The file is streamed to a temporary file in
// the uploads directory, never held in memory, then ingested.
//
// It is registered with streamRoute, so it checks the CSRF token itself,
// before it reads any other part.
func (s *server) handleUploadSubmit(w http.ResponseWriter, r *http.Request) {
	user, c, ok := s.requireUploader(w, r)
	if !ok {
		return
	}
	log := s.state(r).logger
	page := s.newUploadPage(c)
	page.Publish = false // a checkbox is sent only when checked

	limit := s.uploads.MaxSize
	size := r.ContentLength
	if limit > 0 {
		// Room for the other fields and the multipart framing; the file
		// itself is held to limit below.
		r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20)
		if size < 0 || size > limit {
			size = limit
		}
	}
	extendDeadlines(w, size, true, true)

	mr, err := r.MultipartReader()
	if err != nil {
		page.Error = s.tr(r).T("upload.not_multipart")
		s.render(w, r, http.StatusBadRequest, "upload", s.tr(r).T("upload.heading", c.Title), page)
		return
	}
	var (
		csrfOK   bool
		tmpPath  string
		filename string
		fileSize int64
	)
	defer func() {
		if tmpPath != "" {
			_ = os.Remove(tmpPath) // Ingest moved it away unless it failed
		}
	}()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.uploadBodyError(w, r, page, err)
			return
		}
		name := part.FormName()
		if name != csrfField && !csrfOK {
			// The token must come first, so that nothing is read or
			// written for a forged request.
			part.Close()
			s.formExpired(w, r)
			return
		}
		switch name {
		case csrfField, "title", "description", "publish":
			v, err := readField(part)
			if err != nil {
				part.Close()
				s.uploadBodyError(w, r, page, err)
				return
			}
			switch name {
			case csrfField:
				if csrfOK = s.csrfTokenValid(r, v); !csrfOK {
					part.Close()
					s.formExpired(w, r)
					return
				}
			case "title":
				page.Title = v
			case "description":
				page.Description = v
			case "publish":
				page.Publish = v != "" && v != "0" && v != "false"
			}
		case "file":
			if tmpPath != "" {
				part.Close()
				page.Error = s.tr(r).T("upload.one_file")
				s.render(w, r, http.StatusBadRequest, "upload", s.tr(r).T("upload.heading", c.Title), page)
				return
			}
			filename = part.FileName()
			tmpPath, fileSize, err = s.spool(part, limit)
			if err != nil {
				part.Close()
				s.uploadBodyError(w, r, page, err)
				return
			}
		}
		part.Close()
	}
	if !csrfOK {
		s.formExpired(w, r)
		return
	}
	if tmpPath == "" || fileSize == 0 {
		page.Error = s.tr(r).T("upload.no_file")
		s.render(w, r, http.StatusUnprocessableEntity, "upload", s.tr(r).T("upload.heading", c.Title), page)
		return
	}

	item, err := s.library.Ingest(r.Context(), c, tmpPath, library.Input{
		Title: page.Title, Description: page.Description, Publish: page.Publish, Filename: filename,
	})
	var re *transcode.RejectError
	if errors.As(err, &re) {
		log.Info("upload refused", "channel", c.Handle, "user", user.Username, "reason", re.Reason)
		page.Error = s.tr(r).detail(re.Message)
		s.render(w, r, http.StatusUnprocessableEntity, "upload", s.tr(r).T("upload.heading", c.Title), page)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	log.Info("item uploaded", "item", item.PublicID, "channel", c.Handle, "user", user.Username, "via", "form")
	http.Redirect(w, r, "/i/"+item.PublicID, http.StatusSeeOther)
}

// spool copies a file part to a new temporary file in the uploads
// directory, up to limit bytes (0: no limit). A file over the limit is an
// *http.MaxBytesError. The temporary files are named so that the uploads'
// Sweep removes any left behind by a crash.
func (s *server) spool(part *multipart.Part, limit int64) (path string, n int64, err error) {
	if err := os.MkdirAll(s.uploads.Dir, 0o750); err != nil {
		return "", 0, err
	}
	f, err := os.CreateTemp(s.uploads.Dir, ".form-upload.tmp-*")
	if err != nil {
		return "", 0, err
	}
	var src io.Reader = part
	if limit > 0 {
		src = io.LimitReader(part, limit+1)
	}
	n, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && limit > 0 && n > limit {
		err = &http.MaxBytesError{Limit: limit}
	}
	if err != nil {
		os.Remove(f.Name())
		return "", 0, err
	}
	return f.Name(), n, nil
}

// readField reads a text part of the upload form.
func readField(part *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxFieldBytes {
		return "", errFieldTooLong
	}
	return string(b), nil
}

// uploadBodyError answers a body that could not be read: too large (413),
// a field too long, or cut short (400).
func (s *server) uploadBodyError(w http.ResponseWriter, r *http.Request, page *uploadPage, err error) {
	tr := s.tr(r)
	title := tr.T("upload.heading", page.Channel.Title)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		page.Error = tr.T("upload.too_large", tr.Bytes(s.uploads.MaxSize))
		s.render(w, r, http.StatusRequestEntityTooLarge, "upload", title, page)
	case errors.Is(err, errFieldTooLong):
		page.Error = tr.T("upload.field_too_long", tr.Bytes(maxFieldBytes))
		s.render(w, r, http.StatusBadRequest, "upload", title, page)
	default:
		s.state(r).logger.Info("upload form interrupted", "error", err)
		page.Error = tr.T("upload.interrupted")
		s.render(w, r, http.StatusBadRequest, "upload", title, page)
	}
}

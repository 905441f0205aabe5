package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/archipel/archipel/media"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/transcode"
)

// The tus endpoint (media.Uploads) is mounted at /api/uploads/ behind
// apiRoute. New sets its callbacks to the methods below. An upload's
// Upload-Metadata carries:
//
//	channel      handle of a local channel the user owns (admins: any)
//	title        optional; the file name without extension when empty
//	description  optional, Markdown
//	publish      "1" or "true": publish as soon as transcoding succeeds
//	filename     the file's name on the uploader's machine
//
// The final PATCH answers 200 with the new item (library.ItemView, state
// "processing"); a file that is not usable media answers 422 with why.

// serveUploads runs the tus handler, giving PATCH requests time to stream
// their body and, for the last one, to ingest the whole file.
func (s *server) serveUploads(h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch || r.Method == http.MethodPost {
			extendDeadlines(w, r.ContentLength, true, false)
			extendDeadlines(w, s.uploads.MaxSize, false, true)
		}
		h.ServeHTTP(w, r)
	}
}

// uploadOwner is Uploads.Owner: the authenticated user.
func (s *server) uploadOwner(r *http.Request) (int64, bool) {
	user, err := s.currentUser(r) // apiRoute has authenticated the request
	if err != nil || user == nil {
		return 0, false
	}
	return user.ID, true
}

// acceptUpload is Uploads.Accept: the upload must name a local channel the
// user manages.
func (s *server) acceptUpload(r *http.Request, owner int64, meta map[string]string) error {
	user, err := s.currentUser(r)
	if err != nil {
		return err
	}
	if user == nil || user.ID != owner {
		return media.Refuse("Sign in to upload.")
	}
	_, err = s.uploadChannel(r.Context(), user, meta["channel"])
	return err
}

// uploadChannel finds the channel named by an upload's metadata and checks
// that user may upload to it. Refusals carry a message for the uploader.
func (s *server) uploadChannel(ctx context.Context, user *store.User, handle string) (*store.Channel, error) {
	handle = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(handle), "@"))
	if handle == "" {
		return nil, media.Refuse("Say which channel to upload to (the channel metadata).")
	}
	if len(handle) > 64 {
		handle = handle[:64]
	}
	ch, err := s.store.LocalChannel(ctx, handle)
	if isNotFound(err) {
		return nil, media.Refuse("There is no channel @%s.", handle)
	}
	if err != nil {
		return nil, err
	}
	if !canManage(user, ch.OwnerID) {
		return nil, media.Refuse("You cannot upload to @%s.", handle)
	}
	return ch, nil
}

// completeUpload is Uploads.Complete: it checks the user and channel again
// (they may have changed during a long upload), then ingests the file.
func (s *server) completeUpload(ctx context.Context, u *media.Upload) (any, error) {
	user, err := s.store.UserByID(ctx, u.Owner)
	if isNotFound(err) {
		return nil, media.Refuse("Your account no longer exists.")
	}
	if err != nil {
		return nil, err
	}
	ch, err := s.uploadChannel(ctx, user, u.Metadata["channel"])
	if err != nil {
		return nil, err
	}
	item, err := s.library.Ingest(ctx, ch, u.Path, uploadInput(u.Metadata))
	if err != nil {
		return nil, uploadError(err)
	}
	s.logger.Info("item uploaded", "item", item.PublicID, "channel", ch.Handle, "user", user.Username, "via", "tus")
	return s.library.View(ctx, item, true)
}

// uploadInput reads an upload's metadata.
func uploadInput(meta map[string]string) library.Input {
	p := strings.ToLower(strings.TrimSpace(meta["publish"]))
	return library.Input{
		Title:       meta["title"],
		Description: meta["description"],
		Publish:     p == "1" || p == "true",
		Filename:    meta["filename"],
	}
}

// refusedMedia is a file the transcoder refused, shown to the uploader.
type refusedMedia struct{ err *transcode.RejectError }

func (e *refusedMedia) Error() string       { return fmt.Sprintf("upload refused: %v", e.err) }
func (e *refusedMedia) Unwrap() error       { return e.err }
func (e *refusedMedia) UserMessage() string { return e.err.Message }

// uploadError gives a refused file's error a UserMessage.
func uploadError(err error) error {
	var re *transcode.RejectError
	if errors.As(err, &re) {
		return &refusedMedia{err: re}
	}
	return err
}

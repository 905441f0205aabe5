package web

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"net/http"
	"time"

	"github.com/archipel/archipel/curation/feeds"
)

// artworkPrefix starts the storage keys of channel pictures.
const artworkPrefix = "channels/"

// maxArtwork bounds an uploaded channel picture.
const maxArtwork = 10 << 20

// handleChannelArtwork saves the picture sent from a channel's feed
// settings page: a JPEG or PNG that Apple Podcasts accepts (square, RGB,
// 1400 to 3000 pixels a side), else the page explains what is wrong. The
// body is bounded before the CSRF token is read, so the route streams.
func (s *server) handleChannelArtwork(w http.ResponseWriter, r *http.Request) {
	const limit = maxArtwork + 64<<10
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseMultipartForm(limit); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.renderError(w, r, http.StatusRequestEntityTooLarge, "error.too_large", "error.too_large.artwork")
			return
		}
		s.renderError(w, r, http.StatusBadRequest, "error.nothing_sent", "error.nothing_sent.artwork")
		return
	}
	if !s.csrfTokenValid(r, r.FormValue(csrfField)) {
		s.formExpired(w, r)
		return
	}
	user, c := s.manageChannelFor(w, r, "error.not_owner.feed")
	if c == nil {
		return
	}
	f := s.newFeedSettingsForm(c)
	fail := func(msg string) {
		f.Errors["artwork"] = msg
		s.render(w, r, http.StatusUnprocessableEntity, "feed_settings", s.tr(r).T("feed.heading", c.Title), f)
	}
	file, _, err := r.FormFile("artwork")
	if err != nil {
		fail(s.tr(r).T("feed.artwork_missing"))
		return
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if _, _, err := feeds.CheckArtwork(bytes.NewReader(data)); err != nil {
		fail(s.tr(r).T("feed.artwork_invalid", s.tr(r).detail(err.Error())))
		return
	}
	_, format, _ := image.DecodeConfig(bytes.NewReader(data))
	ext := ".jpg"
	if format == "png" {
		ext = ".png"
	}
	key := fmt.Sprintf("%s%s/artwork-%d%s", artworkPrefix, c.Handle, time.Now().UnixNano(), ext)
	if _, _, err := s.library.Storage.Put(r.Context(), key, bytes.NewReader(data)); err != nil {
		s.serverError(w, r, err)
		return
	}
	old, err := s.store.SetChannelArtwork(r.Context(), c.ID, key)
	if err != nil {
		_ = s.library.Storage.Delete(r.Context(), key)
		s.serverError(w, r, err)
		return
	}
	if old != "" {
		if err := s.library.Storage.Delete(r.Context(), old); err != nil {
			s.state(r).logger.Warn("delete the former artwork", "key", old, "error", err)
		}
	}
	s.state(r).logger.Info("artwork saved", "channel", c.Handle, "user", user.Username, "bytes", len(data))
	http.Redirect(w, r, "/c/"+c.Handle+"/feed-settings?saved=1", http.StatusSeeOther)
}

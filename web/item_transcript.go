package web

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/archipel/archipel/media/library"
)

// handleItemTranscript saves the transcript file sent from an item's edit
// page (a WebVTT or SubRip file); the item's feeds then carry it as
// podcast:transcript and its player as captions. The body is bounded
// before the CSRF token is read, so the route streams.
func (s *server) handleItemTranscript(w http.ResponseWriter, r *http.Request) {
	const limit = library.MaxTranscript + 64<<10
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseMultipartForm(limit); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.renderError(w, r, http.StatusRequestEntityTooLarge, "error.too_large", "error.too_large.transcript")
			return
		}
		s.renderError(w, r, http.StatusBadRequest, "error.nothing_sent", "error.nothing_sent.transcript")
		return
	}
	if !s.csrfTokenValid(r, r.FormValue(csrfField)) {
		s.formExpired(w, r)
		return
	}
	user, item := s.manageItem(w, r)
	if item == nil || !s.editable(w, r, item) {
		return
	}
	form := newItemForm(s.tr(r), item)
	fail := func(msg string) {
		tags, _ := s.store.ItemTags(r.Context(), item.ID)
		form.fill(item, tags)
		form.Errors["transcript"] = msg
		s.render(w, r, http.StatusUnprocessableEntity, "item_edit", s.tr(r).T("item_edit.title", item.Title), form)
	}
	f, _, err := r.FormFile("transcript")
	if err != nil {
		fail(s.tr(r).T("item_edit.transcript_missing"))
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	err = s.library.SetTranscript(r.Context(), item, data)
	if errors.Is(err, library.ErrBadTranscript) {
		fail(s.tr(r).T("item_edit.transcript_invalid", s.tr(r).detail(strings.TrimPrefix(err.Error(), library.ErrBadTranscript.Error()+": "))))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("transcript saved", "item", item.PublicID, "user", user.Username, "bytes", len(data))
	http.Redirect(w, r, "/i/"+item.PublicID+"/edit", http.StatusSeeOther)
}

package web

import (
	"errors"
	"io"
	"net/http"

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
			s.renderError(w, r, http.StatusRequestEntityTooLarge, "File too large", "A transcript may be at most 2 MiB.")
			return
		}
		s.renderError(w, r, http.StatusBadRequest, "Nothing was sent", "Choose a transcript file, then send the form again.")
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
	form := newItemForm(item)
	fail := func(msg string) {
		tags, _ := s.store.ItemTags(r.Context(), item.ID)
		form.fill(item, tags)
		form.Errors["transcript"] = msg
		s.render(w, r, http.StatusUnprocessableEntity, "item_edit", "Edit "+item.Title, form)
	}
	f, _, err := r.FormFile("transcript")
	if err != nil {
		fail("Choose a transcript file: WebVTT (.vtt) or SubRip (.srt).")
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
		fail("This file is " + err.Error() + ".")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("transcript saved", "item", item.PublicID, "user", user.Username, "bytes", len(data))
	http.Redirect(w, r, "/i/"+item.PublicID+"/edit", http.StatusSeeOther)
}

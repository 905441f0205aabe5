package web

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
)

// embedView is the data of the embeddable player.
type embedView struct {
	Hub      string
	Lang     string
	StyleURL string
	Item     *store.Item // nil: not available
	PageURL  string
	Video    bool
	Sources  []library.RenditionView
	Poster   string
	Message  string // why there is nothing to play
}

// handleItemEmbed serves the player of a published local item for other
// sites' iframes: the <video> or <audio> element and a link to the item's
// page, without the site's header. It is the one page that may be framed
// (see allowFraming), so it reads no session and sets no cookie: what it
// shows is the same for everyone.
func (s *server) handleItemEmbed(w http.ResponseWriter, r *http.Request) {
	allowFraming(w)
	v := embedView{Hub: s.hubName(r.Context()), Lang: s.lang(r), StyleURL: s.styleURL}
	id := r.PathValue("id")
	var item *store.Item
	var err error
	if id != "" && len(id) <= 64 {
		item, err = s.store.ItemByPublicID(r.Context(), id)
	} else {
		err = store.ErrNotFound
	}
	if err == nil && (item.State != store.StatePublished || item.OriginURI != "") {
		err = store.ErrNotFound
	}
	if isNotFound(err) {
		status := http.StatusNotFound
		v.Message = s.tr(r).T("embed.unavailable")
		if s.federation != nil && s.federation.Tombstoned(r.Context(), s.federation.ItemURI(id)) {
			status = http.StatusGone
			v.Message = s.tr(r).T("embed.deleted")
		}
		s.renderEmbed(w, r, status, v)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	view, err := s.library.View(r.Context(), item, false)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	sources, thumbnail, poster, _ := view.Playable()
	if poster == "" {
		poster = thumbnail
	}
	v.Item, v.PageURL, v.Video, v.Sources, v.Poster = item, s.absURL("/i/"+item.PublicID), item.Kind == store.ItemVideo, sources, poster
	s.renderEmbed(w, r, http.StatusOK, v)
}

// renderEmbed writes the embed page with status.
func (s *server) renderEmbed(w http.ResponseWriter, r *http.Request, status int, v embedView) {
	var buf bytes.Buffer
	lang := s.lang(r)
	if err := s.templates[lang].embed.ExecuteTemplate(&buf, "embed", v); err != nil {
		s.state(r).logger.Error("cannot render the embed page", "error", err)
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	setLanguageHeaders(w, lang)
	if status == http.StatusOK {
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(oembedCacheAge))
	} else {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

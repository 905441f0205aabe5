package web

import (
	"net/http"
	"strings"

	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
)

// channelItems is the answer of GET /api/channels/{handle}/items.
type channelItems struct {
	Channel string              `json:"channel"`
	Items   []*library.ItemView `json:"items"`
}

// handleAPIChannelItems answers GET /api/channels/{handle}/items: the
// channel's published items, newest first, and all of them (with their
// sources) for those who manage it.
func (s *server) handleAPIChannelItems(w http.ResponseWriter, r *http.Request) {
	user, err := s.currentUser(r)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	handle := strings.ToLower(r.PathValue("handle"))
	ch, err := s.store.LocalChannel(r.Context(), handle)
	if isNotFound(err) {
		writeJSONError(w, http.StatusNotFound, "There is no channel @"+handle+".")
		return
	}
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	manage := canManage(user, ch.OwnerID)
	items, err := s.store.ListItems(r.Context(), store.ItemFilter{ChannelID: ch.ID, PublishedOnly: !manage})
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	out := channelItems{Channel: ch.Handle, Items: make([]*library.ItemView, 0, len(items))}
	for _, it := range items {
		v, err := s.library.View(r.Context(), it, manage)
		if err != nil {
			s.apiServerError(w, r, err)
			return
		}
		out.Items = append(out.Items, v)
	}
	writeJSON(w, http.StatusOK, out)
}

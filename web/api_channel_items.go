package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
)

// channelItems is the answer of GET /api/channels/{handle}/items.
type channelItems struct {
	Channel string              `json:"channel"`
	Items   []*library.ItemView `json:"items"`
	Next    string              `json:"next,omitempty"` // the next page, when there is one
}

// apiItemsPageSize is how many items a page of the API gives.
const apiItemsPageSize = 100

// handleAPIChannelItems answers GET /api/channels/{handle}/items: the
// channel's published items, newest first, and all of them (with their
// sources) for those who manage it, a hundred a page (?page=N; "next"
// links the following one).
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
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = min(max(page, 1), 10000)
	items, err := s.store.ListItems(r.Context(), store.ItemFilter{ChannelID: ch.ID, PublishedOnly: !manage,
		Limit: apiItemsPageSize + 1, Offset: (page - 1) * apiItemsPageSize})
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	out := channelItems{Channel: ch.Handle, Items: make([]*library.ItemView, 0, len(items))}
	if len(items) > apiItemsPageSize {
		items = items[:apiItemsPageSize]
		out.Next = s.absURL("/api/channels/" + ch.Handle + "/items?page=" + strconv.Itoa(page+1))
	}
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

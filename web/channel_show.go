package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/store"
)

type channelPage struct {
	Channel   *store.Channel
	Host      string // the host part of @handle@host
	Media     bool   // the hub has a media library: list items
	CanManage bool   // the visitor may upload and see every item's state
	Items     []channelItem
}

// channelItem is one line of a channel's item list.
type channelItem struct {
	*store.Item
	Thumbnail string // URL, "" when there is none yet
}

// handleChannel shows a local channel and its items: the published ones,
// or all of them with their state for its owner and admins.
func (s *server) handleChannel(w http.ResponseWriter, r *http.Request) {
	handle := strings.ToLower(r.PathValue("handle"))
	if s.federation != nil && federation.WantsActivityJSON(r) {
		s.federation.ServeActor(w, r, store.ActorGroup, handle)
		return
	}
	c, err := s.store.LocalChannel(r.Context(), handle)
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, http.StatusNotFound, "Channel not found",
			"There is no channel @"+handle+" on this hub. Check the address, or browse the channels from the home page.")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	page := channelPage{Channel: c, Host: s.publicURL.Host, Media: s.library != nil}
	if s.library != nil {
		user, err := s.currentUser(r)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		page.CanManage = canManage(user, c.OwnerID)
		items, err := s.store.ListItems(r.Context(), store.ItemFilter{ChannelID: c.ID, PublishedOnly: !page.CanManage})
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		for _, it := range items {
			v, err := s.library.View(r.Context(), it, false)
			if err != nil {
				s.serverError(w, r, err)
				return
			}
			_, thumb, _, _ := v.Playable()
			page.Items = append(page.Items, channelItem{Item: it, Thumbnail: thumb})
		}
	}
	s.render(w, r, http.StatusOK, "channel", c.Title, page)
}

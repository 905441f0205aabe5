package web

import (
	"net/http"

	"github.com/archipel/archipel/store"
)

type homePage struct {
	Channels []*store.Channel
}

// handleHome lists the local channels, newest first.
func (s *server) handleHome(w http.ResponseWriter, r *http.Request) {
	channels, err := s.store.ListChannels(r.Context(), store.ChannelFilter{LocalOnly: true})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "home", "", homePage{Channels: channels})
}

package web

import (
	"net/http"

	"github.com/archipel/archipel/curation"
	"github.com/archipel/archipel/store"
)

type homePage struct {
	Channels []*store.Channel
	// Recent are the latest published items the hub shows: its own and
	// the remote ones its curators accepted.
	Recent []itemCard
	// Featured are the collections curators put on the home page.
	Featured []*store.Collection
	// Discover are the channels curators invite visitors to discover.
	Discover []curation.HomeChannel
}

// handleHome shows the latest items, local and accepted remote ones, and
// the local channels, newest first.
func (s *server) handleHome(w http.ResponseWriter, r *http.Request) {
	channels, err := s.store.ListChannels(r.Context(), store.ChannelFilter{LocalOnly: true})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	recent, err := s.store.RecentItems(r.Context(), 24, 0)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	featured, err := s.store.Collections(r.Context(), true)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	page := homePage{Channels: channels, Featured: featured}
	if page.Recent, err = s.itemCards(r.Context(), recent); err != nil {
		s.serverError(w, r, err)
		return
	}
	if s.curator != nil {
		if page.Discover, err = s.curator.HomeChannels(r.Context()); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "home", "", page)
}

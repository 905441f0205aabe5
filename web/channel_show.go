package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/archipel/archipel/store"
)

type channelPage struct {
	Channel *store.Channel
	Host    string // the host part of @handle@host
}

// handleChannel shows a local channel.
func (s *server) handleChannel(w http.ResponseWriter, r *http.Request) {
	handle := strings.ToLower(r.PathValue("handle"))
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
	s.render(w, r, http.StatusOK, "channel", c.Title, channelPage{Channel: c, Host: s.publicURL.Host})
}

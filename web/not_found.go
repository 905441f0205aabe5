package web

import "net/http"

// handleNotFound answers every path no other route matches.
func (s *server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.renderNotFound(w, r)
}

package web

import (
	"net/http"
	"strings"
	"time"
)

// handleInstanceHealth shows one instance's health.
func (s *server) handleInstanceHealth(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireCurator(w, r); !ok {
		return
	}
	domain := strings.ToLower(r.PathValue("domain"))
	if domain == "" || len(domain) > 253 {
		s.renderNotFound(w, r)
		return
	}
	h, err := s.store.InstanceHealthByDomain(r.Context(), domain)
	if s.lookupFailed(w, r, err) {
		return
	}
	row := newHealthRow(s.tr(r), h, time.Now())
	s.render(w, r, http.StatusOK, "federation_health", row.Domain, &healthPage{Instance: &row})
}

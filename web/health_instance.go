package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/archipel/archipel/store"
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
	page := &healthPage{Instance: &row, Policies: instancePolicies, Policy: store.PolicyNone}
	if done := r.URL.Query().Get("done"); slices.Contains(instancePolicies, done) {
		page.Done = done
	}
	if p, err := s.store.InstancePolicy(r.Context(), domain); err == nil {
		page.Policy = p
	} else if !isNotFound(err) {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "federation_health", row.Domain, page)
}

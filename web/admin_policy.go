package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/store"
)

// The federation policies on the web, as `archipel instance` sets them:
// curators set an instance's policy (block purges what the hub holds from
// it and is announced on the hub's list); admins switch the federation
// mode between open and allowlist.

var instancePolicies = []string{store.PolicyNone, store.PolicyAllow, store.PolicyMute, store.PolicyLimit, store.PolicyBlock}

func (s *server) policyRoutes() {
	s.route("POST /admin/federation/policy", s.handleInstancePolicy)
	s.route("POST /admin/federation/mode", s.handleFederationMode)
}

// handleInstancePolicy sets the policy the form names for its domain, then
// shows that instance's page with what was done.
func (s *server) handleInstancePolicy(w http.ResponseWriter, r *http.Request) {
	user, ok := s.requireCurator(w, r)
	if !ok {
		return
	}
	domain := strings.ToLower(strings.TrimSpace(r.PostFormValue("domain")))
	policy := r.PostFormValue("policy")
	if !federation.ValidHost(domain) || !slices.Contains(instancePolicies, policy) {
		s.renderError(w, r, http.StatusUnprocessableEntity, "policy.error_heading", "policy.error_bad")
		return
	}
	if err := s.federation.SetInstancePolicy(r.Context(), domain, policy); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.logger.Info("instance policy set", "domain", domain, "policy", policy, "by", user.Username)
	http.Redirect(w, r, "/admin/federation/"+domain+"?done="+url.QueryEscape(policy), http.StatusSeeOther)
}

// handleFederationMode switches between federating with every instance
// but blocked ones (open) and only with allowed ones (allowlist).
func (s *server) handleFederationMode(w http.ResponseWriter, r *http.Request) {
	user, ok := s.requireCurator(w, r)
	if !ok {
		return
	}
	if user.Role != store.RoleAdmin {
		s.renderError(w, r, http.StatusForbidden, "policy.error_admins", "policy.error_admins_mode")
		return
	}
	mode := r.PostFormValue("mode")
	if err := s.store.SetFederationMode(r.Context(), mode); err != nil {
		s.renderError(w, r, http.StatusUnprocessableEntity, "policy.error_mode_heading", "policy.error_mode")
		return
	}
	s.logger.Info("federation mode set", "mode", mode, "by", user.Username)
	http.Redirect(w, r, "/admin/federation?mode_done=1", http.StatusSeeOther)
}

package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/store"
)

// federationRoutes registers the ActivityPub side: discovery, actors and
// their collections, objects, activities and the inboxes. Inbox POSTs are
// authenticated by their HTTP signature, so they skip the CSRF check and
// cross-origin protection (servers send neither Origin nor cookies).
func (s *server) federationRoutes(cop *http.CrossOriginProtection) {
	f := s.federation
	s.route("GET /.well-known/webfinger", f.HandleWebFinger)
	s.route("GET /.well-known/host-meta", f.HandleHostMeta)
	s.route("GET /.well-known/nodeinfo", f.HandleNodeInfoIndex)
	s.route("GET /nodeinfo/{version}", f.HandleNodeInfo)
	s.route("GET /authorize_interaction", f.HandleAuthorizeInteraction)
	// Remote interaction: viewers from other servers reply from there.
	s.route("GET /interact", s.handleInteract)

	for _, p := range []string{"POST /inbox", "POST /actor/inbox", "POST /c/{handle}/inbox", "POST /u/{name}/inbox"} {
		s.streamRoute(p, f.HandleInbox)
		cop.AddInsecureBypassPattern(p)
	}
	s.route("GET /actor", s.handleInstanceActor)
	s.route("GET /u/{name}", s.handlePerson)
	for _, which := range []string{"outbox", "followers", "following"} {
		s.route("GET /actor/"+which, s.actorCollection(which, func(*http.Request) (string, string) {
			return store.ActorApplication, federation.InstanceActorName
		}))
		s.route("GET /c/{handle}/"+which, s.actorCollection(which, func(r *http.Request) (string, string) {
			return store.ActorGroup, strings.ToLower(r.PathValue("handle"))
		}))
		s.route("GET /u/{name}/"+which, s.actorCollection(which, func(r *http.Request) (string, string) {
			return store.ActorPerson, strings.ToLower(r.PathValue("name"))
		}))
	}
	s.route("GET /activities/{id}", s.handleActivity)
	if s.library != nil {
		s.route("GET /i/{id}/replies", s.handleItemReplies)
		for _, which := range []string{"likes", "shares"} {
			s.route("GET /i/{id}/"+which, func(w http.ResponseWriter, r *http.Request) {
				f.ServeItemCollection(w, r, r.PathValue("id"), which)
			})
		}
	}
}

// handleInstanceActor serves the instance actor; browsers go home.
func (s *server) handleInstanceActor(w http.ResponseWriter, r *http.Request) {
	if !federation.WantsActivityJSON(r) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.federation.ServeActor(w, r, store.ActorApplication, federation.InstanceActorName)
}

// handlePerson serves an account's Person actor; browsers see the home
// page (accounts have no page of their own yet).
func (s *server) handlePerson(w http.ResponseWriter, r *http.Request) {
	name := strings.ToLower(r.PathValue("name"))
	if !federation.WantsActivityJSON(r) {
		if _, err := s.store.UserByUsername(r.Context(), name); err != nil {
			s.renderError(w, r, http.StatusNotFound, "error.account_not_found", "error.account_not_found.message", name)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.federation.ServeActor(w, r, store.ActorPerson, name)
}

// actorCollection serves an actor's outbox, followers or following.
func (s *server) actorCollection(which string, who func(*http.Request) (kind, username string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		kind, username := who(r)
		switch which {
		case "outbox":
			s.federation.ServeOutbox(w, r, kind, username)
		case "followers":
			s.federation.ServeFollowers(w, r, kind, username)
		default:
			s.federation.ServeFollowing(w, r, kind, username)
		}
	}
}

// handleActivity serves a published activity.
func (s *server) handleActivity(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	s.federation.ServeActivity(w, r, id)
}

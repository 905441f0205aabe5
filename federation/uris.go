package federation

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/archipel/archipel/store"
)

// The URL scheme of local objects. Actors: /actor (the instance), /u/NAME
// (accounts), /c/HANDLE (channels); each with /inbox, /outbox, /followers
// and /following, and its key at #main-key. Items: /i/ID with /replies,
// /likes and /shares. Activities: /activities/N. The shared inbox: /inbox.

// ActorURI is the id of a local actor.
func (s *Service) ActorURI(a *store.Actor) string {
	if !a.Local() {
		return a.URI
	}
	return s.localActorURI(a.Kind, a.Username)
}

func (s *Service) localActorURI(kind, username string) string {
	switch kind {
	case store.ActorApplication:
		return s.base + "/actor"
	case store.ActorGroup:
		return s.base + "/c/" + username
	default:
		return s.base + "/u/" + username
	}
}

// ChannelURI is the id of a local channel's Group actor.
func (s *Service) ChannelURI(handle string) string { return s.base + "/c/" + handle }

// PersonURI is the id of a local account's Person actor.
func (s *Service) PersonURI(username string) string { return s.base + "/u/" + username }

// InstanceURI is the id of the instance actor.
func (s *Service) InstanceURI() string { return s.base + "/actor" }

// ItemURI is the id (and page) of a local item.
func (s *Service) ItemURI(publicID string) string { return s.base + "/i/" + publicID }

// CollectionURI is a collection's page and ActivityPub id (a Playlist).
func (s *Service) CollectionURI(slug string) string { return s.base + "/collections/" + slug }

// ActivityURI is the id of a local outbox activity.
func (s *Service) ActivityURI(id int64) string {
	return s.base + "/activities/" + strconv.FormatInt(id, 10)
}

// SharedInbox is the hub's shared inbox.
func (s *Service) SharedInbox() string { return s.base + "/inbox" }

// Handle is @username@host of a local actor.
func (s *Service) Handle(username string) string { return "@" + username + "@" + s.host }

// localPath returns the path of uri when it is one of ours, else "".
func (s *Service) localPath(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme+"://"+strings.ToLower(u.Host) != strings.ToLower(s.base) {
		return ""
	}
	if u.Fragment != "" {
		return ""
	}
	return u.Path
}

// parseLocalActor maps a local actor URI to (kind, username).
func (s *Service) parseLocalActor(uri string) (kind, username string, ok bool) {
	p := s.localPath(uri)
	switch {
	case p == "/actor":
		return store.ActorApplication, InstanceActorName, true
	case strings.HasPrefix(p, "/c/") && !strings.Contains(p[3:], "/") && p != "/c/":
		return store.ActorGroup, p[3:], true
	case strings.HasPrefix(p, "/u/") && !strings.Contains(p[3:], "/") && p != "/u/":
		return store.ActorPerson, p[3:], true
	}
	return "", "", false
}

// parseLocalItem maps a local item URI to its public id.
func (s *Service) parseLocalItem(uri string) (string, bool) {
	p := s.localPath(uri)
	if !strings.HasPrefix(p, "/i/") || strings.Contains(p[3:], "/") || p == "/i/" {
		return "", false
	}
	return p[3:], true
}

// hostOf is the lower-case host[:port] of a URL.
func hostOf(uri string) string { return store.HostOf(uri) }

package federation

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/archipel/archipel/store"
)

// jrd is a WebFinger answer (RFC 7033).
type jrd struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []jrdLink `json:"links"`
}

type jrdLink struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

// HandleWebFinger answers /.well-known/webfinger for local accounts,
// channels and the instance actor, by acct: or by URL.
func (s *Service) HandleWebFinger(w http.ResponseWriter, r *http.Request) {
	resource := r.URL.Query().Get("resource")
	if resource == "" {
		http.Error(w, "resource is required", http.StatusBadRequest)
		return
	}
	kind, username, ok := s.resolveResource(resource)
	if !ok {
		http.Error(w, "no such resource on this server", http.StatusNotFound)
		return
	}
	var a *store.Actor
	var err error
	if kind == store.ActorApplication {
		a, err = s.InstanceActor(r.Context())
	} else {
		a, err = s.store.LocalActor(r.Context(), username)
	}
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "no such resource on this server", http.StatusNotFound)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	id := s.ActorURI(a)
	page := id
	if a.Kind == store.ActorApplication {
		page = s.base + "/"
	}
	doc := jrd{
		Subject: "acct:" + a.Username + "@" + s.host,
		Aliases: []string{id},
		Links: []jrdLink{
			{Rel: "self", Type: "application/activity+json", Href: id},
			{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: page},
			{Rel: "http://ostatus.org/schema/1.0/subscribe", Template: s.base + "/authorize_interaction?uri={uri}"},
		},
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, "application/jrd+json; charset=utf-8", doc)
}

// resolveResource maps acct:user@host or a local actor URL to an actor.
func (s *Service) resolveResource(resource string) (kind, username string, ok bool) {
	if strings.HasPrefix(resource, "http://") || strings.HasPrefix(resource, "https://") {
		return s.parseLocalActor(resource)
	}
	acct := strings.TrimPrefix(strings.TrimPrefix(resource, "acct:"), "@")
	at := strings.LastIndexByte(acct, '@')
	if at <= 0 || !strings.EqualFold(acct[at+1:], s.host) {
		return "", "", false
	}
	name := strings.ToLower(acct[:at])
	switch name {
	case InstanceActorName, "peertube", s.host:
		return store.ActorApplication, InstanceActorName, true
	}
	return "", name, true
}

// HandleHostMeta answers /.well-known/host-meta (XRD) pointing at WebFinger.
func (s *Service) HandleHostMeta(w http.ResponseWriter, r *http.Request) {
	type link struct {
		Rel      string `xml:"rel,attr"`
		Type     string `xml:"type,attr,omitempty"`
		Template string `xml:"template,attr"`
	}
	doc := struct {
		XMLName xml.Name `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
		Links   []link   `xml:"Link"`
	}{Links: []link{{Rel: "lrdd", Type: "application/jrd+json", Template: s.base + "/.well-known/webfinger?resource={uri}"}}}
	w.Header().Set("Content-Type", "application/xrd+xml; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(doc)
}

// HandleNodeInfoIndex answers /.well-known/nodeinfo.
func (s *Service) HandleNodeInfoIndex(w http.ResponseWriter, r *http.Request) {
	doc := map[string]any{"links": []jrdLink{
		{Rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", Href: s.base + "/nodeinfo/2.0"},
		{Rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", Href: s.base + "/nodeinfo/2.1"},
		{Rel: "https://www.w3.org/ns/activitystreams#Application", Href: s.InstanceURI()},
	}}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, "application/json; charset=utf-8", doc)
}

// HandleNodeInfo answers /nodeinfo/{version} (2.0 and 2.1) with real
// usage counts, and the name and description the hub's admins gave it.
func (s *Service) HandleNodeInfo(w http.ResponseWriter, r *http.Request) {
	version := r.PathValue("version")
	if version != "2.0" && version != "2.1" {
		http.NotFound(w, r)
		return
	}
	u, err := s.store.Usage(r.Context(), s.now())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	about, err := s.store.About(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	name := about.Name
	if name == "" {
		name = s.host
	}
	metadata := map[string]any{
		"nodeName":      name,
		"channels":      u.Channels,
		"instanceActor": map[string]string{"id": s.InstanceURI(), "name": InstanceActorName},
	}
	if about.Description != "" {
		metadata["nodeDescription"] = about.Description
	}
	software := map[string]any{"name": "archipel", "version": s.version}
	if version == "2.1" {
		software["repository"] = "https://github.com/archipel/archipel"
		software["homepage"] = s.base + "/"
	}
	doc := map[string]any{
		"version":   version,
		"software":  software,
		"protocols": []string{"activitypub"},
		"services":  map[string][]string{"inbound": {}, "outbound": {"rss2.0", "atom1.0"}},
		"usage": map[string]any{
			"users": map[string]int{
				"total": u.Users, "activeMonth": u.ActiveMonth, "activeHalfyear": u.ActiveHalfYear,
			},
			"localPosts":    u.LocalItems,
			"localComments": u.LocalComments,
		},
		"openRegistrations": false,
		"metadata":          metadata,
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "max-age=1800")
	writeJSON(w, `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/`+version+`#"`, doc)
}

// HandleAuthorizeInteraction is the target of our WebFinger subscribe
// template: someone here wants to interact with uri. Local objects go to
// their page; remote ones are shown for following (the Curation pages
// take it from there).
func (s *Service) HandleAuthorizeInteraction(w http.ResponseWriter, r *http.Request) {
	uri := r.URL.Query().Get("uri")
	if p := s.localPath(uri); p != "" {
		http.Redirect(w, r, p, http.StatusSeeOther)
		return
	}
	if _, err := url.Parse(uri); uri == "" || err != nil {
		http.Error(w, "uri must be an ActivityPub id or acct:user@host", http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, "/?follow="+url.QueryEscape(uri), http.StatusSeeOther)
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (s *Service) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("federation request failed", "path", r.URL.Path, "error", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/store"
)

// collectionRoutes registers collections: curated, ordered lists of local
// and remote items, each with a page, a PeerTube-shaped Playlist for
// ActivityPub, and a podcast feed. Curators make and arrange them.
func (s *server) collectionRoutes() {
	s.route("GET /collections", s.handleCollections)
	s.route("POST /collections", s.handleCollectionCreate)
	s.route("GET /collections/{slug}", s.handleCollection)
	s.route("GET /collections/{slug}/feed.rss", s.handleCollectionFeed)
	s.route("POST /collections/{slug}/items", s.handleCollectionAdd)
	s.route("POST /collections/{slug}/items/{id}/{action}", s.handleCollectionEntry)
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

type collectionsPage struct {
	Collections []*store.Collection
	CanCurate   bool
	Form        struct{ Slug, Title, Description, Error string }
}

func (s *server) handleCollections(w http.ResponseWriter, r *http.Request) {
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.showCollections(w, r, http.StatusOK, &collectionsPage{CanCurate: isCurator(user)})
}

func (s *server) showCollections(w http.ResponseWriter, r *http.Request, status int, page *collectionsPage) {
	var err error
	if page.Collections, err = s.store.Collections(r.Context(), false); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, status, "collections", s.tr(r).T("collections.heading"), page)
}

func (s *server) handleCollectionCreate(w http.ResponseWriter, r *http.Request) {
	user, ok := s.requireCurator(w, r)
	if !ok {
		return
	}
	page := &collectionsPage{CanCurate: true}
	f := &page.Form
	f.Slug = strings.ToLower(strings.TrimSpace(r.PostFormValue("slug")))
	f.Title = strings.TrimSpace(r.PostFormValue("title"))
	f.Description = strings.TrimSpace(r.PostFormValue("description"))
	switch {
	case f.Title == "" || len(f.Title) > 200:
		f.Error = s.tr(r).T("collections.title_invalid", 200)
	case !slugRE.MatchString(f.Slug):
		f.Error = s.tr(r).T("collections.slug_invalid")
	case len(f.Description) > 5000:
		f.Error = s.tr(r).T("collections.description_too_long")
	}
	if f.Error == "" {
		_, err := s.store.CreateCollection(r.Context(), f.Slug, f.Title, f.Description, r.PostFormValue("featured") == "1", user.ID)
		if errors.Is(err, store.ErrConflict) {
			f.Error = s.tr(r).T("collections.slug_taken", f.Slug)
		} else if err != nil {
			s.serverError(w, r, err)
			return
		} else {
			http.Redirect(w, r, "/collections/"+f.Slug, http.StatusSeeOther)
			return
		}
	}
	s.showCollections(w, r, http.StatusUnprocessableEntity, page)
}

type collectionPage struct {
	Collection *store.Collection
	Entries    []store.CollectionEntry
	FeedURL    string
	CanCurate  bool
	AddError   string
	AddRef     string
}

func (s *server) handleCollection(w http.ResponseWriter, r *http.Request) {
	c, err := s.store.CollectionBySlug(r.Context(), r.PathValue("slug"))
	if s.lookupFailed(w, r, err) {
		return
	}
	if s.federation != nil && federation.WantsActivityJSON(r) {
		s.serveCollectionAP(w, r, c)
		return
	}
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.showCollection(w, r, http.StatusOK, c, isCurator(user), "", "")
}

func (s *server) showCollection(w http.ResponseWriter, r *http.Request, status int, c *store.Collection, curate bool, addErr, addRef string) {
	entries, err := s.store.CollectionEntries(r.Context(), c.ID, curate)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, status, "collection", c.Title, &collectionPage{Collection: c, Entries: entries,
		FeedURL: s.feeds.CollectionFeedURL(c.Slug), CanCurate: curate, AddError: addErr, AddRef: addRef})
}

// itemRef finds an item from what a curator pastes: its id, its page here
// (/i/ID), or a remote item's id at its origin.
func (s *server) itemRef(r *http.Request, ref string) (*store.Item, error) {
	ref = strings.TrimSpace(ref)
	if u, err := url.Parse(ref); err == nil && u.Host != "" {
		if strings.EqualFold(u.Host, s.publicURL.Host) && strings.HasPrefix(u.Path, "/i/") {
			ref = strings.TrimPrefix(u.Path, "/i/")
		} else {
			return s.store.ItemByOriginURI(r.Context(), ref)
		}
	}
	if ref == "" || len(ref) > 64 {
		return nil, store.ErrNotFound
	}
	return s.store.ItemByPublicID(r.Context(), ref)
}

func (s *server) handleCollectionAdd(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireCurator(w, r); !ok {
		return
	}
	c, err := s.store.CollectionBySlug(r.Context(), r.PathValue("slug"))
	if s.lookupFailed(w, r, err) {
		return
	}
	ref := r.PostFormValue("item")
	note := strings.TrimSpace(r.PostFormValue("note"))
	it, err := s.itemRef(r, ref)
	switch {
	case isNotFound(err):
		s.showCollection(w, r, http.StatusUnprocessableEntity, c, true, s.tr(r).T("collection.no_item"), ref)
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	case it.State != store.StatePublished || it.ReviewState != store.ReviewAccepted:
		s.showCollection(w, r, http.StatusUnprocessableEntity, c, true, s.tr(r).T("collection.not_accepted"), ref)
		return
	case len(note) > 1000:
		s.showCollection(w, r, http.StatusUnprocessableEntity, c, true, s.tr(r).T("collection.note_too_long"), ref)
		return
	}
	if err := s.store.AddToCollection(r.Context(), c.ID, it.ID, note); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.announceCollection(r, c, it, true)
	http.Redirect(w, r, "/collections/"+c.Slug, http.StatusSeeOther)
}

func (s *server) handleCollectionEntry(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireCurator(w, r); !ok {
		return
	}
	c, err := s.store.CollectionBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.renderNotFound(w, r)
		return
	}
	it, err := s.store.ItemByPublicID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.renderNotFound(w, r)
		return
	}
	switch r.PathValue("action") {
	case "remove":
		if err = s.store.RemoveFromCollection(r.Context(), c.ID, it.ID); err == nil {
			s.announceCollection(r, c, it, false)
		}
	case "up", "down":
		err = s.store.MoveInCollection(r.Context(), c.ID, it.ID, r.PathValue("action") == "up")
	default:
		s.renderNotFound(w, r)
		return
	}
	if s.lookupFailed(w, r, err) {
		return
	}
	http.Redirect(w, r, "/collections/"+c.Slug, http.StatusSeeOther)
}

// announceCollection tells the hubs subscribed to this hub's list what
// went into a collection or out of it. The change is made already: a
// failure to queue the announcement is logged, not shown.
func (s *server) announceCollection(r *http.Request, c *store.Collection, it *store.Item, added bool) {
	if s.federation == nil {
		return
	}
	if err := s.federation.AnnounceCollectionChange(r.Context(), c, it, added); err != nil {
		s.logger.Warn("announce a collection change", "collection", c.Slug, "item", it.PublicID, "error", err)
	}
}

// handleCollectionFeed serves a collection's podcast feed.
func (s *server) handleCollectionFeed(w http.ResponseWriter, r *http.Request) {
	c, err := s.store.CollectionBySlug(r.Context(), r.PathValue("slug"))
	if s.lookupFailed(w, r, err) {
		return
	}
	entries, err := s.store.CollectionEntries(r.Context(), c.ID, false)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	feed, err := s.feeds.CollectionFeed(r.Context(), c, entries, s.hubName(r.Context()))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	body, err := feed.RSS()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(body)
}

// serveCollectionAP is a collection as PeerTube represents a playlist: a
// Playlist whose ordered elements point at the items' ActivityPub ids.
func (s *server) serveCollectionAP(w http.ResponseWriter, r *http.Request, c *store.Collection) {
	entries, err := s.store.CollectionEntries(r.Context(), c.ID, false)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	id := s.federation.CollectionURI(c.Slug)
	elements := []map[string]any{}
	for i, e := range entries {
		uri := e.Item.OriginURI
		if uri == "" {
			uri = s.federation.ItemURI(e.Item.PublicID)
		}
		el := map[string]any{"type": "PlaylistElement", "id": id + "/elements/" + strconv.Itoa(i+1), "url": uri, "position": i + 1}
		if e.Note != "" {
			el["content"] = e.Note
		}
		elements = append(elements, el)
	}
	doc := map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", map[string]string{"pt": "https://joinpeertube.org/ns#",
			"Playlist": "pt:Playlist", "PlaylistElement": "pt:PlaylistElement", "position": "pt:position"}},
		"id": id, "type": "Playlist", "name": c.Title, "content": c.Description, "mediaType": "text/markdown",
		"published": c.CreatedAt.UTC(), "updated": c.UpdatedAt.UTC(), "totalItems": len(elements),
		"attributedTo": []string{s.federation.InstanceURI()}, "url": id,
		"to": []string{"https://www.w3.org/ns/activitystreams#Public"}, "orderedItems": elements,
	}
	w.Header().Set("Content-Type", `application/activity+json; charset=utf-8`)
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_ = json.NewEncoder(w).Encode(doc)
}

package federation

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/store"
)

// pageSize is the number of entries on one collection page.
const pageSize = 40

// WantsActivityJSON reports whether r asks for ActivityStreams JSON rather
// than HTML: pages that are also actors or objects branch on it.
func WantsActivityJSON(r *http.Request) bool { return ap.IsActivityJSON(r.Header.Get("Accept")) }

func writeActivity(w http.ResponseWriter, v any) {
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, ap.MediaTypeActivity+"; charset=utf-8", v)
}

// ServeActor answers a local actor's id with its document.
func (s *Service) ServeActor(w http.ResponseWriter, r *http.Request, kind, username string) {
	doc, err := s.LocalActorDocument(r.Context(), kind, username)
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "no such actor", http.StatusNotFound)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeActivity(w, doc)
}

// lookupLocal finds a local actor of kind by username (the instance actor
// for Application).
func (s *Service) lookupLocal(ctx context.Context, kind, username string) (*store.Actor, error) {
	if kind == store.ActorApplication {
		return s.InstanceActor(ctx)
	}
	a, err := s.store.LocalActor(ctx, username)
	if err == nil && a.Kind != kind {
		return nil, store.ErrNotFound
	}
	return a, err
}

// ServeOutbox answers an actor's outbox: an OrderedCollection whose pages
// (?page=true, then ?before=ID) list its public activities, newest first.
func (s *Service) ServeOutbox(w http.ResponseWriter, r *http.Request, kind, username string) {
	ctx := r.Context()
	a, err := s.lookupLocal(ctx, kind, username)
	if s.notFound(w, r, err) {
		return
	}
	id := s.ActorURI(a) + "/outbox"
	total, err := s.store.CountOutbox(ctx, a.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	q := r.URL.Query()
	if q.Get("page") == "" && q.Get("before") == "" {
		writeActivity(w, ap.OrderedCollection{Context: ap.ContextActivityStreams, ID: id, Type: "OrderedCollection",
			TotalItems: total, First: id + "?page=true"})
		return
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	acts, err := s.store.ListOutbox(ctx, a.ID, before, pageSize)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	page := ap.OrderedCollectionPage{Context: ap.ContextActivityStreams, ID: id + "?" + r.URL.RawQuery,
		Type: "OrderedCollectionPage", PartOf: id, TotalItems: &total, OrderedItems: []json.RawMessage{}}
	for _, act := range acts {
		page.OrderedItems = append(page.OrderedItems, json.RawMessage(act.Body))
	}
	if len(acts) == pageSize {
		page.Next = id + "?before=" + strconv.FormatInt(acts[len(acts)-1].ID, 10)
	}
	writeActivity(w, page)
}

// ServeFollowers answers an actor's followers collection (accepted
// follows; pages of actor ids).
func (s *Service) ServeFollowers(w http.ResponseWriter, r *http.Request, kind, username string) {
	ctx := r.Context()
	a, err := s.lookupLocal(ctx, kind, username)
	if s.notFound(w, r, err) {
		return
	}
	total, err := s.store.CountFollowers(ctx, a.ID, store.FollowAccepted)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.servePaged(w, r, s.ActorURI(a)+"/followers", total, func(offset int) ([]string, error) {
		fs, err := s.store.ListFollowers(ctx, a.ID, store.FollowAccepted, offset, pageSize)
		var ids []string
		for _, f := range fs {
			ids = append(ids, s.ActorURI(f.Follower))
		}
		return ids, err
	})
}

// ServeFollowing answers an actor's following collection.
func (s *Service) ServeFollowing(w http.ResponseWriter, r *http.Request, kind, username string) {
	ctx := r.Context()
	a, err := s.lookupLocal(ctx, kind, username)
	if s.notFound(w, r, err) {
		return
	}
	total, err := s.store.CountFollowing(ctx, a.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.servePaged(w, r, s.ActorURI(a)+"/following", total, func(offset int) ([]string, error) {
		as, err := s.store.ListFollowing(ctx, a.ID, offset, pageSize)
		var ids []string
		for _, t := range as {
			ids = append(ids, s.ActorURI(t))
		}
		return ids, err
	})
}

// servePaged serves an OrderedCollection of ids with ?page=N pages.
func (s *Service) servePaged(w http.ResponseWriter, r *http.Request, id string, total int, list func(offset int) ([]string, error)) {
	pageParam := r.URL.Query().Get("page")
	if pageParam == "" {
		writeActivity(w, ap.OrderedCollection{Context: ap.ContextActivityStreams, ID: id, Type: "OrderedCollection",
			TotalItems: total, First: id + "?page=1"})
		return
	}
	n, err := strconv.Atoi(pageParam)
	if err != nil || n < 1 {
		n = 1
	}
	ids, err := list((n - 1) * pageSize)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	page := ap.OrderedCollectionPage{Context: ap.ContextActivityStreams, ID: id + "?page=" + strconv.Itoa(n),
		Type: "OrderedCollectionPage", PartOf: id, TotalItems: &total, OrderedItems: []json.RawMessage{}}
	for _, x := range ids {
		raw, _ := json.Marshal(x)
		page.OrderedItems = append(page.OrderedItems, raw)
	}
	if n*pageSize < total {
		page.Next = id + "?page=" + strconv.Itoa(n+1)
	}
	if n > 1 {
		page.Prev = id + "?page=" + strconv.Itoa(n-1)
	}
	writeActivity(w, page)
}

// ServeItem answers a local item's id: the object when published, a
// Tombstone (410) when deleted, else 404.
func (s *Service) ServeItem(w http.ResponseWriter, r *http.Request, publicID string) {
	ctx := r.Context()
	item, err := s.store.ItemByPublicID(ctx, publicID)
	if errors.Is(err, store.ErrNotFound) {
		s.serveTombstone(w, r, s.ItemURI(publicID))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if item.State != store.StatePublished || item.OriginURI != "" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	o, err := s.ItemObject(ctx, item)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeActivity(w, o)
}

// Tombstoned tells whether uri is a deleted local object.
func (s *Service) Tombstoned(ctx context.Context, uri string) bool {
	_, _, err := s.store.Tombstone(ctx, uri)
	return err == nil
}

// serveTombstone answers 410 with a Tombstone for a deleted object, or 404.
func (s *Service) serveTombstone(w http.ResponseWriter, r *http.Request, uri string) {
	former, deleted, err := s.store.Tombstone(r.Context(), uri)
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", ap.MediaTypeActivity+"; charset=utf-8")
	w.WriteHeader(http.StatusGone)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(ap.Object{Context: ap.ContextActivityStreams, ID: uri, Type: "Tombstone", FormerType: former, Deleted: &deleted})
}

// ServeItemCollection answers /i/ID/replies, /likes and /shares with their
// counts (pages of replies come with the Comments issue).
func (s *Service) ServeItemCollection(w http.ResponseWriter, r *http.Request, publicID, which string) {
	ctx := r.Context()
	item, err := s.store.ItemByPublicID(ctx, publicID)
	if err == nil && (item.State != store.StatePublished || item.OriginURI != "") {
		err = store.ErrNotFound
	}
	if s.notFound(w, r, err) {
		return
	}
	likes, shares, err := s.store.ItemReactionCounts(ctx, item.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	total := likes
	switch which {
	case "shares":
		total = shares
	case "replies":
		if total, err = s.store.CountVisibleComments(ctx, item.ID); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	id := s.ItemURI(publicID) + "/" + which
	writeActivity(w, ap.OrderedCollection{Context: ap.ContextActivityStreams, ID: id, Type: "OrderedCollection", TotalItems: total})
}

// ServeActivity answers /activities/N with a published activity.
func (s *Service) ServeActivity(w http.ResponseWriter, r *http.Request, id int64) {
	act, err := s.store.OutboxActivityByID(r.Context(), id)
	if err == nil && !act.Public {
		err = store.ErrNotFound // addressed to some actors only
	}
	if s.notFound(w, r, err) {
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", ap.MediaTypeActivity+"; charset=utf-8")
	_, _ = w.Write([]byte(act.Body))
}

// notFound answers 404 or 500 for err and reports whether it did.
func (s *Service) notFound(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNotFound):
		http.Error(w, "not found", http.StatusNotFound)
	default:
		s.serverError(w, r, err)
	}
	return true
}

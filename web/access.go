package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/archipel/archipel/store"
)

// canManage tells whether user may manage what ownerID owns (upload to a
// channel, publish, retry or delete its items): the owner and admins.
func canManage(user *store.User, ownerID int64) bool {
	return user != nil && !user.Disabled && (user.Role == store.RoleAdmin || (ownerID != 0 && user.ID == ownerID))
}

// visibleItem finds an item by its public id for user: a published item is
// visible to anyone, another only to those who manage it. An item the user
// may not see is store.ErrNotFound, so that its existence does not leak.
func (s *server) visibleItem(ctx context.Context, user *store.User, publicID string) (item *store.Item, manage bool, err error) {
	if publicID == "" || len(publicID) > 64 {
		return nil, false, store.ErrNotFound
	}
	item, err = s.store.ItemByPublicID(ctx, publicID)
	if err != nil {
		return nil, false, err
	}
	manage = canManage(user, item.OwnerID)
	if item.State != store.StatePublished && !manage {
		return nil, false, store.ErrNotFound
	}
	// A remote item waiting for review (or rejected) is seen by curators
	// only, who decide.
	if item.ReviewState != store.ReviewAccepted && !isCurator(user) {
		return nil, false, store.ErrNotFound
	}
	return item, manage, nil
}

// extendDeadlines gives a handler that streams size bytes (in or out) time
// for it beyond the server's whole-request timeouts: two minutes plus one
// second per 32 KiB. Writers that cannot set deadlines are left alone.
func extendDeadlines(w http.ResponseWriter, size int64, read, write bool) {
	if size < 0 {
		size = 0
	}
	d := 2*time.Minute + time.Duration(size/(32<<10))*time.Second
	rc := http.NewResponseController(w)
	at := time.Now().Add(d)
	if read {
		_ = rc.SetReadDeadline(at)
	}
	if write {
		_ = rc.SetWriteDeadline(at)
	}
}

// isNotFound tells whether err means there is no such row.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// lookupFailed answers a failed lookup (not found: the 404 page; else a
// server error) and reports whether there was one.
func (s *server) lookupFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case isNotFound(err):
		s.renderNotFound(w, r)
	default:
		s.serverError(w, r, err)
	}
	return true
}

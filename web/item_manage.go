package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/archipel/archipel/store"
)

// manageItem loads the item of a page that changes it (a POST, or the
// edit form). Anonymous visitors are sent to sign in (back to the form, or
// to the item's page after a POST), those who may not see it get 404 and
// those who may see but not manage it 403. It answers and returns nil then.
func (s *server) manageItem(w http.ResponseWriter, r *http.Request) (*store.User, *store.Item) {
	id := r.PathValue("id")
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return nil, nil
	}
	if user == nil {
		next := "/i/" + id
		if safeMethod(r.Method) {
			next = r.URL.Path
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil, nil
	}
	item, manage, err := s.visibleItem(r.Context(), user, id)
	if isNotFound(err) {
		s.renderItemNotFound(w, r)
		return nil, nil
	}
	if err != nil {
		s.serverError(w, r, err)
		return nil, nil
	}
	if !manage {
		s.renderError(w, r, http.StatusForbidden, "error.not_allowed", "error.not_owner.item", item.ChannelHandle)
		return nil, nil
	}
	return user, item
}

// renderItemConflict explains that an item is not in the state an action
// needs (someone else acted first, or the page is stale): msgKey is the
// catalogue's message.
func (s *server) renderItemConflict(w http.ResponseWriter, r *http.Request, item *store.Item, msgKey string) {
	s.renderError(w, r, http.StatusConflict, "error.unchanged", msgKey)
}

func itoa(n int) string { return strconv.Itoa(n) }

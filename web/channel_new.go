package web

import (
	"net/http"
	"net/url"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/store"
)

// channelForm is the data of the new-channel form: what the person typed,
// as typed, and the errors by field name ("" for an error of no field).
type channelForm struct {
	Input  accounts.ChannelInput
	Errors map[string]string

	MaxHandle int
	MaxTitle  int
	Import    bool // the hub imports podcasts: the page links to /import
}

func newChannelForm(in accounts.ChannelInput) *channelForm {
	return &channelForm{Input: in, Errors: map[string]string{}, MaxHandle: accounts.MaxHandleLength, MaxTitle: accounts.MaxTitleLength}
}

// handleChannelNew shows the empty new-channel form.
func (s *server) handleChannelNew(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireChannelCreator(w, r); !ok {
		return
	}
	form := newChannelForm(accounts.ChannelInput{Kind: store.KindVideo})
	form.Import = s.importer != nil
	s.render(w, r, http.StatusOK, "channel_new", s.tr(r).T("channel_new.heading"), form)
}

// requireChannelCreator lets through creators and admins. It sends
// anonymous visitors to sign in and shows others a 403 page.
func (s *server) requireChannelCreator(w http.ResponseWriter, r *http.Request) (*store.User, bool) {
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return nil, false
	}
	if user == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape("/channels/new"), http.StatusSeeOther)
		return nil, false
	}
	if !canCreateChannel(user) {
		s.renderError(w, r, http.StatusForbidden, "error.not_allowed", "error.not_allowed.create_channel")
		return nil, false
	}
	return user, true
}

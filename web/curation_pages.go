package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/archipel/archipel/curation"
	"github.com/archipel/archipel/store"
)

// curationRoutes registers the curators' pages: the hub's follows (follow
// an instance, a channel, an account or a podcast; see their state;
// unfollow) and the review queue of the remote items they bring.
func (s *server) curationRoutes() {
	s.curator = &curation.Curator{Store: s.store, Federation: s.federation}
	s.route("GET /curation/follows", s.handleCurationFollows)
	s.route("POST /curation/follows", s.handleCurationFollow)
	s.route("POST /curation/follows/{id}/unfollow", s.handleCurationUnfollow)
	s.route("GET /curation/review", s.handleCurationReview)
	s.route("POST /curation/review", s.handleCurationDecide)
	s.route("GET /curation/home", s.handleCurationHome)
	s.route("POST /curation/home", s.handleCurationHomeAdd)
	s.route("POST /curation/home/{id}/remove", s.handleCurationHomeRemove)
	if s.library != nil {
		s.listRoutes()
	}
}

// followForm is the follow form as typed.
type followForm struct {
	Target, Languages, Tags, MinMinutes, List string
	AutoAccept, Sensitive, Mirror             bool
	Error                                     string
}

type curationFollowsPage struct {
	Form    followForm
	Follows []*store.CuratedFollow
	Notice  string
}

func (s *server) handleCurationFollows(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireCurator(w, r); !ok {
		return
	}
	s.showFollows(w, r, http.StatusOK, followForm{}, r.URL.Query().Get("done"))
}

func (s *server) showFollows(w http.ResponseWriter, r *http.Request, status int, form followForm, notice string) {
	follows, err := s.curator.Follows(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, status, "curation_follows", s.tr(r).T("follows.heading"), &curationFollowsPage{Form: form, Follows: follows, Notice: notice})
}

// handleCurationFollow follows what the form names. A target that cannot
// be found, or a bad field, shows the form again with what was typed.
func (s *server) handleCurationFollow(w http.ResponseWriter, r *http.Request) {
	user, ok := s.requireCurator(w, r)
	if !ok {
		return
	}
	form := followForm{
		Target: strings.TrimSpace(r.PostFormValue("target")), Languages: r.PostFormValue("languages"),
		Tags: r.PostFormValue("tags"), MinMinutes: strings.TrimSpace(r.PostFormValue("min_minutes")),
		AutoAccept: r.PostFormValue("auto_accept") == "1", Sensitive: r.PostFormValue("sensitive") == "1",
		List: r.PostFormValue("list"), Mirror: r.PostFormValue("mirror") == "1",
	}
	switch form.List {
	case "", store.ListOff, store.ListReview, store.ListAuto:
	default:
		form.List = store.ListOff
	}
	set := store.FollowSettings{Review: !form.AutoAccept, AllowSensitive: form.Sensitive, ListMode: form.List, Mirror: form.Mirror,
		Languages: strings.Split(form.Languages, ","), Tags: strings.Split(form.Tags, ",")}
	if form.MinMinutes != "" {
		m, err := strconv.ParseFloat(form.MinMinutes, 64)
		if err != nil || m < 0 || m > 24*60 {
			form.Error = s.tr(r).T("follows.min_minutes_invalid")
			s.showFollows(w, r, http.StatusUnprocessableEntity, form, "")
			return
		}
		set.MinDuration = time.Duration(m * float64(time.Minute))
	}
	f, err := s.curator.Follow(r.Context(), form.Target, set, user)
	if err != nil {
		form.Error = s.tr(r).T("follows.cannot_follow", strconv.Quote(form.Target), err.Error())
		s.showFollows(w, r, http.StatusUnprocessableEntity, form, "")
		return
	}
	http.Redirect(w, r, "/curation/follows?done="+url.QueryEscape(s.tr(r).T("follows.asked", f.Actor.URI)), http.StatusSeeOther)
}

func (s *server) handleCurationUnfollow(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireCurator(w, r); !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.renderNotFound(w, r)
		return
	}
	follows, err := s.curator.Follows(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, f := range follows {
		if f.FollowID == id {
			if _, err := s.curator.Unfollow(r.Context(), f.Actor.URI); err != nil {
				s.serverError(w, r, err)
				return
			}
			http.Redirect(w, r, "/curation/follows?done="+url.QueryEscape(s.tr(r).T("follows.unfollowed", f.Actor.URI)), http.StatusSeeOther)
			return
		}
	}
	s.renderNotFound(w, r)
}

// reviewRow is a pending item with its preview.
type reviewRow struct {
	Item      *store.Item
	Thumbnail string
	Playable  string // the first video or audio file, for a preview player
	MimeType  string
	Origin    string // host
}

type curationReviewPage struct {
	Rows      []reviewRow
	Total     int
	Decisions []store.ReviewDecision
	Notice    string
}

// handleCurationReview lists what waits for review, oldest first, with a
// preview of each, and the latest decisions.
func (s *server) handleCurationReview(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireCurator(w, r); !ok {
		return
	}
	ctx := r.Context()
	items, err := s.store.ReviewQueue(ctx, 50, 0)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	page := &curationReviewPage{Notice: r.URL.Query().Get("done")}
	if page.Total, err = s.store.CountReviewQueue(ctx); err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, it := range items {
		row := reviewRow{Item: it, Origin: hostOfURL(it.OriginURI)}
		files, err := s.store.MediaFiles(ctx, it.ID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		for _, f := range files {
			switch {
			case f.Rendition == "thumbnail" && row.Thumbnail == "":
				row.Thumbnail = f.RemoteURL
			case row.Playable == "" && (strings.HasPrefix(f.MimeType, "video/") || strings.HasPrefix(f.MimeType, "audio/")):
				row.Playable, row.MimeType = f.RemoteURL, f.MimeType
			}
		}
		page.Rows = append(page.Rows, row)
	}
	if page.Decisions, err = s.store.ReviewDecisions(ctx, 20); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "curation_review", s.tr(r).T("review.heading"), page)
}

// handleCurationDecide accepts or rejects the chosen items (one, from its
// own button, or several, ticked).
func (s *server) handleCurationDecide(w http.ResponseWriter, r *http.Request) {
	user, ok := s.requireCurator(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "error.bad_form", "error.bad_form.message")
		return
	}
	decision := r.PostForm.Get("decision")
	if decision != "accept" && decision != "reject" {
		s.renderError(w, r, http.StatusBadRequest, "error.bad_form", "error.bad_form.decision")
		return
	}
	var ids []int64
	for _, pid := range r.PostForm["item"] {
		it, err := s.store.ItemByPublicID(r.Context(), pid)
		if err == nil {
			ids = append(ids, it.ID)
		}
	}
	if len(ids) == 0 {
		http.Redirect(w, r, "/curation/review?done="+url.QueryEscape(s.tr(r).T("review.none_chosen")), http.StatusSeeOther)
		return
	}
	changed, err := s.curator.Decide(r.Context(), ids, decision == "accept", user)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	done := s.tr(r).N("review.done_accepted", len(changed))
	if decision == "reject" {
		done = s.tr(r).N("review.done_rejected", len(changed))
	}
	http.Redirect(w, r, "/curation/review?done="+url.QueryEscape(done), http.StatusSeeOther)
}

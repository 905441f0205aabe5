package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/archipel/archipel/curation/feeds"
	"github.com/archipel/archipel/store"
)

// listRoutes registers the hub's shared curation list (its JSON and OPML
// views, public) and the page where curators work the proposals of the
// lists the hub subscribes to.
func (s *server) listRoutes() {
	s.route("GET /curation/list.json", s.handleListJSON)
	s.route("GET /curation/list.opml", s.handleListOPML)
	s.route("GET /curation/lists", s.handleProposals)
	s.route("POST /curation/lists/{id}/{action}", s.handleProposalDecide)
}

func (s *server) handleListJSON(w http.ResponseWriter, r *http.Request) {
	v, err := s.curator.List(r.Context(), s.feeds)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "public, max-age=60")
	_ = json.NewEncoder(w).Encode(v)
}

// handleListOPML is the list for feed readers and podcast apps: the
// collections' podcast feeds, then the followed actors' pages.
func (s *server) handleListOPML(w http.ResponseWriter, r *http.Request) {
	v, err := s.curator.List(r.Context(), s.feeds)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var outlines []feeds.Outline
	for _, c := range v.Collections {
		outlines = append(outlines, feeds.Outline{Text: c.Title, Title: c.Title, Type: "rss", XMLURL: c.Feed, HTMLURL: c.URL})
	}
	for _, a := range v.Follows {
		name := a.Name
		if name == "" {
			name = a.Handle
		}
		outlines = append(outlines, feeds.Outline{Text: name, Title: name, Type: "link", HTMLURL: a.URI})
	}
	body, err := feeds.OPML("Curation list of "+s.publicURL.Host, s.publicURL.Host, time.Now(), outlines)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/x-opml; charset=utf-8")
	_, _ = w.Write(body)
}

type proposalsPage struct {
	Pending, Decided []*store.Proposal
	Notice           string
	ListJSON         string
}

func (s *server) handleProposals(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireCurator(w, r); !ok {
		return
	}
	page := &proposalsPage{Notice: r.URL.Query().Get("done"), ListJSON: s.absURL("/curation/list.json")}
	all, err := s.curator.Proposals(r.Context(), "", 200)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, p := range all {
		if p.State == store.ProposalPending {
			page.Pending = append(page.Pending, p)
		} else if len(page.Decided) < 30 {
			page.Decided = append(page.Decided, p)
		}
	}
	s.render(w, r, http.StatusOK, "curation_lists", s.tr(r).T("lists.heading"), page)
}

func (s *server) handleProposalDecide(w http.ResponseWriter, r *http.Request) {
	user, ok := s.requireCurator(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	action := r.PathValue("action")
	if err != nil || (action != "apply" && action != "dismiss") {
		s.renderNotFound(w, r)
		return
	}
	p, err := s.curator.DecideProposal(r.Context(), id, action == "apply", user.Username)
	msg := ""
	switch {
	case isNotFound(err):
		s.renderNotFound(w, r)
		return
	case err != nil:
		msg = s.tr(r).T("lists.done_error", err.Error())
	default:
		msg = proposalDone(s.tr(r), p)
	}
	http.Redirect(w, r, "/curation/lists?done="+url.QueryEscape(msg), http.StatusSeeOther)
}

// proposalDone says what deciding a proposal did: "Applied: follow X.".
func proposalDone(tr *catalog, p *store.Proposal) string {
	action := p.Action
	switch p.Action {
	case "follow":
		action = tr.T("lists.action_follow")
	case "unfollow":
		action = tr.T("lists.action_unfollow")
	case "block":
		action = tr.T("lists.action_block")
	case "unblock":
		action = tr.T("lists.action_unblock")
	}
	switch p.State {
	case store.ProposalApplied:
		return tr.T("lists.done_applied", action, p.Target)
	case store.ProposalDismissed:
		return tr.T("lists.done_dismissed", action, p.Target)
	case store.ProposalFailed:
		return tr.T("lists.done_failed", action, p.Target)
	}
	return tr.T("lists.done_other", p.State, action, p.Target)
}

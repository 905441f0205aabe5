package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/archipel/archipel/store"
)

// applicationsPage is the data of the curators' applications page.
type applicationsPage struct {
	Pending []*applicationView
	Decided []*applicationView
	Done    string // what the last decision did, after its redirect
}

// applicationView is an application as the curators see it.
type applicationView struct {
	*store.Application
	Links   []linkView
	Channel string // the created channel's handle, once approved
	Error   string // why the last decision on it failed
	Message string // the message typed with that decision, kept
}

// linkView is an applicant's link: Safe ones (http, https) become links,
// others are shown as text.
type linkView struct {
	URL  string
	Safe bool
}

func safeLinks(links []string) []linkView {
	out := make([]linkView, len(links))
	for i, l := range links {
		u, err := url.Parse(l)
		out[i] = linkView{URL: l, Safe: err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""}
	}
	return out
}

// handleApplications lists the pending applications, oldest first, then
// the latest decisions.
func (s *server) handleApplications(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireCurator(w, r); !ok {
		return
	}
	page, err := s.applicationsPage(r, 0, "", "")
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if id, err := strconv.ParseInt(r.URL.Query().Get("decided"), 10, 64); err == nil {
		for _, a := range page.Decided {
			if a.ID == id {
				page.Done = decisionSummary(s.tr(r), a)
			}
		}
	}
	s.render(w, r, http.StatusOK, "applications", s.tr(r).T("applications.heading"), page)
}

// applicationsPage builds the page, with errID's error and typed message.
func (s *server) applicationsPage(r *http.Request, errID int64, errMsg, typed string) (*applicationsPage, error) {
	apps, err := s.store.ListApplications(r.Context(), 50)
	if err != nil {
		return nil, err
	}
	page := &applicationsPage{}
	for _, a := range apps {
		v := &applicationView{Application: a, Links: safeLinks(a.Links)}
		if a.ID == errID {
			v.Error, v.Message = errMsg, typed
		}
		if a.ChannelID != 0 {
			if c, err := s.store.ChannelByID(r.Context(), a.ChannelID); err == nil {
				v.Channel = c.Handle
			}
		}
		if a.State == store.ApplicationPending {
			page.Pending = append(page.Pending, v)
		} else {
			page.Decided = append(page.Decided, v)
		}
	}
	return page, nil
}

// decisionSummary says what a decision did, for the curator who made it.
func decisionSummary(tr *catalog, a *applicationView) string {
	if a.State == store.ApplicationApproved {
		return tr.T("applications.approved_summary", a.Name, a.Username, a.Channel)
	}
	return tr.T("applications.declined_summary", a.Name)
}

package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/archipel/archipel/store"
)

// healthPageSize is how many instances one page of the health page lists.
const healthPageSize = 50

// healthRoutes registers the federation health page (curators and admins)
// and the hub's public activity graphs.
func (s *server) healthRoutes() {
	s.route("GET /admin/federation", s.handleFederationHealth)
	s.route("GET /admin/federation/{domain}", s.handleInstanceHealth)
	s.policyRoutes()
	graphs := &activityCache{}
	s.route("GET /about/activity", s.handleActivityGraphs(graphs))
	s.route("GET /about/activity.json", s.handleActivityGraphsJSON(graphs))
}

// requireCurator lets curators and admins through. It sends anonymous
// visitors to sign in and shows others a 403 page.
func (s *server) requireCurator(w http.ResponseWriter, r *http.Request) (*store.User, bool) {
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return nil, false
	}
	if user == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil, false
	}
	if !isCurator(user) {
		s.renderError(w, r, http.StatusForbidden, "error.not_allowed", "error.not_allowed.curators")
		return nil, false
	}
	return user, true
}

// isCurator tells whether u may see curators' pages: curators and admins.
func isCurator(u *store.User) bool {
	return u != nil && !u.Disabled && (u.Role == store.RoleCurator || u.Role == store.RoleAdmin)
}

// healthPage is the data of the federation_health template.
type healthPage struct {
	Summary  *store.HealthSummary
	Rows     []healthRow
	Total    int
	From, To int // 1-based positions of the rows shown
	Domain   string
	Sort     string
	Sorts    []healthSortLink
	PrevURL  string
	NextURL  string
	Instance *healthRow // the detail page's one instance
	Policy   string     // the instance's policy (detail page)
	Policies []string   // the policies a curator may set
	Mode     string     // the federation mode: open or allowlist
	IsAdmin  bool       // may change the mode
	Done     string     // the policy just set, or "mode"
}

type healthSortLink struct {
	Label   string
	URL     string
	Current bool
}

// healthRow is one instance as the page shows it: states and times made
// into text here, so the template stays simple.
type healthRow struct {
	Domain, Software                         string
	Parked, Failing, Blocked, Muted, Limited bool
	ParkedUntil, ParkedReason                string
	Following, FollowingPending, Followers   int
	LastSuccess, LastFailure, LastError      string
	FailureCount                             int
	Delivered, Failed                        int64
	Queue                                    int
}

var healthSortLabels = map[string]string{
	store.HealthSortProblems: "health.sort_problems",
	store.HealthSortDomain:   "health.sort_domain",
	store.HealthSortRecent:   "health.sort_recent",
	store.HealthSortQueue:    "health.sort_queue",
}

// handleFederationHealth lists the known instances, problems first: their
// delivery health, follows either way, queued retries and policy.
func (s *server) handleFederationHealth(w http.ResponseWriter, r *http.Request) {
	user, ok := s.requireCurator(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	p := &healthPage{Sort: q.Get("sort"), Domain: strings.TrimSpace(q.Get("domain"))}
	if len(p.Domain) > 253 {
		p.Domain = p.Domain[:253]
	}
	if !slices.Contains(store.HealthSorts, p.Sort) {
		p.Sort = store.HealthSortProblems
	}
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	ctx, now := r.Context(), time.Now()
	var err error
	if p.Summary, err = s.store.FederationHealthSummary(ctx, now); err != nil {
		s.serverError(w, r, err)
		return
	}
	list, total, err := s.store.FederationHealth(ctx, store.HealthFilter{Sort: p.Sort, Domain: p.Domain,
		Limit: healthPageSize, Offset: (page - 1) * healthPageSize}, now)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p.Total = total
	for _, h := range list {
		p.Rows = append(p.Rows, newHealthRow(s.tr(r), h, now))
	}
	link := func(sort string, page int) string {
		v := url.Values{}
		if sort != store.HealthSortProblems {
			v.Set("sort", sort)
		}
		if p.Domain != "" {
			v.Set("domain", p.Domain)
		}
		if page > 1 {
			v.Set("page", strconv.Itoa(page))
		}
		if len(v) == 0 {
			return "/admin/federation"
		}
		return "/admin/federation?" + v.Encode()
	}
	for _, sort := range store.HealthSorts {
		p.Sorts = append(p.Sorts, healthSortLink{Label: s.tr(r).T(healthSortLabels[sort]), URL: link(sort, 1), Current: sort == p.Sort})
	}
	if len(p.Rows) > 0 {
		p.From = (page-1)*healthPageSize + 1
		p.To = p.From + len(p.Rows) - 1
	}
	if page > 1 {
		p.PrevURL = link(p.Sort, page-1)
	}
	if page*healthPageSize < total {
		p.NextURL = link(p.Sort, page+1)
	}
	p.Policies, p.IsAdmin = instancePolicies, user.Role == store.RoleAdmin
	if q.Get("mode_done") != "" {
		p.Done = "mode"
	}
	if p.Mode, err = s.store.FederationMode(ctx); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "federation_health", s.tr(r).T("health.heading"), p)
}

func newHealthRow(tr *catalog, h *store.InstanceHealth, now time.Time) healthRow {
	row := healthRow{
		Domain: h.Domain, Software: strings.TrimSpace(h.Software + " " + h.Version),
		Parked: h.Parked(now), Failing: h.FailureCount > 0,
		Blocked: h.Policy == store.PolicyBlock, Muted: h.Policy == store.PolicyMute, Limited: h.Policy == store.PolicyLimit,
		Following: h.Following, FollowingPending: h.FollowingPending, Followers: h.Followers,
		FailureCount: h.FailureCount, Delivered: h.DeliveredCount, Failed: h.FailedCount, Queue: h.Queue,
		LastSuccess: ago(tr, h.LastSuccessAt, now), LastFailure: ago(tr, h.LastFailureAt, now), LastError: h.LastError,
	}
	if row.Parked {
		row.ParkedUntil = h.ParkedUntil.UTC().Format("2006-01-02 15:04 UTC")
		row.ParkedReason = h.ParkedReason
	}
	return row
}

// ago says how long before now t was, roughly ("3 h ago"), or "" for nil.
func ago(tr *catalog, t *time.Time, now time.Time) string {
	if t == nil {
		return ""
	}
	d := now.Sub(*t)
	switch {
	case d < time.Minute:
		return tr.T("ago.now")
	case d < time.Hour:
		return tr.T("ago.minutes", int(d/time.Minute))
	case d < 48*time.Hour:
		return tr.T("ago.hours", int(d/time.Hour))
	case d < 60*24*time.Hour:
		return tr.T("ago.days", int(d/(24*time.Hour)))
	}
	return t.UTC().Format("2006-01-02")
}

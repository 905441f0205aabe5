package web

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/archipel/archipel/store"
)

// The activity graphs count per week (Monday to Sunday, UTC) over the last
// activityWeeks weeks, this one included, and are computed at most once
// per activityTTL.
const (
	activityWeeks = 52
	activityTTL   = 5 * time.Minute
	week          = 7 * 24 * time.Hour
)

// activitySeries describes one graph: what the store's HubActivity field
// counts, in words.
var activitySeries = []struct {
	ID, Label, Unit string
	Cumulative      bool
	days            func(*store.HubActivity) ([]store.DayCount, int)
}{
	{"items", "Items published", "items", false,
		func(a *store.HubActivity) ([]store.DayCount, int) { return a.Items, 0 }},
	{"comments", "Comments received", "comments", false,
		func(a *store.HubActivity) ([]store.DayCount, int) { return a.Comments, 0 }},
	{"followers", "New followers from other servers", "followers", false,
		func(a *store.HubActivity) ([]store.DayCount, int) { return a.Followers, 0 }},
	{"instances_known", "Instances known", "instances", true,
		func(a *store.HubActivity) ([]store.DayCount, int) { return a.InstancesKnown, a.InstancesKnownBefore }},
	{"instances_federating", "Instances federating (a follow either way)", "instances", true,
		func(a *store.HubActivity) ([]store.DayCount, int) {
			return a.InstancesFederating, a.InstancesFederatingBefore
		}},
}

// activityData is the graphs' data, as JSON and for the page.
type activityData struct {
	Bucket      string           `json:"bucket"` // "week"
	From        string           `json:"from"`   // first week's Monday, YYYY-MM-DD
	To          string           `json:"to"`     // the Monday after the last week (exclusive)
	GeneratedAt time.Time        `json:"generated_at"`
	Series      []activityPoints `json:"series"`
	weeks       []time.Time
}

type activityPoints struct {
	ID         string          `json:"id"`
	Label      string          `json:"label"`
	Cumulative bool            `json:"cumulative"` // a running total; else new per week
	Total      int             `json:"total"`      // over the weeks, or the last week's value when cumulative
	Points     []activityPoint `json:"points"`
	unit       string
}

type activityPoint struct {
	Week  string `json:"week"` // its Monday, YYYY-MM-DD
	Count int    `json:"count"`
}

// activityCache keeps the latest graphs for activityTTL: the page is
// public, and the queries scan a year of rows.
type activityCache struct {
	mu   sync.Mutex
	at   time.Time
	data *activityData
}

func (c *activityCache) get(ctx context.Context, s *store.Store, now time.Time) (*activityData, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.data != nil && now.Sub(c.at) < activityTTL && now.After(c.at) {
		return c.data, nil
	}
	d, err := buildActivity(ctx, s, now)
	if err != nil {
		return nil, err
	}
	c.data, c.at = d, now
	return d, nil
}

// weekStart is the Monday 00:00 UTC of t's week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// buildActivity counts the hub's activity per week.
func buildActivity(ctx context.Context, s *store.Store, now time.Time) (*activityData, error) {
	since := weekStart(now).AddDate(0, 0, -7*(activityWeeks-1))
	until := since.AddDate(0, 0, 7*activityWeeks)
	a, err := s.HubActivity(ctx, since, until)
	if err != nil {
		return nil, err
	}
	d := &activityData{Bucket: "week", From: since.Format(time.DateOnly), To: until.Format(time.DateOnly), GeneratedAt: now.UTC()}
	for i := range activityWeeks {
		d.weeks = append(d.weeks, since.AddDate(0, 0, 7*i))
	}
	for _, def := range activitySeries {
		days, before := def.days(a)
		counts := make([]int, activityWeeks)
		for _, dc := range days {
			if i := int(dc.Day.Sub(since) / week); i >= 0 && i < activityWeeks {
				counts[i] += dc.Count
			}
		}
		ps := activityPoints{ID: def.ID, Label: def.Label, Cumulative: def.Cumulative, unit: def.Unit}
		run := before
		for i, n := range counts {
			if def.Cumulative {
				run += n
				n = run
				ps.Total = n
			} else {
				ps.Total += n
			}
			ps.Points = append(ps.Points, activityPoint{Week: d.weeks[i].Format(time.DateOnly), Count: n})
		}
		d.Series = append(d.Series, ps)
	}
	return d, nil
}

// activityPage is the data of the activity template.
type activityPage struct {
	From, To string
	Charts   []activityChart
	Rows     []activityRow
	Labels   []string
}

// activityChart is one bar chart, laid out for an inline SVG.
type activityChart struct {
	ID, Title, Desc string
	Max             int
	Bars            []activityBar
	FirstWeek       string
}

type activityBar struct {
	X, Y, H string // SVG coordinates, formatted
	Label   string // its tooltip
}

type activityRow struct {
	Week   string
	Counts []int
}

// The charts' geometry, in SVG user units: 52 bars of 10 to the right of
// the axis labels, over a plot 100 high.
const (
	chartLeft   = 44
	chartTop    = 8
	chartHeight = 100
	chartBar    = 10
)

func newActivityPage(tr *catalog, d *activityData) *activityPage {
	p := &activityPage{From: d.From, To: d.To}
	for _, s := range d.Series {
		p.Labels = append(p.Labels, activityLabel(tr, s.ID))
	}
	for i, w := range d.weeks {
		row := activityRow{Week: w.Format(time.DateOnly)}
		for _, s := range d.Series {
			row.Counts = append(row.Counts, s.Points[i].Count)
		}
		p.Rows = append(p.Rows, row)
	}
	for _, s := range d.Series {
		c := activityChart{ID: "chart-" + s.ID, Title: tr.T("activity.per_week", activityLabel(tr, s.ID)), FirstWeek: d.From}
		busiest := 0
		for i, pt := range s.Points {
			if pt.Count > c.Max {
				c.Max, busiest = pt.Count, i
			}
		}
		scale := 1.0
		if c.Max > 0 {
			scale = chartHeight / float64(c.Max)
		}
		for i, pt := range s.Points {
			h := float64(pt.Count) * scale
			if pt.Count > 0 && h < 1 {
				h = 1
			}
			c.Bars = append(c.Bars, activityBar{
				X:     strconv.Itoa(chartLeft + i*chartBar + 1),
				Y:     strconv.FormatFloat(chartTop+chartHeight-h, 'f', 1, 64),
				H:     strconv.FormatFloat(h, 'f', 1, 64),
				Label: tr.T("activity.bar", pt.Week, pt.Count),
			})
		}
		switch {
		case s.Cumulative:
			c.Desc = tr.T("activity.desc_cumulative", d.From, s.Total, activityUnit(tr, s.unit))
		case c.Max == 0:
			c.Desc = tr.T("activity.desc_none", d.From)
		default:
			c.Desc = tr.T("activity.desc", d.From, s.Total, activityUnit(tr, s.unit), c.Max, s.Points[busiest].Week)
		}
		p.Charts = append(p.Charts, c)
	}
	return p
}

// handleActivityGraphs shows the hub's public activity graphs: inline SVG bar
// charts with a data table, no script.
func (s *server) handleActivityGraphs(c *activityCache) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := c.get(r.Context(), s.store, time.Now())
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "activity", s.tr(r).T("activity.heading"), newActivityPage(s.tr(r), d))
	}
}

// activityLabel names a series on the page (the JSON keeps its English
// label).
func activityLabel(tr *catalog, id string) string {
	switch id {
	case "items":
		return tr.T("activity.series.items")
	case "comments":
		return tr.T("activity.series.comments")
	case "followers":
		return tr.T("activity.series.followers")
	case "instances_known":
		return tr.T("activity.series.instances_known")
	case "instances_federating":
		return tr.T("activity.series.instances_federating")
	}
	return id
}

// activityUnit names what a series counts.
func activityUnit(tr *catalog, unit string) string {
	switch unit {
	case "items":
		return tr.T("activity.unit.items")
	case "comments":
		return tr.T("activity.unit.comments")
	case "followers":
		return tr.T("activity.unit.followers")
	case "instances":
		return tr.T("activity.unit.instances")
	}
	return unit
}

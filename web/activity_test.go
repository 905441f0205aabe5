package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestWeekStart(t *testing.T) {
	for in, want := range map[string]string{
		"2025-03-10T00:00:00Z":      "2025-03-10", // a Monday
		"2025-03-16T23:59:59Z":      "2025-03-10", // the Sunday after
		"2025-03-17T00:00:01Z":      "2025-03-17",
		"2025-01-01T12:00:00Z":      "2024-12-30", // across the year
		"2025-03-17T00:30:00+02:00": "2025-03-10", // still Sunday in UTC
	} {
		at, err := time.Parse(time.RFC3339, in)
		if err != nil {
			t.Fatal(err)
		}
		if got := weekStart(at).Format(time.DateOnly); got != want {
			t.Errorf("weekStart(%s) = %s, want %s", in, got, want)
		}
	}
}

// activityJSON is the decoded /about/activity.json.
type activityJSON struct {
	Bucket, From, To string
	Series           []struct {
		ID         string
		Label      string
		Cumulative bool
		Total      int
		Points     []struct {
			Week  string
			Count int
		}
	}
}

func TestActivityGraphs(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newMediaHarness(t, s, mediaOptions{federation: true})
		maker := createUser(t, s, "maker", store.RoleCreator)
		ch := createChannel(t, s, maker, "talks", store.KindPodcast)

		// Items: two this week, one three weeks ago, one too old to show,
		// and a draft; comments on them in other weeks.
		this := weekStart(time.Now())
		threeAgo := this.AddDate(0, 0, -21).Add(36 * time.Hour)
		var items []store.ImportedItem
		for i, at := range []time.Time{this, this.Add(time.Second), threeAgo, this.AddDate(0, 0, -7*60)} {
			items = append(items, store.ImportedItem{ChannelID: ch.ID, Kind: store.ItemEpisode, Title: fmt.Sprint("Episode ", i),
				FeedGUID: fmt.Sprint("guid-", i), SourceName: "x", EpisodeType: "full", PublishedAt: at})
		}
		ids, err := s.InsertImportedItems(ctx, items, nil)
		if err != nil {
			t.Fatal(err)
		}
		seedItem(t, s, ch, "A draft", "", false)
		fan := healthRemote(t, s, "fans.example", "fan")
		for i, c := range []struct {
			at    time.Time
			state string
		}{
			{threeAgo, "visible"}, {threeAgo.Add(time.Hour), "visible"}, {this, "visible"},
			{this, "held"}, {this.AddDate(0, 0, -7), "deleted"},
		} {
			if _, err := s.InsertComment(ctx, store.Comment{ItemID: ids[0], AuthorID: fan.ID, URI: fmt.Sprint("https://fans.example/c/", i),
				ContentHTML: "<p>hi</p>", State: c.state, PublishedAt: c.at}); err != nil {
				t.Fatal(err)
			}
		}
		healthFollow(t, s, fan.ID, ch.ActorID, store.FollowAccepted)
		healthFollow(t, s, healthRemote(t, s, "other.example", "o").ID, ch.ActorID, store.FollowPending)

		anon := h.browser()
		r := anon.get("/about/activity.json")
		wantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		var data activityJSON
		if err := json.Unmarshal([]byte(r.body), &data); err != nil {
			t.Fatal(err)
		}
		first := this.AddDate(0, 0, -7*51)
		if data.Bucket != "week" || data.From != first.Format(time.DateOnly) || data.To != this.AddDate(0, 0, 7).Format(time.DateOnly) || len(data.Series) != 5 {
			t.Fatalf("data: %+v", data)
		}
		// want lists each series' non-zero weeks (by index from the first)
		// and its total.
		want := map[string]struct {
			weeks map[int]int
			total int
		}{
			"items":                {map[int]int{48: 1, 51: 2}, 3},
			"comments":             {map[int]int{48: 2, 51: 1}, 3},
			"followers":            {map[int]int{51: 1}, 1},
			"instances_known":      {map[int]int{51: 2}, 2}, // cumulative: only this week has any
			"instances_federating": {map[int]int{51: 1}, 1},
		}
		series := map[string][]int{}
		for _, sr := range data.Series {
			w, ok := want[sr.ID]
			if !ok {
				t.Errorf("unexpected series %s", sr.ID)
				continue
			}
			if len(sr.Points) != 52 || sr.Points[0].Week != data.From || sr.Points[51].Week != this.Format(time.DateOnly) {
				t.Fatalf("%s: %d points from %s", sr.ID, len(sr.Points), sr.Points[0].Week)
			}
			for i, pt := range sr.Points {
				series[sr.ID] = append(series[sr.ID], pt.Count)
				if pt.Count != w.weeks[i] {
					t.Errorf("%s, week %d (%s): %d, want %d", sr.ID, i, pt.Week, pt.Count, w.weeks[i])
				}
			}
			if sr.Total != w.total {
				t.Errorf("%s: total %d, want %d", sr.ID, sr.Total, w.total)
			}
		}

		// The page: public, one accessible SVG per series, and the same
		// numbers in its table.
		r = anon.get("/about/activity")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, `<svg class="bars" viewBox="0 0 570 128" role="img" aria-labelledby="chart-items-title chart-items-desc">`,
			`<title id="chart-items-title">Items published per week</title>`,
			`<desc id="chart-items-desc">Per week from `+data.From+` to this week: 3 items in all, at most 2 in a week (the week of `+this.Format(time.DateOnly)+`).</desc>`,
			`<title>Week of `+this.Format(time.DateOnly)+`: 2</title>`,
			`<details class="chart-data">`, `<a href="/about/activity.json">`)
		wantNotContains(t, r.body, "<script")
		if n := strings.Count(r.body, "<svg "); n != 5 {
			t.Errorf("%d charts, want 5", n)
		}
		rowRE := regexp.MustCompile(`<tr><th scope="row">(\d{4}-\d\d-\d\d)</th>((?:<td>\d+</td>){5})</tr>`)
		cellRE := regexp.MustCompile(`\d+`)
		rows := rowRE.FindAllStringSubmatch(r.body, -1)
		if len(rows) != 52 {
			t.Fatalf("%d table rows, want 52", len(rows))
		}
		for i, row := range rows {
			if row[1] != data.Series[0].Points[i].Week {
				t.Errorf("row %d is the week of %s, want %s", i, row[1], data.Series[0].Points[i].Week)
			}
			for j, cell := range cellRE.FindAllString(row[2], -1) {
				if n, _ := strconv.Atoi(cell); n != series[data.Series[j].ID][i] {
					t.Errorf("table week %s, %s: %d; JSON says %d", row[1], data.Series[j].ID, n, series[data.Series[j].ID][i])
				}
			}
		}
		// The tallest bar is the plot's full height.
		wantContains(t, r.body, `<rect x="`+strconv.Itoa(chartLeft+51*chartBar+1)+`" y="8.0" width="8" height="100.0">`)
	})
}

package store

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the federation health page's queries (per instance:
// delivery health, follows, retry queue) and the public activity graphs'
// (items, comments, followers and instances over time). Every query is an
// aggregate bounded by a page of instances or by a time window.

// Health page orders.
const (
	HealthSortProblems = "problems" // parked, failing, blocked, muted, then the rest
	HealthSortDomain   = "domain"
	HealthSortRecent   = "recent" // latest successful delivery first
	HealthSortQueue    = "queue"  // most retries waiting first
)

// HealthSorts lists the orders the health page offers.
var HealthSorts = []string{HealthSortProblems, HealthSortDomain, HealthSortRecent, HealthSortQueue}

// pendingJobStates are the River job states that still wait to run.
const pendingJobStates = `('available', 'scheduled', 'retryable')`

// InstanceHealth is an instance with the counts the health page shows.
type InstanceHealth struct {
	Instance
	Following        int // actors there that local actors follow (accepted)
	FollowingPending int // actors there that local actors asked to follow, not yet accepted
	Followers        int // actors there following local actors (accepted)
	Queue            int // delivery retry jobs waiting for this host
}

// Parked tells whether the host is parked at now.
func (h *InstanceHealth) Parked(now time.Time) bool {
	return h.ParkedUntil != nil && h.ParkedUntil.After(now)
}

// HealthFilter selects and orders a page of instances.
type HealthFilter struct {
	Sort   string // one of HealthSorts; "" is HealthSortProblems
	Domain string // substring of the domain, case-insensitive; "" for all
	Limit  int    // at most 200; 0 means 50
	Offset int
}

// HealthSummary counts instances by state, for the page's header.
type HealthSummary struct {
	Instances int
	Parked    int
	Failing   int // with a failure streak
	Blocked   int
	Muted     int
	Limited   int
	Queue     int // retry jobs waiting for any host
	FanOuts   int // fan-out jobs (one per activity) waiting
}

// FederationHealthSummary counts instances by state and the waiting
// delivery jobs, at now.
func (s *Store) FederationHealthSummary(ctx context.Context, now time.Time) (*HealthSummary, error) {
	var h HealthSummary
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*),
			COALESCE(SUM(CASE WHEN parked_until > $1 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN failure_count > 0 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN policy = 'block' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN policy = 'mute' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN policy = 'limit' THEN 1 ELSE 0 END), 0)
		FROM instances`, now.UTC()).Scan(&h.Instances, &h.Parked, &h.Failing, &h.Blocked, &h.Muted, &h.Limited)
	if err != nil {
		return nil, err
	}
	err = s.q.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(CASE WHEN d.inbox <> '' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN d.inbox = '' THEN 1 ELSE 0 END), 0)
		FROM delivery_jobs d JOIN river_job j ON j.id = d.job_id
		WHERE j.state IN `+pendingJobStates).Scan(&h.Queue, &h.FanOuts)
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// FederationHealth returns a page of instances with their health, ordered
// by f.Sort, and how many instances match f. Four queries whatever the page
// size: the count, the page, the follow counts and the queue depths of its
// instances.
func (s *Store) FederationHealth(ctx context.Context, f HealthFilter, now time.Time) ([]*InstanceHealth, int, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 200 {
		f.Limit = 200
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	where, args := "", []any{}
	if d := strings.ToLower(strings.TrimSpace(f.Domain)); d != "" {
		where = ` WHERE domain LIKE $1 ESCAPE '\'`
		args = append(args, "%"+likeEscaper.Replace(d)+"%")
	}
	var total int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM instances`+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if total == 0 || f.Offset >= total {
		return nil, total, nil
	}
	n := len(args)
	var order string
	switch f.Sort {
	case HealthSortDomain:
		order = `domain`
	case HealthSortRecent:
		order = `CASE WHEN last_success_at IS NULL THEN 1 ELSE 0 END, last_success_at DESC, domain`
	case HealthSortQueue:
		order = `(SELECT COUNT(*) FROM delivery_jobs d JOIN river_job j ON j.id = d.job_id
			WHERE d.host = instances.domain AND j.state IN ` + pendingJobStates + `) DESC, domain`
	default:
		args = append(args, now.UTC())
		p := "$" + strconv.Itoa(n+1)
		order = `CASE WHEN parked_until > ` + p + ` THEN 0 WHEN failure_count > 0 THEN 1
			WHEN policy = 'block' THEN 2 WHEN policy IN ('mute', 'limit') THEN 3 ELSE 4 END,
			failure_count DESC, CASE WHEN last_failure_at IS NULL THEN 1 ELSE 0 END, last_failure_at DESC, domain`
		n++
	}
	args = append(args, f.Limit, f.Offset)
	page, err := queryAll(ctx, s.q, scanInstance, `SELECT `+instanceColumns+` FROM instances`+where+
		` ORDER BY `+order+` LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2), args...)
	if err != nil {
		return nil, 0, err
	}
	out, err := s.withHealthCounts(ctx, page)
	return out, total, err
}

// InstanceHealthByDomain is one instance's health.
func (s *Store) InstanceHealthByDomain(ctx context.Context, domain string) (*InstanceHealth, error) {
	in, err := s.InstanceByDomain(ctx, domain)
	if err != nil {
		return nil, err
	}
	out, err := s.withHealthCounts(ctx, []*Instance{in})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// withHealthCounts adds the follow counts and the queue depth of each
// instance, in two aggregate queries over the page.
func (s *Store) withHealthCounts(ctx context.Context, page []*Instance) ([]*InstanceHealth, error) {
	out := make([]*InstanceHealth, len(page))
	byID := make(map[int64]*InstanceHealth, len(page))
	byHost := make(map[string]*InstanceHealth, len(page))
	ids := make([]int64, len(page))
	hosts := make([]string, len(page))
	for i, in := range page {
		h := &InstanceHealth{Instance: *in}
		out[i], byID[in.ID], byHost[in.Domain] = h, h, h
		ids[i], hosts[i] = in.ID, in.Domain
	}
	if len(page) == 0 {
		return out, nil
	}
	list, args := inList(nil, ids)
	// Local actors have domain ''; an actor there is one of the instance's.
	rows, err := s.q.QueryContext(ctx, `
		SELECT a.instance_id, 'following', f.state, COUNT(DISTINCT a.id)
		FROM actors a JOIN follows f ON f.target_actor_id = a.id JOIN actors l ON l.id = f.follower_actor_id
		WHERE a.instance_id IN `+list+` AND l.domain = '' AND f.state IN ('accepted', 'pending')
		GROUP BY a.instance_id, f.state
		UNION ALL
		SELECT a.instance_id, 'followers', f.state, COUNT(DISTINCT a.id)
		FROM actors a JOIN follows f ON f.follower_actor_id = a.id JOIN actors l ON l.id = f.target_actor_id
		WHERE a.instance_id IN `+list+` AND l.domain = '' AND f.state = 'accepted'
		GROUP BY a.instance_id, f.state`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var side, state string
		var n int
		if err := rows.Scan(&id, &side, &state, &n); err != nil {
			return nil, err
		}
		h := byID[id]
		switch {
		case h == nil:
		case side == "followers":
			h.Followers = n
		case state == FollowAccepted:
			h.Following = n
		default:
			h.FollowingPending = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	list, args = inList(nil, hosts)
	qrows, err := s.q.QueryContext(ctx, `SELECT d.host, COUNT(*) FROM delivery_jobs d JOIN river_job j ON j.id = d.job_id
		WHERE d.host IN `+list+` AND j.state IN `+pendingJobStates+` GROUP BY d.host`, args...)
	if err != nil {
		return nil, err
	}
	defer qrows.Close()
	for qrows.Next() {
		var host string
		var n int
		if err := qrows.Scan(&host, &n); err != nil {
			return nil, err
		}
		if h := byHost[host]; h != nil {
			h.Queue = n
		}
	}
	return out, qrows.Err()
}

// likeEscaper escapes LIKE's wildcards (with ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// DayCount is how many things happened on one UTC day.
type DayCount struct {
	Day   time.Time // midnight UTC
	Count int
}

// HubActivity is what the public activity graphs are made of: per UTC day
// since Since, the days with something. Cumulative series (instances)
// carry their count before Since.
type HubActivity struct {
	Since     time.Time
	Items     []DayCount // local items published
	Comments  []DayCount // comments on local items (visible), by publication day
	Followers []DayCount // remote actors who started following local actors (accepted)
	// Instances known (first seen), and instances federating: those with an
	// accepted follow either way, counted from their first one.
	InstancesKnown, InstancesFederating             []DayCount
	InstancesKnownBefore, InstancesFederatingBefore int
}

// HubActivity counts, per UTC day from since (a midnight UTC) to until,
// what the public activity graphs show. Counts describe what the database
// holds now: a deleted item or an undone follow no longer counts.
func (s *Store) HubActivity(ctx context.Context, since, until time.Time) (*HubActivity, error) {
	since, until = since.UTC(), until.UTC()
	a := &HubActivity{Since: since}
	day := func(col string) string {
		if s.engine == Postgres {
			return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
		}
		return `substr(` + col + `, 1, 10)` // times are stored as "YYYY-MM-DD hh:mm:ss…" in UTC
	}
	var err error
	if a.Items, err = s.dayCounts(ctx, `SELECT `+day("published_at")+`, COUNT(*) FROM items
		WHERE state = 'published' AND origin_uri IS NULL AND published_at >= $1 AND published_at < $2
		GROUP BY 1`, since, until); err != nil {
		return nil, err
	}
	if a.Comments, err = s.dayCounts(ctx, `SELECT `+day("c.published_at")+`, COUNT(*) FROM items i JOIN comments c ON c.item_id = i.id
		WHERE i.origin_uri IS NULL AND c.state = 'visible' AND c.published_at >= $1 AND c.published_at < $2
		GROUP BY 1`, since, until); err != nil {
		return nil, err
	}
	if a.Followers, err = s.dayCounts(ctx, `SELECT `+day("f.created_at")+`, COUNT(*) FROM follows f
		JOIN actors r ON r.id = f.follower_actor_id JOIN actors l ON l.id = f.target_actor_id
		WHERE r.domain <> '' AND l.domain = '' AND f.state = 'accepted' AND f.created_at >= $1 AND f.created_at < $2
		GROUP BY 1`, since, until); err != nil {
		return nil, err
	}
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM instances WHERE created_at < $1`, since).Scan(&a.InstancesKnownBefore); err != nil {
		return nil, err
	}
	if a.InstancesKnown, err = s.dayCounts(ctx, `SELECT `+day("created_at")+`, COUNT(*) FROM instances
		WHERE created_at >= $1 AND created_at < $2 GROUP BY 1`, since, until); err != nil {
		return nil, err
	}
	// The first accepted follow between a local and a remote actor, per
	// instance, either way.
	const firstFollow = `SELECT r.instance_id AS instance_id, MIN(f.created_at) AS first_at FROM follows f
		JOIN actors r ON r.id = f.follower_actor_id JOIN actors l ON l.id = f.target_actor_id
		WHERE r.instance_id IS NOT NULL AND l.domain = '' AND f.state = 'accepted' GROUP BY r.instance_id
		UNION ALL
		SELECT r.instance_id, MIN(f.created_at) FROM follows f
		JOIN actors r ON r.id = f.target_actor_id JOIN actors l ON l.id = f.follower_actor_id
		WHERE r.instance_id IS NOT NULL AND l.domain = '' AND f.state = 'accepted' GROUP BY r.instance_id`
	const firsts = `SELECT instance_id, MIN(first_at) AS first_at FROM (` + firstFollow + `) ff GROUP BY instance_id`
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+firsts+`) x WHERE first_at < $1`, since).Scan(&a.InstancesFederatingBefore); err != nil {
		return nil, err
	}
	if a.InstancesFederating, err = s.dayCounts(ctx, `SELECT `+day("first_at")+`, COUNT(*) FROM (`+firsts+`) x
		WHERE first_at >= $1 AND first_at < $2 GROUP BY 1`, since, until); err != nil {
		return nil, err
	}
	return a, nil
}

// dayCounts runs a query of (day as YYYY-MM-DD, count) rows, ordered by day.
func (s *Store) dayCounts(ctx context.Context, query string, args ...any) ([]DayCount, error) {
	out, err := queryAll(ctx, s.q, func(row rowScanner) (DayCount, error) {
		var d string
		var c DayCount
		if err := row.Scan(&d, &c.Count); err != nil {
			return c, err
		}
		t, err := time.Parse(time.DateOnly, d)
		c.Day = t
		return c, err
	}, query, args...)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b DayCount) int { return a.Day.Compare(b.Day) })
	return out, nil
}

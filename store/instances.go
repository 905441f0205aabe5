package store

import (
	"context"
	"database/sql"
	"time"
	"unicode/utf8"
)

// Instance policies: none (default), allow (on the allowlist), block
// (refused and purged), mute (kept out of listings), limit (followers only).
const (
	PolicyNone  = "none"
	PolicyAllow = "allow"
	PolicyBlock = "block"
	PolicyMute  = "mute"
	PolicyLimit = "limit"
)

// Instance is a remote server we know of, keyed by host[:port].
type Instance struct {
	ID             int64
	Domain         string
	Software       string
	Version        string
	Policy         string
	FailureCount   int
	DeliveredCount int64
	FailedCount    int64
	LastSuccessAt  *time.Time
	LastFailureAt  *time.Time
	ParkedUntil    *time.Time
	LastError      string // what the latest failed delivery got
	ParkedReason   string // the failure that parked the host
}

const instanceColumns = `id, domain, software, version, policy, failure_count, delivered_count, failed_count,
	last_success_at, last_failure_at, parked_until, last_error, parked_reason`

func scanInstance(row rowScanner) (*Instance, error) {
	var in Instance
	var ok, fail, parked sql.NullTime
	err := row.Scan(&in.ID, &in.Domain, &in.Software, &in.Version, &in.Policy, &in.FailureCount,
		&in.DeliveredCount, &in.FailedCount, &ok, &fail, &parked, &in.LastError, &in.ParkedReason)
	if err != nil {
		return nil, notFound(err)
	}
	in.LastSuccessAt, in.LastFailureAt, in.ParkedUntil = nullTime(ok), nullTime(fail), nullTime(parked)
	return &in, nil
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

func (tx *Tx) ensureInstance(ctx context.Context, host string, now time.Time) (int64, error) {
	var id int64
	err := tx.q.QueryRowContext(ctx, `INSERT INTO instances (domain, created_at, updated_at) VALUES ($1, $2, $2)
		ON CONFLICT (domain) DO UPDATE SET domain = excluded.domain RETURNING id`, host, now).Scan(&id)
	return id, err
}

// InstanceByDomain finds an instance by host[:port].
func (s *Store) InstanceByDomain(ctx context.Context, host string) (*Instance, error) {
	return scanInstance(s.q.QueryRowContext(ctx, `SELECT `+instanceColumns+` FROM instances WHERE domain = $1`, host))
}

// InstancePolicy returns host's policy, PolicyNone for unknown hosts.
func (s *Store) InstancePolicy(ctx context.Context, host string) (string, error) {
	var p string
	err := s.q.QueryRowContext(ctx, `SELECT policy FROM instances WHERE domain = $1`, host).Scan(&p)
	if err == sql.ErrNoRows {
		return PolicyNone, nil
	}
	return p, err
}

// SetInstancePolicy sets host's policy. Blocking also purges what we hold
// from it: its actors (with their follows, reactions and comments).
func (s *Store) SetInstancePolicy(ctx context.Context, host, policy string) error {
	defer s.blocks.invalidate()
	return s.InTx(ctx, func(tx *Tx) error {
		now := s.utcNow()
		id, err := tx.ensureInstance(ctx, host, now)
		if err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE instances SET policy = $1, updated_at = $2 WHERE id = $3`, policy, now, id); err != nil {
			return err
		}
		if policy != PolicyBlock {
			return nil
		}
		targets, err := tx.reactionTargets(ctx, `actor_id IN (SELECT id FROM actors WHERE instance_id = $1)`, id)
		if err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM actors WHERE instance_id = $1`, id); err != nil {
			return err
		}
		return tx.recount(ctx, targets)
	})
}

// ParkedHosts returns, of hosts, those parked at now.
func (s *Store) ParkedHosts(ctx context.Context, hosts []string, now time.Time) (map[string]bool, error) {
	parked := map[string]bool{}
	if len(hosts) == 0 {
		return parked, nil
	}
	rows, err := queryAll(ctx, s.q, scanString, `SELECT domain FROM instances WHERE parked_until IS NOT NULL AND parked_until > $1`, now.UTC())
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(hosts))
	for _, h := range hosts {
		want[h] = true
	}
	for _, h := range rows {
		if want[h] {
			parked[h] = true
		}
	}
	return parked, nil
}

// DeliveryOutcome is what one host did with the deliveries of one job.
type DeliveryOutcome struct {
	Host      string
	Delivered int
	Failed    int
	Error     string // of a failed delivery, e.g. "HTTP 503" or a transport error
}

// maxErrorLen bounds the error text kept per host.
const maxErrorLen = 300

// clipError shortens an error text to maxErrorLen bytes, on a rune boundary.
func clipError(s string) string {
	if len(s) <= maxErrorLen {
		return s
	}
	cut := maxErrorLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// RecordDeliveries updates host health after deliveries: a success resets
// the failure streak and unparks; a host whose streak reaches parkAfter is
// parked for parkFor, with the failure's error as the reason.
func (s *Store) RecordDeliveries(ctx context.Context, outcomes []DeliveryOutcome, parkAfter int, parkFor time.Duration) error {
	if len(outcomes) == 0 {
		return nil
	}
	return s.InTx(ctx, func(tx *Tx) error {
		now := s.utcNow()
		for _, o := range outcomes {
			id, err := tx.ensureInstance(ctx, o.Host, now)
			if err != nil {
				return err
			}
			if o.Delivered > 0 {
				_, err = tx.q.ExecContext(ctx, `UPDATE instances SET failure_count = 0, parked_until = NULL, parked_reason = '', last_success_at = $1,
					delivered_count = delivered_count + $2, failed_count = failed_count + $3, updated_at = $1 WHERE id = $4`,
					now, o.Delivered, o.Failed, id)
			} else {
				msg := clipError(o.Error)
				if msg == "" {
					msg = "delivery failed"
				}
				_, err = tx.q.ExecContext(ctx, `UPDATE instances SET failure_count = failure_count + 1, last_failure_at = $1,
					failed_count = failed_count + $2, updated_at = $1, last_error = $6,
					parked_until = CASE WHEN failure_count + 1 >= $3 THEN $4 ELSE parked_until END,
					parked_reason = CASE WHEN failure_count + 1 >= $3 THEN $6 ELSE parked_reason END WHERE id = $5`,
					now, o.Failed, parkAfter, now.Add(parkFor), id, msg)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

package store

import (
	"context"
	"database/sql"
	"time"
)

// ProbeStatus is the record of one diagnostic job.
type ProbeStatus struct {
	Attempts    int
	CompletedAt *time.Time
}

// StartProbe records an attempt of the probe job token.
func (s *Store) StartProbe(ctx context.Context, token string) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO job_probes (token, attempts) VALUES ($1, 1)
		ON CONFLICT (token) DO UPDATE SET attempts = job_probes.attempts + 1`, token)
	return err
}

// CompleteProbe records that the probe job token finished.
func (s *Store) CompleteProbe(ctx context.Context, token string) error {
	return s.execOne(ctx, `UPDATE job_probes SET completed_at = $1 WHERE token = $2`, s.utcNow(), token)
}

// Probe returns the record of the probe job token.
func (s *Store) Probe(ctx context.Context, token string) (*ProbeStatus, error) {
	var p ProbeStatus
	var done sql.NullTime
	err := s.q.QueryRowContext(ctx, `SELECT attempts, completed_at FROM job_probes WHERE token = $1`, token).Scan(&p.Attempts, &done)
	if err != nil {
		return nil, notFound(err)
	}
	if done.Valid {
		p.CompletedAt = &done.Time
	}
	return &p, nil
}

package jobs

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/archipel/archipel/store"
)

// WakeTx makes sure a job of args' kind will run after tx commits: it
// inserts args unless a job of that kind is already queued and not yet
// started, which will then see what tx wrote. A drain that takes whatever
// is waiting needs one queued job, not one per write: under a burst of
// inbox traffic one job per commit meant 750 jobs for 3,000 replies, each
// a few River writes. On PostgreSQL the queued job is locked until tx
// commits (River's fetch skips locked rows), so it cannot start too early;
// SQLite has one writer, so it cannot either.
func (r *Runner) WakeTx(ctx context.Context, tx *store.Tx, args river.JobArgs) error {
	const q = `SELECT id FROM river_job WHERE kind = $1 AND state = 'available' LIMIT 1`
	var id int64
	var err error
	switch r.store.Engine() {
	case store.SQLite:
		err = tx.SQLTx().QueryRowContext(ctx, q, args.Kind()).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = pgx.ErrNoRows
		}
	default:
		err = tx.PgxTx().QueryRow(ctx, q+` FOR UPDATE SKIP LOCKED`, args.Kind()).Scan(&id)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		_, err = r.InsertTx(ctx, tx, args, nil)
	}
	return err
}

package jobs

import (
	"context"
	"database/sql"
	"errors"

	"github.com/riverqueue/river"
)

// Wake makes sure a job of args' kind will start from now on: it inserts
// args unless a job of that kind is already queued and not yet started,
// which will then see whatever was committed before the call. A drain
// that takes whatever is waiting needs one queued job, not one per write:
// under a burst of inbox traffic one job per commit meant 750 jobs for
// 3,000 replies, each a few River writes.
//
// Call it after the writes it is for have committed: a job that is
// waiting now can only start after them. (Checking inside the writes'
// transaction cost a round trip in every commit and, on PostgreSQL, a
// row lock on the waiting job until the commit.)
func (r *Runner) Wake(ctx context.Context, args river.JobArgs) error {
	var id int64
	err := r.store.DB().QueryRowContext(ctx, `SELECT id FROM river_job WHERE kind = $1 AND state = 'available' LIMIT 1`,
		args.Kind()).Scan(&id)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		_, err = r.Insert(ctx, args, nil)
	}
	return err
}

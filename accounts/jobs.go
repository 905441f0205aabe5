package accounts

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/store"
)

// SessionCleanupArgs removes expired sessions; it runs hourly.
type SessionCleanupArgs struct{}

// Kind implements river.JobArgs.
func (SessionCleanupArgs) Kind() string { return "session_cleanup" }

// SessionCleanupWorker runs SessionCleanupArgs.
type SessionCleanupWorker struct {
	river.WorkerDefaults[SessionCleanupArgs]
	Store *store.Store
}

// Work implements river.Worker.
func (w *SessionCleanupWorker) Work(ctx context.Context, _ *river.Job[SessionCleanupArgs]) error {
	_, err := w.Store.DeleteExpiredSessions(ctx)
	return err
}

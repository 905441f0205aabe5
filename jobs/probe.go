package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/store"
)

// ProbeArgs is the diagnostic job behind `archipel jobs probe`: it records
// each attempt, waits Sleep, and records its completion, so that an admin
// (or a test) can see the queue work end to end, across restarts.
type ProbeArgs struct {
	Token string        `json:"token"`
	Sleep time.Duration `json:"sleep"`
}

// Kind implements river.JobArgs.
func (ProbeArgs) Kind() string { return "probe" }

// ProbeWorker runs ProbeArgs jobs.
type ProbeWorker struct {
	river.WorkerDefaults[ProbeArgs]
	Store *store.Store
}

// Timeout lets a probe sleep as long as it asked, plus a margin.
func (w *ProbeWorker) Timeout(job *river.Job[ProbeArgs]) time.Duration {
	return job.Args.Sleep + time.Minute
}

// Work implements river.Worker.
func (w *ProbeWorker) Work(ctx context.Context, job *river.Job[ProbeArgs]) error {
	if err := w.Store.StartProbe(ctx, job.Args.Token); err != nil {
		return err
	}
	select {
	case <-time.After(job.Args.Sleep):
	case <-ctx.Done():
		return ctx.Err()
	}
	return w.Store.CompleteProbe(ctx, job.Args.Token)
}

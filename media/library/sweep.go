package library

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/media"
)

// SweepUploadsArgs removes abandoned partial uploads; it runs hourly.
type SweepUploadsArgs struct{}

// Kind implements river.JobArgs.
func (SweepUploadsArgs) Kind() string { return "sweep_uploads" }

// SweepUploadsWorker runs SweepUploadsArgs.
type SweepUploadsWorker struct {
	river.WorkerDefaults[SweepUploadsArgs]
	Uploads *media.Uploads
}

// Work implements river.Worker.
func (w *SweepUploadsWorker) Work(ctx context.Context, _ *river.Job[SweepUploadsArgs]) error {
	_, err := w.Uploads.Sweep(ctx)
	return err
}

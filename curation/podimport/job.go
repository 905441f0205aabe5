package podimport

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/store"
)

// DefaultJobTimeout bounds one run of a background import when the
// Worker's JobTimeout is 0. A run stopped by it is retried, and resumes:
// known episodes are skipped, partial downloads continue.
const DefaultJobTimeout = 50 * time.Minute

// JobArgs is the background job of the web form's imports. With ImportID
// it runs that import; with AttachItemID it adds a downloaded episode's
// transcript and picture once its transcoding is over.
type JobArgs struct {
	ImportID     int64 `json:"import_id,omitempty"`
	AttachItemID int64 `json:"attach_item_id,omitempty"`
}

// Kind implements river.JobArgs.
func (JobArgs) Kind() string { return "podcast_import" }

// InsertOpts allows a few attempts: a run that fails for a passing reason
// (the feed's server down, a restart) is retried and resumes.
func (JobArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// Worker runs JobArgs.
type Worker struct {
	river.WorkerDefaults[JobArgs]
	Importer *Importer
	// JobTimeout bounds one run of an import; keep it below the job
	// runner's rescue delay (--job-rescue-after), or a long run would be
	// started a second time. 0: DefaultJobTimeout.
	JobTimeout time.Duration
}

// Timeout implements river.Worker.
func (w *Worker) Timeout(job *river.Job[JobArgs]) time.Duration {
	if job.Args.AttachItemID != 0 {
		return time.Minute
	}
	if w.JobTimeout > 0 {
		return w.JobTimeout
	}
	return DefaultJobTimeout
}

// Work implements river.Worker.
func (w *Worker) Work(ctx context.Context, job *river.Job[JobArgs]) error {
	if job.Args.AttachItemID != 0 {
		return w.attach(ctx, job.Args.AttachItemID)
	}
	s := w.Importer.Store
	imp, err := s.ImportByID(ctx, job.Args.ImportID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if imp.Finished() {
		return nil
	}
	fail := func(why string) error {
		return s.FinishImport(context.WithoutCancel(ctx), imp.ID, store.ImportFailed, why)
	}
	user, err := s.UserByID(ctx, imp.StartedBy)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !MayImport(user)) {
		return fail("the account that started this import can no longer import podcasts")
	}
	if err != nil {
		return err
	}
	_, err = w.Importer.Run(ctx, Options{
		FeedURL: imp.FeedURL, Channel: imp.ChannelHandle, Owner: user, Mode: imp.Mode, ConfirmOwner: imp.ConfirmOwner,
		ImportID: imp.ID,
		Authorize: func(ch *store.Channel) error {
			if !MayImportInto(user, ch) {
				return &ChannelError{Reason: fmt.Sprintf("@%s belongs to someone else: only its owner and admins can import into it", ch.Handle)}
			}
			return nil
		},
	})
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// The run's time is up: the next one goes on from here (known
		// episodes skipped, partial downloads resumed), without using
		// up an attempt.
		return river.JobSnooze(time.Second)
	}
	if ctx.Err() != nil {
		return ctx.Err() // shutdown or cancellation: River decides
	}
	if !Temporary(err) || job.Attempt >= job.MaxAttempts {
		return fail(Message(err))
	}
	if nerr := s.NoteImportError(context.WithoutCancel(ctx), imp.ID, Message(err)+"; it will be tried again"); nerr != nil {
		return nerr
	}
	return err
}

// attach adds a downloaded episode's waiting files once it is transcoded.
func (w *Worker) attach(ctx context.Context, itemID int64) error {
	state, _, err := w.Importer.Store.AttachImported(ctx, itemID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if state == store.StateProcessing {
		return river.JobSnooze(5 * time.Second)
	}
	return nil
}

// Queue records a background import and queues its job, in one
// transaction; it returns the import's id.
func Queue(ctx context.Context, s *store.Store, q jobs.Queue, ni store.NewImport) (int64, error) {
	var id int64
	err := s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if id, err = tx.CreateImport(ctx, ni); err != nil {
			return err
		}
		jobID, err := q.InsertTx(ctx, tx, JobArgs{ImportID: id}, nil)
		if err != nil {
			return err
		}
		return tx.SetImportJob(ctx, id, jobID)
	})
	return id, err
}

// Package jobs runs Archipel's durable background jobs on River, over SQLite
// (riversqlite) or PostgreSQL (riverpgxv5), behind one engine-neutral API.
// It does not know the job kinds: cmd/archipel registers them all in one
// place and hands them over as Workers.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/archipel/archipel/store"
)

// Queue enqueues jobs. Every package that starts background work takes one.
type Queue interface {
	// Insert enqueues a job now.
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (int64, error)
	// InsertTx enqueues a job that exists only if tx commits.
	InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (int64, error)
	// Cancel cancels a job: a running one sees its context cancelled, a
	// queued one never runs. A finished or unknown job is not an error.
	Cancel(ctx context.Context, jobID int64) error
}

// Config tunes the job runner.
type Config struct {
	NodeName        string         // River client ID; unique among live nodes
	Workers         int            // jobs run at once on the default queue
	Queues          map[string]int // other queues and how many jobs each runs at once
	RescueAfter     time.Duration  // when jobs left running by a vanished node are retried
	ShutdownTimeout time.Duration  // how long Stop waits for running jobs
	Logger          *slog.Logger
	Periodic        []*river.PeriodicJob
	Work            bool // false: insert only (command-line tools)
}

// client hides River's transaction type parameter (*sql.Tx or pgx.Tx).
type client interface {
	Queue
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// Runner owns a River client.
type Runner struct {
	client
	store *store.Store
	cfg   Config
}

// Migrate creates or upgrades River's own tables. Like store.Migrate, it is
// harmless to run twice.
func Migrate(ctx context.Context, s *store.Store) error {
	var err error
	switch s.Engine() {
	case store.SQLite:
		var m *rivermigrate.Migrator[*sql.Tx]
		if m, err = rivermigrate.New(riversqlite.New(s.DB()), nil); err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	case store.Postgres:
		var m *rivermigrate.Migrator[pgx.Tx]
		if m, err = rivermigrate.New(riverpgxv5.New(s.PgxPool()), nil); err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	}
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

// New builds a runner for workers on s. With cfg.Work it works the default
// queue once started; without, it only inserts.
func New(s *store.Store, workers *river.Workers, cfg Config) (*Runner, error) {
	rc := &river.Config{
		ID:                   cfg.NodeName,
		Logger:               quiet(cfg.Logger),
		Workers:              workers,
		RescueStuckJobsAfter: cfg.RescueAfter,
		// SQLite has no LISTEN/NOTIFY, so new jobs are found by polling:
		// poll often enough that an inbox activity or a delivery starts
		// within a fraction of a second (River's default is 1s).
		FetchCooldown:     20 * time.Millisecond,
		FetchPollInterval: 200 * time.Millisecond,
	}
	if cfg.Work {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
		for name, n := range cfg.Queues {
			rc.Queues[name] = river.QueueConfig{MaxWorkers: n}
		}
		rc.PeriodicJobs = cfg.Periodic
	}
	var c client
	var err error
	switch s.Engine() {
	case store.SQLite:
		c, err = newClient(riversqlite.New(s.DB()), rc, (*store.Tx).SQLTx)
	case store.Postgres:
		c, err = newClient(riverpgxv5.New(s.PgxPool()), rc, (*store.Tx).PgxTx)
	default:
		err = fmt.Errorf("unknown engine %q", s.Engine())
	}
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Runner{client: c, store: s, cfg: cfg}, nil
}

type riverClient[TTx any] struct {
	*river.Client[TTx]
	txOf func(*store.Tx) TTx
}

func newClient[TTx any](driver riverdriver.Driver[TTx], rc *river.Config, txOf func(*store.Tx) TTx) (client, error) {
	c, err := river.NewClient[TTx](driver, rc)
	if err != nil {
		return nil, err
	}
	return &riverClient[TTx]{Client: c, txOf: txOf}, nil
}

func (c *riverClient[TTx]) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	res, err := c.Client.Insert(ctx, args, opts)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

func (c *riverClient[TTx]) Cancel(ctx context.Context, jobID int64) error {
	_, err := c.Client.JobCancel(ctx, jobID)
	if errors.Is(err, rivertype.ErrNotFound) {
		return nil
	}
	return err
}

func (c *riverClient[TTx]) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	res, err := c.Client.InsertTx(ctx, c.txOf(tx), args, opts)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

// Start recovers the jobs this node left running when its previous process
// died, then starts working.
func (r *Runner) Start(ctx context.Context) error {
	n, err := RecoverOrphans(ctx, r.store, r.cfg.NodeName)
	if err != nil {
		return fmt.Errorf("recover interrupted jobs: %w", err)
	}
	if n > 0 && r.cfg.Logger != nil {
		r.cfg.Logger.Info("jobs interrupted by the last stop of this node are queued again", "count", n, "node", r.cfg.NodeName)
	}
	return r.client.Start(ctx)
}

// Stop waits for running jobs up to the shutdown timeout, then cancels them
// and waits a little more for them to return.
func (r *Runner) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.ShutdownTimeout)
	defer cancel()
	err := r.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		if r.cfg.Logger != nil {
			r.cfg.Logger.Warn("jobs still running at the shutdown timeout are cancelled; they will run again", "timeout", r.cfg.ShutdownTimeout)
		}
		hard, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = r.client.StopAndCancel(hard)
	}
	return err
}

// quiet passes River's own log lines at Warn and above: it reports routine
// maintenance at Info, which would drown the request log.
func quiet(l *slog.Logger) *slog.Logger {
	if l == nil {
		return nil
	}
	return slog.New(minLevel{l.Handler(), slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(a), h.min}
}
func (h minLevel) WithGroup(g string) slog.Handler { return minLevel{h.Handler.WithGroup(g), h.min} }

package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func newRunner(t *testing.T, s *store.Store, node string, work bool) *jobs.Runner {
	t.Helper()
	if err := jobs.Migrate(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	w := river.NewWorkers()
	river.AddWorker(w, &jobs.ProbeWorker{Store: s})
	r, err := jobs.New(s, w, jobs.Config{
		NodeName: node, Workers: 2, RescueAfter: time.Hour, ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.DiscardHandler), Work: work,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func waitProbe(t *testing.T, s *store.Store, token string, within time.Duration) *store.ProbeStatus {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		p, err := s.Probe(context.Background(), token)
		if err == nil && p.CompletedAt != nil {
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("probe %s did not complete within %s", token, within)
	return nil
}

func TestJobsRunAndCommitWithTheirTransaction(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := newRunner(t, s, "node-a", true)
		if err := jobs.Migrate(ctx, s); err != nil {
			t.Fatalf("second job migration: %v", err)
		}
		// A job inserted in a rolled-back transaction never exists.
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := r.InsertTx(ctx, tx, jobs.ProbeArgs{Token: "rolled-back"}, nil); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := r.InsertTx(ctx, tx, jobs.ProbeArgs{Token: "committed"}, nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Insert(ctx, jobs.ProbeArgs{Token: "plain"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer r.Stop()
		waitProbe(t, s, "committed", 20*time.Second)
		waitProbe(t, s, "plain", 20*time.Second)
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("river_job rows = %d, %v; want 2 (the rolled-back job must not exist)", n, err)
		}
	})
}

func TestOrphansOfThisNodeAreRequeuedAtStart(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := newRunner(t, s, "node-a", true)
		mine, _ := r.Insert(ctx, jobs.ProbeArgs{Token: "mine"}, nil)
		theirs, _ := r.Insert(ctx, jobs.ProbeArgs{Token: "theirs"}, nil)
		// Make both look like a process died while running them.
		markRunning(t, s, mine, "node-a")
		markRunning(t, s, theirs, "node-b")
		n, err := jobs.RecoverOrphans(ctx, s, "node-a")
		if err != nil || n != 1 {
			t.Fatalf("RecoverOrphans = %d, %v; want 1", n, err)
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer r.Stop()
		waitProbe(t, s, "mine", 20*time.Second)
		var state, errs string
		if err := s.DB().QueryRowContext(ctx, `SELECT state FROM river_job WHERE id = $1`, theirs).Scan(&state); err != nil || state != "running" {
			t.Fatalf("another node's running job: state %q, %v; want it left to River's rescuer", state, err)
		}
		q := `SELECT CAST(errors AS TEXT) FROM river_job WHERE id = $1`
		if s.Engine() == store.SQLite {
			q = `SELECT json(errors) FROM river_job WHERE id = $1`
		}
		if err := s.DB().QueryRowContext(ctx, q, mine).Scan(&errs); err != nil || !strings.Contains(errs, "node node-a stopped") {
			t.Fatalf("recovered job's errors = %q, %v", errs, err)
		}
	})
}

func markRunning(t *testing.T, s *store.Store, id int64, node string) {
	t.Helper()
	q := `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = $1, attempted_by = ARRAY[$2] WHERE id = $3`
	args := []any{time.Now().UTC(), node, id}
	if s.Engine() == store.SQLite {
		q = `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = $1, attempted_by = jsonb_array($2) WHERE id = $3`
		args[0] = time.Now().UTC().Format("2006-01-02 15:04:05.000")
	}
	if _, err := s.DB().ExecContext(context.Background(), q, args...); err != nil {
		t.Fatal(err)
	}
}

func TestNodeLockIsExclusive(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		l, err := jobs.LockNode(ctx, s, "node-a")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jobs.LockNode(ctx, s, "node-a"); err == nil || !strings.Contains(err.Error(), "already running") {
			t.Fatalf("second lock: %v", err)
		}
		if s.Engine() == store.Postgres {
			other, err := jobs.LockNode(ctx, s, "node-b")
			if err != nil {
				t.Fatalf("another node name on PostgreSQL: %v", err)
			}
			other.Release()
		}
		l.Release()
		l2, err := jobs.LockNode(ctx, s, "node-a")
		if err != nil {
			t.Fatalf("lock after release: %v", err)
		}
		l2.Release()
	})
}

func TestStopWaitsForRunningJobs(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := newRunner(t, s, "node-a", true)
		if _, err := r.Insert(ctx, jobs.ProbeArgs{Token: "slow", Sleep: 1500 * time.Millisecond}, nil); err != nil {
			t.Fatal(err)
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for {
			if p, err := s.Probe(ctx, "slow"); err == nil && p.Attempts == 1 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := r.Stop(); err != nil {
			t.Fatal(err)
		}
		p, err := s.Probe(ctx, "slow")
		if err != nil || p.CompletedAt == nil {
			t.Fatalf("after Stop the running job is %+v, %v; want completed", p, err)
		}
	})
}

// Wake queues a job only when none of its kind waits: three wakes before
// any job starts leave one job; once it is done, a wake queues another.
func TestWakeQueuesOneWaitingJob(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := newRunner(t, s, "node-w", true)
		count := func() int {
			var n int
			if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = 'probe'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, token := range []string{"w1", "w2", "w3"} {
			if err := r.Wake(ctx, jobs.ProbeArgs{Token: token}); err != nil {
				t.Fatal(err)
			}
		}
		if n := count(); n != 1 {
			t.Fatalf("%d jobs after three wakes, want 1", n)
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer r.Stop()
		waitProbe(t, s, "w1", 20*time.Second)
		if err := r.Wake(ctx, jobs.ProbeArgs{Token: "w4"}); err != nil {
			t.Fatal(err)
		}
		waitProbe(t, s, "w4", 20*time.Second)
		if n := count(); n != 2 {
			t.Errorf("%d jobs, want 2", n)
		}
	})
}

package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"syscall"
	"time"

	"github.com/archipel/archipel/store"
)

// RecoverOrphans puts back in the queue the jobs that this node's previous
// process was running when it died (SIGKILL, power loss): River marks them
// running with this node's client ID last in attempted_by. The caller must
// hold the node lock, so that no live process owns them. Jobs left by other
// nodes are River's rescuer's business (after RescueAfter).
func RecoverOrphans(ctx context.Context, s *store.Store, node string) (int, error) {
	var lastAttemptBy string
	switch s.Engine() {
	case store.SQLite:
		lastAttemptBy = `json_extract(attempted_by, '$[#-1]')`
	default:
		lastAttemptBy = `attempted_by[array_length(attempted_by, 1)]`
	}
	rows, err := s.DB().QueryContext(ctx, `SELECT id, attempt FROM river_job WHERE state = 'running' AND `+lastAttemptBy+` = $1`, node)
	if err != nil {
		return 0, err
	}
	type orphan struct {
		id      int64
		attempt int
	}
	var found []orphan
	for rows.Next() {
		var o orphan
		if err := rows.Scan(&o.id, &o.attempt); err != nil {
			rows.Close()
			return 0, err
		}
		found = append(found, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var appendError string
	switch s.Engine() {
	case store.SQLite:
		appendError = `errors = jsonb(json_insert(json(coalesce(errors, jsonb('[]'))), '$[#]', json($1)))`
	default:
		appendError = `errors = array_append(errors, $1::jsonb)`
	}
	for _, o := range found {
		msg, _ := json.Marshal(map[string]any{
			"at":      time.Now().UTC(),
			"attempt": o.attempt,
			"error":   fmt.Sprintf("the process of node %s stopped while this job ran; queued again at its restart", node),
			"trace":   "",
		})
		// scheduled_at is already in the past: the job becomes available at once.
		if _, err := s.DB().ExecContext(ctx, `UPDATE river_job SET state = 'available', `+appendError+` WHERE id = $2 AND state = 'running'`, string(msg), o.id); err != nil {
			return 0, err
		}
	}
	return len(found), nil
}

// NodeLock is held by a serving node for its whole life: no two processes
// may work jobs as the same node, or RecoverOrphans would steal live jobs.
// On SQLite, only one node may serve a database file at all.
type NodeLock struct {
	release func()
}

// Release gives the lock up.
func (l *NodeLock) Release() { l.release() }

// LockNode takes the node lock or says who holds it.
func LockNode(ctx context.Context, s *store.Store, node string) (*NodeLock, error) {
	if s.Engine() == store.SQLite {
		path := s.Where() + ".serve-lock"
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("node lock: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			return nil, fmt.Errorf("another archipel serve is already running on %s (lock %s held)", s.Where(), path)
		}
		return &NodeLock{release: func() {
			syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
		}}, nil
	}
	conn, err := s.PgxPool().Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("node lock: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("archipel-node:" + node))
	key := int64(h.Sum64())
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
		conn.Release()
		return nil, fmt.Errorf("node lock: %w", err)
	}
	if !ok {
		conn.Release()
		return nil, fmt.Errorf("another archipel serve named %q is already running on this database: give each node its own --node-name", node)
	}
	return &NodeLock{release: func() {
		// Closing the session releases the advisory lock.
		_ = conn.Conn().Close(context.Background())
		conn.Release()
	}}, nil
}

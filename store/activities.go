package store

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"time"
)

// Inbox activity states.
const (
	InboxPending = "pending"
	InboxDone    = "done"
	InboxIgnored = "ignored"
	InboxFailed  = "failed"
)

// InboxActivity is an activity received in an inbox, stored before the
// answer and processed by a job.
type InboxActivity struct {
	ID          int64
	ActivityURI string
	Type        string
	ActorURI    string
	KeyID       string
	Body        string
	State       string
	Note        string
	Attempts    int // processing attempts so far, this one included once claimed
	ReceivedAt  time.Time
}

const inboxColumns = `id, activity_uri, type, actor_uri, key_id, body, state, note, attempts, received_at`

func scanInboxActivity(row rowScanner) (*InboxActivity, error) {
	var a InboxActivity
	err := row.Scan(&a.ID, &a.ActivityURI, &a.Type, &a.ActorURI, &a.KeyID, &a.Body, &a.State, &a.Note, &a.Attempts, &a.ReceivedAt)
	return &a, notFound(err)
}

// StoreInboxActivities stores received activities, committed when it
// returns, and reports which were new (by activity id): the others were
// received before, or twice in the batch. On PostgreSQL it is one
// statement, which commits by itself: one round trip, where BEGIN,
// INSERT and COMMIT took three, each waiting its turn for a core.
func (s *Store) StoreInboxActivities(ctx context.Context, acts []InboxActivity) (map[string]bool, error) {
	query, args := insertInboxActivities(s.engine, s.utcNow(), acts)
	var uris []string
	var err error
	if s.engine == Postgres {
		uris, err = queryAll(ctx, s.q, scanString, query, args...)
	} else {
		// SQLite: a write that returns rows passes the write gate in a
		// transaction.
		err = s.InTx(ctx, func(tx *Tx) error {
			uris, err = queryAll(ctx, tx.q, scanString, query, args...)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	inserted := make(map[string]bool, len(uris))
	for _, u := range uris {
		inserted[u] = true
	}
	return inserted, nil
}

// insertInboxActivities is the statement storing acts received at now,
// skipping replays: on PostgreSQL one array per column (one statement text
// for any batch), on SQLite multi-row VALUES padded by repeating the last
// row, which ON CONFLICT then skips.
func insertInboxActivities(e Engine, now time.Time, acts []InboxActivity) (string, []any) {
	const head = `INSERT INTO inbox_activities (activity_uri, type, actor_uri, key_id, body, received_at) `
	const tail = ` ON CONFLICT (activity_uri) DO NOTHING RETURNING activity_uri`
	if e == Postgres {
		n := len(acts)
		uris, types, actors, keys, bodies := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		for i, a := range acts {
			uris[i], types[i], actors[i], keys[i], bodies[i] = a.ActivityURI, a.Type, a.ActorURI, a.KeyID, a.Body
		}
		return head + `SELECT t.*, $1 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t` + tail,
			[]any{now, uris, types, actors, keys, bodies}
	}
	var b strings.Builder
	b.WriteString(head + `VALUES `)
	args := paddedValues(&b, []any{now}, acts, ", $1)", func(a InboxActivity) []any {
		return []any{a.ActivityURI, a.Type, a.ActorURI, a.KeyID, a.Body}
	})
	b.WriteString(tail)
	return b.String(), args
}

// InboxActivityByID finds a received activity.
func (s *Store) InboxActivityByID(ctx context.Context, id int64) (*InboxActivity, error) {
	return scanInboxActivity(s.q.QueryRowContext(ctx, `SELECT `+inboxColumns+` FROM inbox_activities WHERE id = $1`, id))
}

// FinishInboxActivity records how processing ended.
func (s *Store) FinishInboxActivity(ctx context.Context, id int64, state, note string) error {
	return s.execOne(ctx, `UPDATE inbox_activities SET state = $1, note = $2, processed_at = $3 WHERE id = $4`, state, note, s.utcNow(), id)
}

// ClaimInboxActivities claims up to limit pending activities, oldest
// first, that nobody holds and whose retry time has come, for lease; each
// claim counts as an attempt. Drains on several nodes claim disjoint rows.
func (s *Store) ClaimInboxActivities(ctx context.Context, limit int, lease time.Duration) ([]*InboxActivity, error) {
	now := s.utcNow()
	var out []*InboxActivity
	// On PostgreSQL, concurrent drains skip each other's rows instead of
	// queueing on them (SQLite has one writer: claims never overlap).
	lock := ""
	if s.engine == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	claim := func(q querier) (err error) {
		out, err = queryAll(ctx, q, scanInboxActivity, `UPDATE inbox_activities SET claimed_until = $1, attempts = attempts + 1
			WHERE id IN (SELECT id FROM inbox_activities WHERE state = 'pending' AND (claimed_until IS NULL OR claimed_until <= $2)
				ORDER BY id LIMIT $3`+lock+`)
			AND state = 'pending' AND (claimed_until IS NULL OR claimed_until <= $2)
			RETURNING `+inboxColumns, now.Add(lease), now, limit)
		return err
	}
	var err error
	if s.engine == Postgres {
		// One statement is atomic by itself: no BEGIN and COMMIT round trips.
		err = claim(s.q)
	} else {
		// SQLite: a write that returns rows passes the write gate in a
		// transaction.
		err = s.InTx(ctx, func(tx *Tx) error { return claim(tx.q) })
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// InboxOutcome is how processing one inbox activity ended: a final state,
// or, with state pending, a retry at RetryAt.
type InboxOutcome struct {
	ID      int64
	State   string
	Note    string
	RetryAt time.Time
}

// FinishInboxActivities records the outcomes of a drained batch at once.
func (s *Store) FinishInboxActivities(ctx context.Context, outcomes []InboxOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	return s.InTx(ctx, func(tx *Tx) error { return tx.FinishInboxActivities(ctx, outcomes) })
}

// FinishInboxActivities records the outcomes of a drained batch in tx:
// the activities done in one statement, the others one by one (each has
// its own note).
func (tx *Tx) FinishInboxActivities(ctx context.Context, outcomes []InboxOutcome) error {
	now := tx.s.utcNow()
	var done []int64
	for _, o := range outcomes {
		var err error
		switch {
		case o.State == InboxDone && o.Note == "":
			done = append(done, o.ID)
		case o.State == InboxPending:
			_, err = tx.q.ExecContext(ctx, `UPDATE inbox_activities SET note = $1, claimed_until = $2 WHERE id = $3`,
				o.Note, o.RetryAt.UTC(), o.ID)
		default:
			_, err = tx.q.ExecContext(ctx, `UPDATE inbox_activities SET state = $1, note = $2, processed_at = $3, claimed_until = NULL
				WHERE id = $4`, o.State, o.Note, now, o.ID)
		}
		if err != nil {
			return err
		}
	}
	return chunks(done, func(ids []int64) error {
		cond, args := oneOf(tx.s.engine, "id", []any{now}, ids)
		_, err := tx.q.ExecContext(ctx, `UPDATE inbox_activities SET state = 'done', note = '', processed_at = $1, claimed_until = NULL
			WHERE `+cond, args...)
		return err
	})
}

// NextInboxRetry returns when the earliest activity waiting for a retry
// (pending, with the note of its last failure) is due; ok is false when
// none waits. Fresh activities have drains of their own.
func (s *Store) NextInboxRetry(ctx context.Context) (at time.Time, ok bool, err error) {
	// A plain column (not MIN()) keeps its time type on SQLite.
	var next sql.NullTime
	err = s.q.QueryRowContext(ctx, `SELECT claimed_until FROM inbox_activities WHERE state = 'pending' AND note <> ''
		ORDER BY claimed_until LIMIT 1`).Scan(&next)
	if err == sql.ErrNoRows {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	if !next.Valid {
		return s.utcNow(), true, nil
	}
	return next.Time, true, nil
}

// OutboxActivity is an activity a local actor published.
type OutboxActivity struct {
	ID        int64
	ActorID   int64
	Type      string
	ObjectURI string
	ItemID    int64 // 0: not tied to an item
	Public    bool
	Body      string
	// Inboxes, when set, are the activity's only recipients (a comment
	// goes to its thread, not to the author's followers).
	Inboxes   []string
	CreatedAt time.Time
}

const outboxColumns = `id, actor_id, type, object_uri, COALESCE(item_id, 0), public, body, inboxes, created_at`

func scanOutboxActivity(row rowScanner) (*OutboxActivity, error) {
	var a OutboxActivity
	var inboxes string
	err := row.Scan(&a.ID, &a.ActorID, &a.Type, &a.ObjectURI, &a.ItemID, &a.Public, &a.Body, &inboxes, &a.CreatedAt)
	if inboxes != "" {
		a.Inboxes = strings.Split(inboxes, "\n")
	}
	return &a, notFound(err)
}

// InsertOutboxActivity records an activity; body is called with the new
// row's id to build the JSON (whose id URL derives from it).
func (tx *Tx) InsertOutboxActivity(ctx context.Context, a OutboxActivity, body func(id int64) (string, error)) (int64, error) {
	var item any
	if a.ItemID != 0 {
		item = a.ItemID
	}
	var id int64
	err := tx.q.QueryRowContext(ctx, `INSERT INTO outbox_activities (actor_id, type, object_uri, item_id, public, body, inboxes, created_at)
		VALUES ($1, $2, $3, $4, $5, '', $6, $7) RETURNING id`, a.ActorID, a.Type, a.ObjectURI, item, a.Public,
		strings.Join(a.Inboxes, "\n"), tx.s.utcNow()).Scan(&id)
	if err != nil {
		return 0, err
	}
	text, err := body(id)
	if err != nil {
		return 0, err
	}
	_, err = tx.q.ExecContext(ctx, `UPDATE outbox_activities SET body = $1 WHERE id = $2`, text, id)
	return id, err
}

// OutboxActivityByID finds a published activity.
func (s *Store) OutboxActivityByID(ctx context.Context, id int64) (*OutboxActivity, error) {
	return scanOutboxActivity(s.q.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox_activities WHERE id = $1`, id))
}

// ListOutbox returns actorID's public activities with id < before (0: from
// the newest), newest first.
func (s *Store) ListOutbox(ctx context.Context, actorID, before int64, limit int) ([]*OutboxActivity, error) {
	if before <= 0 {
		before = 1 << 62
	}
	return queryAll(ctx, s.q, scanOutboxActivity, `SELECT `+outboxColumns+` FROM outbox_activities
		WHERE actor_id = $1 AND public AND body <> '' AND id < $2 ORDER BY id DESC LIMIT $3`, actorID, before, limit)
}

// CountOutbox counts actorID's public activities.
func (s *Store) CountOutbox(ctx context.Context, actorID int64) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox_activities WHERE actor_id = $1 AND public AND body <> ''`, actorID).Scan(&n)
	return n, err
}

// AddDeliveryJob records that jobID delivers activityID (to inbox, or to
// everyone when inbox is ""). The inbox's host is kept for the health page.
func (tx *Tx) AddDeliveryJob(ctx context.Context, jobID, activityID int64, inbox string) error {
	host := ""
	if inbox != "" {
		host = HostOf(inbox)
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO delivery_jobs (job_id, activity_id, inbox, host) VALUES ($1, $2, $3, $4)`,
		jobID, activityID, inbox, host)
	return err
}

// AddDeliveryJob is AddDeliveryJob outside a transaction.
func (s *Store) AddDeliveryJob(ctx context.Context, jobID, activityID int64, inbox string) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.AddDeliveryJob(ctx, jobID, activityID, inbox) })
}

// RemoveDeliveryJob forgets a finished delivery job.
func (s *Store) RemoveDeliveryJob(ctx context.Context, jobID int64) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM delivery_jobs WHERE job_id = $1`, jobID)
	return err
}

// DeliveryJobsOfItem lists the jobs still delivering activities about
// itemID (its Create and Updates).
func (s *Store) DeliveryJobsOfItem(ctx context.Context, itemID int64) ([]int64, error) {
	return queryAll(ctx, s.q, scanInt64, deliveryJobsOfItem, itemID)
}

const deliveryJobsOfItem = `SELECT d.job_id FROM delivery_jobs d JOIN outbox_activities o ON o.id = d.activity_id
	WHERE o.item_id = $1 ORDER BY d.job_id`

// CountDeliveryJobs counts the delivery jobs not yet finished.
func (s *Store) CountDeliveryJobs(ctx context.Context) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM delivery_jobs`).Scan(&n)
	return n, err
}

// Reaction kinds.
const (
	ReactionLike  = "like"
	ReactionShare = "share"
)

// AddReaction records a Like or Announce of a local item or comment (one
// of itemID, commentID is non-zero) and recounts its counters. A repeated
// reaction is ignored.
func (s *Store) AddReaction(ctx context.Context, kind string, actorID, itemID, commentID int64, objectURI, activityURI string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.q.ExecContext(ctx, `INSERT INTO reactions (kind, actor_id, object_uri, item_id, comment_id, activity_uri, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			kind, actorID, objectURI, nullID(itemID), nullID(commentID), activityURI, s.utcNow())
		if err != nil {
			return err
		}
		return tx.recount(ctx, []reactionTarget{{itemID, commentID}})
	})
}

// RemoveReaction undoes actorID's reaction of kind to objectURI; it reports
// whether there was one.
func (s *Store) RemoveReaction(ctx context.Context, kind string, actorID int64, objectURI string) (bool, error) {
	var found bool
	err := s.InTx(ctx, func(tx *Tx) error {
		targets, err := tx.reactionTargets(ctx, `kind = $1 AND actor_id = $2 AND object_uri = $3`, kind, actorID, objectURI)
		if err != nil || len(targets) == 0 {
			return err
		}
		found = true
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM reactions WHERE kind = $1 AND actor_id = $2 AND object_uri = $3`, kind, actorID, objectURI); err != nil {
			return err
		}
		return tx.recount(ctx, targets)
	})
	return found, err
}

// ItemReactionCounts returns an item's like and share counters.
func (s *Store) ItemReactionCounts(ctx context.Context, itemID int64) (likes, shares int, err error) {
	err = s.q.QueryRowContext(ctx, `SELECT like_count, share_count FROM items WHERE id = $1`, itemID).Scan(&likes, &shares)
	return likes, shares, notFound(err)
}

type reactionTarget struct{ itemID, commentID int64 }

// reactionTargets lists the items and comments of the reactions matching
// where (a condition on the reactions table).
func (tx *Tx) reactionTargets(ctx context.Context, where string, args ...any) ([]reactionTarget, error) {
	return queryAll(ctx, tx.q, func(row rowScanner) (reactionTarget, error) {
		var t reactionTarget
		err := row.Scan(&t.itemID, &t.commentID)
		return t, err
	}, `SELECT DISTINCT COALESCE(item_id, 0), COALESCE(comment_id, 0) FROM reactions WHERE `+where, args...)
}

// recount recomputes the like and share counters of targets.
func (tx *Tx) recount(ctx context.Context, targets []reactionTarget) error {
	for _, t := range targets {
		if t.itemID != 0 {
			if _, err := tx.q.ExecContext(ctx, `UPDATE items SET
				like_count = (SELECT COUNT(*) FROM reactions WHERE item_id = $1 AND kind = 'like'),
				share_count = (SELECT COUNT(*) FROM reactions WHERE item_id = $1 AND kind = 'share') WHERE id = $1`, t.itemID); err != nil {
				return err
			}
		}
		if t.commentID != 0 {
			if _, err := tx.q.ExecContext(ctx, `UPDATE comments SET
				like_count = (SELECT COUNT(*) FROM reactions WHERE comment_id = $1 AND kind = 'like'),
				share_count = (SELECT COUNT(*) FROM reactions WHERE comment_id = $1 AND kind = 'share') WHERE id = $1`, t.commentID); err != nil {
				return err
			}
		}
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// AddTombstone remembers a deleted local object, whose URL then answers 410.
func (tx *Tx) AddTombstone(ctx context.Context, uri, formerType string) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO tombstones (uri, former_type, deleted_at) VALUES ($1, $2, $3)
		ON CONFLICT (uri) DO NOTHING`, uri, formerType, tx.s.utcNow())
	return err
}

// Tombstone finds the tombstone of a deleted local object.
func (s *Store) Tombstone(ctx context.Context, uri string) (formerType string, deletedAt time.Time, err error) {
	err = s.q.QueryRowContext(ctx, `SELECT former_type, deleted_at FROM tombstones WHERE uri = $1`, uri).Scan(&formerType, &deletedAt)
	return formerType, deletedAt, notFound(err)
}

// ChannelActorOfItem returns the actor id of the channel an item is in.
func (tx *Tx) ChannelActorOfItem(ctx context.Context, itemID int64) (int64, error) {
	var id int64
	err := tx.q.QueryRowContext(ctx, `SELECT c.actor_id FROM items i JOIN channels c ON c.id = i.channel_id WHERE i.id = $1`, itemID).Scan(&id)
	return id, notFound(err)
}

// DeliveryJobsOfItem is DeliveryJobsOfItem inside a transaction.
func (tx *Tx) DeliveryJobsOfItem(ctx context.Context, itemID int64) ([]int64, error) {
	return queryAll(ctx, tx.q, scanInt64, deliveryJobsOfItem, itemID)
}

// SetOutboxBody writes the body of an activity queued without one.
func (s *Store) SetOutboxBody(ctx context.Context, id int64, objectURI, body string) error {
	return s.execOne(ctx, `UPDATE outbox_activities SET body = $1, object_uri = $2 WHERE id = $3`, body, objectURI, id)
}

func scanInt64(row rowScanner) (int64, error) {
	var n int64
	err := row.Scan(&n)
	return n, err
}

package federation

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/store"
)

// InboxWorker processes stored inbox activities.
type InboxWorker struct {
	river.WorkerDefaults[InboxArgs]
	Service *Service
}

// Timeout implements river.Worker.
func (w *InboxWorker) Timeout(*river.Job[InboxArgs]) time.Duration { return 5 * time.Minute }

// errIgnored marks an activity that is valid but asks nothing of us.
type errIgnored struct{ why string }

func (e errIgnored) Error() string { return e.why }

func ignored(format string, args ...any) error { return errIgnored{fmt.Sprintf(format, args...)} }

// Inbox draining: how many activities one claim takes, how long a claim
// holds them (a crashed node's claims lapse after it), how long one drain
// job works before handing over to a fresh one, and how often an activity
// that fails for a passing reason (a remote server down) is tried.
const (
	drainBatch        = 128
	drainLease        = 4 * time.Minute
	drainBudget       = time.Minute
	inboxMaxAttempts  = 8
	inboxRetryBackoff = 30 * time.Second
)

// Work implements river.Worker: it drains the inbox.
func (w *InboxWorker) Work(ctx context.Context, job *river.Job[InboxArgs]) error {
	s := w.Service
	deadline := time.Now().Add(drainBudget)
	for {
		rows, err := s.store.ClaimInboxActivities(ctx, drainBatch, drainLease)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
		outcomes, comments := s.processBatch(ctx, rows)
		// The batch's simple replies and its outcomes commit together: one
		// transaction per batch, one statement for its replies.
		err = s.store.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			if _, err := tx.AddComments(ctx, comments); err != nil {
				return err
			}
			return tx.FinishInboxActivities(ctx, outcomes)
		})
		if err != nil {
			return err // the claims lapse and the batch is tried again
		}
		if time.Now().After(deadline) {
			q, err := s.jobs()
			if err != nil {
				return err
			}
			_, err = q.Insert(ctx, InboxArgs{}, nil) // a fresh job goes on
			return err
		}
	}
	// Activities waiting for a retry get one drain, at the earliest.
	at, ok, err := s.store.NextInboxRetry(ctx)
	if err != nil || !ok {
		return err
	}
	q, err := s.jobs()
	if err != nil {
		return err
	}
	_, err = q.Insert(ctx, InboxArgs{RetryAt: max(at.Unix(), time.Now().Unix()+1)}, nil)
	return err
}

// drainParallel is how many actors' activities a drain processes at once.
// On PostgreSQL each reply waits on several round trips, so a drain
// working one row at a time left the cores idle (246 → 485 replies/s);
// on SQLite, with one writer, more than two only slowed the inbox's own
// commits.
func (s *Service) drainParallel() int {
	if s.store.Engine() == store.Postgres {
		return 8
	}
	return 2
}

// processBatch processes claimed activities, those of one actor in order
// (a Create before its Delete), different actors in parallel. Replies
// that need no other write than their own are returned to be stored with
// the batch's outcomes.
//
// Each activity is decoded once, up front, so that what the batch's
// replies need is looked up in one query for them all (which notes we
// hold already, their authors) rather than in one query each.
func (s *Service) processBatch(ctx context.Context, rows []*store.InboxActivity) ([]store.InboxOutcome, []store.Comment) {
	deferred := &deferredComments{}
	ctx = context.WithValue(ctx, deferredKey{}, deferred)
	bm := &batchMemo{m: map[string]any{}}
	ctx = context.WithValue(ctx, memoKey{}, bm)
	outcomes := make([]store.InboxOutcome, len(rows))

	docs := make([]decodedRow, len(rows))
	parallel(min(runtime.GOMAXPROCS(0), len(rows)), len(rows), func(i int) { docs[i] = decodeRow(rows[i]) })
	s.prefetch(ctx, bm, docs)

	byActor := map[string][]int{}
	var actors []string
	for i, row := range rows {
		if _, ok := byActor[row.ActorURI]; !ok {
			actors = append(actors, row.ActorURI)
		}
		byActor[row.ActorURI] = append(byActor[row.ActorURI], i)
	}
	noDefer := context.WithValue(ctx, deferredKey{}, (*deferredComments)(nil))
	parallel(min(s.drainParallel(), len(actors)), len(actors), func(a int) {
		idx := byActor[actors[a]]
		actx := ctx
		for _, i := range idx {
			if docs[i].act == nil || docs[i].act.Type != "Create" {
				// A reply stored with the batch would land after this
				// actor's Update or Delete of it: store them in order.
				actx = noDefer
			}
		}
		for _, i := range idx {
			outcomes[i] = s.processRow(actx, rows[i], docs[i])
		}
	})
	return outcomes, deferred.list
}

// parallel calls fn(0) … fn(n-1) on workers goroutines.
func parallel(workers, n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// decodedRow is a claimed activity decoded: the activity and, for a
// Create, its embedded object.
type decodedRow struct {
	act    *ap.Activity
	err    error
	obj    *ap.Object // Create only
	objErr error
}

func decodeRow(row *store.InboxActivity) decodedRow {
	var d decodedRow
	if row.Type != "Create" {
		d.act, d.err = ap.DecodeActivity([]byte(row.Body))
		return d
	}
	// One pass for the activity and its note: decoding them one after the
	// other read the note four times over.
	d.act, d.obj, d.objErr, d.err = ap.DecodeActivityObject([]byte(row.Body))
	if d.err == nil && d.act.Type != "Create" { // row.Type is what Peek read
		d.obj, d.objErr = nil, nil
	}
	return d
}

// prefetch looks up, for all the batch's notes at once, whether we hold
// them already and who wrote them, and leaves the answers in the batch's
// memo. A failed lookup leaves nothing: each note then asks on its own.
func (s *Service) prefetch(ctx context.Context, bm *batchMemo, docs []decodedRow) {
	var notes, authors []string
	seen := map[string]bool{}
	for _, d := range docs {
		if d.obj == nil {
			continue
		}
		notes = append(notes, d.obj.ID)
		if a := d.act.Actor.ID; a != "" && !seen[a] {
			seen[a] = true
			authors = append(authors, a)
		}
	}
	if len(notes) == 0 {
		return
	}
	if known, err := s.store.KnownCommentURIs(ctx, notes); err == nil {
		for _, n := range notes {
			if !known[n] {
				bm.m[absentKey(n)] = true
			}
		}
	}
	if found, err := s.store.RemoteActorsByURI(ctx, authors); err == nil {
		for uri, a := range found {
			if s.actorFresh(a) {
				bm.m["actor "+uri] = a
			}
		}
	}
}

// absentKey is the memo key saying that the batch found no comment uri.
func absentKey(uri string) string { return "absent comment " + uri }

// knownAbsent tells whether the batch found that no comment uri exists.
func knownAbsent(ctx context.Context, uri string) bool {
	b, ok := ctx.Value(memoKey{}).(*batchMemo)
	if !ok {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[absentKey(uri)] == true
}

// deferredComments collects the replies of a batch that are stored with
// its outcomes.
type deferredComments struct {
	mu   sync.Mutex
	list []store.Comment
}

type deferredKey struct{}

// batchMemo remembers, for one drained batch, the lookups its activities
// repeat: the item replied to, its channel, the authors, the blocks. A
// batch lasts milliseconds; errors are not remembered.
type batchMemo struct {
	mu sync.Mutex
	m  map[string]any
}

type memoKey struct{}

// memo returns load()'s value, once per batch for key: the batch's
// workers asking at the same time wait for the first one's load.
func memo[T any](ctx context.Context, key string, load func() (T, error)) (T, error) {
	b, ok := ctx.Value(memoKey{}).(*batchMemo)
	if !ok {
		return load()
	}
	for {
		b.mu.Lock()
		v, found := b.m[key]
		if !found {
			b.m[key] = &memoLoad{done: make(chan struct{})}
			b.mu.Unlock()
			break
		}
		b.mu.Unlock()
		l, loading := v.(*memoLoad)
		if !loading {
			return v.(T), nil
		}
		<-l.done // then look again: a failed load is not remembered
	}
	t, err := load()
	b.mu.Lock()
	l := b.m[key].(*memoLoad)
	if err == nil {
		b.m[key] = t
	} else {
		delete(b.m, key)
	}
	b.mu.Unlock()
	close(l.done)
	return t, err
}

// memoLoad marks a memo key being loaded.
type memoLoad struct{ done chan struct{} }

// deferComment hands c to the batch being drained, if there is one.
func deferComment(ctx context.Context, c store.Comment) bool {
	d, ok := ctx.Value(deferredKey{}).(*deferredComments)
	if !ok || d == nil {
		return false
	}
	d.mu.Lock()
	d.list = append(d.list, c)
	d.mu.Unlock()
	return true
}

// processRow applies one claimed activity and says how that ended.
func (s *Service) processRow(ctx context.Context, row *store.InboxActivity, d decodedRow) store.InboxOutcome {
	err := d.err
	switch {
	case err != nil:
		err = permanentError{err}
	case d.act.Type == "Create" && (d.obj != nil || d.objErr != nil): // decoded with its note
		err = s.onCreate(ctx, d.act, d.obj, d.objErr)
	default:
		err = s.process(ctx, d.act)
	}
	var ig errIgnored
	switch {
	case err == nil:
		return store.InboxOutcome{ID: row.ID, State: store.InboxDone}
	case errors.As(err, &ig):
		s.log.Debug("inbox activity ignored", "id", row.ActivityURI, "type", row.Type, "why", ig.why)
		return store.InboxOutcome{ID: row.ID, State: store.InboxIgnored, Note: ig.why}
	case row.Attempts >= inboxMaxAttempts || ctx.Err() == nil && isPermanent(err):
		s.log.Warn("inbox activity failed", "id", row.ActivityURI, "type", row.Type, "error", err)
		return store.InboxOutcome{ID: row.ID, State: store.InboxFailed, Note: err.Error()}
	}
	wait := inboxRetryBackoff << min(row.Attempts-1, 10) // 30 s … about 8 h
	s.log.Info("inbox activity will be retried", "id", row.ActivityURI, "type", row.Type, "attempt", row.Attempts, "in", wait, "error", err)
	return store.InboxOutcome{ID: row.ID, State: store.InboxPending, Note: err.Error(), RetryAt: time.Now().Add(wait)}
}

// isPermanent tells errors that a retry will not fix.
func isPermanent(err error) bool {
	var perm permanentError
	return errors.As(err, &perm)
}

type permanentError struct{ error }

// process applies one verified activity.
func (s *Service) process(ctx context.Context, act *ap.Activity) error {
	switch act.Type {
	case "Follow":
		return s.onFollow(ctx, act)
	case "Undo":
		return s.onUndo(ctx, act)
	case "Announce":
		// A boost of something that is not ours (an item or a comment we
		// hold) may be an item to index, when a followed actor boosts it.
		if s.localPath(act.Object.ID) == "" {
			if _, err := s.store.CommentByURI(ctx, act.Object.ID); errors.Is(err, store.ErrNotFound) {
				return s.onIndexAnnounce(ctx, act)
			}
		}
		return s.onReaction(ctx, act)
	case "Like":
		return s.onReaction(ctx, act)
	case "Update":
		return s.onUpdate(ctx, act)
	case "Delete":
		return s.onDelete(ctx, act)
	case "Accept", "Reject":
		return s.onAnswer(ctx, act)
	case "Add", "Remove":
		return s.onListChange(ctx, act)
	case "Create":
		var obj *ap.Object
		var err error
		if act.Object.Raw != nil {
			obj, err = ap.DecodeObject(act.Object.Raw)
		}
		return s.onCreate(ctx, act, obj, err)
	}
	return ignored("%s is not handled", act.Type)
}

// onFollow records a follow of a local actor and accepts it, unless the
// actor approves followers by hand (the creator then decides).
func (s *Service) onFollow(ctx context.Context, act *ap.Activity) error {
	kind, username, ok := s.parseLocalActor(act.Object.ID)
	if !ok {
		return ignored("follow of %s, not a local actor", act.Object.ID)
	}
	target, err := s.lookupLocal(ctx, kind, username)
	if errors.Is(err, store.ErrNotFound) {
		return ignored("follow of unknown actor %s", act.Object.ID)
	}
	if err != nil {
		return err
	}
	follower, err := s.RemoteActor(ctx, act.Actor.ID)
	if err != nil {
		return err
	}
	state := store.FollowAccepted
	if target.ManuallyApproves {
		state = store.FollowPending
	}
	f, err := s.store.UpsertFollow(ctx, follower.ID, target.ID, state, act.ID)
	if err != nil {
		return err
	}
	if f.State != store.FollowAccepted {
		return nil // waits for the creator
	}
	return s.answerFollow(ctx, target, f, true)
}

// onUndo undoes a Follow, Like or Announce by the same actor.
func (s *Service) onUndo(ctx context.Context, act *ap.Activity) error {
	inner := &ap.Activity{ID: act.Object.ID, Type: act.Object.Type}
	if act.Object.Raw != nil {
		decoded, err := ap.DecodeActivity(act.Object.Raw)
		if err != nil {
			return permanentError{err}
		}
		inner = decoded
		if inner.Actor.ID != "" && inner.Actor.ID != act.Actor.ID {
			return ignored("undo of an activity by another actor")
		}
	}
	actor, err := s.store.RemoteActorByURI(ctx, act.Actor.ID)
	if errors.Is(err, store.ErrNotFound) {
		return ignored("undo by an unknown actor")
	}
	if err != nil {
		return err
	}
	switch inner.Type {
	case "Follow":
		kind, username, ok := s.parseLocalActor(inner.Object.ID)
		if !ok {
			return ignored("undo of a follow of %s", inner.Object.ID)
		}
		target, err := s.lookupLocal(ctx, kind, username)
		if err != nil {
			return ignored("undo of a follow of an unknown actor")
		}
		_, err = s.store.DeleteFollow(ctx, actor.ID, target.ID)
		return err
	case "Like", "Announce":
		kind := store.ReactionLike
		if inner.Type == "Announce" {
			kind = store.ReactionShare
		}
		_, err := s.store.RemoveReaction(ctx, kind, actor.ID, inner.Object.ID)
		return err
	}
	return ignored("undo of %q", inner.Type)
}

// onReaction counts a Like or Announce of a local item or of a comment
// we hold.
func (s *Service) onReaction(ctx context.Context, act *ap.Activity) error {
	var itemID, commentID int64
	if pid, ok := s.parseLocalItem(act.Object.ID); ok {
		item, err := s.store.ItemByPublicID(ctx, pid)
		if errors.Is(err, store.ErrNotFound) {
			return ignored("%s of an unknown item", act.Type)
		}
		if err != nil {
			return err
		}
		itemID = item.ID
	} else {
		c, err := s.store.CommentByURI(ctx, act.Object.ID)
		if errors.Is(err, store.ErrNotFound) {
			return ignored("%s of %s, not ours", act.Type, act.Object.ID)
		}
		if err != nil {
			return err
		}
		commentID = c.ID
	}
	actor, err := s.memoActor(ctx, act.Actor.ID)
	if err != nil {
		return err
	}
	kind := store.ReactionLike
	if act.Type == "Announce" {
		kind = store.ReactionShare
	}
	return s.store.AddReaction(ctx, kind, actor.ID, itemID, commentID, act.Object.ID, act.ID)
}

// onUpdate refreshes a cached remote actor from its origin (an Update of
// its own profile); other updates are for the Comments issue.
func (s *Service) onUpdate(ctx context.Context, act *ap.Activity) error {
	switch act.Object.Type {
	case "Person", "Group", "Service", "Application", "Organization":
		if act.Object.ID != act.Actor.ID {
			return ignored("update of another actor's profile")
		}
		_, err := s.RefreshActor(ctx, act.Actor.ID)
		return err
	case "Video", "Audio":
		if act.Object.Raw == nil {
			return ignored("update without an embedded object")
		}
		obj, err := ap.DecodeObject(act.Object.Raw)
		if err != nil {
			return permanentError{err}
		}
		return s.onIndexCreate(ctx, act, obj)
	case "Note", "Article", "Page", "Question":
		return s.onUpdateComment(ctx, act)
	}
	return ignored("update of a %s", act.Object.Type)
}

// onDelete removes a deleted actor (with its follows and reactions) or a
// deleted comment.
func (s *Service) onDelete(ctx context.Context, act *ap.Activity) error {
	if act.Object.ID == act.Actor.ID {
		found, err := s.store.DeleteRemoteActor(ctx, act.Actor.ID)
		if err != nil {
			return err
		}
		s.keys.Tombstone(act.Actor.ID + "#main-key")
		s.keys.Tombstone(act.Actor.ID + "/main-key")
		if !found {
			return ignored("delete of an unknown actor")
		}
		return nil
	}
	if deleted, err := s.onIndexDelete(ctx, act); err != nil || deleted {
		return err
	}
	return s.onDeleteComment(ctx, act)
}

// onAnswer records a remote actor's Accept or Reject of a follow we sent.
func (s *Service) onAnswer(ctx context.Context, act *ap.Activity) error {
	follow := &ap.Activity{ID: act.Object.ID}
	if act.Object.Raw != nil {
		if decoded, err := ap.DecodeActivity(act.Object.Raw); err == nil {
			follow = decoded
		}
	}
	kind, username, ok := s.parseLocalActor(follow.Actor.ID)
	if !ok {
		return ignored("answer to a follow we did not send")
	}
	local, err := s.lookupLocal(ctx, kind, username)
	if err != nil {
		return ignored("answer to a follow by an unknown actor")
	}
	target, err := s.store.RemoteActorByURI(ctx, act.Actor.ID)
	if err != nil {
		return ignored("answer from an actor we do not follow")
	}
	f, err := s.store.FollowOf(ctx, local.ID, target.ID)
	if err != nil {
		return ignored("answer to an unknown follow")
	}
	state := store.FollowAccepted
	if act.Type == "Reject" {
		state = store.FollowRejected
	}
	return s.store.SetFollowState(ctx, f.ID, state)
}

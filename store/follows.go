package store

import (
	"context"
	"database/sql"
	"time"
)

// Follow states.
const (
	FollowPending  = "pending"
	FollowAccepted = "accepted"
	FollowRejected = "rejected"
)

// Follow is follower following target; ActivityURI is the Follow's id.
type Follow struct {
	ID          int64
	Follower    *Actor
	TargetID    int64
	State       string
	ActivityURI string
	CreatedAt   time.Time
}

const followSelect = `SELECT f.id, f.target_actor_id, f.state, f.activity_uri, f.created_at, ` + actorColumns + `
	FROM follows f JOIN actors a ON a.id = f.follower_actor_id `

func scanFollow(row rowScanner) (*Follow, error) {
	var f Follow
	var a Actor
	var fetched sql.NullTime
	err := row.Scan(&f.ID, &f.TargetID, &f.State, &f.ActivityURI, &f.CreatedAt,
		&a.ID, &a.Kind, &a.Username, &a.Domain, &a.URI, &a.URL, &a.DisplayName, &a.Summary,
		&a.Inbox, &a.Outbox, &a.Followers, &a.Following, &a.SharedInbox, &a.Icon, &a.Image,
		&a.KeyID, &a.PublicKeyPEM, &a.PrivateKeyPEM, &a.ManuallyApproves, &fetched, &a.CreatedAt)
	if err != nil {
		return nil, notFound(err)
	}
	a.FetchedAt = nullTime(fetched)
	f.Follower = &a
	return &f, nil
}

// UpsertFollow records follower's request to follow target (a repeated
// Follow replaces the activity id; an accepted follow stays accepted).
func (s *Store) UpsertFollow(ctx context.Context, followerID, targetID int64, state, activityURI string) (*Follow, error) {
	now := s.utcNow()
	var id int64
	err := s.InTx(ctx, func(tx *Tx) error {
		return tx.q.QueryRowContext(ctx, `INSERT INTO follows (follower_actor_id, target_actor_id, state, activity_uri, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (follower_actor_id, target_actor_id) DO UPDATE SET activity_uri = excluded.activity_uri,
			state = CASE WHEN follows.state = 'accepted' THEN 'accepted' ELSE excluded.state END, updated_at = excluded.updated_at
		RETURNING id`, followerID, targetID, state, activityURI, now).Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	return s.FollowByID(ctx, id)
}

// FollowByID finds a follow.
func (s *Store) FollowByID(ctx context.Context, id int64) (*Follow, error) {
	return scanFollow(s.q.QueryRowContext(ctx, followSelect+`WHERE f.id = $1`, id))
}

// FollowOf finds the follow of target by follower.
func (s *Store) FollowOf(ctx context.Context, followerID, targetID int64) (*Follow, error) {
	return scanFollow(s.q.QueryRowContext(ctx, followSelect+`WHERE f.follower_actor_id = $1 AND f.target_actor_id = $2`, followerID, targetID))
}

// SetFollowState accepts or rejects a follow.
func (s *Store) SetFollowState(ctx context.Context, id int64, state string) error {
	return s.execOne(ctx, `UPDATE follows SET state = $1, updated_at = $2 WHERE id = $3`, state, s.utcNow(), id)
}

// DeleteFollow removes follower's follow of target; it reports whether
// there was one.
func (s *Store) DeleteFollow(ctx context.Context, followerID, targetID int64) (bool, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM follows WHERE follower_actor_id = $1 AND target_actor_id = $2`, followerID, targetID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ListFollowers returns target's followers in state, oldest first.
func (s *Store) ListFollowers(ctx context.Context, targetID int64, state string, offset, limit int) ([]*Follow, error) {
	return queryAll(ctx, s.q, scanFollow, followSelect+`WHERE f.target_actor_id = $1 AND f.state = $2
		ORDER BY f.id LIMIT $3 OFFSET $4`, targetID, state, limit, offset)
}

// CountFollowers counts target's followers in state.
func (s *Store) CountFollowers(ctx context.Context, targetID int64, state string) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM follows WHERE target_actor_id = $1 AND state = $2`, targetID, state).Scan(&n)
	return n, err
}

// ListFollowing returns the actor URIs (remote) followed by follower.
func (s *Store) ListFollowing(ctx context.Context, followerID int64, offset, limit int) ([]*Actor, error) {
	return queryAll(ctx, s.q, scanActor, `SELECT `+actorColumns+` FROM follows f JOIN actors a ON a.id = f.target_actor_id
		WHERE f.follower_actor_id = $1 AND f.state = 'accepted' ORDER BY f.id LIMIT $2 OFFSET $3`, followerID, limit, offset)
}

// CountFollowing counts the accepted follows of follower.
func (s *Store) CountFollowing(ctx context.Context, followerID int64) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM follows WHERE follower_actor_id = $1 AND state = 'accepted'`, followerID).Scan(&n)
	return n, err
}

// Recipient is where one remote actor receives activities.
type Recipient struct {
	Inbox       string
	SharedInbox string
}

// FollowerRecipients returns the inboxes of the accepted remote followers of
// the given local actors.
func (s *Store) FollowerRecipients(ctx context.Context, targetIDs ...int64) ([]Recipient, error) {
	var out []Recipient
	for _, id := range targetIDs {
		rs, err := queryAll(ctx, s.q, func(row rowScanner) (Recipient, error) {
			var r Recipient
			err := row.Scan(&r.Inbox, &r.SharedInbox)
			return r, err
		}, `SELECT a.inbox_url, a.shared_inbox_url FROM follows f JOIN actors a ON a.id = f.follower_actor_id
			WHERE f.target_actor_id = $1 AND f.state = 'accepted' AND a.domain <> '' ORDER BY f.id`, id)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

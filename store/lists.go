package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Proposal actions and states.
const (
	ProposeFollow   = "follow"
	ProposeUnfollow = "unfollow"
	ProposeBlock    = "block"
	ProposeUnblock  = "unblock"
	// ProposeCollect: the list's hub added an item (Target) to one of its
	// collections (Collection); ProposeUncollect: it took it out.
	ProposeCollect   = "collect"
	ProposeUncollect = "uncollect"

	ProposalPending   = "pending"
	ProposalApplied   = "applied"
	ProposalDismissed = "dismissed"
	ProposalFailed    = "failed"
)

// Bounds on what one subscribed list may propose: at most this many
// waiting, and this many new in any hour. Beyond, AddProposal refuses.
const (
	MaxPendingProposals = 100
	MaxProposalsPerHour = 30
)

// ErrTooManyProposals is AddProposal's refusal beyond the bounds.
var ErrTooManyProposals = errors.New("the list proposes too much: bounded")

// Proposal is a change a subscribed list proposes.
type Proposal struct {
	ID       int64
	FollowID int64
	From     *Actor // the hub whose list it is (its instance actor)
	Action   string
	Target   string
	// Collection is the list's hub's collection, for collect and uncollect.
	Collection string
	Activity   string
	State      string
	Note       string
	DecidedBy  string
	CreatedAt  time.Time
	DecidedAt  *time.Time
}

// AddProposal records a proposal from the list behind followID, unless
// the same activity was recorded already (ok false) or the list is over
// its bounds (ErrTooManyProposals).
func (s *Store) AddProposal(ctx context.Context, followID int64, action, target, collection, activity string) (id int64, ok bool, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		now := tx.s.utcNow()
		// Lock the follow first (a write on both engines), so that
		// concurrent proposals from one list count one after the other and
		// cannot overshoot the bounds together.
		if _, err := tx.q.ExecContext(ctx, `UPDATE follows SET id = id WHERE id = $1`, followID); err != nil {
			return err
		}
		var pending, lastHour int
		if err := tx.q.QueryRowContext(ctx, `SELECT
				COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0),
				COALESCE(SUM(CASE WHEN created_at > $2 THEN 1 ELSE 0 END), 0)
			FROM list_proposals WHERE follow_id = $1`, followID, now.Add(-time.Hour)).Scan(&pending, &lastHour); err != nil {
			return err
		}
		if pending >= MaxPendingProposals || lastHour >= MaxProposalsPerHour {
			return ErrTooManyProposals
		}
		err := tx.q.QueryRowContext(ctx, `INSERT INTO list_proposals (follow_id, action, target, collection, activity, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (follow_id, activity) DO NOTHING RETURNING id`,
			followID, action, target, collection, activity, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		ok = err == nil
		return err
	})
	return id, ok, err
}

const proposalSelect = `SELECT p.id, p.follow_id, p.action, p.target, p.collection, p.activity, p.state, p.note, p.decided_by, p.created_at, p.decided_at,
	a.id, a.uri, a.username, a.domain, a.kind
	FROM list_proposals p JOIN follows f ON f.id = p.follow_id JOIN actors a ON a.id = f.target_actor_id `

func scanProposal(row rowScanner) (*Proposal, error) {
	var p Proposal
	var a Actor
	var decided sql.NullTime
	if err := row.Scan(&p.ID, &p.FollowID, &p.Action, &p.Target, &p.Collection, &p.Activity, &p.State, &p.Note, &p.DecidedBy, &p.CreatedAt, &decided,
		&a.ID, &a.URI, &a.Username, &a.Domain, &a.Kind); err != nil {
		return nil, notFound(err)
	}
	p.DecidedAt = nullTime(decided)
	p.From = &a
	return &p, nil
}

// Proposals lists proposals in a state ("" : all), newest first.
func (s *Store) Proposals(ctx context.Context, state string, limit int) ([]*Proposal, error) {
	return queryAll(ctx, s.q, scanProposal, proposalSelect+`WHERE ($1 = '' OR p.state = $1)
		ORDER BY p.created_at DESC, p.id DESC LIMIT $2`, state, limit)
}

// ProposalByID finds a proposal.
func (s *Store) ProposalByID(ctx context.Context, id int64) (*Proposal, error) {
	return scanProposal(s.q.QueryRowContext(ctx, proposalSelect+`WHERE p.id = $1`, id))
}

// DecideProposal records what became of a pending proposal; false when it
// was no longer pending.
func (s *Store) DecideProposal(ctx context.Context, id int64, state, decidedBy, note string) (bool, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE list_proposals SET state = $1, decided_by = $2, note = $3, decided_at = $4
		WHERE id = $5 AND state = 'pending'`, state, decidedBy, note, s.utcNow(), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// BlockedHosts lists the instances the hub blocks.
func (s *Store) BlockedHosts(ctx context.Context) ([]string, error) {
	return queryAll(ctx, s.q, scanString, `SELECT domain FROM instances WHERE policy = 'block' ORDER BY domain`)
}

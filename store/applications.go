package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Application states.
const (
	ApplicationPending  = "pending"
	ApplicationApproved = "approved"
	ApplicationDeclined = "declined"
)

// ErrAlreadyDecided is returned when deciding an application that is no
// longer pending (someone else decided meanwhile).
var ErrAlreadyDecided = errors.New("the application has already been decided")

// Application is someone's request for an account and a channel.
type Application struct {
	ID            int64
	Name          string
	Email         string // lower-cased
	Username      string
	ChannelHandle string
	ChannelTitle  string
	ChannelKind   string
	Motivation    string
	Links         []string // http(s) URLs, as validated by accounts
	State         string
	Message       string // the curator's message to the applicant
	DecidedBy     string // a username, "command line" or "auto: domain X"
	DecidedByUser int64  // 0: nobody signed in (command line, automatic), or a deleted user
	DecidedAt     *time.Time
	UserID        int64 // what approving created; 0 before, or once deleted
	ChannelID     int64
	PasswordSetAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// NewApplication is what applying records. The fields must already be
// validated and normalised (see accounts.Apply).
type NewApplication struct {
	Name          string
	Email         string
	Username      string
	ChannelHandle string
	ChannelTitle  string
	ChannelKind   string
	Motivation    string
	Links         []string
	TokenHash     string
}

// Decision is who decides an application, and what they tell the applicant.
type Decision struct {
	By       string
	ByUserID int64 // 0: not a signed-in curator
	Message  string
}

// HandleTakenError is ErrConflict naming which of an application's handles
// is taken by a user or a channel: Field is "username" or "channel_handle".
type HandleTakenError struct {
	Field, Handle string
}

func (e *HandleTakenError) Error() string {
	return e.Field + " " + e.Handle + ": " + ErrConflict.Error()
}

func (e *HandleTakenError) Unwrap() error { return ErrConflict }

const applicationColumns = `id, name, email, username, channel_handle, channel_title, channel_kind, motivation, links,
	state, message, decided_by, COALESCE(decided_by_user, 0), decided_at, COALESCE(user_id, 0), COALESCE(channel_id, 0),
	password_set_at, created_at, updated_at`

func scanApplication(row rowScanner) (*Application, error) {
	var a Application
	var links string
	var decided, pwSet sql.NullTime
	err := row.Scan(&a.ID, &a.Name, &a.Email, &a.Username, &a.ChannelHandle, &a.ChannelTitle, &a.ChannelKind, &a.Motivation, &links,
		&a.State, &a.Message, &a.DecidedBy, &a.DecidedByUser, &decided, &a.UserID, &a.ChannelID,
		&pwSet, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return nil, notFound(err)
	}
	a.Links = splitLines(links)
	if decided.Valid {
		a.DecidedAt = &decided.Time
	}
	if pwSet.Valid {
		a.PasswordSetAt = &pwSet.Time
	}
	return &a, nil
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// CreateApplication records a pending application. ErrConflict means a
// pending application with the same e-mail address exists.
func (s *Store) CreateApplication(ctx context.Context, na NewApplication) (*Application, error) {
	now := s.utcNow()
	a, err := scanApplication(s.q.QueryRowContext(ctx, `INSERT INTO applications (name, email, username, channel_handle,
		channel_title, channel_kind, motivation, links, token_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING `+applicationColumns,
		na.Name, na.Email, na.Username, na.ChannelHandle, na.ChannelTitle, na.ChannelKind, na.Motivation,
		strings.Join(na.Links, "\n"), na.TokenHash, now))
	if isUnique(err) {
		return nil, ErrConflict
	}
	return a, err
}

// ApplicationByID finds an application.
func (s *Store) ApplicationByID(ctx context.Context, id int64) (*Application, error) {
	return scanApplication(s.q.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE id = $1`, id))
}

// ApplicationByToken finds an application by the hash of its status token.
func (s *Store) ApplicationByToken(ctx context.Context, tokenHash string) (*Application, error) {
	return scanApplication(s.q.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE token_hash = $1`, tokenHash))
}

// ListApplications returns the pending applications, oldest first (the
// order to read them in), then up to limit decided ones, latest decision
// first.
func (s *Store) ListApplications(ctx context.Context, limit int) ([]*Application, error) {
	if limit <= 0 {
		limit = 50
	}
	pending, err := queryAll(ctx, s.q, scanApplication, `SELECT `+applicationColumns+` FROM applications
		WHERE state = 'pending' ORDER BY id`)
	if err != nil {
		return nil, err
	}
	decided, err := queryAll(ctx, s.q, scanApplication, `SELECT `+applicationColumns+` FROM applications
		WHERE state <> 'pending' ORDER BY decided_at DESC, id DESC LIMIT $1`, limit)
	return append(pending, decided...), err
}

// CountPendingApplications counts the applications waiting for a decision.
func (s *Store) CountPendingApplications(ctx context.Context) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM applications WHERE state = 'pending'`).Scan(&n)
	return n, err
}

// OpenApplicationState tells whether an e-mail address has a pending or an
// approved application: it returns that state, or "" when it has neither.
func (s *Store) OpenApplicationState(ctx context.Context, email string) (string, error) {
	st, err := scanString(s.q.QueryRowContext(ctx, `SELECT state FROM applications
		WHERE email = $1 AND state IN ('pending', 'approved') ORDER BY state = 'pending' DESC, id DESC LIMIT 1`, email))
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return st, err
}

// LocalHandleTaken tells whether a local user or channel has the handle.
func (s *Store) LocalHandleTaken(ctx context.Context, handle string) (bool, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM actors WHERE domain = '' AND username = $1`, handle).Scan(&n)
	return n > 0, err
}

// decide marks a pending application decided, in tx. ErrNotFound: no such
// application; ErrAlreadyDecided: it is not pending any more.
func (tx *Tx) decide(ctx context.Context, id int64, state string, d Decision, now time.Time) error {
	var by any
	if d.ByUserID != 0 {
		by = d.ByUserID
	}
	res, err := tx.q.ExecContext(ctx, `UPDATE applications SET state = $1, message = $2, decided_by = $3, decided_by_user = $4,
		decided_at = $5, updated_at = $5 WHERE id = $6 AND state = 'pending'`, state, d.Message, d.By, by, now, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var n int
	if err := tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM applications WHERE id = $1`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return ErrAlreadyDecided
}

// DeclineApplication records that a pending application is declined.
func (s *Store) DeclineApplication(ctx context.Context, id int64, d Decision) (*Application, error) {
	err := s.InTx(ctx, func(tx *Tx) error {
		return tx.decide(ctx, id, ApplicationDeclined, d, s.utcNow())
	})
	if err != nil {
		return nil, err
	}
	return s.ApplicationByID(ctx, id)
}

// ApproveApplication records that a pending application is approved and, in
// the same transaction, creates its user and the user's channel (nc's
// OwnerID is set here). A taken handle is a *HandleTakenError and changes
// nothing.
func (s *Store) ApproveApplication(ctx context.Context, id int64, d Decision, nu NewUser, nc NewChannel) (*Application, error) {
	err := s.InTx(ctx, func(tx *Tx) error {
		now := s.utcNow()
		if err := tx.decide(ctx, id, ApplicationApproved, d, now); err != nil {
			return err
		}
		u, err := tx.createUser(ctx, nu)
		if errors.Is(err, ErrConflict) {
			return &HandleTakenError{Field: "username", Handle: nu.Username}
		}
		if err != nil {
			return err
		}
		nc.OwnerID = u.ID
		channelID, err := tx.createChannel(ctx, nc)
		if errors.Is(err, ErrConflict) {
			return &HandleTakenError{Field: "channel_handle", Handle: nc.Handle}
		}
		if err != nil {
			return err
		}
		return execOne(ctx, tx.q, `UPDATE applications SET user_id = $1, channel_id = $2 WHERE id = $3`, u.ID, channelID, id)
	})
	if err != nil {
		return nil, err
	}
	return s.ApplicationByID(ctx, id)
}

// SetApplicationPassword sets the password hash of an approved
// application's user, once. ErrNotFound: the application is not approved,
// its user is gone, or the password was already set.
func (s *Store) SetApplicationPassword(ctx context.Context, id int64, hash string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		now := s.utcNow()
		if err := execOne(ctx, tx.q, `UPDATE applications SET password_set_at = $1, updated_at = $1
			WHERE id = $2 AND state = 'approved' AND password_set_at IS NULL AND user_id IS NOT NULL`, now, id); err != nil {
			return err
		}
		return execOne(ctx, tx.q, `UPDATE users SET password_hash = $1, updated_at = $2
			WHERE id = (SELECT user_id FROM applications WHERE id = $3)`, hash, now, id)
	})
}

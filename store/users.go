package store

import (
	"context"
	"database/sql"
	"time"
)

// Roles of local accounts.
const (
	RoleAdmin   = "admin"
	RoleCurator = "curator"
	RoleCreator = "creator"
)

// Roles lists the valid roles, most powerful first.
var Roles = []string{RoleAdmin, RoleCurator, RoleCreator}

// User is a local account.
type User struct {
	ID           int64
	ActorID      int64
	Username     string
	Email        string
	Role         string
	PasswordHash string
	Disabled     bool
	LastLoginAt  *time.Time
	CreatedAt    time.Time
}

// NewUser holds what creating a user needs. The username must already be
// validated and lower-cased; the password already hashed.
type NewUser struct {
	Username     string
	Email        string
	Role         string
	PasswordHash string
	// The Person actor's key pair (PKCS#8 and PKIX PEM); empty: made
	// when first needed.
	PrivateKeyPEM, PublicKeyPEM string
}

const userColumns = `id, actor_id, username, email, role, password_hash, disabled, last_login_at, created_at`

func scanUser(row rowScanner) (*User, error) {
	var u User
	var last sql.NullTime
	if err := row.Scan(&u.ID, &u.ActorID, &u.Username, &u.Email, &u.Role, &u.PasswordHash, &u.Disabled, &last, &u.CreatedAt); err != nil {
		return nil, notFound(err)
	}
	if last.Valid {
		u.LastLoginAt = &last.Time
	}
	return &u, nil
}

// CreateUser creates a user and its Person actor. ErrConflict means the
// handle is taken by a user or a channel.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (*User, error) {
	var u *User
	err := s.InTx(ctx, func(tx *Tx) (err error) {
		u, err = tx.createUser(ctx, nu)
		return err
	})
	return u, err
}

// createUser is CreateUser inside tx (approving an application creates the
// user and its channel in one transaction).
func (tx *Tx) createUser(ctx context.Context, nu NewUser) (*User, error) {
	now := tx.s.utcNow()
	actorID, err := tx.insertLocalActor(ctx, "Person", nu.Username, nu.Username, now, nu.PrivateKeyPEM, nu.PublicKeyPEM)
	if err != nil {
		return nil, err
	}
	row := tx.q.QueryRowContext(ctx, `INSERT INTO users (actor_id, username, email, role, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING `+userColumns,
		actorID, nu.Username, nu.Email, nu.Role, nu.PasswordHash, now)
	u, err := scanUser(row)
	if isUnique(err) {
		return nil, ErrConflict
	}
	return u, err
}

func (tx *Tx) insertLocalActor(ctx context.Context, kind, username, displayName string, now time.Time, privatePEM, publicPEM string) (int64, error) {
	var id int64
	err := tx.q.QueryRowContext(ctx, `INSERT INTO actors (kind, username, domain, display_name, private_key_pem, public_key_pem, created_at, updated_at)
		VALUES ($1, $2, '', $3, $4, $5, $6, $6) RETURNING id`, kind, username, displayName, privatePEM, publicPEM, now).Scan(&id)
	if isUnique(err) {
		return 0, ErrConflict
	}
	return id, err
}

// UserByUsername finds a user by its (lower-case) username.
func (s *Store) UserByUsername(ctx context.Context, username string) (*User, error) {
	return scanUser(s.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	return scanUser(s.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// ListUsers returns all users by username.
func (s *Store) ListUsers(ctx context.Context) ([]*User, error) {
	return queryAll(ctx, s.q, scanUser, `SELECT `+userColumns+` FROM users ORDER BY username`)
}

// CountUsersWithRole counts the users with a role ("" for all).
func (s *Store) CountUsersWithRole(ctx context.Context, role string) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE $1 = '' OR role = $1`, role).Scan(&n)
	return n, err
}

// SetUserRole changes a user's role.
func (s *Store) SetUserRole(ctx context.Context, username, role string) error {
	return s.execOne(ctx, `UPDATE users SET role = $1, updated_at = $2 WHERE username = $3`, role, s.utcNow(), username)
}

// SetUserPassword replaces a user's password hash and signs them out everywhere.
func (s *Store) SetUserPassword(ctx context.Context, username, hash string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if err := execOne(ctx, tx.q, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE username = $3`, hash, s.utcNow(), username); err != nil {
			return err
		}
		_, err := tx.q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)`, username)
		return err
	})
}

// TouchLogin records a successful sign-in.
func (s *Store) TouchLogin(ctx context.Context, userID int64) error {
	return s.execOne(ctx, `UPDATE users SET last_login_at = $1 WHERE id = $2`, s.utcNow(), userID)
}

func (s *Store) execOne(ctx context.Context, query string, args ...any) error {
	return execOne(ctx, s.q, query, args...)
}

// execOne runs a statement that must touch exactly one row.
func execOne(ctx context.Context, q querier, query string, args ...any) error {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

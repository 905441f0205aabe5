package store

import (
	"context"
	"errors"
)

// ErrLastAdmin refuses to demote or disable the hub's last enabled admin,
// which would leave nobody to administer it.
var ErrLastAdmin = errors.New("the hub's last admin cannot be demoted or disabled")

// lockAdmins makes concurrent changes of admins wait for each other, so
// that two admins demoting each other cannot both succeed (SQLite's
// transactions already take the write lock at BEGIN).
func (tx *Tx) lockAdmins(ctx context.Context) error {
	if tx.s.engine != Postgres {
		return nil
	}
	_, err := tx.q.ExecContext(ctx, `SELECT id FROM users WHERE role = 'admin' AND NOT disabled FOR UPDATE`)
	return err
}

// otherAdminLeft is the condition that an enabled admin other than the
// user named by the parameter $n remains.
func otherAdminLeft(n string) string {
	return `EXISTS (SELECT 1 FROM users o WHERE o.role = 'admin' AND NOT o.disabled AND o.username <> $` + n + `)`
}

// ChangeUserRole is SetUserRole for the admins' page: it refuses, with
// ErrLastAdmin, to take the role of admin from the last enabled admin.
func (s *Store) ChangeUserRole(ctx context.Context, username, role string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		u, err := tx.lockedUser(ctx, username)
		if err != nil {
			return err
		}
		if u.Role == role {
			return nil
		}
		err = execOne(ctx, tx.q, `UPDATE users SET role = $1, updated_at = $2
			WHERE username = $3 AND (role <> 'admin' OR disabled OR `+otherAdminLeft("3")+`)`, role, s.utcNow(), username)
		if errors.Is(err, ErrNotFound) {
			return ErrLastAdmin
		}
		return err
	})
}

// SetUserDisabled disables or enables an account. A disabled account
// cannot sign in and its sessions end; its API tokens are refused until it
// is enabled again. It refuses, with ErrLastAdmin, to disable the last
// enabled admin.
func (s *Store) SetUserDisabled(ctx context.Context, username string, disabled bool) error {
	return s.InTx(ctx, func(tx *Tx) error {
		u, err := tx.lockedUser(ctx, username)
		if err != nil {
			return err
		}
		if u.Disabled == disabled {
			return nil
		}
		if !disabled {
			return execOne(ctx, tx.q, `UPDATE users SET disabled = FALSE, updated_at = $1 WHERE id = $2`, s.utcNow(), u.ID)
		}
		err = execOne(ctx, tx.q, `UPDATE users SET disabled = TRUE, updated_at = $1
			WHERE id = $2 AND (role <> 'admin' OR `+otherAdminLeft("3")+`)`, s.utcNow(), u.ID, username)
		if errors.Is(err, ErrNotFound) {
			return ErrLastAdmin
		}
		if err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID)
		return err
	})
}

// lockedUser locks the admins' rows (see lockAdmins), then reads a user.
func (tx *Tx) lockedUser(ctx context.Context, username string) (*User, error) {
	if err := tx.lockAdmins(ctx); err != nil {
		return nil, err
	}
	return scanUser(tx.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
}

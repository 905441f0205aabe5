package store

import (
	"context"
	"time"
)

// Session is a signed-in browser. Only the SHA-256 of its token is stored.
type Session struct {
	ID        int64
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, tokenHash string, userID int64, userAgent string, ttl time.Duration) (*Session, error) {
	now := s.utcNow()
	sess := &Session{UserID: userID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err := s.InTx(ctx, func(tx *Tx) error {
		return tx.q.QueryRowContext(ctx, `INSERT INTO sessions (token_hash, user_id, user_agent, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, tokenHash, userID, truncate(userAgent, 200), now, sess.ExpiresAt).Scan(&sess.ID)
	})
	return sess, err
}

// SessionUser returns the enabled user of an unexpired session.
func (s *Store) SessionUser(ctx context.Context, tokenHash string) (*User, error) {
	return scanUser(s.q.QueryRowContext(ctx, `SELECT u.id, u.actor_id, u.username, u.email, u.role, u.password_hash, u.disabled, u.last_login_at, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled`, tokenHash, s.utcNow()))
}

// DeleteSession signs a session out.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return err
}

// DeleteExpiredSessions removes expired sessions and tells how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, s.utcNow())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

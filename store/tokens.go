package store

import (
	"context"
	"time"
)

// APIToken is a personal token for the JSON API; only its hash is stored.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	LastUsedAt *time.Time
	CreatedAt  time.Time
}

// CreateAPIToken stores a token hash for a user.
func (s *Store) CreateAPIToken(ctx context.Context, userID int64, name, tokenHash string) (*APIToken, error) {
	t := &APIToken{UserID: userID, Name: name, CreatedAt: s.utcNow()}
	err := s.InTx(ctx, func(tx *Tx) error {
		return tx.q.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			userID, name, tokenHash, t.CreatedAt).Scan(&t.ID)
	})
	return t, err
}

// APITokenUser returns the enabled user owning a token hash and records its use.
func (s *Store) APITokenUser(ctx context.Context, tokenHash string) (*User, error) {
	u, err := scanUser(s.q.QueryRowContext(ctx, `SELECT u.id, u.actor_id, u.username, u.email, u.role, u.password_hash, u.disabled, u.last_login_at, u.created_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND NOT u.disabled`, tokenHash))
	if err != nil {
		return nil, err
	}
	_, err = s.q.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2`, s.utcNow(), tokenHash)
	return u, err
}

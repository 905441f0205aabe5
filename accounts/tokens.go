package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"github.com/archipel/archipel/store"
)

// HashToken is what the database keeps of a session or API token: its hex
// SHA-256. Tokens are 256 random bits, so a fast hash is enough.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateAPIToken makes a personal API token for u and returns it; only its
// hash is stored, so this is the one time it can be shown.
func (s *Service) CreateAPIToken(ctx context.Context, u *store.User, name string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := "arch_" + base64.RawURLEncoding.EncodeToString(b)
	if _, err := s.Store.CreateAPIToken(ctx, u.ID, name, HashToken(token)); err != nil {
		return "", err
	}
	return token, nil
}

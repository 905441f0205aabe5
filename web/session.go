package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/store"
)

// sessionCookie holds the session token; the database keeps only its SHA-256.
const sessionCookie = "archipel_session"

// randomToken returns 32 random bytes in unpadded base64url (43 characters).
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// hashToken is what the sessions table stores for a token: the hex SHA-256
// of the cookie value.
func hashToken(token string) string { return accounts.HashToken(token) }

// sessionToken returns the session cookie's token if it is well formed.
func sessionToken(r *http.Request) (string, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) != 32 {
		return "", false
	}
	return c.Value, true
}

// currentUser returns the signed-in user, or nil for an anonymous visitor.
// It asks the database once per request.
func (s *server) currentUser(r *http.Request) (*store.User, error) {
	st := s.state(r)
	if st.userLoaded {
		return st.user, nil
	}
	token, ok := sessionToken(r)
	if !ok {
		st.userLoaded = true
		return nil, nil
	}
	u, err := s.store.SessionUser(r.Context(), hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		st.userLoaded = true
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st.user, st.userLoaded = u, true
	return u, nil
}

// setSessionCookie gives the browser its session token.
func (s *server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		MaxAge:   int(s.sessionTTL.Seconds()),
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// clearSessionCookie tells the browser to forget its session token.
func (s *server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// canCreateChannel tells whether a user may create channels: creators and
// admins. Curators curate other people's channels and do not own any.
func canCreateChannel(u *store.User) bool {
	return u != nil && (u.Role == store.RoleCreator || u.Role == store.RoleAdmin)
}

// safeNext returns next if it is a path on this site, and "/" otherwise, so
// that a sign-in link cannot send people to another site.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return "/"
		}
	}
	return next
}

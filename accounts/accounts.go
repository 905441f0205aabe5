package accounts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/archipel/archipel/federation/httpsig"
	"github.com/archipel/archipel/store"
)

// FieldError is a validation error about one input field, worded for the
// person who typed it.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

var handleRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// Handle limits. Handles are the names in @handle@host: users and channels
// share them.
const (
	MaxHandleLength = 30
)

// NormalizeHandle lower-cases and checks a user or channel handle.
func NormalizeHandle(field, h string) (string, error) {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(h), "@")))
	switch {
	case h == "":
		return "", &FieldError{field, "is required"}
	case len(h) > MaxHandleLength:
		return "", &FieldError{field, fmt.Sprintf("must be at most %d characters", MaxHandleLength)}
	case !handleRE.MatchString(h):
		return "", &FieldError{field, "may contain only letters a–z, digits 0–9 and underscores"}
	case reservedHandles[h]:
		return "", &FieldError{field, fmt.Sprintf("%q is reserved by the hub", h)}
	}
	return h, nil
}

// reservedHandles are the names of the instance actor in WebFinger
// ("archipel", and "peertube", which PeerTube asks for to follow an
// instance).
var reservedHandles = map[string]bool{"archipel": true, "peertube": true}

// newKeys makes the RSA-2048 key pair of a new actor.
func newKeys() (privatePEM, publicPEM string, err error) {
	_, privatePEM, publicPEM, err = httpsig.GenerateKey()
	return privatePEM, publicPEM, err
}

// CheckRole validates a role name.
func CheckRole(role string) error {
	if !slices.Contains(store.Roles, role) {
		return &FieldError{"role", "must be one of " + strings.Join(store.Roles, ", ")}
	}
	return nil
}

// CheckKind validates a channel kind.
func CheckKind(kind string) error {
	if kind != store.KindVideo && kind != store.KindPodcast {
		return &FieldError{"kind", "must be video or podcast"}
	}
	return nil
}

// CheckPasswordStrength refuses passwords that are too short.
func CheckPasswordStrength(pw string) error {
	if len([]rune(pw)) < MinPasswordLength {
		return &FieldError{"password", fmt.Sprintf("must be at least %d characters", MinPasswordLength)}
	}
	return nil
}

// Service creates and changes accounts and channels.
type Service struct {
	Store *store.Store
	// AutoApproveDomains are the e-mail domains whose applicants are
	// approved at once (--auto-approve-domains): "example.org" exactly,
	// ".example.org" any subdomain. See MatchDomain.
	AutoApproveDomains []string
}

// CreateUser validates and creates a local user.
func (s *Service) CreateUser(ctx context.Context, username, role, email, password string) (*store.User, error) {
	name, err := NormalizeHandle("username", username)
	if err != nil {
		return nil, err
	}
	if err := CheckRole(role); err != nil {
		return nil, err
	}
	if err := CheckPasswordStrength(password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	priv, pub, err := newKeys()
	if err != nil {
		return nil, err
	}
	u, err := s.Store.CreateUser(ctx, store.NewUser{Username: name, Email: strings.TrimSpace(email), Role: role, PasswordHash: hash,
		PrivateKeyPEM: priv, PublicKeyPEM: pub})
	if errors.Is(err, store.ErrConflict) {
		return nil, &FieldError{"username", fmt.Sprintf("%q is already taken by a user or a channel", name)}
	}
	return u, err
}

// SetPassword validates and sets a user's password.
func (s *Service) SetPassword(ctx context.Context, username, password string) error {
	if err := CheckPasswordStrength(password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.Store.SetUserPassword(ctx, strings.ToLower(username), hash)
}

// Authenticate returns the user if username and password match an enabled
// account, and nil otherwise, taking the same time either way.
func (s *Service) Authenticate(ctx context.Context, username, password string) (*store.User, error) {
	u, err := s.Store.UserByUsername(ctx, strings.ToLower(strings.TrimSpace(username)))
	if errors.Is(err, store.ErrNotFound) {
		CheckNoUser(password)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ok, err := CheckPassword(u.PasswordHash, password)
	if err != nil || !ok || u.Disabled {
		return nil, err
	}
	return u, nil
}

// ChannelInput is what a person fills in to create a channel.
type ChannelInput struct {
	Handle      string
	Kind        string
	Title       string
	Description string
	Language    string
}

// MaxTitleLength bounds channel titles.
const MaxTitleLength = 100

// CreateChannel validates and creates a local channel owned by owner. Its
// errors are *FieldError when the input is at fault.
func (s *Service) CreateChannel(ctx context.Context, owner *store.User, in ChannelInput) (*store.Channel, error) {
	handle, err := NormalizeHandle("handle", in.Handle)
	if err != nil {
		return nil, err
	}
	if err := CheckKind(in.Kind); err != nil {
		return nil, err
	}
	title := strings.TrimSpace(in.Title)
	if title == "" {
		title = handle
	}
	if len([]rune(title)) > MaxTitleLength {
		return nil, &FieldError{"title", fmt.Sprintf("must be at most %d characters", MaxTitleLength)}
	}
	priv, pub, err := newKeys()
	if err != nil {
		return nil, err
	}
	c, err := s.Store.CreateChannel(ctx, store.NewChannel{
		OwnerID: owner.ID, Kind: in.Kind, Handle: handle, Title: title,
		Description: strings.TrimSpace(in.Description), Language: strings.TrimSpace(in.Language),
		PrivateKeyPEM: priv, PublicKeyPEM: pub,
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, &FieldError{"handle", fmt.Sprintf("%q is already taken by a user or a channel", handle)}
	}
	return c, err
}

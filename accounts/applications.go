package accounts

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/archipel/archipel/store"
)

// Limits of creator applications. They bound what one form can store, and
// MaxPendingApplications bounds what a flood of forms can.
const (
	MaxNameLength          = 100
	MaxEmailLength         = 254
	MaxMotivationLength    = 4000
	MaxLinks               = 10
	MaxLinkLength          = 500
	MaxMessageLength       = 2000
	MaxPendingApplications = 500
)

// ErrPasswordAlreadySet is returned when an applicant's status link is used
// to set a password a second time.
var ErrPasswordAlreadySet = errors.New("the password of this account has already been set")

// ErrNotApproved is returned when setting the password of an application
// that is not approved.
var ErrNotApproved = errors.New("the application is not approved")

// FieldErrors are several FieldErrors at once, so that a form can mark every
// faulty field in one go.
type FieldErrors []*FieldError

func (e FieldErrors) Error() string {
	msgs := make([]string, len(e))
	for i, fe := range e {
		msgs[i] = fe.Error()
	}
	return strings.Join(msgs, "; ")
}

// ApplicationInput is what an applicant types in the form, as typed. Links
// holds one URL per line.
type ApplicationInput struct {
	Name          string
	Email         string
	Username      string
	ChannelHandle string
	ChannelTitle  string
	ChannelKind   string
	Motivation    string
	Links         string
}

// Applied is the outcome of Apply.
type Applied struct {
	Application *store.Application
	// Token is the applicant's private status link's secret; only its
	// hash is stored, so this is the one time it is known.
	Token string
	// AutoDomain is the --auto-approve-domains entry the address matched,
	// "" when none did.
	AutoDomain string
	// AutoErr is why the automatic approval failed (a handle taken
	// meanwhile): the application then waits for a curator.
	AutoErr error
}

var emailDomainRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

// NormalizeEmail checks an e-mail address and lower-cases it. Only plain
// addresses with an ASCII domain (IDNs as xn--) are accepted, so that
// domain rules cannot be fooled by look-alike characters.
func NormalizeEmail(field, email string) (string, error) {
	email = strings.TrimSpace(email)
	switch {
	case email == "":
		return "", &FieldError{field, "is required"}
	case len(email) > MaxEmailLength:
		return "", &FieldError{field, fmt.Sprintf("must be at most %d characters", MaxEmailLength)}
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "", &FieldError{field, "must be an address such as name@example.org"}
	}
	email = strings.ToLower(email)
	at := strings.LastIndexByte(email, '@')
	if at < 1 || !emailDomainRE.MatchString(email[at+1:]) {
		return "", &FieldError{field, "must be an address such as name@example.org"}
	}
	return email, nil
}

// CheckDomainRule checks one --auto-approve-domains entry: "example.org"
// (that domain exactly) or ".example.org" (any subdomain of it). It
// returns it lower-cased.
func CheckDomainRule(rule string) (string, error) {
	r := strings.ToLower(strings.TrimSpace(rule))
	if !emailDomainRE.MatchString(strings.TrimPrefix(r, ".")) {
		return "", fmt.Errorf("%q is not a domain such as example.org or .example.org", rule)
	}
	return r, nil
}

// MatchDomain returns the rule of rules that an e-mail address's domain
// matches: "example.org" matches only that domain, ".gouv.fr" any of its
// subdomains (a.gouv.fr, b.a.gouv.fr) but neither gouv.fr itself nor
// evilgouv.fr.
func MatchDomain(rules []string, email string) (string, bool) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return "", false
	}
	domain := strings.ToLower(email[at+1:])
	for _, r := range rules {
		r = strings.ToLower(strings.TrimSpace(r))
		if r == "" {
			continue
		}
		if strings.HasPrefix(r, ".") {
			if len(domain) > len(r) && strings.HasSuffix(domain, r) {
				return r, true
			}
		} else if domain == r {
			return r, true
		}
	}
	return "", false
}

// checkText trims s and checks its length and characters: no control
// characters but, when multiline, newlines and tabs.
func checkText(field, s string, max int, required, multiline bool) (string, *FieldError) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if s == "" {
		if required {
			return "", &FieldError{field, "is required"}
		}
		return "", nil
	}
	if n := len([]rune(s)); n > max {
		return "", &FieldError{field, fmt.Sprintf("must be at most %d characters (it has %d)", max, n)}
	}
	for _, c := range s {
		if unicode.IsControl(c) && !(multiline && (c == '\n' || c == '\t')) {
			return "", &FieldError{field, "contains control characters"}
		}
	}
	return s, nil
}

// ParseLinks reads one http(s) URL per line (blank lines ignored).
func ParseLinks(field, text string) ([]string, *FieldError) {
	var links []string
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if len(links) == MaxLinks {
			return nil, &FieldError{field, fmt.Sprintf("may hold at most %d links", MaxLinks)}
		}
		if len(line) > MaxLinkLength {
			return nil, &FieldError{field, fmt.Sprintf("may each be at most %d characters long", MaxLinkLength)}
		}
		u, err := url.Parse(line)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return nil, &FieldError{field, fmt.Sprintf("must be web addresses starting with https:// or http://, one per line (%q is not)", clipRunes(line, 60))}
		}
		links = append(links, u.String())
	}
	return links, nil
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// validateApplication checks every field and returns them normalised, or
// every error at once.
func (s *Service) validateApplication(ctx context.Context, in ApplicationInput) (store.NewApplication, error) {
	var na store.NewApplication
	var errs FieldErrors
	add := func(fe *FieldError) {
		if fe != nil {
			errs = append(errs, fe)
		}
	}
	var fe *FieldError
	na.Name, fe = checkText("name", in.Name, MaxNameLength, true, false)
	add(fe)
	email, err := NormalizeEmail("email", in.Email)
	if err != nil {
		add(err.(*FieldError))
	}
	na.Email = email
	username, err := NormalizeHandle("username", in.Username)
	if err != nil {
		add(err.(*FieldError))
	}
	handle, err := NormalizeHandle("channel_handle", in.ChannelHandle)
	if err != nil {
		add(err.(*FieldError))
	}
	if username != "" && handle == username {
		add(&FieldError{"channel_handle", "must differ from your username: people and channels share addresses"})
		handle = ""
	}
	na.Username, na.ChannelHandle = username, handle
	na.ChannelTitle, fe = checkText("channel_title", in.ChannelTitle, MaxTitleLength, false, false)
	add(fe)
	if err := CheckKind(in.ChannelKind); err != nil {
		add(&FieldError{"channel_kind", "must be video or podcast"})
	}
	na.ChannelKind = in.ChannelKind
	na.Motivation, fe = checkText("motivation", in.Motivation, MaxMotivationLength, true, true)
	add(fe)
	na.Links, fe = ParseLinks("links", in.Links)
	add(fe)

	// What the database knows: names taken, an address already in use.
	for _, h := range []struct{ field, name string }{{"username", username}, {"channel_handle", handle}} {
		if h.name == "" {
			continue
		}
		taken, err := s.Store.LocalHandleTaken(ctx, h.name)
		if err != nil {
			return na, err
		}
		if taken {
			add(&FieldError{h.field, fmt.Sprintf("%q is already taken by a user or a channel", h.name)})
		}
	}
	if email != "" {
		switch st, err := s.Store.OpenApplicationState(ctx, email); {
		case err != nil:
			return na, err
		case st == store.ApplicationPending:
			add(&FieldError{"email", "already has an application waiting: follow it with the status link you were given"})
		case st == store.ApplicationApproved:
			add(&FieldError{"email", "already has an account on this hub"})
		}
	}
	if len(errs) > 0 {
		return na, errs
	}
	return na, nil
}

// Apply validates and records an application and gives its status token.
// Input errors are FieldErrors. An address in AutoApproveDomains is
// approved at once, recorded as decided by "auto: domain X".
func (s *Service) Apply(ctx context.Context, in ApplicationInput) (*Applied, error) {
	na, err := s.validateApplication(ctx, in)
	if err != nil {
		return nil, err
	}
	if n, err := s.Store.CountPendingApplications(ctx); err != nil {
		return nil, err
	} else if n >= MaxPendingApplications {
		return nil, FieldErrors{{"", "The curators have too many applications to read at the moment. Please try again in a few days."}}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	na.TokenHash = HashToken(token)
	a, err := s.Store.CreateApplication(ctx, na)
	if errors.Is(err, store.ErrConflict) { // the same address, a moment earlier
		return nil, FieldErrors{{"email", "already has an application waiting: follow it with the status link you were given"}}
	}
	if err != nil {
		return nil, err
	}
	out := &Applied{Application: a, Token: token}
	if rule, ok := MatchDomain(s.AutoApproveDomains, a.Email); ok {
		out.AutoDomain = rule
		approved, err := s.ApproveApplication(ctx, a.ID, store.Decision{By: "auto: domain " + rule,
			Message: "Approved automatically: addresses at " + rule + " are welcome on this hub."})
		if err != nil {
			out.AutoErr = err
		} else {
			out.Application = approved
		}
	}
	return out, nil
}

// ApplicationByToken finds an application by its status token.
func (s *Service) ApplicationByToken(ctx context.Context, token string) (*store.Application, error) {
	if token == "" {
		return nil, store.ErrNotFound
	}
	return s.Store.ApplicationByToken(ctx, HashToken(token))
}

// ApproveApplication approves a pending application: it creates the user
// (role creator, with a random password nobody knows until the applicant
// sets theirs through the status link) and the user's channel, in one
// transaction with the decision. A taken handle is a *FieldError on
// "username" or "channel_handle" and changes nothing; a decided
// application is store.ErrAlreadyDecided.
func (s *Service) ApproveApplication(ctx context.Context, id int64, d store.Decision) (*store.Application, error) {
	msg, fe := checkText("message", d.Message, MaxMessageLength, false, true)
	if fe != nil {
		return nil, fe
	}
	d.Message = msg
	a, err := s.Store.ApplicationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.State != store.ApplicationPending {
		return nil, store.ErrAlreadyDecided
	}
	username, err := NormalizeHandle("username", a.Username)
	if err != nil {
		return nil, err
	}
	handle, err := NormalizeHandle("channel_handle", a.ChannelHandle)
	if err != nil {
		return nil, err
	}
	if err := CheckKind(a.ChannelKind); err != nil {
		return nil, err
	}
	title := a.ChannelTitle
	if title == "" {
		title = handle
	}
	pw, err := GeneratePassword()
	if err != nil {
		return nil, err
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return nil, err
	}
	nu := store.NewUser{Username: username, Email: a.Email, Role: store.RoleCreator, PasswordHash: hash}
	if nu.PrivateKeyPEM, nu.PublicKeyPEM, err = newKeys(); err != nil {
		return nil, err
	}
	nc := store.NewChannel{Kind: a.ChannelKind, Handle: handle, Title: title}
	if nc.PrivateKeyPEM, nc.PublicKeyPEM, err = newKeys(); err != nil {
		return nil, err
	}
	approved, err := s.Store.ApproveApplication(ctx, id, d, nu, nc)
	var taken *store.HandleTakenError
	if errors.As(err, &taken) {
		return nil, &FieldError{taken.Field, fmt.Sprintf("%q is already taken by a user or a channel", taken.Handle)}
	}
	return approved, err
}

// DeclineApplication declines a pending application; the message, which
// the applicant reads on their status page, is required.
func (s *Service) DeclineApplication(ctx context.Context, id int64, d store.Decision) (*store.Application, error) {
	msg, fe := checkText("message", d.Message, MaxMessageLength, true, true)
	if fe != nil {
		return nil, fe
	}
	d.Message = msg
	return s.Store.DeclineApplication(ctx, id, d)
}

// SetApplicationPassword sets, once, the password of the account an
// approved application created, and returns that account.
func (s *Service) SetApplicationPassword(ctx context.Context, token, password string) (*store.User, error) {
	a, err := s.ApplicationByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	switch {
	case a.State != store.ApplicationApproved || a.UserID == 0:
		return nil, ErrNotApproved
	case a.PasswordSetAt != nil:
		return nil, ErrPasswordAlreadySet
	}
	if err := CheckPasswordStrength(password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	if err := s.Store.SetApplicationPassword(ctx, a.ID, hash); errors.Is(err, store.ErrNotFound) {
		return nil, ErrPasswordAlreadySet // set by another request meanwhile
	} else if err != nil {
		return nil, err
	}
	return s.Store.UserByID(ctx, a.UserID)
}

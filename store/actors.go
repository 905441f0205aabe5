package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Actor kinds.
const (
	ActorPerson      = "Person"
	ActorGroup       = "Group"
	ActorApplication = "Application"
)

// Actor is an ActivityPub actor. Local actors have Domain "" and no URIs
// stored (they derive from the public URL); remote ones carry their URIs.
type Actor struct {
	ID               int64
	Kind             string
	Username         string
	Domain           string
	URI              string
	URL              string
	DisplayName      string
	Summary          string
	Inbox            string
	Outbox           string
	Followers        string
	Following        string
	SharedInbox      string
	Icon             string
	Image            string
	KeyID            string
	PublicKeyPEM     string
	PrivateKeyPEM    string
	ManuallyApproves bool
	FetchedAt        *time.Time
	CreatedAt        time.Time
}

// Local reports whether the actor lives on this hub.
func (a *Actor) Local() bool { return a.Domain == "" }

const actorColumns = `a.id, a.kind, a.username, a.domain, COALESCE(a.uri, ''), a.url, a.display_name, a.summary,
	a.inbox_url, a.outbox_url, a.followers_url, a.following_url, a.shared_inbox_url, a.icon_url, a.image_url,
	a.key_id, a.public_key_pem, a.private_key_pem, a.manually_approves, a.fetched_at, a.created_at`

func scanActor(row rowScanner) (*Actor, error) {
	var a Actor
	var fetched sql.NullTime
	err := row.Scan(&a.ID, &a.Kind, &a.Username, &a.Domain, &a.URI, &a.URL, &a.DisplayName, &a.Summary,
		&a.Inbox, &a.Outbox, &a.Followers, &a.Following, &a.SharedInbox, &a.Icon, &a.Image,
		&a.KeyID, &a.PublicKeyPEM, &a.PrivateKeyPEM, &a.ManuallyApproves, &fetched, &a.CreatedAt)
	if err != nil {
		return nil, notFound(err)
	}
	if fetched.Valid {
		a.FetchedAt = &fetched.Time
	}
	return &a, nil
}

// ActorByID finds an actor, local or remote.
func (s *Store) ActorByID(ctx context.Context, id int64) (*Actor, error) {
	return scanActor(s.q.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.id = $1`, id))
}

// LocalActor finds a local actor (user, channel or the instance actor) by
// its lower-case username.
func (s *Store) LocalActor(ctx context.Context, username string) (*Actor, error) {
	return scanActor(s.q.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.domain = '' AND a.username = $1`, username))
}

// RemoteActorByURI finds a cached remote actor by its id.
func (s *Store) RemoteActorByURI(ctx context.Context, uri string) (*Actor, error) {
	return scanActor(s.q.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.uri = $1`, uri))
}

// EnsureLocalActor returns the local actor username of kind, creating it
// (for the instance actor, which has no user or channel row).
func (s *Store) EnsureLocalActor(ctx context.Context, kind, username, displayName string) (*Actor, error) {
	a, err := s.LocalActor(ctx, username)
	if err == nil || !isNotFound(err) {
		return a, err
	}
	err = s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.insertLocalActor(ctx, kind, username, displayName, s.utcNow(), "", "")
		return err
	})
	if err != nil && err != ErrConflict {
		return nil, err
	}
	return s.LocalActor(ctx, username)
}

// SetActorKeys stores a local actor's key pair unless it already has one;
// it returns the actor as stored, so concurrent callers agree on one key.
func (s *Store) SetActorKeys(ctx context.Context, actorID int64, privatePEM, publicPEM string) (*Actor, error) {
	_, err := s.q.ExecContext(ctx, `UPDATE actors SET private_key_pem = $1, public_key_pem = $2, updated_at = $3
		WHERE id = $4 AND domain = '' AND private_key_pem = ''`, privatePEM, publicPEM, s.utcNow(), actorID)
	if err != nil {
		return nil, err
	}
	return s.ActorByID(ctx, actorID)
}

// SetManuallyApproves sets whether a local actor approves followers by hand.
func (s *Store) SetManuallyApproves(ctx context.Context, actorID int64, manual bool) error {
	return s.execOne(ctx, `UPDATE actors SET manually_approves = $1, updated_at = $2 WHERE id = $3 AND domain = ''`, manual, s.utcNow(), actorID)
}

// HostOf returns the lower-case host[:port] of an absolute URL, or "".
func HostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Host)
}

// UpsertRemoteActor records or refreshes a remote actor, keyed by URI, and
// the instance it lives on. Username case is kept as the remote says.
func (s *Store) UpsertRemoteActor(ctx context.Context, a Actor) (*Actor, error) {
	host := HostOf(a.URI)
	if host == "" {
		return nil, fmt.Errorf("store: the actor URI %q has no host", a.URI)
	}
	var id int64
	err := s.InTx(ctx, func(tx *Tx) error {
		now := s.utcNow()
		instanceID, err := tx.ensureInstance(ctx, host, now)
		if err != nil {
			return err
		}
		username := a.Username
		if username == "" {
			username = a.URI
		}
		// A remote server may reuse a username for a new actor URI: the
		// newer actor takes the (domain, username) slot.
		if _, err := tx.q.ExecContext(ctx, `UPDATE actors SET username = uri WHERE domain = $1 AND username = $2 AND uri <> $3`,
			host, username, a.URI); err != nil {
			return err
		}
		err = tx.q.QueryRowContext(ctx, `INSERT INTO actors (kind, username, domain, instance_id, uri, url, display_name, summary,
				inbox_url, outbox_url, followers_url, following_url, shared_inbox_url, icon_url, image_url,
				key_id, public_key_pem, manually_approves, fetched_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $19)
			ON CONFLICT (uri) DO UPDATE SET kind = excluded.kind, username = excluded.username, url = excluded.url,
				display_name = excluded.display_name, summary = excluded.summary, inbox_url = excluded.inbox_url,
				outbox_url = excluded.outbox_url, followers_url = excluded.followers_url, following_url = excluded.following_url,
				shared_inbox_url = excluded.shared_inbox_url, icon_url = excluded.icon_url, image_url = excluded.image_url,
				key_id = excluded.key_id, public_key_pem = excluded.public_key_pem,
				manually_approves = excluded.manually_approves, fetched_at = excluded.fetched_at, updated_at = excluded.updated_at
			RETURNING id`,
			normalizeKind(a.Kind), username, host, instanceID, a.URI, a.URL, a.DisplayName, a.Summary,
			a.Inbox, a.Outbox, a.Followers, a.Following, a.SharedInbox, a.Icon, a.Image,
			a.KeyID, a.PublicKeyPEM, a.ManuallyApproves, now).Scan(&id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.ActorByID(ctx, id)
}

// normalizeKind maps the actor types we do not model to the nearest one.
func normalizeKind(kind string) string {
	switch kind {
	case ActorPerson, ActorGroup, ActorApplication, "Service", "Organization":
		return kind
	}
	return ActorPerson
}

// DeleteRemoteActor removes a remote actor with its follows, reactions and
// comments. It reports whether there was one.
func (s *Store) DeleteRemoteActor(ctx context.Context, uri string) (bool, error) {
	defer s.blocks.invalidate() // its block goes with it
	err := s.InTx(ctx, func(tx *Tx) error {
		targets, err := tx.reactionTargets(ctx, `actor_id IN (SELECT id FROM actors WHERE uri = $1)`, uri)
		if err != nil {
			return err
		}
		if err := execOne(ctx, tx.q, `DELETE FROM actors WHERE uri = $1 AND domain <> ''`, uri); err != nil {
			return err
		}
		return tx.recount(ctx, targets)
	})
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

func isNotFound(err error) bool { return err == ErrNotFound }

// Usage is what NodeInfo reports.
type Usage struct {
	Users, ActiveMonth, ActiveHalfYear int
	Channels                           int
	LocalItems, LocalComments          int
}

// Usage counts local users (and those signed in within 30 and 180 days),
// channels, published items and local comments.
func (s *Store) Usage(ctx context.Context, now time.Time) (Usage, error) {
	var u Usage
	now = now.UTC()
	err := s.q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM users WHERE NOT disabled),
		(SELECT COUNT(*) FROM users WHERE NOT disabled AND last_login_at > $1),
		(SELECT COUNT(*) FROM users WHERE NOT disabled AND last_login_at > $2),
		(SELECT COUNT(*) FROM channels c JOIN actors a ON a.id = c.actor_id WHERE a.domain = ''),
		(SELECT COUNT(*) FROM items WHERE state = 'published' AND origin_uri IS NULL),
		(SELECT COUNT(*) FROM comments c JOIN actors a ON a.id = c.author_actor_id WHERE a.domain = '' AND c.state = 'visible')`,
		now.AddDate(0, 0, -30), now.AddDate(0, 0, -180)).
		Scan(&u.Users, &u.ActiveMonth, &u.ActiveHalfYear, &u.Channels, &u.LocalItems, &u.LocalComments)
	return u, err
}

package federation

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/federation/httpclient"
	"github.com/archipel/archipel/federation/httpsig"
	"github.com/archipel/archipel/federation/keys"
	"github.com/archipel/archipel/store"
)

// actorRefresh is how long a fetched remote actor is trusted before it is
// fetched again.
const actorRefresh = 24 * time.Hour

// InstanceActor returns the instance's Application actor, creating it.
func (s *Service) InstanceActor(ctx context.Context) (*store.Actor, error) {
	return s.store.EnsureLocalActor(ctx, store.ActorApplication, InstanceActorName, s.host)
}

// localKey returns a local actor's private key, making and storing an
// RSA-2048 pair the first time (actors made before federation existed).
func (s *Service) localKey(ctx context.Context, a *store.Actor) (*rsa.PrivateKey, error) {
	s.signersMu.Lock()
	k := s.signers[a.ID]
	s.signersMu.Unlock()
	if k != nil {
		return k, nil
	}
	if a.PrivateKeyPEM == "" {
		_, priv, pub, err := httpsig.GenerateKey()
		if err != nil {
			return nil, err
		}
		if a, err = s.store.SetActorKeys(ctx, a.ID, priv, pub); err != nil {
			return nil, err
		}
	}
	k, err := httpsig.ParsePrivateKeyPEM(a.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("the key of %s: %w", a.Username, err)
	}
	s.signersMu.Lock()
	s.signers[a.ID] = k
	s.signersMu.Unlock()
	return k, nil
}

// publicKeyPEM returns a local actor's public key, making the pair first.
func (s *Service) publicKeyPEM(ctx context.Context, a *store.Actor) (string, error) {
	if a.PublicKeyPEM != "" {
		return a.PublicKeyPEM, nil
	}
	if _, err := s.localKey(ctx, a); err != nil {
		return "", err
	}
	fresh, err := s.store.ActorByID(ctx, a.ID)
	if err != nil {
		return "", err
	}
	return fresh.PublicKeyPEM, nil
}

// signer signs requests as a local actor.
func (s *Service) signer(ctx context.Context, a *store.Actor) (*httpsig.Signer, error) {
	k, err := s.localKey(ctx, a)
	if err != nil {
		return nil, err
	}
	return &httpsig.Signer{KeyID: s.ActorURI(a) + "#main-key", Key: k, Now: s.now}, nil
}

// instanceSigner signs fetches as the instance actor (authorized fetch).
func (s *Service) instanceSigner(ctx context.Context) (*httpsig.Signer, error) {
	a, err := s.InstanceActor(ctx)
	if err != nil {
		return nil, err
	}
	return s.signer(ctx, a)
}

// fetch GETs an ActivityPub document, signed as the instance actor.
func (s *Service) fetch(ctx context.Context, uri string) ([]byte, error) {
	sign, err := s.instanceSigner(ctx)
	if err != nil {
		return nil, err
	}
	return s.client.GetJSON(ctx, uri, sign)
}

// fetchKey is the key cache's fetcher: the key document, fetched signed.
func (s *Service) fetchKey(ctx context.Context, keyID string) (*keys.Key, error) {
	u, err := url.Parse(keyID)
	if err != nil {
		return nil, err
	}
	u.Fragment = ""
	body, err := s.fetch(ctx, u.String())
	var se *httpclient.StatusError
	if errors.As(err, &se) && se.StatusCode == 410 {
		return nil, fmt.Errorf("%w: %s answered 410", keys.ErrGone, keyID)
	}
	if err != nil {
		return nil, err
	}
	return keys.ParseKeyDocument(body, keyID)
}

// RemoteActor returns the remote actor uri, from the store when fetched
// recently, else fetched (signed) and stored.
func (s *Service) RemoteActor(ctx context.Context, uri string) (*store.Actor, error) {
	a, err := s.store.RemoteActorByURI(ctx, uri)
	if err == nil && s.actorFresh(a) {
		return a, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return s.RefreshActor(ctx, uri)
}

// actorFresh tells whether a stored remote actor can be used as it is.
func (s *Service) actorFresh(a *store.Actor) bool {
	return a.FetchedAt != nil && s.now().Sub(*a.FetchedAt) < actorRefresh && a.Inbox != ""
}

// RefreshActor fetches a remote actor and stores it.
func (s *Service) RefreshActor(ctx context.Context, uri string) (*store.Actor, error) {
	if s.localPath(uri) != "" {
		return nil, fmt.Errorf("%s is a local actor", uri)
	}
	body, err := s.fetch(ctx, uri)
	if err != nil {
		return nil, err
	}
	doc, err := ap.DecodeActor(body)
	if err != nil {
		return nil, err
	}
	if doc.ID != uri && hostOf(doc.ID) != hostOf(uri) {
		return nil, fmt.Errorf("the actor at %s says it is %s, on another host", uri, doc.ID)
	}
	return s.storeActor(ctx, doc)
}

// storeActor records a fetched actor document.
func (s *Service) storeActor(ctx context.Context, doc *ap.Actor) (*store.Actor, error) {
	if doc.Inbox == "" {
		return nil, fmt.Errorf("the actor %s has no inbox", doc.ID)
	}
	for _, u := range []string{doc.Inbox, doc.SharedInbox()} {
		if u != "" && hostOf(u) != hostOf(doc.ID) {
			return nil, fmt.Errorf("the actor %s has an inbox on another host (%s)", doc.ID, u)
		}
	}
	a := store.Actor{
		Kind: doc.Type, Username: doc.PreferredUsername, URI: doc.ID, URL: doc.URL,
		DisplayName: doc.Name, Summary: string(s.markup.Sanitize(doc.Summary)),
		Inbox: doc.Inbox, Outbox: doc.Outbox, Followers: doc.Followers, Following: doc.Following,
		SharedInbox: doc.SharedInbox(), ManuallyApproves: doc.ManuallyApprovesFollowers,
	}
	if doc.Icon != nil {
		a.Icon = doc.Icon.URL
	}
	if doc.Image != nil {
		a.Image = doc.Image.URL
	}
	if doc.PublicKey != nil && doc.PublicKey.Owner == doc.ID {
		a.KeyID, a.PublicKeyPEM = doc.PublicKey.ID, doc.PublicKey.PublicKeyPem
	}
	if a.Username == "" {
		a.Username = lastSegment(doc.ID)
	}
	return s.store.UpsertRemoteActor(ctx, a)
}

func lastSegment(uri string) string {
	uri = strings.TrimRight(uri, "/")
	if i := strings.LastIndexByte(uri, '/'); i >= 0 {
		return uri[i+1:]
	}
	return uri
}

package ap

import (
	"encoding/json"
	"time"
)

// Actor is a local or remote actor: a Person (account), a Group (channel), an Application or
// Service (instance actor), or the key stub GoToSocial serves at a keyId.
type Actor struct {
	Context                   any          `json:"@context,omitempty"`
	ID                        string       `json:"id"`
	Type                      string       `json:"type"`
	PreferredUsername         string       `json:"preferredUsername,omitempty"`
	Name                      string       `json:"name,omitempty"`
	Summary                   string       `json:"summary,omitempty"`
	URL                       string       `json:"url,omitempty"` // decoded from a string, a Link or an array (text/html first)
	Inbox                     string       `json:"inbox,omitempty"`
	Outbox                    string       `json:"outbox,omitempty"`
	Followers                 string       `json:"followers,omitempty"`
	Following                 string       `json:"following,omitempty"`
	Endpoints                 *Endpoints   `json:"endpoints,omitempty"`
	PublicKey                 *PublicKey   `json:"publicKey,omitempty"` // decoded from an object or an array (the first)
	Icon                      *Image       `json:"icon,omitempty"`      // decoded from an object or an array (the first)
	Image                     *Image       `json:"image,omitempty"`     // decoded from an object or an array (the first)
	ManuallyApprovesFollowers bool         `json:"manuallyApprovesFollowers"`
	Discoverable              bool         `json:"discoverable"`
	Published                 *time.Time   `json:"published,omitempty"`
	AttributedTo              IRIs         `json:"attributedTo,omitempty"` // PeerTube: a Group's owner
	Attachment                []Attachment `json:"attachment,omitempty"`   // profile fields (PropertyValue)
}

// Endpoints holds an actor's endpoints.
type Endpoints struct {
	SharedInbox string `json:"sharedInbox,omitempty"`
}

// PublicKey is an actor's RSA key for HTTP signatures.
type PublicKey struct {
	ID           string `json:"id"`
	Owner        string `json:"owner"`
	PublicKeyPem string `json:"publicKeyPem"`
}

// SharedInbox returns endpoints.sharedInbox, or "" when the actor has none.
func (a *Actor) SharedInbox() string {
	if a.Endpoints == nil {
		return ""
	}
	return a.Endpoints.SharedInbox
}

// UnmarshalJSON implements json.Unmarshaler.
func (a *Actor) UnmarshalJSON(data []byte) error {
	type plain Actor
	aux := struct {
		*plain
		Type       typeString       `json:"type"`
		URL        Links            `json:"url"`
		Inbox      idString         `json:"inbox"`
		Outbox     idString         `json:"outbox"`
		Followers  idString         `json:"followers"`
		Following  idString         `json:"following"`
		PublicKey  many[PublicKey]  `json:"publicKey"`
		Icon       many[Image]      `json:"icon"`
		Image      many[Image]      `json:"image"`
		Attachment many[Attachment] `json:"attachment"`
	}{plain: (*plain)(a)}
	*a = Actor{}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	a.Type = string(aux.Type)
	a.URL = aux.URL.HTML()
	a.Inbox = string(aux.Inbox)
	a.Outbox = string(aux.Outbox)
	a.Followers = string(aux.Followers)
	a.Following = string(aux.Following)
	a.PublicKey = aux.PublicKey.first()
	a.Icon = aux.Icon.first()
	a.Image = aux.Image.first()
	a.Attachment = aux.Attachment
	return nil
}

// DecodeActor decodes an actor leniently. It fails on invalid JSON, on a document that is not an
// object, and on a missing id or type.
func DecodeActor(data []byte) (*Actor, error) {
	var a Actor
	if err := decodeDocument(data, &a, "actor"); err != nil {
		return nil, err
	}
	if err := checkIdentity(a.ID, a.Type, "actor"); err != nil {
		return nil, err
	}
	return &a, nil
}

package ap

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Activity is any incoming or outgoing activity.
type Activity struct {
	Context   any        `json:"@context,omitempty"`
	ID        string     `json:"id"`
	Type      string     `json:"type"`
	Actor     Ref        `json:"actor"` // decoded leniently, always encoded as the IRI
	Object    Ref        `json:"object"`
	Target    *Ref       `json:"target,omitempty"`
	To        IRIs       `json:"to,omitempty"`
	Cc        IRIs       `json:"cc,omitempty"`
	Published *time.Time `json:"published,omitempty"`
	Summary   string     `json:"summary,omitempty"`
	// Content is the comment of a Flag (report).
	Content string `json:"content,omitempty"`

	// Objects is every object when object was an array (a Flag names the reported actor and its
	// posts); Object is then the first. Decoded only; set Object.Raw to send several.
	Objects []Ref `json:"-"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (a *Activity) UnmarshalJSON(data []byte) error {
	type plain Activity
	aux := struct {
		*plain
		Type   typeString `json:"type"`
		Object many[Ref]  `json:"object"`
	}{plain: (*plain)(a)}
	*a = Activity{}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	a.Type = string(aux.Type)
	for _, r := range aux.Object {
		if !r.IsZero() {
			a.Objects = append(a.Objects, r)
		}
	}
	if len(a.Objects) > 0 {
		a.Object = a.Objects[0]
	}
	return nil
}

// MarshalJSON implements json.Marshaler; the actor is always written as its IRI.
func (a Activity) MarshalJSON() ([]byte, error) {
	type plain Activity
	return json.Marshal(struct {
		plain
		Actor string `json:"actor"`
	}{plain(a), a.Actor.ID})
}

// Peek decodes just the id, type (the first if several) and actor id of any document.
// Missing members come back empty; only invalid JSON and non-objects are errors.
func Peek(data []byte) (id, typ, actor string, err error) {
	if firstByte(data) != '{' {
		return "", "", "", errNotObject(data)
	}
	var head struct {
		ID    idString   `json:"id"`
		Type  typeString `json:"type"`
		Actor idString   `json:"actor"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return "", "", "", fmt.Errorf("ap: %w", err)
	}
	return string(head.ID), string(head.Type), string(head.Actor), nil
}

// DecodeActivity decodes an activity leniently. It fails on invalid JSON, on a document that is
// not an object, and on a missing id or type.
func DecodeActivity(data []byte) (*Activity, error) {
	var a Activity
	if err := decodeDocument(data, &a, "activity"); err != nil {
		return nil, err
	}
	if err := checkIdentity(a.ID, a.Type, "activity"); err != nil {
		return nil, err
	}
	return &a, nil
}

// decodeDocument unmarshals the JSON object data into v, naming what in errors.
func decodeDocument(data []byte, v any, what string) error {
	if firstByte(data) != '{' {
		return errNotObject(data)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("ap: decoding %s: %w", what, err)
	}
	return nil
}

// checkIdentity fails when a decoded document lacks an id or a type.
func checkIdentity(id, typ, what string) error {
	switch {
	case id == "":
		return fmt.Errorf("ap: %s has no id", what)
	case typ == "":
		return fmt.Errorf("ap: %s %s has no type", what, id)
	}
	return nil
}

// errNotObject describes a document that is not a JSON object.
func errNotObject(data []byte) error {
	if len(data) == 0 {
		return errors.New("ap: empty document")
	}
	return fmt.Errorf("ap: document is not a JSON object: %.40q", data)
}

// DecodeActivityObject is DecodeActivity for an activity that embeds its
// object (a Create): it also decodes the object as DecodeObject would, in
// the same pass over data instead of two more. obj is nil when the object
// is not embedded; objErr is then DecodeObject's error, if any.
func DecodeActivityObject(data []byte) (act *Activity, obj *Object, objErr, err error) {
	var a Activity
	type plain Activity
	aux := struct {
		*plain
		Type   typeString     `json:"type"`
		Object many[embedded] `json:"object"`
	}{plain: (*plain)(&a)}
	if err := decodeDocument(data, &aux, "activity"); err != nil {
		return nil, nil, nil, err
	}
	a.Type = string(aux.Type)
	var first *embedded
	for i, e := range aux.Object {
		if !e.ref.IsZero() {
			if first == nil {
				first = &aux.Object[i]
			}
			a.Objects = append(a.Objects, e.ref)
		}
	}
	if err := checkIdentity(a.ID, a.Type, "activity"); err != nil {
		return nil, nil, nil, err
	}
	if first == nil {
		return &a, nil, nil, nil
	}
	a.Object = first.ref
	if first.ref.Raw == nil {
		return &a, nil, nil, nil
	}
	return &a, first.obj, first.err, nil
}

// embedded is an activity's object decoded both as a Ref and, when it is
// embedded, as an Object.
type embedded struct {
	ref Ref
	obj *Object
	err error // DecodeObject's
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *embedded) UnmarshalJSON(data []byte) error {
	*e = embedded{}
	if firstByte(data) == '{' {
		var o Object
		if err := o.UnmarshalJSON(data); err != nil {
			e.err = fmt.Errorf("ap: decoding object: %w", err)
		} else if e.err = checkIdentity(o.ID, o.Type, "object"); e.err == nil {
			e.obj = &o
			e.ref = Ref{ID: o.ID, Type: o.Type, Raw: append(json.RawMessage(nil), data...)}
			return nil
		}
	}
	// Not an object, or not a valid one: the Ref as DecodeActivity reads it.
	return e.ref.UnmarshalJSON(data)
}

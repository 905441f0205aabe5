package ap

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// idKeys are the keys that name an object standing for an id.
func idKeys() []string { return []string{"id", "href"} }

// hrefKeys are the keys that name a Link or object standing for a URL.
func hrefKeys() []string { return []string{"href", "id"} }

// stringOf decodes a string from data given as a string, an object (the first non-empty string
// among keys), or an array (its first non-empty element, decoded the same way). null, an empty
// array and an object without any of keys give "".
func stringOf(data []byte, keys ...string) (string, error) {
	if s, ok := plainString(data); ok {
		return s, nil
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return "", err
	}
	s, ok := pickString(v, keys)
	if !ok {
		return "", fmt.Errorf("ap: want a string, an object or an array, got %.40s", data)
	}
	return s, nil
}

// plainString decodes data when it is a JSON string that needs no
// unescaping (no backslash, no control character, valid UTF-8), the usual
// shape of ids, types and URLs, without going through encoding/json:
// decoding them into interface values was most of the inbox's decoding
// time. ok is false for anything else, which the caller decodes in full.
func plainString(data []byte) (string, bool) {
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return "", false
	}
	inner := data[1 : len(data)-1]
	for _, c := range inner {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(inner) {
		return "", false
	}
	return string(inner), true
}

// pickString is stringOf on a decoded value; ok is false for numbers and booleans.
func pickString(v any, keys []string) (s string, ok bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case []any:
		for _, e := range x {
			s, ok := pickString(e, keys)
			if !ok {
				return "", false
			}
			if s != "" {
				return s, true
			}
		}
		return "", true
	case map[string]any:
		for _, k := range keys {
			if s, _ := pickString(x[k], keys); s != "" {
				return s, true
			}
		}
		return "", true
	}
	return "", false
}

// idString decodes an IRI given as a string, an object with an id, or an array of those.
type idString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *idString) UnmarshalJSON(data []byte) error {
	v, err := stringOf(data, idKeys()...)
	*s = idString(v)
	return err
}

// hrefString decodes a URL given as a string, a Link (its href), or an array of those.
type hrefString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *hrefString) UnmarshalJSON(data []byte) error {
	v, err := stringOf(data, hrefKeys()...)
	*s = hrefString(v)
	return err
}

// typeString decodes a type given as a string or an array of strings (the first).
type typeString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *typeString) UnmarshalJSON(data []byte) error {
	v, err := stringOf(data)
	*s = typeString(v)
	return err
}

// many decodes a JSON array of T, or a single T standing for an array of one. null, alone or as
// an element, is left out.
type many[T any] []T

// UnmarshalJSON implements json.Unmarshaler.
func (m *many[T]) UnmarshalJSON(data []byte) error {
	*m = nil
	var elems []json.RawMessage
	if firstByte(data) != '[' {
		elems = []json.RawMessage{data}
	} else if err := json.Unmarshal(data, &elems); err != nil {
		return err
	}
	for _, e := range elems {
		if firstByte(e) == 'n' {
			continue
		}
		var v T
		if err := decodeValid(e, &v); err != nil {
			return err
		}
		*m = append(*m, v)
	}
	return nil
}

// decodeValid decodes data, which encoding/json has already validated
// (it is what an UnmarshalJSON method or a json.RawMessage received), into
// v: by v's own UnmarshalJSON when it has one, without json.Unmarshal's
// second validation pass over the same bytes.
func decodeValid(data []byte, v any) error {
	if u, ok := v.(json.Unmarshaler); ok {
		return u.UnmarshalJSON(data)
	}
	return json.Unmarshal(data, v)
}

// first returns the first element of m, or nil when m is empty.
func (m many[T]) first() *T {
	if len(m) == 0 {
		return nil
	}
	return &m[0]
}

// firstByte returns the first non-space byte of data, or 0.
func firstByte(data []byte) byte {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// IRIs is a list of ids. It decodes from a string, an object with an id, or an array of either
// (empty ids are dropped), and encodes as an array.
type IRIs []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *IRIs) UnmarshalJSON(data []byte) error {
	if s, ok := plainString(data); ok {
		*l = nil
		if s != "" {
			*l = IRIs{s}
		}
		return nil
	}
	if firstByte(data) == '[' {
		// An array of plain strings, the usual to and cc, in one pass.
		var ss []string
		if json.Unmarshal(data, &ss) == nil {
			*l = nil
			for _, s := range ss {
				if s != "" {
					*l = append(*l, s)
				}
			}
			return nil
		}
	}
	var all many[idString]
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	*l = nil
	for _, s := range all {
		if s != "" {
			*l = append(*l, string(s))
		}
	}
	return nil
}

// Contains reports whether id is in l.
func (l IRIs) Contains(id string) bool {
	for _, s := range l {
		if s == id {
			return true
		}
	}
	return false
}

// HasPublic reports whether l addresses the Public collection, in any of its spellings.
func (l IRIs) HasPublic() bool {
	for _, s := range l {
		if IsPublic(s) {
			return true
		}
	}
	return false
}

// Ref is an object-or-IRI. ID is always set when present; Type is the embedded object's type (the
// first if it had several); Raw keeps the embedded object's JSON and is nil when it was a bare IRI.
//
// It decodes from a string (the IRI), an object (its id, or href for a Link) or an array (the first
// element). It encodes as Raw when set, else as the ID string, and as null when zero.
type Ref struct {
	ID   string
	Type string
	Raw  json.RawMessage
}

// IsZero reports whether r holds nothing.
func (r Ref) IsZero() bool {
	return r.ID == "" && r.Type == "" && len(r.Raw) == 0
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *Ref) UnmarshalJSON(data []byte) error {
	*r = Ref{}
	switch firstByte(data) {
	case 'n':
		return nil
	case '"':
		if s, ok := plainString(data); ok {
			r.ID = s
			return nil
		}
		return json.Unmarshal(data, &r.ID)
	case '[':
		var all []Ref
		if err := json.Unmarshal(data, &all); err != nil {
			return err
		}
		for _, e := range all {
			if !e.IsZero() {
				*r = e
				break
			}
		}
		return nil
	case '{':
		var head struct {
			ID   idString   `json:"id"`
			Href hrefString `json:"href"`
			Type typeString `json:"type"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			return err
		}
		r.ID = string(head.ID)
		if r.ID == "" {
			r.ID = string(head.Href)
		}
		r.Type = string(head.Type)
		r.Raw = append(json.RawMessage(nil), data...)
		return nil
	}
	return fmt.Errorf("ap: want an IRI or an object, got %.40s", data)
}

// MarshalJSON implements json.Marshaler.
func (r Ref) MarshalJSON() ([]byte, error) {
	switch {
	case len(r.Raw) > 0:
		return r.Raw, nil
	case r.ID != "":
		return json.Marshal(r.ID)
	}
	return []byte("null"), nil
}

// Embed returns a Ref holding v (an Object, Activity, Actor or any document) as an embedded
// object, with ID and Type read back from its encoding.
func Embed(v any) (Ref, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return Ref{}, err
	}
	var r Ref
	if err := r.UnmarshalJSON(raw); err != nil {
		return Ref{}, err
	}
	if r.Raw == nil {
		return Ref{}, fmt.Errorf("ap: Embed wants an object, got %.40s", raw)
	}
	return r, nil
}

// TypedID names an object by id and type, like PeerTube's attributedTo entries
// {"type":"Group","id":"..."}. It decodes from such an object or from a bare IRI (Type "").
type TypedID struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *TypedID) UnmarshalJSON(data []byte) error {
	var r Ref
	if err := r.UnmarshalJSON(data); err != nil {
		return err
	}
	*t = TypedID{Type: r.Type, ID: r.ID}
	return nil
}

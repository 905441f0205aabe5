package ap

import (
	"encoding/json"
)

// OrderedCollection is a collection (followers, following, outbox, replies, comments) that lists
// its items on pages, starting at First. Collection and items are accepted when decoding.
type OrderedCollection struct {
	Context      any               `json:"@context,omitempty"`
	ID           string            `json:"id"`
	Type         string            `json:"type"` // "OrderedCollection"
	TotalItems   int               `json:"totalItems"`
	First        string            `json:"first,omitempty"` // decoded from an IRI or an embedded page (its id)
	Last         string            `json:"last,omitempty"`
	OrderedItems []json.RawMessage `json:"orderedItems,omitempty"`

	// FirstPage is the first page when it was embedded (Mastodon and GoToSocial embed it in
	// replies, sometimes without an id). Decoded only.
	FirstPage *OrderedCollectionPage `json:"-"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *OrderedCollection) UnmarshalJSON(data []byte) error {
	type plain OrderedCollection
	aux := struct {
		*plain
		Type         typeString            `json:"type"`
		First        Ref                   `json:"first"`
		Last         idString              `json:"last"`
		OrderedItems many[json.RawMessage] `json:"orderedItems"`
		Items        many[json.RawMessage] `json:"items"`
	}{plain: (*plain)(c)}
	*c = OrderedCollection{}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	c.Type = string(aux.Type)
	c.First = aux.First.ID
	if aux.First.Raw != nil {
		c.FirstPage = new(OrderedCollectionPage)
		if err := json.Unmarshal(aux.First.Raw, c.FirstPage); err != nil {
			return err
		}
	}
	c.Last = string(aux.Last)
	c.OrderedItems = itemsOf(aux.OrderedItems, aux.Items)
	return nil
}

// OrderedCollectionPage is one page of an OrderedCollection. Collection pages with items are
// accepted when decoding. OrderedItems is encoded as an array even when empty.
type OrderedCollectionPage struct {
	Context      any               `json:"@context,omitempty"`
	ID           string            `json:"id"`
	Type         string            `json:"type"` // "OrderedCollectionPage"
	PartOf       string            `json:"partOf,omitempty"`
	TotalItems   *int              `json:"totalItems,omitempty"`
	Next         string            `json:"next,omitempty"`
	Prev         string            `json:"prev,omitempty"`
	OrderedItems []json.RawMessage `json:"orderedItems"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *OrderedCollectionPage) UnmarshalJSON(data []byte) error {
	type plain OrderedCollectionPage
	aux := struct {
		*plain
		Type         typeString            `json:"type"`
		PartOf       idString              `json:"partOf"`
		Next         idString              `json:"next"`
		Prev         idString              `json:"prev"`
		OrderedItems many[json.RawMessage] `json:"orderedItems"`
		Items        many[json.RawMessage] `json:"items"`
	}{plain: (*plain)(p)}
	*p = OrderedCollectionPage{}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	p.Type = string(aux.Type)
	p.PartOf = string(aux.PartOf)
	p.Next = string(aux.Next)
	p.Prev = string(aux.Prev)
	p.OrderedItems = itemsOf(aux.OrderedItems, aux.Items)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (p OrderedCollectionPage) MarshalJSON() ([]byte, error) {
	type plain OrderedCollectionPage
	if p.OrderedItems == nil {
		p.OrderedItems = []json.RawMessage{}
	}
	return json.Marshal(plain(p))
}

// itemsOf returns orderedItems, or items when there are none, leaving out null entries.
func itemsOf(ordered, items []json.RawMessage) []json.RawMessage {
	if len(ordered) == 0 {
		ordered = items
	}
	var out []json.RawMessage
	for _, it := range ordered {
		if firstByte(it) != 'n' {
			out = append(out, it)
		}
	}
	return out
}

// ItemIDs returns the id of each item of a collection, given as an IRI or an embedded object;
// items without an id are left out.
func ItemIDs(items []json.RawMessage) []string {
	var ids []string
	for _, it := range items {
		if id, err := stringOf(it, idKeys()...); err == nil && id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Collection is a curated, ordered list of items.
type Collection struct {
	ID          int64
	Slug        string
	Title       string
	Description string
	Featured    bool
	SourceURI   string // the other hub's collection this copies ("" : the hub's own)
	CreatedBy   string
	Count       int // visible entries
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// CollectionEntry is an item in a collection, with the curator's note.
type CollectionEntry struct {
	Item     *Item
	Note     string
	Position int
}

const collectionSelect = `SELECT c.id, c.slug, c.title, c.description, c.featured, c.source_uri, COALESCE(u.username, ''),
	(SELECT COUNT(*) FROM collection_items ci JOIN items i ON i.id = ci.item_id
		WHERE ci.collection_id = c.id AND i.state = 'published' AND i.review_state = 'accepted'),
	c.created_at, c.updated_at
	FROM collections c LEFT JOIN users u ON u.id = c.created_by `

func scanCollection(row rowScanner) (*Collection, error) {
	var c Collection
	if err := row.Scan(&c.ID, &c.Slug, &c.Title, &c.Description, &c.Featured, &c.SourceURI, &c.CreatedBy, &c.Count, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// CreateCollection makes a collection; ErrConflict when the slug is taken.
func (s *Store) CreateCollection(ctx context.Context, slug, title, description string, featured bool, userID int64) (*Collection, error) {
	now := s.utcNow()
	var by any
	if userID > 0 {
		by = userID
	}
	var id int64
	err := s.InTx(ctx, func(tx *Tx) error {
		var taken int
		if err := tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM collections WHERE slug = $1`, slug).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return ErrConflict
		}
		return tx.q.QueryRowContext(ctx, `INSERT INTO collections (slug, title, description, featured, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, slug, title, description, featured, by, now).Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	return scanCollection(s.q.QueryRowContext(ctx, collectionSelect+`WHERE c.id = $1`, id))
}

// CollectionBySource finds the copy of another hub's collection.
func (s *Store) CollectionBySource(ctx context.Context, sourceURI string) (*Collection, error) {
	return scanCollection(s.q.QueryRowContext(ctx, collectionSelect+`WHERE c.source_uri = $1 AND c.source_uri <> ''`, sourceURI))
}

// CopyCollection makes the copy of another hub's collection, under the
// first free slug among slug, slug-2, slug-3…; it returns the copy there
// is already when another call made it first.
func (s *Store) CopyCollection(ctx context.Context, sourceURI, slug, title, description string) (*Collection, error) {
	if c, err := s.CollectionBySource(ctx, sourceURI); !errors.Is(err, ErrNotFound) {
		return c, err
	}
	for n := 1; n <= 100; n++ {
		try := slug
		if n > 1 {
			try = fmt.Sprintf("%s-%d", slug, n)
		}
		c, err := s.CreateCollection(ctx, try, title, description, false, 0)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := execOne(ctx, s.q, `UPDATE collections SET source_uri = $1 WHERE id = $2`, sourceURI, c.ID); err != nil {
			return nil, err
		}
		c.SourceURI = sourceURI
		return c, nil
	}
	return nil, fmt.Errorf("no free slug for a copy of %s", sourceURI)
}

// Collections lists the collections, featured ones first, then the most
// recently changed.
func (s *Store) Collections(ctx context.Context, featuredOnly bool) ([]*Collection, error) {
	return queryAll(ctx, s.q, scanCollection, collectionSelect+`WHERE (NOT $1 OR c.featured)
		ORDER BY c.featured DESC, c.updated_at DESC, c.id DESC`, featuredOnly)
}

// CollectionBySlug finds a collection.
func (s *Store) CollectionBySlug(ctx context.Context, slug string) (*Collection, error) {
	return scanCollection(s.q.QueryRowContext(ctx, collectionSelect+`WHERE c.slug = $1`, slug))
}

// AddToCollection appends an item to a collection (or changes its note
// when it is there already).
func (s *Store) AddToCollection(ctx context.Context, collectionID, itemID int64, note string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		now := tx.s.utcNow()
		var pos int
		if err := tx.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM collection_items WHERE collection_id = $1`,
			collectionID).Scan(&pos); err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO collection_items (collection_id, item_id, position, note, added_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (collection_id, item_id) DO UPDATE SET note = excluded.note`,
			collectionID, itemID, pos, note, now); err != nil {
			return err
		}
		return execOne(ctx, tx.q, `UPDATE collections SET updated_at = $1 WHERE id = $2`, now, collectionID)
	})
}

// RemoveFromCollection takes an item out of a collection.
func (s *Store) RemoveFromCollection(ctx context.Context, collectionID, itemID int64) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if err := execOne(ctx, tx.q, `DELETE FROM collection_items WHERE collection_id = $1 AND item_id = $2`, collectionID, itemID); err != nil {
			return err
		}
		return execOne(ctx, tx.q, `UPDATE collections SET updated_at = $1 WHERE id = $2`, tx.s.utcNow(), collectionID)
	})
}

// MoveInCollection swaps an item with its neighbour before it (up) or
// after it; at an end, nothing changes.
func (s *Store) MoveInCollection(ctx context.Context, collectionID, itemID int64, up bool) error {
	return s.InTx(ctx, func(tx *Tx) error {
		var pos int
		if err := tx.q.QueryRowContext(ctx, `SELECT position FROM collection_items WHERE collection_id = $1 AND item_id = $2`,
			collectionID, itemID).Scan(&pos); err != nil {
			return notFound(err)
		}
		q := `SELECT item_id, position FROM collection_items WHERE collection_id = $1 AND position > $2 ORDER BY position LIMIT 1`
		if up {
			q = `SELECT item_id, position FROM collection_items WHERE collection_id = $1 AND position < $2 ORDER BY position DESC LIMIT 1`
		}
		var other int64
		var otherPos int
		err := tx.q.QueryRowContext(ctx, q, collectionID, pos).Scan(&other, &otherPos)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE collection_items SET position = $1 WHERE collection_id = $2 AND item_id = $3`, otherPos, collectionID, itemID); err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE collection_items SET position = $1 WHERE collection_id = $2 AND item_id = $3`, pos, collectionID, other); err != nil {
			return err
		}
		return execOne(ctx, tx.q, `UPDATE collections SET updated_at = $1 WHERE id = $2`, tx.s.utcNow(), collectionID)
	})
}

// CollectionEntries lists a collection's items in order; only published,
// accepted ones unless all.
func (s *Store) CollectionEntries(ctx context.Context, collectionID int64, all bool) ([]CollectionEntry, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT ci.item_id, ci.note, ci.position FROM collection_items ci
		JOIN items i ON i.id = ci.item_id
		WHERE ci.collection_id = $1 AND ($2 OR (i.state = 'published' AND i.review_state = 'accepted'))
		ORDER BY ci.position`, collectionID, all)
	if err != nil {
		return nil, err
	}
	type row struct {
		id   int64
		note string
		pos  int
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.note, &r.pos); err != nil {
			rows.Close()
			return nil, err
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]CollectionEntry, 0, len(rs))
	for _, r := range rs {
		it, err := s.ItemByID(ctx, r.id)
		if err != nil {
			return nil, err
		}
		out = append(out, CollectionEntry{Item: it, Note: r.note, Position: r.pos})
	}
	return out, nil
}

package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// errNoURI refuses a batch of comments one of which has no URI (local
// comments make theirs from their id: AddComment).
var errNoURI = errors.New("store: a comment of a batch has no URI")

// Statements over a list of values (IN lists, multi-row VALUES) are
// written for a few list sizes only: a list is padded to the next power
// of two (at least 8) by repeating its last value. Both engines then see
// a handful of distinct statements, which they prepare once (SQLite's
// statement cache, pgx's), instead of one new statement per list length.

// paddedLen is the length a list of n values is padded to.
func paddedLen(n int) int {
	p := 8
	for p < n {
		p *= 2
	}
	return p
}

// placeholders writes n placeholders "$first, …" to b.
func placeholders(b *strings.Builder, first, n int) {
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(first + i))
	}
}

// inList returns "($first, …)" for vals, padded, and vals as arguments
// appended to args.
func inList[T any](args []any, vals []T) (string, []any) {
	n := paddedLen(len(vals))
	var b strings.Builder
	b.WriteByte('(')
	placeholders(&b, len(args)+1, n)
	b.WriteByte(')')
	for i := range n {
		args = append(args, vals[min(i, len(vals)-1)])
	}
	return b.String(), args
}

// maxListLen bounds one statement's list: 15 columns × 512 rows stay far
// below SQLite's and PostgreSQL's limits on placeholders.
const maxListLen = 512

// chunks calls fn with successive slices of vals of at most maxListLen.
func chunks[T any](vals []T, fn func([]T) error) error {
	for len(vals) > 0 {
		n := min(len(vals), maxListLen)
		if err := fn(vals[:n]); err != nil {
			return err
		}
		vals = vals[n:]
	}
	return nil
}

// KnownCommentURIs returns which of uris are comments we hold.
func (s *Store) KnownCommentURIs(ctx context.Context, uris []string) (map[string]bool, error) {
	known := map[string]bool{}
	err := chunks(uris, func(part []string) error {
		in, args := inList(nil, part)
		got, err := queryAll(ctx, s.q, scanString, `SELECT uri FROM comments WHERE uri IN `+in, args...)
		for _, u := range got {
			known[u] = true
		}
		return err
	})
	return known, err
}

// RemoteActorsByURI finds the remote actors of uris that we hold, by URI.
func (s *Store) RemoteActorsByURI(ctx context.Context, uris []string) (map[string]*Actor, error) {
	found := map[string]*Actor{}
	err := chunks(uris, func(part []string) error {
		in, args := inList(nil, part)
		got, err := queryAll(ctx, s.q, scanActor, `SELECT `+actorColumns+` FROM actors a WHERE a.uri IN `+in, args...)
		for _, a := range got {
			found[a.URI] = a
		}
		return err
	})
	return found, err
}

// AddComments stores remote comments in tx with one statement per few
// hundred, each under its parent (whose thread and depth it takes), and
// returns how many were new: one whose URI is known already is skipped,
// as AddComment's ErrConflict.
func (tx *Tx) AddComments(ctx context.Context, cs []Comment) (int, error) {
	// The thread and depth of the parents, in one query.
	var parents []int64
	seen := map[int64]bool{}
	for _, c := range cs {
		if c.ParentID != 0 && !seen[c.ParentID] {
			seen[c.ParentID] = true
			parents = append(parents, c.ParentID)
		}
	}
	type thread struct {
		root  int64
		depth int
	}
	threads := map[int64]thread{}
	err := chunks(parents, func(part []int64) error {
		in, args := inList(nil, part)
		rows, err := tx.q.QueryContext(ctx, `SELECT id, COALESCE(root_id, id), depth FROM comments WHERE id IN `+in, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var t thread
			if err := rows.Scan(&id, &t.root, &t.depth); err != nil {
				return err
			}
			threads[id] = t
		}
		return rows.Err()
	})
	if err != nil {
		return 0, err
	}
	now := tx.s.utcNow()
	added := 0
	err = chunks(cs, func(part []Comment) error {
		n := paddedLen(len(part))
		var b strings.Builder
		b.WriteString(`INSERT INTO comments (item_id, parent_id, root_id, depth, author_actor_id, uri, url, in_reply_to,
			content_html, summary, sensitive, state, held_reason, published_at, created_at, updated_at) VALUES `)
		args := make([]any, 0, 1+n*14)
		args = append(args, now)
		for i := range n {
			c := part[min(i, len(part)-1)] // padding repeats the last row, which ON CONFLICT skips
			if c.URI == "" {
				return errNoURI
			}
			if c.PublishedAt.IsZero() {
				c.PublishedAt = now
			}
			if c.ParentID != 0 {
				t, ok := threads[c.ParentID]
				if !ok {
					return ErrNotFound // the parent is gone
				}
				c.RootID, c.Depth = t.root, t.depth+1
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			placeholders(&b, len(args)+1, 14)
			b.WriteString(", $1, $1)")
			args = append(args, c.ItemID, nullID(c.ParentID), nullID(c.RootID), c.Depth, c.AuthorID, c.URI, c.URL, c.InReplyTo,
				c.ContentHTML, c.Summary, c.Sensitive, c.State, c.HeldReason, c.PublishedAt.UTC())
		}
		b.WriteString(` ON CONFLICT (uri) DO NOTHING RETURNING id`)
		ids, err := queryAll(ctx, tx.q, scanInt64, b.String(), args...)
		added += len(ids)
		return err
	})
	return added, err
}

package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
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

// oneOf returns the condition that col is one of vals, with vals appended
// to args. On PostgreSQL it is one array parameter, col = ANY($n): one
// statement text whatever the list's length, planned once per connection,
// and nothing padded. SQLite has no arrays: an IN list, padded.
func oneOf[T any](e Engine, col string, args []any, vals []T) (string, []any) {
	if e == Postgres {
		args = append(args, vals)
		return col + " = ANY($" + strconv.Itoa(len(args)) + ")", args
	}
	in, args := inList(args, vals)
	return col + " IN " + in, args
}

// batchCommentColumns are the columns AddComments writes, created_at and
// updated_at last.
const batchCommentColumns = `item_id, parent_id, root_id, depth, author_actor_id, uri, url, in_reply_to,
	content_html, summary, sensitive, state, held_reason, published_at, created_at, updated_at`

// insertComments is the statement storing rows, skipping those whose URI
// is known. On PostgreSQL the rows travel as one array per column
// (unnest): one statement text for any number of rows, nothing padded. On
// SQLite, multi-row VALUES padded by repeating the last row, which ON
// CONFLICT then skips.
func insertComments(e Engine, now time.Time, rows []Comment) (string, []any) {
	const tail = ` ON CONFLICT (uri) DO NOTHING RETURNING id`
	if e == Postgres {
		n := len(rows)
		var (
			items, authors          = make([]int64, n), make([]int64, n)
			parents, roots          = make([]*int64, n), make([]*int64, n)
			depths                  = make([]int32, n)
			uris, urls, replyTo     = make([]string, n), make([]string, n), make([]string, n)
			html, summaries, states = make([]string, n), make([]string, n), make([]string, n)
			held                    = make([]string, n)
			sensitive               = make([]bool, n)
			published               = make([]time.Time, n)
		)
		for i, c := range rows {
			items[i], authors[i], depths[i] = c.ItemID, c.AuthorID, int32(c.Depth)
			if c.ParentID != 0 {
				parents[i], roots[i] = &c.ParentID, &c.RootID
			}
			uris[i], urls[i], replyTo[i] = c.URI, c.URL, c.InReplyTo
			html[i], summaries[i], states[i], held[i] = c.ContentHTML, c.Summary, c.State, c.HeldReason
			sensitive[i], published[i] = c.Sensitive, c.PublishedAt.UTC()
		}
		return `INSERT INTO comments (` + batchCommentColumns + `)
			SELECT t.*, $1, $1 FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::int[], $6::bigint[], $7::text[],
				$8::text[], $9::text[], $10::text[], $11::text[], $12::boolean[], $13::text[], $14::text[], $15::timestamptz[]) AS t` + tail,
			[]any{now, items, parents, roots, depths, authors, uris, urls, replyTo, html, summaries, sensitive, states, held, published}
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO comments (` + batchCommentColumns + `) VALUES `)
	args := paddedValues(&b, []any{now}, rows, ", $1, $1)", func(c Comment) []any {
		return []any{c.ItemID, nullID(c.ParentID), nullID(c.RootID), c.Depth, c.AuthorID, c.URI, c.URL, c.InReplyTo,
			c.ContentHTML, c.Summary, c.Sensitive, c.State, c.HeldReason, c.PublishedAt.UTC()}
	})
	b.WriteString(tail)
	return b.String(), args
}

// paddedValues writes the rows of a multi-row VALUES to b, padded by
// repeating the last row (paddedLen), and returns args with their values
// appended: each row is its values' placeholders, then end (which may
// name parameters already in args, as ", $1)").
func paddedValues[T any](b *strings.Builder, args []any, rows []T, end string, values func(T) []any) []any {
	for i := range paddedLen(len(rows)) {
		if i > 0 {
			b.WriteString(", ")
		}
		v := values(rows[min(i, len(rows)-1)])
		b.WriteByte('(')
		placeholders(b, len(args)+1, len(v))
		b.WriteString(end)
		args = append(args, v...)
	}
	return args
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
		cond, args := oneOf(s.engine, "uri", nil, part)
		got, err := queryAll(ctx, s.q, scanString, `SELECT uri FROM comments WHERE `+cond, args...)
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
		cond, args := oneOf(s.engine, "a.uri", nil, part)
		got, err := queryAll(ctx, s.q, scanActor, `SELECT `+actorColumns+` FROM actors a WHERE `+cond, args...)
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
		cond, args := oneOf(tx.s.engine, "id", nil, part)
		rows, err := tx.q.QueryContext(ctx, `SELECT id, COALESCE(root_id, id), depth FROM comments WHERE `+cond, args...)
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
		rows := make([]Comment, len(part))
		for i, c := range part {
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
			rows[i] = c
		}
		query, args := insertComments(tx.s.engine, now, rows)
		ids, err := queryAll(ctx, tx.q, scanInt64, query, args...)
		added += len(ids)
		return err
	})
	return added, err
}

package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	"modernc.org/sqlite"
)

// listedItem is the condition on an item (i, its channel c) that lets
// everyone see it in listings: published, accepted (local items always
// are), and not from a muted, limited or blocked instance or actor.
const listedItem = `i.state = 'published' AND i.review_state = 'accepted'
	AND NOT EXISTS (SELECT 1 FROM actors ma LEFT JOIN instances mi ON mi.id = ma.instance_id
		WHERE ma.id = c.actor_id AND (mi.policy IN ('mute', 'limit', 'block') OR ma.listing IN ('mute', 'limit') OR ma.policy = 'block'))`

// MaxSearchWords bounds the words a search looks for; the others are
// ignored.
const MaxSearchWords = 8

// sqliteFold is the SQLite function that lower-cases text as PostgreSQL's
// lower() does: SQLite's own lower() only folds ASCII letters, so that
// "Émile" would not be found by "émile" there.
const sqliteFold = "archipel_fold"

func init() {
	// Registered on the driver, once for the process, before any
	// connection opens: every SQLite connection then has it.
	sqlite.MustRegisterDeterministicScalarFunction(sqliteFold, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return strings.ToLower(v), nil
		case []byte:
			return strings.ToLower(string(v)), nil
		default:
			return v, nil
		}
	})
}

// fold is the engine's Unicode lower-case function.
func (s *Store) fold() string {
	if s.engine == SQLite {
		return sqliteFold
	}
	return "lower"
}

// SearchWords splits a search query into the words SearchItems looks for:
// separated by spaces, without a leading '#' (tags are written so), at
// most MaxSearchWords, each once.
func SearchWords(query string) []string {
	var words []string
	for _, w := range strings.Fields(query) {
		if t := strings.TrimLeft(w, "#"); t != "" {
			w = t
		}
		w = strings.ToLower(w)
		dup := false
		for _, o := range words {
			dup = dup || o == w
		}
		if !dup {
			words = append(words, w)
		}
		if len(words) == MaxSearchWords {
			break
		}
	}
	return words
}

// SearchItems finds the listed items (see RecentItems) that have every
// word of query (SearchWords) in their title, description, tags or
// channel's name or handle, ignoring case; the wildcards % and _ are
// plain characters. Items with every word in their title come first,
// then the newest. It returns one page of them and how many there are in
// all; nothing for a query without words.
func (s *Store) SearchItems(ctx context.Context, query string, limit, offset int) ([]*Item, int, error) {
	words := SearchWords(query)
	if len(words) == 0 {
		return nil, 0, nil
	}
	limit = max(1, min(limit, 100))
	offset = max(0, offset)
	fold := s.fold()
	var where, inTitle strings.Builder
	args := make([]any, 0, len(words)+2)
	for i, w := range words {
		args = append(args, "%"+likeEscaper.Replace(w)+"%")
		p := fmt.Sprintf("%s($%d)", fold, i+1)
		// The fields are joined by a space, which no word has: a word
		// never matches across two of them.
		fmt.Fprintf(&where, `
		AND (%[1]s(i.title || ' ' || i.description || ' ' || c.title || ' ' || a.username) LIKE %[2]s ESCAPE '\'
			OR EXISTS (SELECT 1 FROM item_tags t WHERE t.item_id = i.id AND %[1]s(t.tag) LIKE %[2]s ESCAPE '\'))`, fold, p)
		if i > 0 {
			inTitle.WriteString(" AND ")
		}
		fmt.Fprintf(&inTitle, `%s(i.title) LIKE %s ESCAPE '\'`, fold, p)
	}
	cond := `WHERE ` + listedItem + where.String()
	n := len(args)
	// One scan gives the page and, in each row, the total.
	cols, from, _ := strings.Cut(itemSelect, "FROM items i ")
	var total int
	items, err := queryAll(ctx, s.q, func(row rowScanner) (*Item, error) {
		return scanItem(withTotal{row, &total})
	}, cols+`, COUNT(*) OVER () FROM items i `+from+cond+`
		ORDER BY CASE WHEN `+inTitle.String()+` THEN 0 ELSE 1 END, COALESCE(i.published_at, i.created_at) DESC, i.id DESC
		LIMIT $`+fmt.Sprint(n+1)+` OFFSET $`+fmt.Sprint(n+2), append(args, limit, offset)...)
	if err != nil || len(items) > 0 || offset == 0 {
		return items, total, err
	}
	// Past the last page: how many there are, still.
	err = s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM items i JOIN channels c ON c.id = i.channel_id JOIN actors a ON a.id = c.actor_id
		`+cond, args...).Scan(&total)
	return nil, total, err
}

// withTotal scans a row's last column, a total, besides the others.
type withTotal struct {
	row   rowScanner
	total *int
}

func (w withTotal) Scan(dest ...any) error { return w.row.Scan(append(dest, w.total)...) }

// ItemThumbnails returns the thumbnail file of each of the items that has
// one, by item id.
func (s *Store) ItemThumbnails(ctx context.Context, itemIDs []int64) (map[int64]*MediaFile, error) {
	out := make(map[int64]*MediaFile, len(itemIDs))
	err := chunks(itemIDs, func(ids []int64) error {
		in, args := inList(nil, ids)
		files, err := queryAll(ctx, s.q, scanMediaFile, `SELECT `+mediaFileColumns+` FROM media_files
			WHERE rendition = 'thumbnail' AND item_id IN `+in+` ORDER BY id`, args...)
		for _, f := range files {
			if out[f.ItemID] == nil {
				out[f.ItemID] = f
			}
		}
		return err
	})
	return out, err
}

package store

import (
	"context"
	"time"
)

// Comment states.
const (
	CommentVisible = "visible"
	CommentHeld    = "held"
)

// Comment is a reply to an item or to another comment, local or remote.
type Comment struct {
	ID          int64
	ItemID      int64
	ParentID    int64 // 0: a reply to the item itself
	AuthorID    int64
	URI         string
	URL         string
	ContentHTML string
	Summary     string
	Sensitive   bool
	State       string
	LikeCount   int
	ShareCount  int
	PublishedAt time.Time
	UpdatedAt   time.Time
}

const commentColumns = `id, item_id, COALESCE(parent_id, 0), author_actor_id, COALESCE(uri, ''), url, content_html,
	summary, sensitive, state, like_count, share_count, published_at, updated_at`

func scanComment(row rowScanner) (*Comment, error) {
	var c Comment
	err := row.Scan(&c.ID, &c.ItemID, &c.ParentID, &c.AuthorID, &c.URI, &c.URL, &c.ContentHTML,
		&c.Summary, &c.Sensitive, &c.State, &c.LikeCount, &c.ShareCount, &c.PublishedAt, &c.UpdatedAt)
	return &c, notFound(err)
}

// InsertComment stores a comment. ErrConflict means one with that URI
// exists already.
func (s *Store) InsertComment(ctx context.Context, c Comment) (*Comment, error) {
	var uri any
	if c.URI != "" {
		uri = c.URI
	}
	now := s.utcNow()
	if c.PublishedAt.IsZero() {
		c.PublishedAt = now
	}
	row := s.db.QueryRowContext(ctx, `INSERT INTO comments (item_id, parent_id, author_actor_id, uri, url, content_html, summary,
			sensitive, state, published_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING `+commentColumns,
		c.ItemID, nullID(c.ParentID), c.AuthorID, uri, c.URL, c.ContentHTML, c.Summary, c.Sensitive, c.State,
		c.PublishedAt.UTC(), now)
	out, err := scanComment(row)
	if isUnique(err) {
		return nil, ErrConflict
	}
	return out, err
}

// CommentByURI finds a comment by its ActivityPub id.
func (s *Store) CommentByURI(ctx context.Context, uri string) (*Comment, error) {
	return scanComment(s.db.QueryRowContext(ctx, `SELECT `+commentColumns+` FROM comments WHERE uri = $1`, uri))
}

// UpdateComment replaces a comment's content, warning and sensitivity.
func (s *Store) UpdateComment(ctx context.Context, id int64, contentHTML, summary string, sensitive bool) error {
	return s.execOne(ctx, `UPDATE comments SET content_html = $1, summary = $2, sensitive = $3, updated_at = $4 WHERE id = $5`,
		contentHTML, summary, sensitive, s.utcNow(), id)
}

// DeleteComment removes a comment (and its replies).
func (s *Store) DeleteComment(ctx context.Context, id int64) error {
	return s.execOne(ctx, `DELETE FROM comments WHERE id = $1`, id)
}

// CountVisibleComments counts the comments of an item that everyone sees.
func (s *Store) CountVisibleComments(ctx context.Context, itemID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments WHERE item_id = $1 AND state = 'visible'`, itemID).Scan(&n)
	return n, err
}

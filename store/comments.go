package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// Comment states. A deleted comment that has replies stays as a
// placeholder (state deleted, no content) so that its thread holds.
const (
	CommentVisible = "visible"
	CommentHeld    = "held"
	CommentDeleted = "deleted"
)

// Comment is a reply to an item or to another comment, local or remote.
type Comment struct {
	ID          int64
	ItemID      int64
	ParentID    int64 // 0: a reply to the item itself
	RootID      int64 // the thread's top-level comment; 0 for a top-level one
	Depth       int   // 0 for a reply to the item
	AuthorID    int64
	URI         string // ActivityPub id; local comments: PublicURL/comments/ID
	URL         string
	InReplyTo   string // the parent's URI as the author gave it
	ContentHTML string // sanitized
	Summary     string // content warning
	Sensitive   bool
	State       string
	HeldReason  string
	LikeCount   int
	ShareCount  int
	PublishedAt time.Time
	UpdatedAt   time.Time
	// Author is filled by the listing queries.
	Author CommentAuthor
}

// CommentAuthor is what a thread shows of a comment's author.
type CommentAuthor struct {
	Username    string
	Domain      string // "" for local authors
	DisplayName string
	URI         string // "" for local authors
	URL         string
	IconURL     string
}

// Handle is user@domain, or the bare username of a local author.
func (a CommentAuthor) Handle() string {
	if a.Domain == "" {
		return a.Username
	}
	return a.Username + "@" + a.Domain
}

// Name is the display name, or the username when there is none.
func (a CommentAuthor) Name() string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.Username
}

const commentColumns = `c.id, c.item_id, COALESCE(c.parent_id, 0), COALESCE(c.root_id, 0), c.depth, c.author_actor_id,
	COALESCE(c.uri, ''), c.url, c.in_reply_to, c.content_html, c.summary, c.sensitive, c.state, c.held_reason,
	c.like_count, c.share_count, c.published_at, c.updated_at,
	a.username, a.domain, a.display_name, COALESCE(a.uri, ''), a.url, a.icon_url`

const commentFrom = ` FROM comments c JOIN actors a ON a.id = c.author_actor_id `

func scanComment(row rowScanner) (*Comment, error) {
	var c Comment
	err := row.Scan(&c.ID, &c.ItemID, &c.ParentID, &c.RootID, &c.Depth, &c.AuthorID, &c.URI, &c.URL, &c.InReplyTo,
		&c.ContentHTML, &c.Summary, &c.Sensitive, &c.State, &c.HeldReason, &c.LikeCount, &c.ShareCount,
		&c.PublishedAt, &c.UpdatedAt,
		&c.Author.Username, &c.Author.Domain, &c.Author.DisplayName, &c.Author.URI, &c.Author.URL, &c.Author.IconURL)
	return &c, notFound(err)
}

// InsertComment stores a comment under its parent (whose thread and depth
// it takes). ErrConflict means one with that URI exists already.
func (s *Store) InsertComment(ctx context.Context, c Comment) (*Comment, error) {
	var out *Comment
	err := s.InTx(ctx, func(tx *Tx) (err error) {
		out, err = tx.InsertComment(ctx, c, nil)
		return err
	})
	return out, err
}

// InsertComment stores a comment in tx. With uriFor, the comment is local
// and its URI is made from its new id.
func (tx *Tx) InsertComment(ctx context.Context, c Comment, uriFor func(id int64) string) (*Comment, error) {
	id, err := tx.AddComment(ctx, c, uriFor)
	if err != nil {
		return nil, err
	}
	return scanComment(tx.q.QueryRowContext(ctx, `SELECT `+commentColumns+commentFrom+`WHERE c.id = $1`, id))
}

// AddComment is InsertComment returning only the new id (a drained batch
// of replies needs no more).
func (tx *Tx) AddComment(ctx context.Context, c Comment, uriFor func(id int64) string) (int64, error) {
	var uri any
	if c.URI != "" {
		uri = c.URI
	}
	now := tx.s.utcNow()
	if c.PublishedAt.IsZero() {
		c.PublishedAt = now
	}
	if c.ParentID != 0 {
		var root int64
		err := tx.q.QueryRowContext(ctx, `SELECT COALESCE(root_id, id), depth FROM comments WHERE id = $1`, c.ParentID).Scan(&root, &c.Depth)
		if err != nil {
			return 0, notFound(err)
		}
		c.RootID, c.Depth = root, c.Depth+1
	}
	var id int64
	err := tx.q.QueryRowContext(ctx, `INSERT INTO comments (item_id, parent_id, root_id, depth, author_actor_id, uri, url, in_reply_to,
			content_html, summary, sensitive, state, held_reason, published_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
		ON CONFLICT (uri) DO NOTHING RETURNING id`,
		c.ItemID, nullID(c.ParentID), nullID(c.RootID), c.Depth, c.AuthorID, uri, c.URL, c.InReplyTo, c.ContentHTML,
		c.Summary, c.Sensitive, c.State, c.HeldReason, c.PublishedAt.UTC(), now).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, ErrConflict
	}
	if err != nil {
		return 0, err
	}
	if uriFor != nil {
		if _, err := tx.q.ExecContext(ctx, `UPDATE comments SET uri = $1, url = $2 WHERE id = $3`, uriFor(id), uriFor(id), id); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// AddCommentMentions records the actors a local comment mentions.
func (tx *Tx) AddCommentMentions(ctx context.Context, commentID int64, actorIDs []int64) error {
	for _, a := range actorIDs {
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO comment_mentions (comment_id, actor_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			commentID, a); err != nil {
			return err
		}
	}
	return nil
}

// CommentByURI finds a comment by its ActivityPub id.
func (s *Store) CommentByURI(ctx context.Context, uri string) (*Comment, error) {
	return scanComment(s.q.QueryRowContext(ctx, `SELECT `+commentColumns+commentFrom+`WHERE c.uri = $1`, uri))
}

// CommentByID finds a comment by its id.
func (s *Store) CommentByID(ctx context.Context, id int64) (*Comment, error) {
	return scanComment(s.q.QueryRowContext(ctx, `SELECT `+commentColumns+commentFrom+`WHERE c.id = $1`, id))
}

// UpdateComment replaces a comment's content, warning and sensitivity.
func (s *Store) UpdateComment(ctx context.Context, id int64, contentHTML, summary string, sensitive bool) error {
	return s.execOne(ctx, `UPDATE comments SET content_html = $1, summary = $2, sensitive = $3, updated_at = $4
		WHERE id = $5 AND state <> 'deleted'`, contentHTML, summary, sensitive, s.utcNow(), id)
}

// SetCommentState shows (visible) or holds a comment.
func (s *Store) SetCommentState(ctx context.Context, id int64, state string) error {
	return s.execOne(ctx, `UPDATE comments SET state = $1, held_reason = CASE WHEN $1 = 'held' THEN held_reason ELSE '' END,
		updated_at = $2 WHERE id = $3 AND state <> 'deleted'`, state, s.utcNow(), id)
}

// DeleteComment removes a comment. One with replies stays as a deleted
// placeholder without content, so that its replies keep their thread.
func (s *Store) DeleteComment(ctx context.Context, id int64) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.DeleteComment(ctx, id) })
}

// DeleteComment removes a comment in tx (see Store.DeleteComment).
func (tx *Tx) DeleteComment(ctx context.Context, id int64) error {
	var replies int
	if err := tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments WHERE parent_id = $1`, id).Scan(&replies); err != nil {
		return err
	}
	if replies == 0 {
		return tx.execOne(ctx, `DELETE FROM comments WHERE id = $1`, id)
	}
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM reactions WHERE comment_id = $1`, id); err != nil {
		return err
	}
	return tx.execOne(ctx, `UPDATE comments SET state = 'deleted', content_html = '', summary = '', like_count = 0, share_count = 0,
		updated_at = $1 WHERE id = $2`, tx.s.utcNow(), id)
}

// CountVisibleComments counts the comments of an item that everyone sees.
func (s *Store) CountVisibleComments(ctx context.Context, itemID int64) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments WHERE item_id = $1 AND state = 'visible'`, itemID).Scan(&n)
	return n, err
}

// ThreadPage is one page of an item's threads: top-level comments, newest
// first, and all the replies under them in order.
type ThreadPage struct {
	Threads []*Comment           // top-level comments of the page
	Replies map[int64][]*Comment // by root id, oldest first
	Counts  map[int64]int        // visible replies under each root
	Total   int                  // top-level threads in all
}

// ThreadQuery selects a page of threads.
type ThreadQuery struct {
	ItemID     int64
	WithHeld   bool // moderators see held comments
	Offset     int
	Limit      int
	MaxReplies int // replies loaded per page of threads; 0: 500
	OnlyRootID int64
}

// visibleStates is the state condition for a thread listing.
func visibleStates(withHeld bool) string {
	if withHeld {
		return `c.state IN ('visible', 'held', 'deleted')`
	}
	return `c.state IN ('visible', 'deleted')`
}

// Threads lists a page of an item's threads. Deleted placeholders are
// listed (their replies need them); held comments only WithHeld.
func (s *Store) Threads(ctx context.Context, q ThreadQuery) (*ThreadPage, error) {
	if q.Limit <= 0 {
		q.Limit = 20
	}
	if q.MaxReplies <= 0 {
		q.MaxReplies = 500
	}
	states := visibleStates(q.WithHeld)
	page := &ThreadPage{Replies: map[int64][]*Comment{}, Counts: map[int64]int{}}
	where := `c.item_id = $1 AND c.parent_id IS NULL AND ` + states
	args := []any{q.ItemID}
	if q.OnlyRootID != 0 {
		where += ` AND c.id = $2`
		args = append(args, q.OnlyRootID)
	}
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments c WHERE `+where, args...).Scan(&page.Total); err != nil {
		return nil, err
	}
	threads, err := queryAll(ctx, s.q, scanComment, `SELECT `+commentColumns+commentFrom+`WHERE `+where+
		` ORDER BY c.published_at DESC, c.id DESC LIMIT `+itoa(q.Limit)+` OFFSET `+itoa(q.Offset), args...)
	if err != nil || len(threads) == 0 {
		return page, err
	}
	ids := make([]string, len(threads))
	for i, t := range threads {
		ids[i] = itoa(int(t.ID))
	}
	in := strings.Join(ids, ", ")
	replies, err := queryAll(ctx, s.q, scanComment, `SELECT `+commentColumns+commentFrom+`WHERE c.root_id IN (`+in+`) AND `+states+
		` ORDER BY c.published_at, c.id LIMIT `+itoa(q.MaxReplies))
	if err != nil {
		return nil, err
	}
	for _, r := range replies {
		page.Replies[r.RootID] = append(page.Replies[r.RootID], r)
	}
	rows, err := s.q.QueryContext(ctx, `SELECT root_id, COUNT(*) FROM comments WHERE root_id IN (`+in+`) AND state = 'visible' GROUP BY root_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var root int64
		var n int
		if err := rows.Scan(&root, &n); err != nil {
			return nil, err
		}
		page.Counts[root] = n
	}
	// A deleted placeholder whose replies are all gone or hidden is noise.
	for _, t := range threads {
		if t.State != CommentDeleted || len(page.Replies[t.ID]) > 0 {
			page.Threads = append(page.Threads, t)
		}
	}
	return page, rows.Err()
}

// ChildComments lists the visible direct replies to a comment (or, with
// parentID 0, to the item), oldest first, with their total.
func (s *Store) ChildComments(ctx context.Context, itemID, parentID int64, offset, limit int) ([]*Comment, int, error) {
	cond := `c.item_id = $1 AND c.parent_id IS NULL AND c.state = 'visible'`
	args := []any{itemID}
	if parentID != 0 {
		cond = `c.parent_id = $1 AND c.state = 'visible'`
		args = []any{parentID}
	}
	var total int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments c WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	list, err := queryAll(ctx, s.q, scanComment, `SELECT `+commentColumns+commentFrom+`WHERE `+cond+
		` ORDER BY c.published_at, c.id LIMIT `+itoa(limit)+` OFFSET `+itoa(offset), args...)
	return list, total, err
}

// ChannelComment is a comment with the item it is on.
type ChannelComment struct {
	*Comment
	ItemPublicID string
	ItemTitle    string
}

// CommentFilter selects comments across a channel's items (or, with
// ItemID, one item), newest first.
type CommentFilter struct {
	ChannelID int64
	ItemID    int64
	State     string // "" : visible
	Limit     int
}

// ListComments lists comments for feeds and moderation.
func (s *Store) ListComments(ctx context.Context, f CommentFilter) ([]ChannelComment, error) {
	if f.State == "" {
		f.State = CommentVisible
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	cond, arg := `i.channel_id = $2`, f.ChannelID
	if f.ItemID != 0 {
		cond, arg = `c.item_id = $2`, f.ItemID
	}
	return queryAll(ctx, s.q, func(row rowScanner) (ChannelComment, error) {
		var cc ChannelComment
		var c Comment
		err := row.Scan(&c.ID, &c.ItemID, &c.ParentID, &c.RootID, &c.Depth, &c.AuthorID, &c.URI, &c.URL, &c.InReplyTo,
			&c.ContentHTML, &c.Summary, &c.Sensitive, &c.State, &c.HeldReason, &c.LikeCount, &c.ShareCount,
			&c.PublishedAt, &c.UpdatedAt,
			&c.Author.Username, &c.Author.Domain, &c.Author.DisplayName, &c.Author.URI, &c.Author.URL, &c.Author.IconURL,
			&cc.ItemPublicID, &cc.ItemTitle)
		cc.Comment = &c
		return cc, err
	}, `SELECT `+commentColumns+`, i.public_id, i.title`+commentFrom+`JOIN items i ON i.id = c.item_id
		WHERE c.state = $1 AND `+cond+` ORDER BY c.published_at DESC, c.id DESC LIMIT `+itoa(f.Limit), f.State, arg)
}

// CountHeldComments counts the comments waiting for a channel's approval.
func (s *Store) CountHeldComments(ctx context.Context, channelID int64) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments c JOIN items i ON i.id = c.item_id
		WHERE i.channel_id = $1 AND c.state = 'held'`, channelID).Scan(&n)
	return n, err
}

// ThreadRecipients returns where a comment's thread lives: the authors of
// its ancestors and of the other comments of its thread, and the actors it
// mentions, remote ones only, without duplicates.
func (s *Store) ThreadRecipients(ctx context.Context, commentID int64) ([]Recipient, error) {
	return queryAll(ctx, s.q, func(row rowScanner) (Recipient, error) {
		var r Recipient
		err := row.Scan(&r.Inbox, &r.SharedInbox)
		return r, err
	}, `SELECT DISTINCT a.inbox_url, a.shared_inbox_url FROM actors a WHERE a.domain <> '' AND a.policy = 'none' AND a.id IN (
			SELECT t.author_actor_id FROM comments me JOIN comments t
				ON t.id = COALESCE(me.root_id, me.id) OR t.root_id = COALESCE(me.root_id, me.id)
				WHERE me.id = $1 AND t.state = 'visible'
			UNION SELECT actor_id FROM comment_mentions WHERE comment_id = $1)
		ORDER BY a.inbox_url`, commentID)
}

// SetChannelComments sets a channel's comment policy and watched words.
func (s *Store) SetChannelComments(ctx context.Context, channelID int64, policy, watchedWords string) error {
	return s.execOne(ctx, `UPDATE channels SET comments_policy = $1, watched_words = $2, updated_at = $3 WHERE id = $4`,
		policy, watchedWords, s.utcNow(), channelID)
}

// WatchedWords returns a channel's watched words, one per line.
func (s *Store) WatchedWords(ctx context.Context, channelID int64) (string, error) {
	var w string
	err := s.q.QueryRowContext(ctx, `SELECT watched_words FROM channels WHERE id = $1`, channelID).Scan(&w)
	return w, notFound(err)
}

// ChannelBlock is an author or an instance a channel refuses comments from.
type ChannelBlock struct {
	ID        int64
	ActorURI  string
	Domain    string
	CreatedAt time.Time
}

// BlockForChannel makes a channel refuse comments from an author (actorURI)
// or a whole instance (domain), and purges the comments already on its
// items. It returns how many comments went.
func (s *Store) BlockForChannel(ctx context.Context, channelID int64, actorURI, domain string) (int, error) {
	domain = strings.ToLower(domain)
	var purged int
	err := s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO channel_blocks (channel_id, actor_uri, domain, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, channelID, actorURI, domain, tx.s.utcNow()); err != nil {
			return err
		}
		cond, arg := `a.uri = $2`, actorURI
		if domain != "" {
			cond, arg = `a.domain = $2`, domain
		}
		ids, err := queryAll(ctx, tx.q, scanInt64, `SELECT c.id FROM comments c JOIN actors a ON a.id = c.author_actor_id
			JOIN items i ON i.id = c.item_id WHERE i.channel_id = $1 AND `+cond+` ORDER BY c.depth DESC`, channelID, arg)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := tx.DeleteComment(ctx, id); err != nil && err != ErrNotFound {
				return err
			}
		}
		purged = len(ids)
		return nil
	})
	return purged, err
}

// UnblockForChannel lifts a channel block.
func (s *Store) UnblockForChannel(ctx context.Context, channelID, blockID int64) error {
	return s.execOne(ctx, `DELETE FROM channel_blocks WHERE id = $1 AND channel_id = $2`, blockID, channelID)
}

// ChannelBlocks lists a channel's blocks.
func (s *Store) ChannelBlocks(ctx context.Context, channelID int64) ([]ChannelBlock, error) {
	return queryAll(ctx, s.q, func(row rowScanner) (ChannelBlock, error) {
		var b ChannelBlock
		err := row.Scan(&b.ID, &b.ActorURI, &b.Domain, &b.CreatedAt)
		return b, err
	}, `SELECT id, actor_uri, domain, created_at FROM channel_blocks WHERE channel_id = $1 ORDER BY id`, channelID)
}

// BlockedByChannel tells whether a channel refuses comments from actorURI
// (itself or its instance).
func (s *Store) BlockedByChannel(ctx context.Context, channelID int64, actorURI string) (bool, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM channel_blocks WHERE channel_id = $1 AND (actor_uri = $2 OR domain = $3)`,
		channelID, actorURI, HostOf(actorURI)).Scan(&n)
	return n > 0, err
}

// SetActorPolicy blocks a remote actor on the whole hub (or lifts it).
// Blocking purges its comments, reactions and follows, the items of its
// channel, and the items it brought that still wait for review (those a
// curator accepted stay: they were judged on their own).
func (s *Store) SetActorPolicy(ctx context.Context, actorID int64, policy string) error {
	defer s.blocks.invalidate()
	return s.InTx(ctx, func(tx *Tx) error {
		if err := tx.execOne(ctx, `UPDATE actors SET policy = $1, updated_at = $2 WHERE id = $3 AND domain <> ''`,
			policy, tx.s.utcNow(), actorID); err != nil {
			return err
		}
		if policy != "block" {
			return nil
		}
		targets, err := tx.reactionTargets(ctx, `actor_id = $1`, actorID)
		if err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM reactions WHERE actor_id = $1`, `DELETE FROM follows WHERE follower_actor_id = $1 OR target_actor_id = $1`,
			`DELETE FROM items WHERE origin_uri IS NOT NULL AND (channel_id IN (SELECT id FROM channels WHERE actor_id = $1)
				OR (via_actor_id = $1 AND review_state = 'pending'))`} {
			if _, err := tx.q.ExecContext(ctx, q, actorID); err != nil {
				return err
			}
		}
		if err := tx.recount(ctx, targets); err != nil {
			return err
		}
		ids, err := queryAll(ctx, tx.q, scanInt64, `SELECT id FROM comments WHERE author_actor_id = $1 ORDER BY depth DESC`, actorID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := tx.DeleteComment(ctx, id); err != nil && err != ErrNotFound {
				return err
			}
		}
		return nil
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func (tx *Tx) execOne(ctx context.Context, query string, args ...any) error {
	return execOne(ctx, tx.q, query, args...)
}

// MentionedActor is an actor a local comment mentions.
type MentionedActor struct {
	URI      string
	Username string
	Domain   string
}

// CommentMentions lists the remote actors a local comment mentions.
func (s *Store) CommentMentions(ctx context.Context, commentID int64) ([]MentionedActor, error) {
	return queryAll(ctx, s.q, func(row rowScanner) (MentionedActor, error) {
		var m MentionedActor
		err := row.Scan(&m.URI, &m.Username, &m.Domain)
		return m, err
	}, `SELECT COALESCE(a.uri, ''), a.username, a.domain FROM comment_mentions m JOIN actors a ON a.id = m.actor_id
		WHERE m.comment_id = $1 ORDER BY a.id`, commentID)
}

// ChannelRecipient is where a (remote) channel's actor receives activities.
func (s *Store) ChannelRecipient(ctx context.Context, channelID int64) (Recipient, error) {
	var r Recipient
	err := s.q.QueryRowContext(ctx, `SELECT a.inbox_url, a.shared_inbox_url FROM channels c JOIN actors a ON a.id = c.actor_id
		WHERE c.id = $1 AND a.domain <> ''`, channelID).Scan(&r.Inbox, &r.SharedInbox)
	return r, notFound(err)
}

// ChannelOwnerActor returns the Person actor of a local channel's owner.
func (s *Store) ChannelOwnerActor(ctx context.Context, channelID int64) (*Actor, error) {
	var id int64
	err := s.q.QueryRowContext(ctx, `SELECT u.actor_id FROM channels c JOIN users u ON u.id = c.owner_id WHERE c.id = $1`, channelID).Scan(&id)
	if err != nil {
		return nil, notFound(err)
	}
	return s.ActorByID(ctx, id)
}

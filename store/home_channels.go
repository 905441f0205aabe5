package store

import (
	"context"
	"time"
)

// HomeChannel is a channel curators put on the home page to discover: a
// local channel's actor or a remote one, with the curator's note.
type HomeChannel struct {
	Actor    *Actor
	Note     string
	Position int
	AddedAt  time.Time
}

// FeatureChannel puts a channel's actor on the home page, last, or
// changes its note when it is there already.
func (s *Store) FeatureChannel(ctx context.Context, actorID int64, note string, userID int64) error {
	var by any
	if userID > 0 {
		by = userID
	}
	return s.InTx(ctx, func(tx *Tx) error {
		var pos int
		if err := tx.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM home_channels`).Scan(&pos); err != nil {
			return err
		}
		_, err := tx.q.ExecContext(ctx, `INSERT INTO home_channels (actor_id, position, note, added_by, added_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (actor_id) DO UPDATE SET note = excluded.note`,
			actorID, pos, note, by, tx.s.utcNow())
		return err
	})
}

// UnfeatureChannel takes a channel off the home page (ErrNotFound when it
// was not there).
func (s *Store) UnfeatureChannel(ctx context.Context, actorID int64) error {
	return execOne(ctx, s.q, `DELETE FROM home_channels WHERE actor_id = $1`, actorID)
}

// HomeChannels lists the channels to discover in the curators' order,
// leaving out those of blocked or muted instances and actors.
func (s *Store) HomeChannels(ctx context.Context) ([]*HomeChannel, error) {
	return queryAll(ctx, s.q, func(row rowScanner) (*HomeChannel, error) {
		var h HomeChannel
		var a Actor
		h.Actor = &a
		if err := row.Scan(&a.ID, &a.Kind, &a.Username, &a.Domain, &a.URI, &a.URL, &a.DisplayName, &a.Summary, &a.Icon,
			&h.Note, &h.Position, &h.AddedAt); err != nil {
			return nil, err
		}
		return &h, nil
	}, `SELECT a.id, a.kind, a.username, a.domain, COALESCE(a.uri, ''), a.url, a.display_name, a.summary, a.icon_url,
			h.note, h.position, h.added_at
		FROM home_channels h JOIN actors a ON a.id = h.actor_id
		WHERE a.listing = 'none' AND a.policy = 'none'
			AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.domain = a.domain AND i.policy IN ('block', 'mute', 'limit'))
		ORDER BY h.position, h.actor_id`)
}

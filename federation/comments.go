package federation

import (
	"context"
	"errors"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/store"
)

// Replies arrive here; the Comments issue builds threads, moderation and
// backfill on top. A Note whose inReplyTo is a local item or a known
// comment is stored as a comment, sanitized, according to the item's
// comment policy.

// onCreate stores a reply to a local item or a known comment.
func (s *Service) onCreate(ctx context.Context, act *ap.Activity) error {
	if act.Object.Raw == nil {
		return ignored("create without an embedded object")
	}
	obj, err := ap.DecodeObject(act.Object.Raw)
	if err != nil {
		return permanentError{err}
	}
	switch obj.Type {
	case "Note", "Article", "Page", "Question":
	default:
		return ignored("create of a %s", obj.Type)
	}
	if hostOf(obj.ID) != hostOf(act.Actor.ID) || len(obj.AttributedTo) > 0 && obj.AttributedTo[0] != act.Actor.ID {
		return ignored("the object %s is not the actor's", obj.ID)
	}
	if obj.InReplyTo == "" {
		return ignored("not a reply")
	}
	item, parent, err := s.replyTarget(ctx, obj.InReplyTo)
	if err != nil || item == nil {
		return err
	}
	ch, err := s.store.LocalChannel(ctx, item.ChannelHandle)
	if err != nil {
		return err
	}
	state := store.CommentVisible
	switch commentsPolicy(item, ch) {
	case "closed":
		return ignored("comments are closed on %s", item.PublicID)
	case "approval":
		state = store.CommentHeld
	}
	author, err := s.RemoteActor(ctx, act.Actor.ID)
	if err != nil {
		return err
	}
	c := store.Comment{ItemID: item.ID, ParentID: parent, AuthorID: author.ID, URI: obj.ID, URL: obj.URL.HTML(),
		ContentHTML: string(s.markup.Sanitize(obj.Content)), Summary: obj.Summary, Sensitive: obj.Sensitive, State: state}
	if obj.Published != nil {
		c.PublishedAt = *obj.Published
	}
	if _, err := s.store.InsertComment(ctx, c); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}

// replyTarget finds the local item (and parent comment) a reply is to.
// A nil item means the reply is not to anything of ours.
func (s *Service) replyTarget(ctx context.Context, inReplyTo string) (*store.Item, int64, error) {
	if pid, ok := s.parseLocalItem(inReplyTo); ok {
		item, err := s.store.ItemByPublicID(ctx, pid)
		if errors.Is(err, store.ErrNotFound) {
			return nil, 0, ignored("reply to an unknown item")
		}
		return item, 0, err
	}
	parent, err := s.store.CommentByURI(ctx, inReplyTo)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, ignored("reply to %s, not ours", inReplyTo)
	}
	if err != nil {
		return nil, 0, err
	}
	item, err := s.store.ItemByID(ctx, parent.ItemID)
	return item, parent.ID, err
}

// onUpdateComment edits a known comment, if the actor wrote it.
func (s *Service) onUpdateComment(ctx context.Context, act *ap.Activity) error {
	c, author, err := s.ownComment(ctx, act.Object.ID, act.Actor.ID)
	if err != nil || c == nil || author == nil {
		return err
	}
	if act.Object.Raw == nil {
		return ignored("update without an embedded object")
	}
	obj, err := ap.DecodeObject(act.Object.Raw)
	if err != nil {
		return permanentError{err}
	}
	return s.store.UpdateComment(ctx, c.ID, string(s.markup.Sanitize(obj.Content)), obj.Summary, obj.Sensitive)
}

// onDeleteComment removes a known comment, if the actor wrote it.
func (s *Service) onDeleteComment(ctx context.Context, act *ap.Activity) error {
	c, author, err := s.ownComment(ctx, act.Object.ID, act.Actor.ID)
	if err != nil || c == nil || author == nil {
		return err
	}
	return s.store.DeleteComment(ctx, c.ID)
}

// ownComment finds the comment uri written by actorURI.
func (s *Service) ownComment(ctx context.Context, uri, actorURI string) (*store.Comment, *store.Actor, error) {
	c, err := s.store.CommentByURI(ctx, uri)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ignored("unknown object %s", uri)
	}
	if err != nil {
		return nil, nil, err
	}
	author, err := s.store.ActorByID(ctx, c.AuthorID)
	if err != nil {
		return nil, nil, err
	}
	if author.URI != actorURI {
		return nil, nil, ignored("%s is not %s's", uri, actorURI)
	}
	return c, author, nil
}

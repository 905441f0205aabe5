package federation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/federation/httpclient"
	"github.com/archipel/archipel/store"
)

// Receiving comments. A Note whose inReplyTo is one of our items (local or
// indexed from elsewhere) or a comment we hold becomes a comment. When the
// parent is unknown, the chain of parents is fetched upward until it
// reaches something of ours, at most MaxThreadDepth levels, each fetched
// object checked to be its author's (same host) and the chain checked for
// loops; the whole chain is then stored top down.

// MaxThreadDepth bounds how far up an unknown chain of replies is fetched.
const MaxThreadDepth = 50

// noteTypes are the object types stored as comments.
var noteTypes = map[string]bool{"Note": true, "Article": true, "Page": true, "Question": true}

// onCreate stores a reply to one of our items or comments; obj is the
// embedded object decoded (nil without one), or decodeErr.
func (s *Service) onCreate(ctx context.Context, act *ap.Activity, obj *ap.Object, decodeErr error) error {
	if act.Object.Raw == nil {
		return ignored("create without an embedded object")
	}
	if decodeErr != nil {
		return permanentError{decodeErr}
	}
	if mediaObject(obj) {
		return s.onIndexCreate(ctx, act, obj)
	}
	if !noteTypes[obj.Type] {
		return ignored("create of a %s", obj.Type)
	}
	if hostOf(obj.ID) != hostOf(act.Actor.ID) || len(obj.AttributedTo) > 0 && obj.AttributedTo[0] != act.Actor.ID {
		return ignored("the object %s is not the actor's", obj.ID)
	}
	if obj.InReplyTo == "" {
		return ignored("not a reply")
	}
	if !obj.To.HasPublic() && !obj.Cc.HasPublic() {
		return ignored("a reply that is not public (followers-only or direct) stays private")
	}
	if len(obj.AttributedTo) == 0 {
		obj.AttributedTo = ap.IRIs{act.Actor.ID}
	}
	_, err := s.ingestNote(ctx, obj)
	return err
}

// threadBase is what a chain of replies hangs from: an item of ours and,
// unless the chain starts at the item, a comment we hold.
type threadBase struct {
	item   *store.Item
	parent *store.Comment
}

// ingestNote stores obj, and the unknown comments between it and the item
// or comment of ours it replies to.
func (s *Service) ingestNote(ctx context.Context, obj *ap.Object) (*store.Comment, error) {
	if !knownAbsent(ctx, obj.ID) { // the drained batch asked for all its notes at once
		if c, err := s.store.CommentByURI(ctx, obj.ID); err == nil {
			return c, nil // known already
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	chain := []*ap.Object{obj} // chain[0] is the newest
	seen := map[string]bool{obj.ID: true}
	var base *threadBase
	for base == nil {
		top := chain[len(chain)-1]
		parentURI := top.InReplyTo
		if parentURI == "" {
			return nil, ignored("%s replies to nothing of ours", obj.ID)
		}
		if seen[parentURI] {
			return nil, ignored("the replies to %s loop back on %s", obj.ID, parentURI)
		}
		seen[parentURI] = true
		var err error
		if base, err = s.threadBaseOf(ctx, parentURI); err != nil {
			return nil, err
		}
		if base != nil {
			break
		}
		if s.localPath(parentURI) != "" {
			return nil, ignored("reply to %s, which is not here (any more)", parentURI)
		}
		if len(chain) >= MaxThreadDepth {
			return nil, ignored("the thread of %s is deeper than %d levels", obj.ID, MaxThreadDepth)
		}
		parent, err := s.fetchNote(ctx, parentURI)
		if err != nil {
			return nil, err
		}
		chain = append(chain, parent)
	}
	var stored *store.Comment
	parent := base.parent
	for i := len(chain) - 1; i >= 0; i-- {
		c, err := s.storeNote(ctx, base.item, parent, chain[i], len(chain) == 1)
		if err != nil {
			return nil, err
		}
		parent, stored = c, c
	}
	return stored, nil
}

// threadBaseOf tells whether uri is an item of ours or a comment we hold;
// nil when it is neither.
func (s *Service) threadBaseOf(ctx context.Context, uri string) (*threadBase, error) {
	if pid, ok := s.parseLocalItem(uri); ok {
		item, err := memo(ctx, "item "+pid, func() (*store.Item, error) { return s.store.ItemByPublicID(ctx, pid) })
		if errors.Is(err, store.ErrNotFound) || err == nil && item.State != store.StatePublished {
			return nil, ignored("reply to an unknown item %s", uri)
		}
		if err != nil {
			return nil, err
		}
		return &threadBase{item: item}, nil
	}
	if c, err := s.store.CommentByURI(ctx, uri); err == nil {
		if c.State == store.CommentHeld {
			return nil, ignored("reply to %s, which is held for approval", uri)
		}
		item, err := s.store.ItemByID(ctx, c.ItemID)
		if err != nil {
			return nil, err
		}
		return &threadBase{item: item, parent: c}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	item, err := s.store.ItemByOriginURI(ctx, uri)
	if err == nil {
		return &threadBase{item: item}, nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return nil, err
}

// fetchNote fetches a parent in a chain of replies and checks that it is
// a note, served by its own host and written by someone of that host.
func (s *Service) fetchNote(ctx context.Context, uri string) (*ap.Object, error) {
	body, err := s.fetch(ctx, uri)
	var se *httpclient.StatusError
	if errors.As(err, &se) && se.StatusCode >= 400 && se.StatusCode < 500 {
		return nil, ignored("the parent %s cannot be fetched: status %d", uri, se.StatusCode)
	}
	if err != nil {
		return nil, fmt.Errorf("fetch the parent %s: %w", uri, err) // retried later
	}
	obj, err := ap.DecodeObject(body)
	if err != nil {
		return nil, ignored("the parent %s is not an object: %v", uri, err)
	}
	if obj.ID != uri && hostOf(obj.ID) != hostOf(uri) {
		return nil, ignored("%s served an object of another host (%s)", uri, obj.ID)
	}
	if !noteTypes[obj.Type] {
		return nil, ignored("the parent %s is a %s, not a note", uri, obj.Type)
	}
	if !obj.To.HasPublic() && !obj.Cc.HasPublic() {
		return nil, ignored("the parent %s is not public", uri)
	}
	if len(obj.AttributedTo) == 0 || hostOf(obj.AttributedTo[0]) != hostOf(obj.ID) {
		return nil, ignored("the note %s is not written by someone of its host", obj.ID)
	}
	return obj, nil
}

// storeNote stores one note under parent (nil: under the item), applying
// the channel's policy: closed refuses, a block refuses, approval or a
// watched word holds. With deferrable, a note drained from the inbox is
// stored with its batch (and nil returned).
func (s *Service) storeNote(ctx context.Context, item *store.Item, parent *store.Comment, obj *ap.Object, deferrable bool) (*store.Comment, error) {
	authorURI := obj.AttributedTo[0]
	blocked, err := s.store.SenderBlocked(ctx, hostOf(authorURI), authorURI)
	if err != nil {
		return nil, err
	}
	if blocked {
		return nil, ignored("%s is blocked here", authorURI)
	}
	if blocked, err := s.blockedByChannel(ctx, item.ChannelID, authorURI); err != nil || blocked {
		if err == nil {
			err = ignored("%s is blocked by the channel %s", authorURI, item.ChannelHandle)
		}
		return nil, err
	}
	content := string(s.markup.Comment(obj.Content))
	state, reason := store.CommentVisible, ""
	if item.OriginURI == "" {
		policy, err := s.CommentsPolicyOf(ctx, item)
		if err != nil {
			return nil, err
		}
		switch policy {
		case "closed":
			return nil, ignored("comments are closed on %s", item.PublicID)
		case "approval":
			state, reason = store.CommentHeld, "approval"
		}
		if state == store.CommentVisible {
			if w, err := s.watchedWord(ctx, item.ChannelID, obj.Summary+" "+content); err != nil {
				return nil, err
			} else if w != "" {
				state, reason = store.CommentHeld, "watched word: "+w
			}
		}
	}
	author, err := s.memoActor(ctx, authorURI)
	if err != nil {
		return nil, err
	}
	c := store.Comment{ItemID: item.ID, AuthorID: author.ID, URI: obj.ID, URL: obj.URL.HTML(), InReplyTo: obj.InReplyTo,
		ContentHTML: content, Summary: obj.Summary, Sensitive: obj.Sensitive || obj.Summary != "", State: state, HeldReason: reason}
	if parent != nil {
		c.ParentID = parent.ID
	}
	if obj.Published != nil {
		c.PublishedAt = *obj.Published
	}
	if deferrable && deferComment(ctx, c) {
		return nil, nil
	}
	stored, err := s.store.InsertComment(ctx, c)
	if errors.Is(err, store.ErrConflict) {
		return s.store.CommentByURI(ctx, obj.ID)
	}
	return stored, err
}

// blockedByChannel tells whether a channel refuses comments from
// actorURI (itself or its instance). A drained batch reads the channel's
// blocks once.
func (s *Service) blockedByChannel(ctx context.Context, channelID int64, actorURI string) (bool, error) {
	if _, ok := ctx.Value(memoKey{}).(*batchMemo); !ok {
		return s.store.BlockedByChannel(ctx, channelID, actorURI)
	}
	blocks, err := memo(ctx, fmt.Sprintf("channel blocks %d", channelID), func() ([]store.ChannelBlock, error) {
		return s.store.ChannelBlocks(ctx, channelID)
	})
	if err != nil {
		return false, err
	}
	host := store.HostOf(actorURI)
	for _, b := range blocks {
		if b.ActorURI == actorURI || b.Domain == host { // as BlockedByChannel's query
			return true, nil
		}
	}
	return false, nil
}

// watchedWord returns the first of a channel's watched words in text
// (case-insensitive, whole words), or "".
func (s *Service) watchedWord(ctx context.Context, channelID int64, text string) (string, error) {
	words, err := memo(ctx, fmt.Sprintf("words %d", channelID), func() (string, error) { return s.store.WatchedWords(ctx, channelID) })
	if err != nil || strings.TrimSpace(words) == "" {
		return "", err
	}
	return MatchWatchedWord(words, text), nil
}

// MatchWatchedWord returns the first watched word (one per line) that
// text contains as a whole word or phrase, ignoring case and HTML tags.
func MatchWatchedWord(words, text string) string {
	plain := strings.ToLower(stripTags(text))
	for _, w := range strings.Split(words, "\n") {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" {
			continue
		}
		for i := 0; ; {
			j := strings.Index(plain[i:], w)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(w)
			if isWordEdge(plain, start-1) && isWordEdge(plain, end) {
				return w
			}
			i = start + 1
		}
	}
	return ""
}

func isWordEdge(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return true
	}
	r := rune(s[i])
	if r >= 0x80 {
		return false // inside a multi-byte letter
	}
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// stripTags drops HTML tags, keeping their text.
func stripTags(html string) string {
	var b strings.Builder
	in := false
	for _, r := range html {
		switch {
		case r == '<':
			in = true
			b.WriteByte(' ')
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// memoActor is RemoteActor, once per drained batch.
func (s *Service) memoActor(ctx context.Context, uri string) (*store.Actor, error) {
	return memo(ctx, "actor "+uri, func() (*store.Actor, error) { return s.RemoteActor(ctx, uri) })
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
	if obj.ID != c.URI {
		return ignored("update of %s carries %s", c.URI, obj.ID)
	}
	return s.store.UpdateComment(ctx, c.ID, string(s.markup.Comment(obj.Content)), obj.Summary, obj.Sensitive || obj.Summary != "")
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

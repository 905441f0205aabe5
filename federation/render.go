package federation

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/media/torrent"
	"github.com/archipel/archipel/store"
)

// ErrNotLocal means an actor or object is not one this hub serves.
var ErrNotLocal = errors.New("federation: not a local actor or object")

// LocalActorDocument renders a local actor (by kind and username) as the
// ActivityPub document served at its id.
func (s *Service) LocalActorDocument(ctx context.Context, kind, username string) (*ap.Actor, error) {
	var a *store.Actor
	var err error
	if kind == store.ActorApplication {
		a, err = s.InstanceActor(ctx)
	} else {
		a, err = s.store.LocalActor(ctx, username)
	}
	if err != nil {
		return nil, err
	}
	if a.Kind != kind {
		return nil, store.ErrNotFound
	}
	pem, err := s.publicKeyPEM(ctx, a)
	if err != nil {
		return nil, err
	}
	id := s.ActorURI(a)
	doc := &ap.Actor{
		Context:                   ap.DefaultContext(),
		ID:                        id,
		Type:                      a.Kind,
		PreferredUsername:         a.Username,
		Name:                      a.DisplayName,
		Inbox:                     id + "/inbox",
		Outbox:                    id + "/outbox",
		Followers:                 id + "/followers",
		Following:                 id + "/following",
		URL:                       id,
		Endpoints:                 &ap.Endpoints{SharedInbox: s.SharedInbox()},
		PublicKey:                 &ap.PublicKey{ID: id + "#main-key", Owner: id, PublicKeyPem: pem},
		Discoverable:              true,
		Published:                 &a.CreatedAt,
		ManuallyApprovesFollowers: a.ManuallyApproves,
		Icon:                      &ap.Image{Type: "Image", MediaType: "image/svg+xml", URL: s.base + "/static/favicon.svg"},
	}
	switch a.Kind {
	case store.ActorApplication:
		doc.Name = "Archipel hub " + s.host
		doc.Summary = "<p>The instance actor of " + html.EscapeString(s.host) + ".</p>"
		doc.URL = s.base + "/"
	case store.ActorGroup:
		ch, err := s.store.LocalChannel(ctx, username)
		if err != nil {
			return nil, err
		}
		doc.Name = ch.Title
		doc.Summary = string(s.markup.Markdown(ch.Description))
		doc.AttributedTo = ap.IRIs{s.PersonURI(ch.OwnerUsername)}
		if ch.AvatarKey != "" && s.library != nil {
			doc.Icon = &ap.Image{Type: "Image", URL: s.library.MediaURL(ch.AvatarKey)}
		}
		if ch.BannerKey != "" && s.library != nil {
			doc.Image = &ap.Image{Type: "Image", URL: s.library.MediaURL(ch.BannerKey)}
		}
	case store.ActorPerson:
		doc.Summary = string(s.markup.Markdown(a.Summary))
		if doc.Summary == "" {
			doc.Summary = "<p>" + html.EscapeString(a.Username) + " publishes on " + html.EscapeString(s.host) + ".</p>"
		}
	}
	return doc, nil
}

// commentsPolicy resolves an item's effective comment policy.
// CommentsPolicyOf is the comment policy in force on an item: its own,
// or its channel's; open for remote items (their origin decides).
func (s *Service) CommentsPolicyOf(ctx context.Context, item *store.Item) (string, error) {
	if item.OriginURI != "" && (item.CommentsPolicy == "" || item.CommentsPolicy == "inherit") {
		return "open", nil
	}
	var ch *store.Channel
	if item.CommentsPolicy == "" || item.CommentsPolicy == "inherit" {
		var err error
		if ch, err = memo(ctx, "channel "+item.ChannelHandle, func() (*store.Channel, error) { return s.store.LocalChannel(ctx, item.ChannelHandle) }); err != nil {
			return "", err
		}
	}
	return commentsPolicy(item, ch), nil
}

func commentsPolicy(item *store.Item, ch *store.Channel) string {
	if item.CommentsPolicy != "" && item.CommentsPolicy != "inherit" {
		return item.CommentsPolicy
	}
	if ch != nil && ch.CommentsPolicy != "" {
		return ch.CommentsPolicy
	}
	return "open"
}

// ItemObject renders a local published item: a PeerTube-compatible Video,
// or an Audio whose file is an attachment (so Mastodon shows a player).
func (s *Service) ItemObject(ctx context.Context, item *store.Item) (*ap.Object, error) {
	if item.OriginURI != "" {
		return nil, ErrNotLocal
	}
	if s.library == nil {
		return nil, errors.New("federation: no media library")
	}
	ch, err := s.store.LocalChannel(ctx, item.ChannelHandle)
	if err != nil {
		return nil, err
	}
	view, err := s.library.View(ctx, item, false)
	if err != nil {
		return nil, err
	}
	tags, err := s.store.ItemTags(ctx, item.ID)
	if err != nil {
		return nil, err
	}
	id := s.ItemURI(item.PublicID)
	channel := s.ChannelURI(ch.Handle)
	published := item.CreatedAt
	if item.PublishedAt != nil {
		published = *item.PublishedAt
	}
	updated := item.UpdatedAt
	policy := commentsPolicy(item, ch)
	o := &ap.Object{
		Context:   ap.DefaultContext(),
		ID:        id,
		Name:      item.Title,
		Content:   string(s.markup.Markdown(item.Description)),
		Sensitive: item.Sensitive,
		Published: &published,
		Updated:   &updated,
		To:        ap.IRIs{ap.Public},
		Cc:        ap.IRIs{channel + "/followers"},
		Attribution: []ap.TypedID{
			{Type: store.ActorPerson, ID: s.PersonURI(ch.OwnerUsername)},
			{Type: store.ActorGroup, ID: channel},
		},
		Duration: ap.DurationISO(item.Duration),
		Replies:  &ap.Ref{ID: id + "/replies"},
		Likes:    id + "/likes",
		Shares:   id + "/shares",
	}
	if item.Language != "" {
		o.Language = &ap.Identifier{Identifier: item.Language, Name: item.Language}
	}
	for _, t := range tags {
		o.Tag = append(o.Tag, ap.Tag{Type: "Hashtag", Name: "#" + t}) // no tag pages yet: no href
	}
	page := ap.Link{Type: "Link", MediaType: "text/html", Href: id}
	sources, thumbnail, poster, _ := view.Playable()
	for _, pic := range []string{thumbnail, poster} {
		if pic != "" {
			o.Icon = append(o.Icon, ap.Image{Type: "Image", MediaType: mimeOfURL(pic), URL: pic})
		}
	}
	for _, r := range view.Renditions {
		if r.Name == "thumbnail" && r.Width > 0 && len(o.Icon) > 0 {
			o.Icon[0].Width, o.Icon[0].Height = r.Width, r.Height
		}
	}
	if item.Kind == store.ItemVideo {
		o.Type = "Video"
		o.MediaType = "text/markdown"
		o.Content = string(s.markup.Markdown(item.Description))
		o.UUID = item.PublicID
		views := 0
		o.Views = &views
		o.State = 1
		yes, no := true, false
		o.CommentsEnabled = boolPtr(policy != "closed")
		o.CommentsPolicy = map[string]int{"open": 1, "closed": 2, "approval": 3}[policy]
		o.WaitTranscoding, o.IsLiveBroadcast, o.DownloadEnabled = &no, &no, &yes
		o.Comments = id + "/replies"
		if policy != "closed" {
			o.CanReply = ap.Public
		}
		o.URL = append(o.URL, page)
		for _, r := range sources {
			o.URL = append(o.URL, ap.Link{Type: "Link", MediaType: r.MimeType, Href: r.URL,
				Height: r.Height, Width: r.Width, Size: r.Size, FPS: r.FPS})
			if r.Width > 0 && r.Height > 0 && o.AspectRatio == 0 {
				o.AspectRatio = float64(int(float64(r.Width)/float64(r.Height)*10000)) / 10000
			}
		}
		o.URL = append(o.URL, torrentLinks(sources)...)
	} else {
		o.Type = "Audio"
		o.URL = append(o.URL, page)
		for _, r := range sources {
			o.URL = append(o.URL, ap.Link{Type: "Link", MediaType: r.MimeType, Href: r.URL, Size: r.Size})
			o.Attachment = append(o.Attachment, ap.Attachment{Type: "Document", MediaType: r.MimeType,
				URL: r.URL, Name: item.Title, Size: r.Size})
		}
		o.URL = append(o.URL, torrentLinks(sources)...)
		if len(o.Attachment) > 1 {
			o.Attachment = o.Attachment[:1] // one playable file: the best rendition
		}
		o.Content = fmt.Sprintf(`%s<p><a href="%s">%s</a></p>`, o.Content, html.EscapeString(id), html.EscapeString(item.Title))
	}
	return o, nil
}

func boolPtr(b bool) *bool { return &b }

func mimeOfURL(u string) string {
	switch {
	case strings.HasSuffix(u, ".jpg"), strings.HasSuffix(u, ".jpeg"):
		return "image/jpeg"
	case strings.HasSuffix(u, ".png"):
		return "image/png"
	case strings.HasSuffix(u, ".webp"):
		return "image/webp"
	}
	return ""
}

// torrentLinks are PeerTube's P2P links of an object's files: per file a
// .torrent and a magnet link (with the file's height), then the tracker's
// WebSocket once.
func torrentLinks(files []library.RenditionView) []ap.Link {
	var links []ap.Link
	tracker := ""
	for _, r := range files {
		if r.Torrent == nil {
			continue
		}
		links = append(links,
			ap.Link{Type: "Link", MediaType: torrent.MimeType, Href: r.Torrent.Torrent, Height: r.Height, Width: r.Width, FPS: r.FPS},
			ap.Link{Type: "Link", MediaType: torrent.MagnetMimeType, Href: r.Torrent.Magnet, Height: r.Height, Width: r.Width, FPS: r.FPS})
		tracker = r.Torrent.Tracker
	}
	if tracker != "" {
		links = append(links, ap.Link{Type: "Link", Name: "tracker-websocket", Rel: []string{"tracker", "websocket"}, Href: tracker})
	}
	return links
}

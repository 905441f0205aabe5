package federation

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/media/torrent"
	"github.com/archipel/archipel/store"
)

// mediaObject tells whether obj is something the hub indexes: a Video or
// an Audio, or a Note that carries a video or audio file (not a reply).
func mediaObject(obj *ap.Object) bool {
	switch obj.Type {
	case "Video", "Audio":
		return true
	case "Note", "Article", "Page":
		if obj.InReplyTo != "" {
			return false
		}
		for _, a := range obj.Attachment {
			if isMediaType(a.MediaType) {
				return true
			}
		}
	}
	return false
}

func isMediaType(t string) bool {
	return strings.HasPrefix(t, "video/") || strings.HasPrefix(t, "audio/")
}

// followThatBrings finds the hub's accepted follow that lets obj in: the
// sender, one of the object's authors (a PeerTube video names its account
// and its channel), or, for a followed instance actor, any actor of its
// host.
func (s *Service) followThatBrings(ctx context.Context, sender string, obj *ap.Object) (*store.CuratedFollow, error) {
	follows, err := s.store.AcceptedCuratedFollows(ctx)
	if err != nil {
		return nil, err
	}
	authors := append([]string{sender}, obj.AttributedTo...)
	for _, f := range follows {
		if slices.Contains(authors, f.Actor.URI) {
			return f, nil
		}
	}
	for _, f := range follows {
		switch f.Actor.Kind {
		case "Application", "Service":
			if hostOf(f.Actor.URI) == hostOf(sender) || hostOf(f.Actor.URI) == hostOf(obj.ID) {
				return f, nil
			}
		}
	}
	return nil, nil
}

// onIndexCreate indexes a Create of a media object, or an Update (an
// edit, or an item we missed: indexed as new).
func (s *Service) onIndexCreate(ctx context.Context, act *ap.Activity, obj *ap.Object) error {
	if hostOf(obj.ID) != hostOf(act.Actor.ID) {
		return ignored("the object %s is not on the sender's host", obj.ID)
	}
	return s.index(ctx, act.Actor.ID, obj)
}

// onIndexAnnounce indexes what a followed actor boosts: the object is
// fetched from its origin (signed), never trusted from the Announce.
func (s *Service) onIndexAnnounce(ctx context.Context, act *ap.Activity) error {
	uri := act.Object.ID
	if uri == "" {
		return ignored("announce without an object id")
	}
	follow, err := s.followThatBrings(ctx, act.Actor.ID, &ap.Object{ID: uri})
	if err != nil {
		return err
	}
	if follow == nil {
		return ignored("announce by %s, whom the hub does not follow", act.Actor.ID)
	}
	if blocked, err := s.store.SenderBlocked(ctx, hostOf(uri), ""); err != nil || blocked {
		if err != nil {
			return err
		}
		s.log.Info("refused an announced item from a blocked instance", "object", uri, "via", act.Actor.ID)
		return ignored("announced %s is from a blocked instance", uri)
	}
	body, err := s.fetch(ctx, uri)
	if err != nil {
		return fmt.Errorf("fetch announced %s: %w", uri, err)
	}
	obj, err := ap.DecodeObject(body)
	if err != nil {
		return permanentError{err}
	}
	if obj.ID != uri {
		return ignored("the announced %s answered as %s", uri, obj.ID)
	}
	if !mediaObject(obj) {
		return ignored("announce of a %s", obj.Type)
	}
	return s.index(ctx, act.Actor.ID, obj)
}

// indexSource is what lets an object in: the follow that brings it, or a
// subscribed list whose proposal was applied.
type indexSource struct {
	via      *store.Actor         // the followed actor, or the list's hub
	settings store.FollowSettings // the curator's filters, and review or not
	accepted string               // who accepted it when it needs no review
}

// index stores a media object from a followed actor as a remote item,
// pending review or accepted as its follow says. Refusals are logged.
func (s *Service) index(ctx context.Context, sender string, obj *ap.Object) error {
	return s.indexFrom(ctx, sender, obj, nil)
}

// indexFrom is index with the source known already (src), or found from
// the hub's follows (src nil).
func (s *Service) indexFrom(ctx context.Context, sender string, obj *ap.Object, src *indexSource) error {
	refuse := func(format string, args ...any) error {
		reason := fmt.Sprintf(format, args...)
		s.log.Info("did not index a remote item", "object", obj.ID, "sender", sender, "reason", reason)
		return ignored("%s", reason)
	}
	author := sender
	if len(obj.AttributedTo) > 0 {
		author = obj.AttributedTo[0]
	}
	if blocked, err := s.store.SenderBlocked(ctx, hostOf(obj.ID), author); err != nil {
		return err
	} else if blocked {
		return refuse("its author or instance is blocked")
	}
	if src == nil {
		follow, err := s.followThatBrings(ctx, sender, obj)
		if err != nil {
			return err
		}
		if follow == nil {
			return refuse("not from an actor the hub follows")
		}
		src = &indexSource{via: follow.Actor, settings: follow.Settings, accepted: "auto: follow of " + follow.Actor.URI}
	}
	if !obj.To.HasPublic() && !obj.Cc.HasPublic() {
		return refuse("not public")
	}
	in := store.IndexedItem{ViaActorID: src.via.ID, Sensitive: obj.Sensitive}
	in.Kind = store.ItemVideo
	if obj.Type == "Audio" {
		in.Kind = store.ItemEpisode
	}
	in.Title, in.OriginURI = strings.TrimSpace(obj.Name), obj.ID
	if in.Title == "" {
		in.Title = "Untitled"
	}
	in.Description = obj.Content
	if obj.MediaType != "text/markdown" {
		in.Description = string(s.markup.Sanitize(obj.Content))
	}
	if obj.Language != nil {
		in.Language = obj.Language.Identifier
	}
	if obj.Duration != "" {
		if d, err := ap.ParseDurationISO(obj.Duration); err == nil {
			in.Duration = d
		}
	}
	in.PublishedAt = time.Now()
	if obj.Published != nil {
		in.PublishedAt = *obj.Published
	}
	for _, t := range obj.Tag {
		if t.Type == "Hashtag" {
			if tag := strings.ToLower(strings.TrimPrefix(t.Name, "#")); tag != "" {
				in.Tags = append(in.Tags, tag)
			}
		}
	}
	// The curator's filters for this follow.
	set := src.settings
	if len(set.Languages) > 0 && !slices.Contains(set.Languages, in.Language) {
		return refuse("language %q is not among %v", in.Language, set.Languages)
	}
	if in.Sensitive && !set.AllowSensitive {
		return refuse("sensitive, and the follow keeps sensitive items out")
	}
	if len(set.Tags) > 0 && !slices.ContainsFunc(in.Tags, func(t string) bool { return slices.Contains(set.Tags, t) }) {
		return refuse("none of its tags %v is among %v", in.Tags, set.Tags)
	}
	if set.MinDuration > 0 && in.Duration < set.MinDuration {
		return refuse("shorter (%s) than %s", in.Duration, set.MinDuration)
	}
	files, page, err := s.remoteFiles(ctx, obj)
	if err != nil {
		return refuse("%v", err)
	}
	if len(files) == 0 {
		return refuse("no video or audio file")
	}
	in.Files, in.OriginURL = files, page
	if in.OriginURL == "" {
		in.OriginURL = obj.ID
	}
	// The channel: the Group among the authors (PeerTube), else the author.
	channel := author
	for _, t := range obj.Attribution {
		if t.Type == "Group" {
			channel = t.ID
		}
	}
	if hostOf(channel) != hostOf(obj.ID) {
		return refuse("its channel %s is on another host", channel)
	}
	ch, err := s.RemoteActor(ctx, channel)
	if err != nil {
		return fmt.Errorf("fetch the channel %s: %w", channel, err)
	}
	in.ChannelActorID = ch.ID
	in.ReviewState = store.ReviewPending
	if !set.Review {
		in.ReviewState = store.ReviewAccepted
		// A limited instance's or actor's items always wait for a curator.
		if p, err := s.store.InstancePolicy(ctx, hostOf(obj.ID)); err == nil && p == store.PolicyLimit {
			in.ReviewState = store.ReviewPending
		}
		if limited, err := s.store.ActorLimited(ctx, append([]string{sender}, obj.AttributedTo...)...); err != nil {
			return err
		} else if limited {
			in.ReviewState = store.ReviewPending
		}
	}
	item, created, err := s.store.IndexRemoteItem(ctx, in)
	if err != nil {
		return err
	}
	if !created {
		return nil
	}
	s.log.Info("indexed a remote item", "item", item.PublicID, "object", obj.ID, "review", item.ReviewState, "via", src.via.URI)
	if item.ReviewState == store.ReviewAccepted {
		if err := s.store.LogReviewDecision(ctx, item, store.ReviewAccepted, src.accepted); err != nil {
			return err
		}
		if err := s.QueueMirror(ctx, item); err != nil {
			s.log.Warn("queue the mirror", "item", item.PublicID, "error", err)
		}
	}
	if q, err := s.jobs(); err == nil {
		if _, err := q.Insert(ctx, BackfillArgs{ItemID: item.ID}, nil); err != nil {
			s.log.Warn("queue the comments backfill", "item", item.PublicID, "error", err)
		}
	}
	return nil
}

// remoteFiles reads an object's media files (url[] links, or attachments
// for a Note), their torrent and magnet links, and its thumbnail. Every
// media URL must be http(s) on a public address (unless private addresses
// are allowed). page is the object's HTML page, when it gives one.
func (s *Service) remoteFiles(ctx context.Context, obj *ap.Object) (files []store.MediaFile, page string, err error) {
	type p2p struct{ torrent, magnet string }
	byHeight := map[int]*p2p{}
	at := func(h int) *p2p {
		if byHeight[h] == nil {
			byHeight[h] = &p2p{}
		}
		return byHeight[h]
	}
	for _, l := range obj.URL {
		mt, _, _ := strings.Cut(l.MediaType, ";")
		switch {
		case l.MediaType == torrent.MagnetMimeType:
			if strings.HasPrefix(l.Href, "magnet:?") {
				at(l.Height).magnet = l.Href
			}
		case mt == torrent.MimeType:
			at(l.Height).torrent = l.Href
		case mt == "text/html" && page == "":
			page = l.Href
		case isMediaType(mt):
			files = append(files, store.MediaFile{Rendition: rendition(mt, l.Height, len(files)), MimeType: mt,
				Size: l.Size, RemoteURL: l.Href, Width: l.Width, Height: l.Height, FPS: l.FPS})
		}
	}
	if len(files) == 0 {
		for _, a := range obj.Attachment {
			if isMediaType(a.MediaType) && a.URL != "" {
				files = append(files, store.MediaFile{Rendition: rendition(a.MediaType, a.Height, len(files)), MimeType: a.MediaType,
					RemoteURL: a.URL, Width: a.Width, Height: a.Height})
			}
		}
	}
	origin := hostOf(obj.ID)
	for i := range files {
		if err := s.publicMediaURL(ctx, files[i].RemoteURL, origin); err != nil {
			return nil, "", err
		}
		if t := byHeight[files[i].Height]; t != nil {
			if t.torrent != "" && s.publicMediaURL(ctx, t.torrent, origin) == nil {
				files[i].TorrentURL = t.torrent
			}
			files[i].MagnetURI = t.magnet
		}
	}
	for _, ic := range obj.Icon {
		if ic.URL != "" && s.publicMediaURL(ctx, ic.URL, origin) == nil {
			mt := ic.MediaType
			if mt == "" {
				mt = "image/jpeg"
			}
			files = append(files, store.MediaFile{Rendition: "thumbnail", MimeType: mt, RemoteURL: ic.URL, Width: ic.Width, Height: ic.Height})
			break
		}
	}
	if page != "" && s.publicMediaURL(ctx, page, origin) != nil {
		page = ""
	}
	return files, page, nil
}

// rendition names a remote file: "720p", or the media type's kind.
func rendition(mimeType string, height, n int) string {
	if height > 0 {
		return fmt.Sprintf("%dp", height)
	}
	kind, _, _ := strings.Cut(mimeType, "/")
	if n > 0 {
		return fmt.Sprintf("%s-%d", kind, n+1)
	}
	return kind
}

// publicMediaURL refuses a URL that is not http(s) or whose host is, or
// resolves to, a loopback, private or otherwise non-public address:
// players and the hub would fetch it, so an item could point them at a
// service on the viewer's or the hub's network. When the hub allows
// private addresses (tests, closed networks), a URL on the object's own
// host (origin) is accepted too, but still no other private address.
func (s *Service) publicMediaURL(ctx context.Context, raw, origin string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("media URL %q is not an http(s) URL", raw)
	}
	if s.allowPrivate && strings.EqualFold(u.Host, origin) {
		return nil
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return fmt.Errorf("media URL %q: %v", raw, err)
		}
		addrs = ips
	}
	for _, a := range addrs {
		if !publicAddr(a) {
			return fmt.Errorf("media URL %q is on a private address (%s)", raw, a)
		}
	}
	return nil
}

// publicAddr is httpclient's rule for outbound requests.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && !(a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsMulticast() || a.IsUnspecified() || a.IsInterfaceLocalMulticast())
}

// onIndexDelete removes a remote item its origin deleted.
func (s *Service) onIndexDelete(ctx context.Context, act *ap.Activity) (bool, error) {
	if hostOf(act.Object.ID) != hostOf(act.Actor.ID) {
		return false, nil
	}
	return s.store.DeleteRemoteItem(ctx, act.Object.ID)
}

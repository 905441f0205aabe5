// Package curation decides what the hub shows and shares: for now, the
// feeds of its channels (curation/feeds renders them); follows, review,
// collections and shared lists come with the Curation issue and reuse the
// same feed model.
package curation

import (
	"context"
	"html"
	"net/url"
	"strings"

	"github.com/archipel/archipel/curation/feeds"
	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/markup"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/media/torrent"
	"github.com/archipel/archipel/store"
)

// DefaultFeedItems is how many items a feed lists when not configured.
const DefaultFeedItems = 100

// Feeds builds the feed model of a channel from the store.
type Feeds struct {
	Store      *store.Store
	Library    *library.Library
	Federation *federation.Service // nil: no socialInteract
	Markup     *markup.Renderer
	PublicURL  *url.URL
	Limit      int    // items per feed; 0: DefaultFeedItems
	WebSubHub  string // announced in the feeds when set
}

// FeedURL is the address of a channel's feed in a format (rss, atom, json).
func (f *Feeds) FeedURL(handle, format string) string {
	return strings.TrimRight(f.PublicURL.String(), "/") + "/c/" + handle + "/feed." + format
}

// defaultCategory stands in for a channel that chose no category: Apple
// requires one.
func defaultCategory(kind string) feeds.Category {
	if kind == store.KindVideo {
		return feeds.Category{Name: "TV & Film"}
	}
	return feeds.Category{Name: "Society & Culture"}
}

// ChannelFeed is the feed of a local channel's published items, newest
// first: a podcast feed for a podcast channel, a video podcast feed for a
// video channel. format is the one the feed URL names (rss, atom, json).
func (f *Feeds) ChannelFeed(ctx context.Context, ch *store.Channel, format string) (*feeds.Feed, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultFeedItems
	}
	items, err := f.Store.ListItems(ctx, store.ItemFilter{ChannelID: ch.ID, PublishedOnly: true, Limit: limit})
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(f.PublicURL.String(), "/")
	feed := &feeds.Feed{
		Title: ch.Title, Description: ch.Description, Link: base + "/c/" + ch.Handle, FeedURL: f.FeedURL(ch.Handle, format),
		Language: ch.Language, Updated: ch.UpdatedAt, Explicit: ch.Explicit, Type: ch.FeedType, Podcast: true,
		GUID: ch.PodcastGUID, Locked: ch.Locked, License: ch.License, WebSubHub: f.WebSubHub,
		Author: ch.Title, Medium: "podcast",
	}
	if feed.Description == "" {
		feed.Description = ch.Title
	}
	if feed.GUID == "" {
		// The show's guid comes from its RSS feed's URL, in every format.
		feed.GUID = feeds.PodcastGUID(f.FeedURL(ch.Handle, "rss"))
	}
	if ch.Kind == store.KindVideo {
		feed.Medium = "video"
	}
	if ch.Category != "" {
		name, sub, _ := strings.Cut(ch.Category, ">")
		feed.Categories = []feeds.Category{{Name: strings.TrimSpace(name), Sub: strings.TrimSpace(sub)}}
	} else {
		feed.Categories = []feeds.Category{defaultCategory(ch.Kind)}
	}
	if ch.AvatarKey != "" {
		feed.ImageURL = f.Library.MediaURL(ch.AvatarKey)
	}
	if ch.OwnerID != 0 {
		if owner, err := f.Store.UserByID(ctx, ch.OwnerID); err == nil {
			feed.OwnerName, feed.OwnerEmail = owner.Username, owner.Email
			feed.LockedOwner = owner.Email
			// The channel's owner hosts the show.
			person := feeds.Person{Name: owner.Username, Role: "host", Group: "cast"}
			if f.Federation != nil {
				person.Href = f.Federation.PersonURI(owner.Username)
			}
			feed.Persons = []feeds.Person{person}
		}
	}
	if ch.FundingURL != "" {
		feed.Funding = []feeds.Funding{{URL: ch.FundingURL, Text: ch.FundingText}}
	}
	for _, it := range items {
		item, err := f.item(ctx, ch, it)
		if err != nil {
			return nil, err
		}
		if item == nil {
			continue
		}
		if it.UpdatedAt.After(feed.Updated) {
			feed.Updated = it.UpdatedAt
		}
		// Trailers are also the show's podcast:trailer.
		if it.EpisodeType == "trailer" && item.Enclosure != nil {
			feed.Trailers = append(feed.Trailers, feeds.Trailer{Title: it.Title, URL: item.Enclosure.URL, Published: item.Published,
				Length: item.Enclosure.Length, Type: item.Enclosure.Type, Season: it.Season})
		}
		feed.Items = append(feed.Items, *item)
	}
	return feed, nil
}

// item is one published item of the feed; nil when it has nothing to
// play (a remote item whose media is not here).
func (f *Feeds) item(ctx context.Context, ch *store.Channel, it *store.Item) (*feeds.Item, error) {
	v, err := f.Library.View(ctx, it, false)
	if err != nil {
		return nil, err
	}
	sources, thumbnail, poster, _ := v.Playable()
	var audio *library.RenditionView
	for i := range v.Renditions {
		if v.Renditions[i].Name == "audio" {
			audio = &v.Renditions[i]
		}
	}
	if len(sources) == 0 && audio == nil {
		return nil, nil
	}
	pageURL := f.Library.ItemURL(it)
	item := &feeds.Item{
		GUID: pageURL, Title: it.Title, Link: pageURL, Author: ch.Title,
		Duration: it.Duration, Season: it.Season, Episode: it.Episode, EpisodeType: it.EpisodeType,
		CommentsURL: pageURL + "#comments",
	}
	switch {
	case it.OriginURI != "": // a remote item keeps its origin's id, and its comments are there
		item.GUID = it.OriginURI
	case it.FeedGUID != "": // an imported episode keeps its guid: apps that follow the move see no duplicate
		item.GUID = it.FeedGUID
	case f.Federation != nil:
		item.GUID = f.Federation.ItemURI(it.PublicID)
	}
	if f.Markup != nil {
		item.Description = string(f.Markup.Markdown(it.Description))
	}
	if it.PublishedAt != nil {
		item.Published = *it.PublishedAt
	}
	item.Updated = it.UpdatedAt
	if poster != "" {
		item.Thumbnail = poster
	}
	if thumbnail != "" {
		item.Thumbnail = thumbnail
	}
	// The enclosure: the audio of a podcast episode, the best video of a
	// video; every rendition is an alternate enclosure.
	best := audio
	if it.Kind == store.ItemVideo && len(sources) > 0 || best == nil {
		best = &sources[0]
	}
	item.Enclosure = &feeds.Enclosure{URL: best.URL, Length: best.Size, Type: best.MimeType}
	all := sources
	if it.Kind == store.ItemVideo && audio != nil {
		all = append(append([]library.RenditionView{}, sources...), *audio)
	}
	for _, r := range all {
		alt := feeds.Alternate{Type: r.MimeType, Length: r.Size, Bitrate: r.Bitrate, Height: r.Height, Title: r.Name,
			Default: r.URL == best.URL, Sources: []feeds.Source{{URI: r.URL}}}
		if r.Torrent != nil {
			alt.Sources = append(alt.Sources, feeds.Source{URI: r.Torrent.Torrent, ContentType: torrent.MimeType},
				feeds.Source{URI: r.Torrent.Magnet})
		}
		item.Alternates = append(item.Alternates, alt)
		if it.Kind == store.ItemVideo && r.Height > 0 {
			item.Media = append(item.Media, feeds.MediaContent{URL: r.URL, Type: r.MimeType, Medium: "video", FileSize: r.Size,
				Width: r.Width, Height: r.Height, Duration: it.Duration, Bitrate: r.Bitrate, Framerate: r.FPS})
		}
	}
	for _, t := range v.Transcripts() {
		item.Transcripts = append(item.Transcripts, feeds.Transcript{URL: t.URL, Type: t.MimeType, Language: it.Language})
	}
	if it.Chapters != "" {
		item.Chapters = &feeds.Chapters{URL: pageURL + "/chapters.json", Type: "application/json+chapters"}
	}
	if it.OriginURI != "" {
		// Replies go to the origin, where the thread lives.
		if a, err := f.Store.ActorByID(ctx, ch.ActorID); err == nil {
			item.SocialInteract = []feeds.SocialInteract{{Protocol: "activitypub", URI: it.OriginURI,
				AccountID: "@" + a.Username + "@" + a.Domain, AccountURL: a.URI, Priority: 1}}
		}
		return item, nil
	}
	if f.Federation != nil {
		policy, err := f.Federation.CommentsPolicyOf(ctx, it)
		if err != nil {
			return nil, err
		}
		if policy == "closed" {
			item.SocialInteract = []feeds.SocialInteract{{Protocol: "disabled"}}
		} else {
			item.SocialInteract = []feeds.SocialInteract{{Protocol: "activitypub", URI: f.Federation.ItemURI(it.PublicID),
				AccountID: f.Federation.Handle(ch.Handle), AccountURL: f.Federation.ChannelURI(ch.Handle), Priority: 1}}
		}
	}
	return item, nil
}

// CollectionFeedURL is where a collection's podcast feed is.
func (f *Feeds) CollectionFeedURL(slug string) string {
	return strings.TrimRight(f.PublicURL.String(), "/") + "/collections/" + slug + "/feed.rss"
}

// CollectionFeed is a collection's podcast feed: its local and remote
// items in the curator's order, remote episodes with their origin's
// enclosures and their origin as the place to reply.
func (f *Feeds) CollectionFeed(ctx context.Context, c *store.Collection, entries []store.CollectionEntry, hub string) (*feeds.Feed, error) {
	base := strings.TrimRight(f.PublicURL.String(), "/")
	feedURL := f.CollectionFeedURL(c.Slug)
	feed := &feeds.Feed{
		Title: c.Title, Description: c.Description, Link: base + "/collections/" + c.Slug, FeedURL: feedURL,
		Updated: c.UpdatedAt, Podcast: true, GUID: feeds.PodcastGUID(feedURL), Locked: true, Author: hub,
		Medium: "podcast", Categories: []feeds.Category{defaultCategory(store.KindPodcast)}, WebSubHub: f.WebSubHub,
	}
	if feed.Description == "" {
		feed.Description = c.Title
	}
	channels := map[int64]*store.Channel{}
	for _, e := range entries {
		ch := channels[e.Item.ChannelID]
		if ch == nil {
			var err error
			if ch, err = f.Store.ChannelByID(ctx, e.Item.ChannelID); err != nil {
				return nil, err
			}
			channels[e.Item.ChannelID] = ch
		}
		item, err := f.item(ctx, ch, e.Item)
		if err != nil {
			return nil, err
		}
		if item == nil {
			continue
		}
		if e.Note != "" {
			item.Description = "<p>" + html.EscapeString(e.Note) + "</p>" + item.Description
		}
		if e.Item.UpdatedAt.After(feed.Updated) {
			feed.Updated = e.Item.UpdatedAt
		}
		feed.Items = append(feed.Items, *item)
	}
	return feed, nil
}

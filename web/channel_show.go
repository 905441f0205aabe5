package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/store"
)

// maxPendingShown bounds the follow requests listed on a channel's page.
const maxPendingShown = 50

type channelPage struct {
	Channel   *store.Channel
	Host      string // the host part of @handle@host
	Media     bool   // the hub has a media library: list items
	CanManage bool   // the visitor may upload and see every item's state
	Items     []itemCard
	// PrevURL and NextURL page through the items, channelPageSize a page.
	PrevURL, NextURL string
	Preview          *preview

	// With federation only.
	Federation    bool
	FediHandle    string // @handle@host, to follow from elsewhere
	CopyScriptURL string
	Followers     int // accepted followers
	// For those who manage the channel.
	ManuallyApproves bool
	Pending          []pendingFollow // the oldest follow requests waiting
	PendingTotal     int

	// Feeds are the channel's feeds (with a media library): RSS (the
	// podcast feed), Atom and JSON Feed.
	Feeds []feedLink
	// AppLinks open a podcast's feed in common podcast apps.
	AppLinks []appLink
	// Stats, for those who manage the channel: what its audience did.
	Stats *store.ChannelStats

	// With federation and a media library: comments.
	CommentsFeed string // the RSS feed of the comments on the channel's items
	HeldComments int    // comments waiting for approval, for those who manage it
}

// channelPageSize is how many items a channel's page lists at a time.
const channelPageSize = 30

// feedLink is one of a channel's feeds. TypeAttr is the whole type
// attribute: html/template would write the "+" of a media type as &#43;.
type feedLink struct {
	TypeAttr   template.HTMLAttr
	Title, URL string
}

// appLink opens a feed in a podcast app. URL is typed as safe because
// html/template would blank the apps' own schemes (podcast:, pktc:…);
// it is built here from the hub's own feed URL only.
type appLink struct {
	Name string
	URL  template.URL
}

// podcastAppLinks are the subscribe links of the common podcast apps for
// feed, an http(s) URL: the apps' documented URL schemes.
func podcastAppLinks(feed string) []appLink {
	bare := strings.TrimPrefix(strings.TrimPrefix(feed, "https://"), "http://")
	q := url.QueryEscape(feed)
	return []appLink{
		{"Apple Podcasts", template.URL("podcast://" + bare)}, // #nosec: our own feed URL
		{"AntennaPod", template.URL("https://antennapod.org/deeplink/subscribe?url=" + q)},
		{"Pocket Casts", template.URL("pktc://subscribe/" + bare)},           // #nosec: our own feed URL
		{"Overcast", template.URL("overcast://x-callback-url/add?url=" + q)}, // #nosec: our own feed URL
		{"Podcast Addict", template.URL("podcastaddict://" + bare)},          // #nosec: our own feed URL
		{"Castro", template.URL("castro://subscribe/" + bare)},               // #nosec: our own feed URL
	}
}

// channelFeeds lists a channel's feeds, the podcast (RSS) feed first.
func (s *server) channelFeeds(tr *catalog, c *store.Channel) []feedLink {
	rss := tr.T("channel.feed_rss")
	if c.Kind == store.KindVideo {
		rss = tr.T("channel.feed_rss_video")
	}
	return []feedLink{
		{typeAttr("rss"), rss, s.feeds.FeedURL(c.Handle, "rss")},
		{typeAttr("atom"), tr.T("channel.feed_atom"), s.feeds.FeedURL(c.Handle, "atom")},
		{typeAttr("json"), tr.T("channel.feed_json"), s.feeds.FeedURL(c.Handle, "json")},
	}
}

// typeAttr is the type attribute of a link to a feed format.
func typeAttr(format string) template.HTMLAttr {
	return template.HTMLAttr(`type="` + feedFormats[format].mediaType + `"`) // #nosec: a constant of ours
}

// pendingFollow is a follow request waiting for the creator's decision.
type pendingFollow struct {
	ID     int64
	Name   string // display name, or the handle without one
	Handle string // @user@domain
	URL    string // the follower's profile
	Since  time.Time
}

// handleChannel shows a local channel and its items: the published ones,
// or all of them with their state for its owner and admins. With
// federation it shows the handle to follow it by and its follower count,
// and its owner and admins decide there who may follow it.
func (s *server) handleChannel(w http.ResponseWriter, r *http.Request) {
	handle := strings.ToLower(r.PathValue("handle"))
	if s.federation != nil && federation.WantsActivityJSON(r) {
		s.federation.ServeActor(w, r, store.ActorGroup, handle)
		return
	}
	ctx := r.Context()
	c, err := s.store.LocalChannel(ctx, handle)
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, http.StatusNotFound, "error.channel_not_found", "error.channel_not_found.message", handle)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	page := channelPage{Channel: c, Host: s.publicURL.Host, Media: s.library != nil,
		CanManage: canManage(user, c.OwnerID), Preview: s.channelPreview(s.tr(r), s.hubName(ctx), c)}
	if s.library != nil {
		page.Feeds = s.channelFeeds(s.tr(r), c)
		if c.Kind == store.KindPodcast {
			page.AppLinks = podcastAppLinks(page.Feeds[0].URL)
		}
		if page.CanManage {
			st, err := s.store.ChannelStatsOf(ctx, c.ID)
			if err != nil {
				s.serverError(w, r, err)
				return
			}
			page.Stats = &st
		}
		page.CopyScriptURL = s.copyScriptURL
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		n = min(max(n, 1), 10000)
		items, err := s.store.ListItems(ctx, store.ItemFilter{ChannelID: c.ID, PublishedOnly: !page.CanManage,
			Limit: channelPageSize + 1, Offset: (n - 1) * channelPageSize})
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if len(items) > channelPageSize {
			items = items[:channelPageSize]
			page.NextURL = "/c/" + c.Handle + "?page=" + strconv.Itoa(n+1) + "#items-heading"
		}
		if n > 1 {
			page.PrevURL = "/c/" + c.Handle + "?page=" + strconv.Itoa(n-1) + "#items-heading"
		}
		if page.Items, err = s.itemCards(ctx, items); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	if s.federation != nil {
		if err := s.channelFollowers(r, c, &page); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "channel", c.Title, page)
}

// channelFollowers fills in the federation side of a channel's page.
func (s *server) channelFollowers(r *http.Request, c *store.Channel, page *channelPage) error {
	ctx := r.Context()
	page.Federation = true
	page.FediHandle = s.federation.Handle(c.Handle)
	page.CopyScriptURL = s.copyScriptURL
	var err error
	if page.Followers, err = s.store.CountFollowers(ctx, c.ActorID, store.FollowAccepted); err != nil {
		return err
	}
	if s.library != nil {
		page.CommentsFeed = s.absURL("/c/" + c.Handle + "/comments.rss")
	}
	if !page.CanManage {
		return nil
	}
	if s.library != nil {
		if page.HeldComments, err = s.store.CountHeldComments(ctx, c.ID); err != nil {
			return err
		}
	}
	actor, err := s.store.ActorByID(ctx, c.ActorID)
	if err != nil {
		return err
	}
	page.ManuallyApproves = actor.ManuallyApproves
	if page.PendingTotal, err = s.store.CountFollowers(ctx, c.ActorID, store.FollowPending); err != nil || page.PendingTotal == 0 {
		return err
	}
	follows, err := s.store.ListFollowers(ctx, c.ActorID, store.FollowPending, 0, maxPendingShown)
	if err != nil {
		return err
	}
	for _, f := range follows {
		a := f.Follower
		p := pendingFollow{ID: f.ID, Name: strings.TrimSpace(a.DisplayName), Handle: followerHandle(a), URL: a.URL, Since: f.CreatedAt}
		if p.URL == "" {
			p.URL = s.federation.ActorURI(a)
		}
		if p.Name == "" {
			p.Name = p.Handle
		}
		page.Pending = append(page.Pending, p)
	}
	return nil
}

// followerHandle is @user@domain of a follower (its id when the actor has
// no username).
func followerHandle(a *store.Actor) string {
	switch {
	case strings.ContainsAny(a.Username, "/:"):
		return a.URI // stored without a preferredUsername
	case a.Domain == "":
		return "@" + a.Username
	}
	return "@" + a.Username + "@" + a.Domain
}

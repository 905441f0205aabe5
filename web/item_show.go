package web

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/archipel/archipel/curation/feeds"
	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
)

// itemPage is the data of an item's page.
type itemPage struct {
	Item        *store.Item
	Video       bool                    // a <video> player, else <audio>
	Sources     []library.RenditionView // the player's sources, best first
	Poster      string
	Description template.HTML // sanitized Markdown
	Downloads   []download
	Captions    []library.RenditionView // WebVTT transcripts, as <track>s
	CanManage   bool
	Editable    bool // CanManage, and the item is local
	Tags        []string
	Preview     *preview
	// Reactions shows the fediverse likes and boosts of a published item
	// when the hub federates.
	Reactions     bool
	Likes, Shares int
	// Comments is the comments section of a published item when the hub
	// federates; CommentsFeed the absolute URL of their RSS feed.
	Comments     *commentsSection
	CommentsFeed string
	// ChannelFeed is the podcast (RSS) feed of a local item's channel.
	ChannelFeed string
	// P2P, when set, makes the player share the best source over
	// WebTorrent (static/player.js).
	P2P *playerP2P
	// Torrents are the .torrent and magnet links of the downloads.
	Torrents []download
	// Chapters, from the creator's chapters: each seeks the player.
	Chapters []chapterLink
	// Transcript is the URL of the item's WebVTT transcript.
	Transcript string
	// Share: a published local item's page URL and the HTML that embeds
	// its player; ItemScriptURL runs the chapter links and copy buttons.
	ShareURL, EmbedCode, ItemScriptURL, CopyScriptURL string
}

// chapterLink is a chapter as the item page lists it.
type chapterLink struct {
	Start   string // m:ss or h:mm:ss
	Seconds int
	Title   string
}

// chapterLinks reads an item's JSON chapters ("" or bad: none).
func chapterLinks(doc string) []chapterLink {
	var list feeds.ChapterList
	if doc == "" || json.Unmarshal([]byte(doc), &list) != nil {
		return nil
	}
	out := make([]chapterLink, 0, len(list.Chapters))
	for _, c := range list.Chapters {
		if c.TOC != nil && !*c.TOC {
			continue // a chapter kept out of the table of contents
		}
		sec := int(c.StartTime)
		out = append(out, chapterLink{Start: formatDuration(time.Duration(sec) * time.Second), Seconds: sec, Title: c.Title})
	}
	return out
}

// playerP2P is what static/player.js needs to play a file over WebTorrent.
type playerP2P struct {
	Torrent    string // the .torrent without its web seed: the player adds it when peers lack
	WebSeed    string
	ServerPeer string // hex of the hub seeder's peer-id prefix
	ICE        string // JSON array of RTCIceServer
	Lib        string // the WebTorrent module
	Worker     string // WebTorrent's service worker
	Script     string // static/player.js
}

// download is a link to one of an item's files.
type download struct {
	Label string
	library.RenditionView
	Magnet template.URL // the magnet link (html/template would refuse its scheme), when it has a torrent
}

// handleItem shows an item: its player once transcoded, its progress while
// processing, the error when transcoding failed, and for its owner and
// admins the buttons to edit, publish, retry or delete it. Items that are
// not published are not found by others. Published items carry link
// previews (OpenGraph, Twitter cards, oEmbed) and, when the hub federates,
// their likes and boosts and their comments (see comments.go).
func (s *server) handleItem(w http.ResponseWriter, r *http.Request) {
	if s.federation != nil && federation.WantsActivityJSON(r) {
		s.federation.ServeItem(w, r, r.PathValue("id"))
		return
	}
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	item, manage, err := s.visibleItem(r.Context(), user, r.PathValue("id"))
	if isNotFound(err) {
		s.renderItemNotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.showItem(w, r, http.StatusOK, user, item, manage, nil)
}

// showItem renders the page of item for user with status; comment is what
// the comment form shows (nil: an empty form).
func (s *server) showItem(w http.ResponseWriter, r *http.Request, status int, user *store.User, item *store.Item, manage bool, comment *commentForm) {
	v, err := s.library.View(r.Context(), item, manage)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	sources, _, poster, _ := v.Playable()
	page := &itemPage{
		Item: item, Video: item.Kind == store.ItemVideo, Sources: sources, Poster: poster,
		Description: s.markup.Markdown(item.Description), CanManage: manage,
		Editable: manage && item.OriginURI == "", Preview: s.itemPreview(s.tr(r), s.hubName(r.Context()), item, v),
	}
	page.Chapters = chapterLinks(item.Chapters)
	page.ItemScriptURL, page.CopyScriptURL = s.itemScriptURL, s.copyScriptURL
	if item.OriginURI == "" && item.State == store.StatePublished {
		page.ChannelFeed = s.feeds.FeedURL(item.ChannelHandle, "rss")
		page.ShareURL = s.absURL("/i/" + item.PublicID)
		w, h := embedSize(page.Video, sources)
		page.EmbedCode = s.embedIframe(item, w, h)
	}
	if page.Tags, err = s.store.ItemTags(r.Context(), item.ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	if s.federation != nil && item.State == store.StatePublished {
		page.Reactions = true
		if page.Likes, page.Shares, err = s.store.ItemReactionCounts(r.Context(), item.ID); err != nil {
			s.serverError(w, r, err)
			return
		}
		if page.Comments, err = s.itemComments(w, r, user, item, comment); err != nil {
			s.serverError(w, r, err)
			return
		}
		page.CommentsFeed = s.absURL("/i/" + item.PublicID + "/comments.rss")
	}
	for _, rv := range v.Renditions {
		switch rv.Name {
		case "thumbnail", "poster", "waveform":
			continue
		}
		label := rv.Name
		switch {
		case rv.Name == "transcript":
			label = s.tr(r).T("item_edit.transcript")
			if rv.MimeType == library.TranscriptVTT {
				page.Captions = append(page.Captions, rv)
			}
			if page.Transcript == "" {
				page.Transcript = rv.URL
			}
		case rv.Height > 0:
			label += " (" + itoa(rv.Width) + "×" + itoa(rv.Height) + ")"
		case rv.Name == "audio" && page.Video:
			label = s.tr(r).T("item.audio_only")
		}
		page.Downloads = append(page.Downloads, download{Label: label, RenditionView: rv})
	}
	if v.Source != nil {
		page.Downloads = append(page.Downloads, download{Label: s.tr(r).T("item.original"), RenditionView: *v.Source})
	}
	for _, d := range page.Downloads {
		if d.Torrent != nil && d.Torrent.Torrent != "" && strings.HasPrefix(d.Torrent.Magnet, "magnet:?") {
			d.Magnet = template.URL(d.Torrent.Magnet) // made by torrent.Magnet, its parts query-escaped
			page.Torrents = append(page.Torrents, d)
		}
	}
	// The P2P player shares files this hub seeds: its own, and mirrors
	// of remote items (the CSP keeps its requests here).
	if s.p2p && item.State == store.StatePublished && len(sources) > 0 && sources[0].Torrent != nil &&
		strings.HasPrefix(sources[0].Torrent.Torrent, s.absURL("/torrents/")) {
		page.P2P = s.playerP2P(sources[0])
	}
	s.render(w, r, status, "item", item.Title, page)
}

func (s *server) renderItemNotFound(w http.ResponseWriter, r *http.Request) {
	if s.federation != nil && s.federation.Tombstoned(r.Context(), s.federation.ItemURI(r.PathValue("id"))) {
		s.renderError(w, r, http.StatusGone, "error.deleted", "error.deleted.item")
		return
	}
	s.renderError(w, r, http.StatusNotFound, "error.not_found", "error.not_found.message")
}

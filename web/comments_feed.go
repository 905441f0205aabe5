package web

import (
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/archipel/archipel/curation/feeds"
	"github.com/archipel/archipel/store"
)

// maxFeedComments is the number of comments in a comments feed.
const maxFeedComments = 50

// handleItemCommentsFeed answers /i/{id}/comments.rss: RSS 2.0 of the
// newest visible comments on a published item.
func (s *server) handleItemCommentsFeed(w http.ResponseWriter, r *http.Request) {
	item, _, err := s.visibleItem(r.Context(), nil, r.PathValue("id"))
	if isNotFound(err) {
		s.renderItemNotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	comments, err := s.store.ListComments(r.Context(), store.CommentFilter{ItemID: item.ID, Limit: maxFeedComments})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.writeCommentsFeed(w, r, &feeds.Feed{
		Title:       "Comments on " + item.Title,
		Link:        s.absURL("/i/" + item.PublicID),
		FeedURL:     s.absURL("/i/" + item.PublicID + "/comments.rss"),
		Description: "The newest comments on “" + item.Title + "”, from " + item.ChannelTitle + " on " + s.hubName(r.Context()) + ".",
	}, comments)
}

// handleChannelCommentsFeed answers /c/{handle}/comments.rss: RSS 2.0 of
// the newest visible comments on a local channel's items.
func (s *server) handleChannelCommentsFeed(w http.ResponseWriter, r *http.Request) {
	handle := strings.ToLower(r.PathValue("handle"))
	c, err := s.store.LocalChannel(r.Context(), handle)
	if isNotFound(err) {
		s.renderError(w, r, http.StatusNotFound, "error.channel_not_found", "error.channel_not_found.message", handle)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	comments, err := s.store.ListComments(r.Context(), store.CommentFilter{ChannelID: c.ID, Limit: maxFeedComments})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.writeCommentsFeed(w, r, &feeds.Feed{
		Title:       "Comments on " + c.Title,
		Link:        s.absURL("/c/" + c.Handle),
		FeedURL:     s.absURL("/c/" + c.Handle + "/comments.rss"),
		Description: "The newest comments on the videos and episodes of " + c.Title + " on " + s.hubName(r.Context()) + ".",
	}, comments)
}

// writeCommentsFeed answers feed (plain RSS, from the one feed generator)
// with comments as its items, newest first.
func (s *server) writeCommentsFeed(w http.ResponseWriter, r *http.Request, feed *feeds.Feed, comments []store.ChannelComment) {
	feed.Updated = time.Now().UTC()
	if len(comments) > 0 {
		feed.Updated = comments[0].PublishedAt.UTC()
	}
	for _, c := range comments {
		name := c.Author.Name()
		content := c.ContentHTML
		if c.Summary != "" {
			// The warning comes first, as the pages show it.
			content = "<p><strong>Content warning: " + html.EscapeString(c.Summary) + "</strong></p>" + content
		}
		feed.Items = append(feed.Items, feeds.Item{
			Title:       "Comment by " + name + " on " + c.ItemTitle,
			Link:        s.absURL("/i/" + c.ItemPublicID + "#c" + strconv.FormatInt(c.ID, 10)),
			GUID:        c.URI,
			Description: content,
			Author:      name,
			Published:   c.PublishedAt.UTC(),
		})
	}
	body, err := feed.RSS()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/rss+xml; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}

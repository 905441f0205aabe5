package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/archipel/archipel/curation/feeds"
	"github.com/archipel/archipel/store"
)

// Feeds are generated once per change of their channel and served from
// memory: the cache entry carries the version of the channel's content it
// was made from (store.FeedVersion, one cheap query), its ETag, its
// Last-Modified and a gzipped copy. A request checks the version; a
// change makes the next request generate the feed again.

// feedFormats are the formats a channel's feed comes in, by URL suffix.
var feedFormats = map[string]struct {
	mediaType string
	render    func(*feeds.Feed) ([]byte, error)
}{
	"rss":  {"application/rss+xml", (*feeds.Feed).RSS},
	"atom": {"application/atom+xml", (*feeds.Feed).Atom},
	"json": {"application/feed+json", (*feeds.Feed).JSON},
}

// feedCacheSize bounds the feeds kept in memory.
const feedCacheSize = 512

type feedEntry struct {
	version  string
	etag     string
	modified time.Time
	body     []byte
	gzipped  []byte
}

type feedCache struct {
	mu      sync.Mutex
	entries map[string]*feedEntry
}

func (c *feedCache) get(key, version string) *feedEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[key]; e != nil && e.version == version {
		return e
	}
	return nil
}

func (c *feedCache) put(key string, e *feedEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*feedEntry{}
	}
	if len(c.entries) >= feedCacheSize {
		for k := range c.entries { // drop one at random
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = e
}

// newFeedEntry renders body's cache entry.
func newFeedEntry(version string, modified time.Time, body []byte) *feedEntry {
	sum := sha256.Sum256(body)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	return &feedEntry{version: version, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, modified: modified.UTC().Truncate(time.Second),
		body: body, gzipped: gz.Bytes()}
}

// handleChannelFeed serves /c/{handle}/feed.rss, .atom and .json.
func (s *server) handleChannelFeed(format string) http.HandlerFunc {
	f := feedFormats[format]
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ch, err := s.store.LocalChannel(ctx, strings.ToLower(r.PathValue("handle")))
		if isNotFound(err) {
			http.Error(w, "There is no such channel.", http.StatusNotFound)
			return
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		version, modified, err := s.store.FeedVersion(ctx, ch.ID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		key := ch.Handle + "." + format
		e := s.feedCache.get(key, version)
		if e == nil {
			feed, err := s.feeds.ChannelFeed(ctx, ch, format)
			if err != nil {
				s.serverError(w, r, err)
				return
			}
			body, err := f.render(feed)
			if err != nil {
				s.serverError(w, r, err)
				return
			}
			e = newFeedEntry(version, modified, body)
			s.feedCache.put(key, e)
		}
		serveCached(w, r, f.mediaType+"; charset=utf-8", e)
	}
}

// serveCached answers with a cached document: 304 when the client has
// it, gzipped when the client takes it.
func serveCached(w http.ResponseWriter, r *http.Request, contentType string, e *feedEntry) {
	h := w.Header()
	h.Set("ETag", e.etag)
	h.Set("Last-Modified", e.modified.Format(http.TimeFormat))
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Vary", "Accept-Encoding")
	h.Set("Access-Control-Allow-Origin", "*")
	if notModified(r, e) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", contentType)
	body := e.body
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = e.gzipped
	}
	h.Set("Content-Length", itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// notModified applies If-None-Match, or else If-Modified-Since.
func notModified(r *http.Request, e *feedEntry) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			if tag == e.etag || tag == "*" {
				return true
			}
		}
		return false
	}
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil {
		return !e.modified.After(ims)
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") {
			return true
		}
	}
	return false
}

// handleFeedsOPML serves /feeds.opml: the feeds of the hub's channels.
func (s *server) handleFeedsOPML(w http.ResponseWriter, r *http.Request) {
	chans, err := s.store.ListChannels(r.Context(), store.ChannelFilter{})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	base := strings.TrimRight(s.publicURL.String(), "/")
	var outlines []feeds.Outline
	for _, ch := range chans {
		if ch.Domain != "" {
			continue
		}
		outlines = append(outlines, feeds.Outline{Text: ch.Title, Title: ch.Title, Type: "rss",
			XMLURL: s.feeds.FeedURL(ch.Handle, "rss"), HTMLURL: base + "/c/" + ch.Handle})
	}
	// The curated catalogue: every collection is a podcast feed too.
	colls, err := s.store.Collections(r.Context(), false)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, c := range colls {
		outlines = append(outlines, feeds.Outline{Text: c.Title, Title: c.Title, Type: "rss",
			XMLURL: s.feeds.CollectionFeedURL(c.Slug), HTMLURL: base + "/collections/" + c.Slug})
	}
	body, err := feeds.OPML("Podcasts and video channels of "+s.publicURL.Host, s.publicURL.Host, time.Now(), outlines)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/x-opml; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="archipel-feeds.opml"`)
	_, _ = w.Write(body)
}

// handleItemChapters serves an episode's JSON chapters.
func (s *server) handleItemChapters(w http.ResponseWriter, r *http.Request) {
	user, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	item, _, err := s.visibleItem(r.Context(), user, r.PathValue("id"))
	if err == nil && item.Chapters == "" {
		err = store.ErrNotFound
	}
	if isNotFound(err) {
		http.Error(w, "This item has no chapters.", http.StatusNotFound)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json+chapters")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write([]byte(item.Chapters))
}

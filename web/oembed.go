package web

import (
	"fmt"
	"html"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
)

// Default sizes of embedded players, before maxwidth and maxheight.
const (
	embedVideoWidth  = 640
	embedAudioWidth  = 480
	embedAudioHeight = 120
)

// oembed is an oEmbed 1.0 response (https://oembed.com).
type oembed struct {
	Version         string `json:"version"`
	Type            string `json:"type"`
	ProviderName    string `json:"provider_name"`
	ProviderURL     string `json:"provider_url"`
	Title           string `json:"title"`
	AuthorName      string `json:"author_name"`
	AuthorURL       string `json:"author_url"`
	CacheAge        int    `json:"cache_age,omitempty"`
	ThumbnailURL    string `json:"thumbnail_url,omitempty"`
	ThumbnailWidth  int    `json:"thumbnail_width,omitempty"`
	ThumbnailHeight int    `json:"thumbnail_height,omitempty"`
	HTML            string `json:"html,omitempty"`
	Width           int    `json:"width,omitempty"`
	Height          int    `json:"height,omitempty"`
}

// oembedCacheAge is how long consumers and caches may keep an answer.
const oembedCacheAge = 300

// handleOEmbed answers GET /oembed?url=…[&format=json][&maxwidth=…][&maxheight=…]
// for the pages of published local items (a player in an iframe: type
// "video", or "rich" for episodes, which oEmbed has no audio type for) and
// local channels (type "link"). Only JSON is offered (501 for another
// format); a URL of another site, of an unknown or unpublished item, is 404.
func (s *server) handleOEmbed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && f != "json" {
		writeJSONError(w, http.StatusNotImplemented, "Only the json format is offered.")
		return
	}
	raw := q.Get("url")
	if raw == "" {
		writeJSONError(w, http.StatusBadRequest, "The url parameter is required.")
		return
	}
	maxW, maxH := positiveInt(q.Get("maxwidth")), positiveInt(q.Get("maxheight"))
	notFound := func() {
		writeJSONError(w, http.StatusNotFound, "There is no published video, episode or channel of this hub at this URL.")
	}
	kind, key, ok := s.localPage(raw)
	if !ok {
		notFound()
		return
	}
	var (
		resp *oembed
		err  error
	)
	switch kind {
	case "item":
		resp, err = s.oembedItem(r, key, maxW, maxH)
	default:
		resp, err = s.oembedChannel(r, key)
	}
	if isNotFound(err) {
		notFound()
		return
	}
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(oembedCacheAge))
	writeJSON(w, http.StatusOK, resp)
}

// localPage maps the URL of one of this hub's pages to ("item", public id)
// or ("channel", handle). Query and fragment are ignored, and so is the
// scheme, which a proxy in front may change.
func (s *server) localPage(raw string) (kind, key string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, s.publicURL.Host) {
		return "", "", false
	}
	p, found := strings.CutPrefix(u.Path, strings.TrimRight(s.publicURL.Path, "/"))
	if !found {
		return "", "", false
	}
	p = strings.TrimSuffix(p, "/")
	switch {
	case strings.HasPrefix(p, "/i/"):
		id := strings.TrimSuffix(p[len("/i/"):], "/embed")
		if id != "" && len(id) <= 64 && !strings.Contains(id, "/") {
			return "item", id, true
		}
	case strings.HasPrefix(p, "/c/"):
		handle := strings.ToLower(p[len("/c/"):])
		if handle != "" && !strings.Contains(handle, "/") {
			return "channel", handle, true
		}
	}
	return "", "", false
}

// oembedItem describes a published local item, as an embedded player.
func (s *server) oembedItem(r *http.Request, publicID string, maxW, maxH int) (*oembed, error) {
	if s.library == nil {
		return nil, store.ErrNotFound
	}
	ctx := r.Context()
	item, err := s.store.ItemByPublicID(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if item.State != store.StatePublished || item.OriginURI != "" {
		return nil, store.ErrNotFound
	}
	v, err := s.library.View(ctx, item, false)
	if err != nil {
		return nil, err
	}
	resp := &oembed{Version: "1.0", Type: "video", ProviderName: s.hubName(r.Context()), ProviderURL: s.absURL("/"),
		Title: item.Title, AuthorName: item.ChannelTitle, AuthorURL: s.absURL("/c/" + item.ChannelHandle), CacheAge: oembedCacheAge}
	sources, _, _, _ := v.Playable()
	if item.Kind == store.ItemVideo {
		w, h := embedSize(true, sources)
		resp.Width, resp.Height = fitBox(w, h, maxW, maxH)
	} else {
		resp.Type = "rich"
		resp.Width, resp.Height = embedAudioWidth, embedAudioHeight
		if maxW > 0 && resp.Width > maxW {
			resp.Width = maxW
		}
		if maxH > 0 && resp.Height > maxH {
			resp.Height = maxH
		}
	}
	// The smallest picture of known size that fits the bounds.
	for _, name := range []string{"thumbnail", "poster"} {
		p := rendition(v, name)
		if p == nil || p.Width <= 0 || p.Height <= 0 || (maxW > 0 && p.Width > maxW) || (maxH > 0 && p.Height > maxH) {
			continue
		}
		resp.ThumbnailURL, resp.ThumbnailWidth, resp.ThumbnailHeight = p.URL, p.Width, p.Height
		break
	}
	resp.HTML = s.embedIframe(item, resp.Width, resp.Height)
	return resp, nil
}

// embedIframe is the HTML that embeds an item's player page.
func (s *server) embedIframe(item *store.Item, width, height int) string {
	return fmt.Sprintf(`<iframe src="%s" width="%d" height="%d" title="%s" style="border:0" allow="fullscreen" allowfullscreen loading="lazy"></iframe>`,
		html.EscapeString(s.absURL("/i/"+item.PublicID+"/embed")), width, height, html.EscapeString(item.Title))
}

// embedSize is the default size of an item's embedded player: the video's
// shape at the usual width, or the audio player's.
func embedSize(video bool, sources []library.RenditionView) (int, int) {
	if !video {
		return embedAudioWidth, embedAudioHeight
	}
	sw, sh := 16, 9
	if len(sources) > 0 && sources[0].Width > 0 && sources[0].Height > 0 {
		sw, sh = sources[0].Width, sources[0].Height
	}
	return embedVideoWidth, int(math.Round(float64(embedVideoWidth) * float64(sh) / float64(sw)))
}

// oembedChannel describes a local channel, as a link.
func (s *server) oembedChannel(r *http.Request, handle string) (*oembed, error) {
	c, err := s.store.LocalChannel(r.Context(), handle)
	if err != nil {
		return nil, err
	}
	return &oembed{Version: "1.0", Type: "link", ProviderName: s.hubName(r.Context()), ProviderURL: s.absURL("/"),
		Title: c.Title, AuthorName: c.Title, AuthorURL: s.absURL("/c/" + c.Handle), CacheAge: oembedCacheAge}, nil
}

// fitBox scales w×h down, keeping its proportions, to fit within maxW×maxH
// (0: no bound).
func fitBox(w, h, maxW, maxH int) (int, int) {
	if maxW > 0 && w > maxW {
		h = int(math.Round(float64(h) * float64(maxW) / float64(w)))
		w = maxW
	}
	if maxH > 0 && h > maxH {
		w = int(math.Round(float64(w) * float64(maxH) / float64(h)))
		h = maxH
	}
	return max(w, 1), max(h, 1)
}

// positiveInt parses a positive integer parameter; anything else is 0.
func positiveInt(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

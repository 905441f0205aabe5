package web

import (
	"html"
	"net/url"
	"regexp"
	"strings"

	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
)

// maxPreviewText bounds the plain-text descriptions of link previews.
const maxPreviewText = 200

// preview is what a page tells link previewers, search engines and the
// fediverse about itself (templates/preview.html): its canonical URL, and
// for public pages OpenGraph and Twitter card metadata and the alternate
// ActivityPub and oEmbed representations. Every URL is absolute.
type preview struct {
	Canonical string
	// Public pages (published items, channels) get the rest.
	Public       bool
	Type         string // og:type: video.other, music.song or website
	Title        string
	Description  string // plain text, at most maxPreviewText characters
	SiteName     string
	Image        *previewImage
	Media        *previewMedia // og:video or og:audio
	Duration     int           // seconds, for video:duration / music:duration
	ActivityJSON string        // the ActivityPub id; "" when the hub does not federate
	OEmbed       string
}

type previewImage struct {
	URL           string
	Type          string
	Width, Height int
}

// previewMedia is the best source of an item's player.
type previewMedia struct {
	Tag           string // "video" or "audio", as in og:video
	URL           string
	Type          string
	Width, Height int
	Secure        bool // https: also og:…:secure_url
}

// Card is the Twitter card type: a large picture when there is one.
func (p *preview) Card() string {
	if p.Image != nil {
		return "summary_large_image"
	}
	return "summary"
}

// absURL is the public URL of a path on this hub.
func (s *server) absURL(path string) string {
	return strings.TrimRight(s.publicURL.String(), "/") + path
}

// oembedURL is the oEmbed endpoint's URL describing the page at pageURL.
func (s *server) oembedURL(pageURL string) string {
	return s.absURL("/oembed?url=" + url.QueryEscape(pageURL) + "&format=json")
}

// itemPreview describes an item's page on the hub named hub. Only
// published local items get more than their canonical URL, which for a
// remote item is its origin's.
func (s *server) itemPreview(tr *catalog, hub string, item *store.Item, v *library.ItemView) *preview {
	page := s.absURL("/i/" + item.PublicID)
	p := &preview{Canonical: page}
	if item.OriginURI != "" {
		if strings.HasPrefix(item.OriginURI, "https://") || strings.HasPrefix(item.OriginURI, "http://") {
			p.Canonical = item.OriginURI
		}
		return p
	}
	if item.State != store.StatePublished {
		return p
	}
	p.Public = true
	p.Title = item.Title
	p.SiteName = hub
	p.Duration = int(item.Duration.Seconds() + 0.5)
	p.Description = s.plainText(item.Description)
	if p.Description == "" {
		p.Description = tr.T("preview.video", item.ChannelTitle, hub)
		if item.Kind == store.ItemEpisode {
			p.Description = tr.T("preview.episode", item.ChannelTitle, hub)
		}
	}
	p.Type = "video.other"
	tag := "video"
	if item.Kind == store.ItemEpisode {
		p.Type, tag = "music.song", "audio"
	}
	sources, _, _, _ := v.Playable()
	if len(sources) > 0 {
		best := sources[0]
		p.Media = &previewMedia{Tag: tag, URL: best.URL, Type: best.MimeType, Width: best.Width, Height: best.Height,
			Secure: strings.HasPrefix(best.URL, "https://")}
	}
	// The poster is the large picture; the thumbnail will do without one.
	for _, name := range []string{"poster", "thumbnail"} {
		if r := rendition(v, name); r != nil {
			p.Image = &previewImage{URL: r.URL, Type: r.MimeType, Width: r.Width, Height: r.Height}
			break
		}
	}
	if s.federation != nil {
		p.ActivityJSON = s.federation.ItemURI(item.PublicID)
	}
	p.OEmbed = s.oembedURL(page)
	return p
}

// channelPreview describes a local channel's page on the hub named hub.
func (s *server) channelPreview(tr *catalog, hub string, c *store.Channel) *preview {
	page := s.absURL("/c/" + c.Handle)
	p := &preview{Canonical: page, Public: true, Type: "website", Title: c.Title, SiteName: hub}
	p.Description = truncateText(strings.Join(strings.Fields(c.Description), " "), maxPreviewText)
	if p.Description == "" {
		p.Description = tr.T("preview.video_channel", c.Handle, hub)
		if c.Kind == store.KindPodcast {
			p.Description = tr.T("preview.podcast", c.Handle, hub)
		}
	}
	if s.federation != nil {
		p.ActivityJSON = s.federation.ChannelURI(c.Handle)
	}
	p.OEmbed = s.oembedURL(page)
	return p
}

// rendition finds an item's rendition called name.
func rendition(v *library.ItemView, name string) *library.RenditionView {
	for i := range v.Renditions {
		if v.Renditions[i].Name == name {
			return &v.Renditions[i]
		}
	}
	return nil
}

var (
	htmlTagRE      = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>`)
	blockElementRE = regexp.MustCompile(`^(?i:p|br|hr|li|ul|ol|h[1-6]|pre|blockquote|div|table|tr|td|th|dd|dt)$`)
)

// plainText turns a creator's Markdown into one line of plain text of at
// most maxPreviewText characters, for previews.
func (s *server) plainText(markdown string) string {
	rendered := string(s.markup.Markdown(markdown)) // sanitized: tags are well-formed
	text := htmlTagRE.ReplaceAllStringFunc(rendered, func(tag string) string {
		if blockElementRE.MatchString(htmlTagRE.FindStringSubmatch(tag)[2]) {
			return " "
		}
		return ""
	})
	text = strings.Join(strings.Fields(html.UnescapeString(text)), " ")
	return truncateText(text, maxPreviewText)
}

// truncateText cuts text to at most max characters, at a word boundary when
// there is one not too far back, and ends it with an ellipsis when cut.
func truncateText(text string, max int) string {
	r := []rune(text)
	if len(r) <= max {
		return text
	}
	cut := r[:max-1]
	if i := strings.LastIndexAny(string(cut), " "); i > 0 && len([]rune(string(cut)[:i])) > max*2/3 {
		cut = []rune(string(cut)[:i])
	}
	return strings.TrimRight(string(cut), " ,;:.") + "…"
}

package feeds

import (
	"encoding/json"
	"html"
	"strconv"
	"strings"
	"time"

	gfeeds "github.com/gorilla/feeds"
)

// gorilla converts the feed to gorilla/feeds' model, with clean text, UTC
// times and an id on every item (gorilla would otherwise invent a random
// one, which would make the output change on every call).
func (f *Feed) gorilla() *gfeeds.Feed {
	g := &gfeeds.Feed{
		Title:       clean(f.Title),
		Link:        &gfeeds.Link{Href: clean(f.Link)},
		Description: clean(f.Description),
		Updated:     utc(f.updated()),
		Copyright:   clean(f.Copyright),
		Id:          clean(f.Link),
	}
	if author := clean(f.Author); author != "" {
		g.Author = &gfeeds.Author{Name: author}
	} else if owner := clean(f.OwnerName); owner != "" {
		g.Author = &gfeeds.Author{Name: owner}
	}
	if f.ImageURL != "" {
		g.Image = &gfeeds.Image{Url: clean(f.ImageURL), Title: g.Title, Link: g.Link.Href}
	}
	g.Items = make([]*gfeeds.Item, len(f.Items))
	for i := range f.Items {
		it := &f.Items[i]
		gi := &gfeeds.Item{
			Title:       clean(it.Title),
			Description: clean(it.Description),
			Content:     clean(it.Content),
			Created:     utc(it.Published),
			Updated:     utc(it.Updated),
		}
		if it.Link != "" {
			gi.Link = &gfeeds.Link{Href: clean(it.Link)}
		}
		if author := clean(it.Author); author != "" {
			gi.Author = &gfeeds.Author{Name: author}
		}
		if id, _ := itemGUID(it); id != "" {
			gi.Id = clean(id)
		} else {
			// Deterministic stand-in: a name-based UUID of what the item holds.
			gi.Id = "urn:uuid:" + gfeedsItemUUID(f, it)
		}
		if e := it.Enclosure; e != nil && e.URL != "" {
			gi.Enclosure = &gfeeds.Enclosure{Url: clean(e.URL), Length: strconv.FormatInt(max(e.Length, 0), 10), Type: clean(e.Type)}
		}
		g.Items[i] = gi
	}
	return g
}

func gfeedsItemUUID(f *Feed, it *Item) string {
	seed := f.FeedURL + "\x00" + it.Title + "\x00" + it.Published.UTC().Format(time.RFC3339Nano) + "\x00" + it.Description
	return uuidSHA1(seed)
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// atomDoc is gorilla's Atom feed with every link of the feed (alternate,
// self, hub) ahead of the entries: gorilla's AtomFeed holds a single link.
// The outer Entries field, being shallower, replaces the embedded one.
type atomDoc struct {
	*gfeeds.AtomFeed
	Links   []gfeeds.AtomLink
	Entries []*gfeeds.AtomEntry `xml:"entry"`
}

// Atom renders the feed as Atom 1.0 through gorilla/feeds, adding what
// gorilla leaves out: the self and hub links, the entries' published
// dates and the icon. The output is deterministic.
func (f *Feed) Atom() ([]byte, error) {
	g := f.gorilla()
	af := (&gfeeds.Atom{Feed: g}).AtomFeed()
	updated := g.Updated
	if updated.IsZero() {
		updated = time.Unix(0, 0).UTC() // Atom requires a date; never the clock
	}
	af.Updated = updated.Format(time.RFC3339)
	af.Id = atomFeedID(f)
	af.Icon = clean(f.ImageURL)
	af.Link = nil
	af.Subtitle = plainText(af.Subtitle) // gorilla writes it as type="text"
	doc := &atomDoc{AtomFeed: af, Entries: af.Entries}
	af.Entries = nil
	if f.Link != "" {
		doc.Links = append(doc.Links, gfeeds.AtomLink{Href: clean(f.Link), Rel: "alternate", Type: "text/html"})
	}
	if f.FeedURL != "" {
		doc.Links = append(doc.Links, gfeeds.AtomLink{Href: clean(f.FeedURL), Rel: "self", Type: "application/atom+xml"})
	}
	if f.WebSubHub != "" {
		doc.Links = append(doc.Links, gfeeds.AtomLink{Href: clean(f.WebSubHub), Rel: "hub"})
	}
	for i, e := range doc.Entries {
		it, gi := &f.Items[i], g.Items[i]
		if e.Updated == "" {
			e.Updated = af.Updated
		}
		if !gi.Created.IsZero() {
			e.Published = gi.Created.Format(time.RFC3339)
		}
		// gorilla writes an alternate link even without a URL: drop it.
		links := e.Links[:0]
		for _, l := range e.Links {
			if l.Href != "" {
				links = append(links, l)
			}
		}
		e.Links = links
		if it.License != "" && it.LicenseURL != "" {
			e.Links = append(e.Links, gfeeds.AtomLink{Href: clean(it.LicenseURL), Rel: "license"})
		}
		// An entry needs content or an alternate link.
		if e.Content == nil && gi.Link == nil {
			text := gi.Title
			if e.Summary != nil {
				e.Content, e.Summary = &gfeeds.AtomContent{Content: e.Summary.Content, Type: "html"}, nil
			} else {
				e.Content = &gfeeds.AtomContent{Content: text, Type: "text"}
			}
		}
	}
	return encodeXML(doc, 1024+1024*len(f.Items))
}

// atomFeedID is the Atom feed id: the podcast's GUID as a URN when it is
// given (it follows the show across hosts; the one derived from FeedURL
// would change with the format), else the page, else the feed URL.
func atomFeedID(f *Feed) string {
	if f.Podcast && f.GUID != "" {
		return "urn:uuid:" + clean(f.GUID)
	}
	if f.Link != "" {
		return clean(f.Link)
	}
	return clean(f.FeedURL)
}

// jsonFeed and jsonItem are gorilla's JSON Feed types with the items'
// attachments replaced: gorilla v1.2.0 writes an attachment's size as
// "size" where JSON Feed says "size_in_bytes", and holds it in an int32.
// The outer fields, being shallower, replace the embedded ones.
type jsonFeed struct {
	*gfeeds.JSONFeed
	Items []jsonItem `json:"items"`
}

type jsonItem struct {
	*gfeeds.JSONItem
	Attachments []jsonAttachment `json:"attachments,omitempty"`
}

type jsonAttachment struct {
	URL      string  `json:"url"`
	MIMEType string  `json:"mime_type"`
	Title    string  `json:"title,omitempty"`
	Size     int64   `json:"size_in_bytes,omitempty"`
	Duration float64 `json:"duration_in_seconds,omitempty"`
}

// JSON renders the feed as JSON Feed 1.1 through gorilla/feeds, adding
// feed_url, language, icon, hubs, item images and attachments (the
// enclosure, then each alternate enclosure's direct HTTP sources, under one
// title so readers know they are alternates). The output is deterministic.
func (f *Feed) JSON() ([]byte, error) {
	g := f.gorilla()
	jf := (&gfeeds.JSON{Feed: g}).JSONFeed()
	jf.FeedUrl = clean(f.FeedURL)
	jf.Language = clean(f.Language)
	jf.Icon = clean(f.ImageURL)
	jf.Description = plainText(jf.Description)
	if f.WebSubHub != "" {
		jf.Hubs = []*gfeeds.JSONHub{{Type: "WebSub", Url: clean(f.WebSubHub)}}
	}
	doc := jsonFeed{JSONFeed: jf, Items: make([]jsonItem, len(jf.Items))}
	for i, ji := range jf.Items {
		it := &f.Items[i]
		// JSON Feed requires content: the description stands in for it.
		if ji.ContentHTML == "" {
			ji.ContentHTML, ji.Summary = ji.Summary, ""
		}
		ji.Summary = plainText(ji.Summary)
		if ji.ContentHTML == "" {
			ji.ContentText = ji.Title
		}
		ji.Image = clean(it.Thumbnail)
		doc.Items[i] = jsonItem{JSONItem: ji, Attachments: attachments(it)}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func attachments(it *Item) []jsonAttachment {
	title := clean(it.Title)
	var out []jsonAttachment
	seen := map[string]bool{}
	add := func(url, typ string, size int64) {
		if url == "" || typ == "" || seen[url] {
			return
		}
		seen[url] = true
		out = append(out, jsonAttachment{URL: url, MIMEType: typ, Title: title, Size: max(size, 0),
			Duration: float64(seconds(it.Duration))})
	}
	if e := it.Enclosure; e != nil {
		add(clean(e.URL), clean(e.Type), e.Length)
	}
	for _, alt := range it.Alternates {
		for _, s := range alt.Sources {
			if s.ContentType == "" && (strings.HasPrefix(s.URI, "https://") || strings.HasPrefix(s.URI, "http://")) {
				add(clean(s.URI), clean(alt.Type), alt.Length)
			}
		}
	}
	return out
}

// plainText is the text of an HTML fragment, for the fields that hold
// plain text (Atom subtitle, JSON Feed description and summary): tags
// dropped, entities decoded, white space collapsed.
func plainText(h string) string {
	if !strings.ContainsAny(h, "<&") {
		return strings.Join(strings.Fields(h), " ")
	}
	var b strings.Builder
	b.Grow(len(h))
	inTag := false
	for _, r := range h {
		switch {
		case inTag:
			inTag = r != '>'
		case r == '<':
			inTag = true
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}

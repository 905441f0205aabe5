package podimport

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
	"golang.org/x/net/html/charset"
)

// podcastNamespaces are the URIs feeds bind the Podcasting 2.0 namespace
// to: the specification's, and the older GitHub address many feeds still
// declare.
var podcastNamespaces = map[string]bool{
	"https://podcastindex.org/namespace/1.0":                                      true,
	"https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md": true,
}

// Show is what a podcast feed says of the show and its episodes.
type Show struct {
	Title       string
	Description string // Markdown
	Language    string
	Link        string
	ImageURL    string
	Category    string // "Name > Sub", the first itunes:category
	Explicit    bool
	FeedType    string // itunes:type: episodic or serial; "" when absent
	GUID        string // podcast:guid; "" when absent
	Locked      *bool  // podcast:locked; nil when absent
	LockedOwner string // its owner attribute
	FundingURL  string // the first podcast:funding
	FundingText string
	Episodes    []Episode // in feed order
}

// Episode is one item of the feed.
type Episode struct {
	GUID          string // <guid>, else the enclosure's URL
	Title         string
	Description   string // Markdown
	Published     time.Time
	Duration      time.Duration
	Explicit      bool
	ImageURL      string
	Season        int
	Number        int
	EpisodeType   string // full, trailer or bonus
	EnclosureURL  string
	EnclosureType string
	EnclosureSize int64
	Transcript    *Link // the first WebVTT or SubRip podcast:transcript
	ChaptersURL   string
	// Problem says why the episode cannot be imported ("" when it can).
	Problem string
}

// Link is a file a feed points to, with its MIME type.
type Link struct {
	URL  string
	Type string
}

// FeedError is a feed that cannot be imported at all: unreachable, not
// XML, not a feed. Nothing is created for it.
type FeedError struct {
	Reason string
	// Temporary tells whether trying again later may work (the feed's
	// server is down or answered 5xx).
	Temporary bool
}

func (e *FeedError) Error() string { return e.Reason }

// ParseFeed reads an RSS (or Atom) podcast feed, in any encoding its XML
// declaration names. A document that is not well-formed XML is a
// *FeedError, whatever gofeed, which is lenient, would make of it.
func ParseFeed(data []byte, feedURL string) (*Show, error) {
	prefixes, err := checkXML(data)
	if err != nil {
		return nil, &FeedError{Reason: "the feed is not well-formed XML: " + err.Error()}
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(data))
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return nil, &FeedError{Reason: "the document is not an RSS or Atom feed"}
	}
	if err != nil {
		return nil, &FeedError{Reason: "the feed cannot be read: " + err.Error()}
	}
	base, _ := url.Parse(feedURL)
	pe := podcastExt{prefixes: prefixes}
	show := &Show{
		Title:       clean(f.Title),
		Description: markdownFromHTML(f.Description),
		Language:    strings.TrimSpace(f.Language),
		Link:        strings.TrimSpace(f.Link),
	}
	if it := f.ITunesExt; it != nil {
		if show.Description == "" {
			show.Description = markdownFromHTML(it.Summary)
		}
		show.ImageURL = it.Image
		show.Explicit = isExplicit(it.Explicit)
		if t := strings.ToLower(strings.TrimSpace(it.Type)); t == "episodic" || t == "serial" {
			show.FeedType = t
		}
		if len(it.Categories) > 0 && it.Categories[0] != nil {
			c := it.Categories[0]
			show.Category = clean(c.Text)
			if c.Subcategory != nil && clean(c.Subcategory.Text) != "" {
				show.Category += " > " + clean(c.Subcategory.Text)
			}
		}
	}
	if show.ImageURL == "" && f.Image != nil {
		show.ImageURL = f.Image.URL
	}
	show.ImageURL = resolve(base, show.ImageURL)
	if show.Category == "" && len(f.Categories) > 0 {
		show.Category = clean(f.Categories[0])
	}
	if e := pe.first(f.Extensions, "guid"); e != nil {
		show.GUID = strings.ToLower(strings.TrimSpace(e.Value))
	}
	if e := pe.first(f.Extensions, "locked"); e != nil {
		locked := strings.EqualFold(strings.TrimSpace(e.Value), "yes")
		show.Locked = &locked
		show.LockedOwner = strings.TrimSpace(e.Attrs["owner"])
	}
	if e := pe.first(f.Extensions, "funding"); e != nil {
		show.FundingURL = resolve(base, e.Attrs["url"])
		show.FundingText = clean(e.Value)
	}
	for _, it := range f.Items {
		show.Episodes = append(show.Episodes, episode(it, base, pe, show.Explicit))
	}
	return show, nil
}

func episode(it *gofeed.Item, base *url.URL, pe podcastExt, showExplicit bool) Episode {
	ep := Episode{Title: clean(it.Title), GUID: strings.TrimSpace(it.GUID), EpisodeType: "full", Explicit: showExplicit}
	desc := it.Content
	if strings.TrimSpace(desc) == "" {
		desc = it.Description
	}
	if len(it.Enclosures) > 0 {
		enc := it.Enclosures[0]
		ep.EnclosureURL = resolve(base, enc.URL)
		ep.EnclosureType = strings.ToLower(strings.TrimSpace(enc.Type))
		ep.EnclosureSize, _ = strconv.ParseInt(strings.TrimSpace(enc.Length), 10, 64)
		if ep.EnclosureSize < 0 {
			ep.EnclosureSize = 0
		}
	}
	if ep.GUID == "" {
		ep.GUID = ep.EnclosureURL
	}
	if it.Image != nil {
		ep.ImageURL = it.Image.URL
	}
	if x := it.ITunesExt; x != nil {
		if strings.TrimSpace(desc) == "" {
			desc = x.Summary
		}
		if x.Image != "" {
			ep.ImageURL = x.Image
		}
		if strings.TrimSpace(x.Explicit) != "" {
			ep.Explicit = isExplicit(x.Explicit)
		}
		ep.Duration = parseDuration(x.Duration)
		ep.Season = positive(x.Season)
		ep.Number = positive(x.Episode)
		switch t := strings.ToLower(strings.TrimSpace(x.EpisodeType)); t {
		case "full", "trailer", "bonus":
			ep.EpisodeType = t
		}
	}
	ep.ImageURL = resolve(base, ep.ImageURL)
	if ep.Season == 0 {
		if e := pe.first(it.Extensions, "season"); e != nil {
			ep.Season = positive(e.Value)
		}
	}
	if ep.Number == 0 {
		if e := pe.first(it.Extensions, "episode"); e != nil {
			ep.Number = positive(e.Value)
		}
	}
	for _, e := range pe.all(it.Extensions, "transcript") {
		typ := transcriptType(e.Attrs["type"])
		if typ != "" && e.Attrs["url"] != "" {
			ep.Transcript = &Link{URL: resolve(base, e.Attrs["url"]), Type: typ}
			break
		}
	}
	if e := pe.first(it.Extensions, "chapters"); e != nil {
		ep.ChaptersURL = resolve(base, e.Attrs["url"])
	}
	ep.Description = markdownFromHTML(desc)
	if people := persons(pe.all(it.Extensions, "person")); people != "" {
		if ep.Description != "" {
			ep.Description += "\n\n"
		}
		ep.Description += people
	}
	if ep.Title == "" {
		ep.Title = "Untitled episode"
	}
	switch {
	case it.PublishedParsed != nil:
		ep.Published = it.PublishedParsed.UTC()
	case strings.TrimSpace(it.Published) != "":
		ep.Problem = fmt.Sprintf("its publication date %q cannot be read", strings.TrimSpace(it.Published))
	}
	switch u, err := url.Parse(ep.EnclosureURL); {
	case ep.EnclosureURL == "":
		ep.Problem = "it has no enclosure (no audio file)"
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		ep.Problem = fmt.Sprintf("its enclosure URL %q is not an http(s) URL", ep.EnclosureURL)
	}
	return ep
}

// persons renders podcast:person tags as a Markdown line, e.g.
// "With: [Alice](https://alice.example) (host), Bob (guest)". The
// episode's people are kept in its description: items have no field of
// their own for them.
func persons(es []ext.Extension) string {
	var parts []string
	for _, e := range es {
		name := clean(e.Value)
		if name == "" {
			continue
		}
		s := escapeMarkdown(name)
		if href := strings.TrimSpace(e.Attrs["href"]); strings.HasPrefix(href, "https://") || strings.HasPrefix(href, "http://") {
			s = "[" + s + "](" + markdownURL(href) + ")"
		}
		role := strings.ToLower(clean(e.Attrs["role"]))
		if role == "" {
			role = "host"
		}
		parts = append(parts, s+" ("+escapeMarkdown(role)+")")
	}
	if len(parts) == 0 {
		return ""
	}
	return "With: " + strings.Join(parts, ", ")
}

// transcriptType maps a podcast:transcript type to the MIME type stored
// for it; "" for the formats not kept (HTML, JSON, plain text).
func transcriptType(t string) string {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "text/vtt":
		return "text/vtt"
	case "application/x-subrip", "application/srt", "text/srt", "application/x-srt":
		return "application/x-subrip"
	}
	return ""
}

// podcastExt finds Podcasting 2.0 tags under whatever prefix the feed
// bound the namespace to.
type podcastExt struct{ prefixes []string }

func (p podcastExt) all(exts ext.Extensions, name string) []ext.Extension {
	var out []ext.Extension
	for _, prefix := range p.prefixes {
		out = append(out, exts[prefix][name]...)
	}
	return out
}

func (p podcastExt) first(exts ext.Extensions, name string) *ext.Extension {
	if all := p.all(exts, name); len(all) > 0 {
		return &all[0]
	}
	return nil
}

// checkXML checks that data is well-formed XML in its declared encoding
// (HTML's named entities, common in feeds, are let through) and returns
// the prefixes bound to the podcast namespace ("podcast" when none is).
func checkXML(data []byte) ([]string, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charset.NewReaderLabel
	d.Entity = xml.HTMLEntity
	seen := map[string]bool{}
	var prefixes []string
	roots := 0
	depth := 0
	for {
		tok, err := d.Token() // Token, unlike RawToken, matches end tags with start tags
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" && podcastNamespaces[strings.TrimRight(strings.TrimSpace(a.Value), "/")] && !seen[a.Name.Local] {
					seen[a.Name.Local] = true
					prefixes = append(prefixes, a.Name.Local)
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	if roots == 0 {
		return nil, errors.New("the document has no root element")
	}
	if roots > 1 {
		return nil, errors.New("the document has more than one root element")
	}
	if !seen["podcast"] {
		prefixes = append(prefixes, "podcast")
	}
	return prefixes, nil
}

func isExplicit(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true", "explicit":
		return true
	}
	return false
}

// parseDuration reads itunes:duration: seconds ("3600", "3600.5") or
// [[HH:]MM:]SS. 0 when it cannot.
func parseDuration(s string) time.Duration {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	var total float64
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0
	}
	for _, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 {
			return 0
		}
		total = total*60 + v
	}
	if total > 1e7 {
		return 0
	}
	return time.Duration(total * float64(time.Second)).Round(time.Millisecond)
}

// positive reads a positive integer; 0 for anything else.
func positive(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 1_000_000 {
		return 0
	}
	return n
}

// clean trims a text and folds its runs of white space into one space.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

// resolve makes a possibly relative URL of the feed absolute.
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || base == nil {
		return ref
	}
	u, err := base.Parse(ref)
	if err != nil {
		return ref
	}
	return u.String()
}

package feeds

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"time"
)

// The RSS document. Element and attribute names carry their prefix
// literally ("itunes:image"): encoding/xml writes such names as given, and
// the prefixes are declared on <rss>.

type rssDoc struct {
	XMLName   xml.Name    `xml:"rss"`
	Version   string      `xml:"version,attr"`
	NSItunes  string      `xml:"xmlns:itunes,attr,omitempty"`
	NSPodcast string      `xml:"xmlns:podcast,attr,omitempty"`
	NSMedia   string      `xml:"xmlns:media,attr,omitempty"`
	NSAtom    string      `xml:"xmlns:atom,attr"`
	NSContent string      `xml:"xmlns:content,attr,omitempty"`
	NSDC      string      `xml:"xmlns:dc,attr,omitempty"`
	Channel   *rssChannel `xml:"channel"`
}

type cdata struct {
	Text string `xml:",cdata"`
}

type rssChannel struct {
	Title         string     `xml:"title"`
	Link          string     `xml:"link"`
	Description   cdata      `xml:"description"`
	Language      string     `xml:"language,omitempty"`
	Copyright     string     `xml:"copyright,omitempty"`
	PubDate       string     `xml:"pubDate,omitempty"`
	LastBuildDate string     `xml:"lastBuildDate,omitempty"`
	Image         *rssImage  `xml:"image"`
	AtomLinks     []atomLink `xml:"atom:link"`

	ItunesImage      *hrefAttr        `xml:"itunes:image"`
	ItunesAuthor     string           `xml:"itunes:author,omitempty"`
	ItunesOwner      *itunesOwner     `xml:"itunes:owner"`
	ItunesCategories []itunesCategory `xml:"itunes:category"`
	ItunesExplicit   string           `xml:"itunes:explicit,omitempty"`
	ItunesType       string           `xml:"itunes:type,omitempty"`

	PodcastGUID    string           `xml:"podcast:guid,omitempty"`
	Locked         *podcastLocked   `xml:"podcast:locked"`
	Funding        []podcastFunding `xml:"podcast:funding"`
	Persons        []podcastPerson  `xml:"podcast:person"`
	Medium         string           `xml:"podcast:medium,omitempty"`
	License        *podcastLicense  `xml:"podcast:license"`
	Trailers       []podcastTrailer `xml:"podcast:trailer"`
	SocialInteract []socialInteract `xml:"podcast:socialInteract"`

	Items []rssItem `xml:"item"`
}

type rssImage struct {
	URL    string `xml:"url"`
	Title  string `xml:"title"`
	Link   string `xml:"link"`
	Width  int    `xml:"width,omitempty"`
	Height int    `xml:"height,omitempty"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type hrefAttr struct {
	Href string `xml:"href,attr"`
}

type urlAttr struct {
	URL string `xml:"url,attr"`
}

type itunesOwner struct {
	Name  string `xml:"itunes:name,omitempty"`
	Email string `xml:"itunes:email,omitempty"`
}

type itunesCategory struct {
	Text string           `xml:"text,attr"`
	Subs []itunesCategory `xml:"itunes:category"`
}

type podcastLocked struct {
	Owner string `xml:"owner,attr,omitempty"`
	Value string `xml:",chardata"`
}

type podcastFunding struct {
	URL  string `xml:"url,attr"`
	Text string `xml:",chardata"`
}

type podcastPerson struct {
	Role  string `xml:"role,attr,omitempty"`
	Group string `xml:"group,attr,omitempty"`
	Img   string `xml:"img,attr,omitempty"`
	Href  string `xml:"href,attr,omitempty"`
	Name  string `xml:",chardata"`
}

type podcastLicense struct {
	URL  string `xml:"url,attr,omitempty"`
	Name string `xml:",chardata"`
}

type podcastTrailer struct {
	PubDate string `xml:"pubdate,attr"`
	URL     string `xml:"url,attr"`
	Length  int64  `xml:"length,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Season  int    `xml:"season,attr,omitempty"`
	Title   string `xml:",chardata"`
}

type socialInteract struct {
	Priority   int    `xml:"priority,attr,omitempty"`
	Protocol   string `xml:"protocol,attr"`
	URI        string `xml:"uri,attr,omitempty"`
	AccountID  string `xml:"accountId,attr,omitempty"`
	AccountURL string `xml:"accountUrl,attr,omitempty"`
}

type rssItem struct {
	Title          string        `xml:"title"`
	Link           string        `xml:"link,omitempty"`
	Description    *cdata        `xml:"description"`
	ContentEncoded *cdata        `xml:"content:encoded"`
	Author         string        `xml:"author,omitempty"`
	Creator        string        `xml:"dc:creator,omitempty"`
	Comments       string        `xml:"comments,omitempty"`
	Enclosure      *rssEnclosure `xml:"enclosure"`
	GUID           *rssGUID      `xml:"guid"`
	PubDate        string        `xml:"pubDate,omitempty"`

	ItunesAuthor      string    `xml:"itunes:author,omitempty"`
	ItunesImage       *hrefAttr `xml:"itunes:image"`
	ItunesDuration    string    `xml:"itunes:duration,omitempty"`
	ItunesExplicit    string    `xml:"itunes:explicit,omitempty"`
	ItunesSeason      string    `xml:"itunes:season,omitempty"`
	ItunesEpisode     string    `xml:"itunes:episode,omitempty"`
	ItunesEpisodeType string    `xml:"itunes:episodeType,omitempty"`

	Season         *podcastSeason       `xml:"podcast:season"`
	Episode        *podcastEpisode      `xml:"podcast:episode"`
	Transcripts    []podcastTranscript  `xml:"podcast:transcript"`
	Chapters       *podcastChapters     `xml:"podcast:chapters"`
	Persons        []podcastPerson      `xml:"podcast:person"`
	License        *podcastLicense      `xml:"podcast:license"`
	SocialInteract []socialInteract     `xml:"podcast:socialInteract"`
	Alternates     []alternateEnclosure `xml:"podcast:alternateEnclosure"`

	MediaContent   []mediaContent `xml:"media:content"`
	MediaThumbnail *urlAttr       `xml:"media:thumbnail"`
}

type rssEnclosure struct {
	URL    string `xml:"url,attr"`
	Length int64  `xml:"length,attr"`
	Type   string `xml:"type,attr"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type podcastSeason struct {
	Name   string `xml:"name,attr,omitempty"`
	Number int    `xml:",chardata"`
}

type podcastEpisode struct {
	Display string `xml:"display,attr,omitempty"`
	Number  int    `xml:",chardata"`
}

type podcastTranscript struct {
	URL      string `xml:"url,attr"`
	Type     string `xml:"type,attr"`
	Language string `xml:"language,attr,omitempty"`
	Rel      string `xml:"rel,attr,omitempty"`
}

type podcastChapters struct {
	URL  string `xml:"url,attr"`
	Type string `xml:"type,attr"`
}

type alternateEnclosure struct {
	Type      string            `xml:"type,attr"`
	Length    int64             `xml:"length,attr,omitempty"`
	Bitrate   int64             `xml:"bitrate,attr,omitempty"`
	Height    int               `xml:"height,attr,omitempty"`
	Lang      string            `xml:"lang,attr,omitempty"`
	Title     string            `xml:"title,attr,omitempty"`
	Rel       string            `xml:"rel,attr,omitempty"`
	Codecs    string            `xml:"codecs,attr,omitempty"`
	Default   string            `xml:"default,attr,omitempty"`
	Sources   []podcastSource   `xml:"podcast:source"`
	Integrity *podcastIntegrity `xml:"podcast:integrity"`
}

type podcastSource struct {
	URI         string `xml:"uri,attr"`
	ContentType string `xml:"contentType,attr,omitempty"`
}

type podcastIntegrity struct {
	Type  string `xml:"type,attr"`
	Value string `xml:"value,attr"`
}

type mediaContent struct {
	URL       string `xml:"url,attr"`
	FileSize  int64  `xml:"fileSize,attr,omitempty"`
	Type      string `xml:"type,attr,omitempty"`
	Medium    string `xml:"medium,attr,omitempty"`
	IsDefault string `xml:"isDefault,attr,omitempty"`
	Bitrate   string `xml:"bitrate,attr,omitempty"`
	Framerate int    `xml:"framerate,attr,omitempty"`
	Duration  int64  `xml:"duration,attr,omitempty"`
	Height    int    `xml:"height,attr,omitempty"`
	Width     int    `xml:"width,attr,omitempty"`
}

// rssDate is the RFC 822/1123 date of RSS, in UTC; "" for the zero time.
func rssDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC1123Z)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// RSS renders the feed as RSS 2.0: with the iTunes and podcast namespaces
// when f.Podcast, Media RSS when an item has media or a thumbnail, and an
// Atom self link (and hub link) always. The output is deterministic.
func (f *Feed) RSS() ([]byte, error) {
	return encodeXML(f.rssDoc(), 1024+2048*len(f.Items))
}

// encodeXML writes doc as an indented XML document, sizeHint bytes
// reserved up front.
func encodeXML(doc any, sizeHint int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(sizeHint)
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func (f *Feed) rssDoc() *rssDoc {
	doc := &rssDoc{Version: "2.0", NSAtom: NSAtom}
	if f.Podcast {
		doc.NSItunes, doc.NSPodcast = NSItunes, NSPodcast
	}
	updated := rssDate(f.updated())
	ch := &rssChannel{
		Title:         clean(f.Title),
		Link:          clean(f.Link),
		Description:   cdata{clean(f.Description)},
		Language:      clean(f.Language),
		Copyright:     clean(f.Copyright),
		PubDate:       updated,
		LastBuildDate: updated,
	}
	doc.Channel = ch
	if f.ImageURL != "" {
		img := &rssImage{URL: clean(f.ImageURL), Title: ch.Title, Link: ch.Link}
		if f.ImageWidth > 0 && f.ImageWidth <= 144 && f.ImageHeight > 0 && f.ImageHeight <= 400 {
			img.Width, img.Height = f.ImageWidth, f.ImageHeight
		}
		ch.Image = img
	}
	if f.FeedURL != "" {
		ch.AtomLinks = append(ch.AtomLinks, atomLink{Href: clean(f.FeedURL), Rel: "self", Type: "application/rss+xml"})
	}
	if f.WebSubHub != "" {
		ch.AtomLinks = append(ch.AtomLinks, atomLink{Href: clean(f.WebSubHub), Rel: "hub"})
	}
	if f.Podcast {
		f.rssPodcastChannel(ch)
	}
	ch.Items = make([]rssItem, len(f.Items))
	for i := range f.Items {
		f.rssItem(doc, &ch.Items[i], &f.Items[i])
	}
	return doc
}

func (f *Feed) rssPodcastChannel(ch *rssChannel) {
	if f.ImageURL != "" {
		ch.ItunesImage = &hrefAttr{clean(f.ImageURL)}
	}
	ch.ItunesAuthor = clean(f.Author)
	if f.OwnerName != "" || f.OwnerEmail != "" {
		ch.ItunesOwner = &itunesOwner{Name: clean(f.OwnerName), Email: clean(f.OwnerEmail)}
	}
	// Group subcategories under their category, in first-seen order.
	for _, c := range f.Categories {
		name := clean(c.Name)
		if name == "" {
			continue
		}
		at := -1
		for i := range ch.ItunesCategories {
			if ch.ItunesCategories[i].Text == name {
				at = i
				break
			}
		}
		if at < 0 {
			ch.ItunesCategories = append(ch.ItunesCategories, itunesCategory{Text: name})
			at = len(ch.ItunesCategories) - 1
		}
		if sub := clean(c.Sub); sub != "" {
			cat := &ch.ItunesCategories[at]
			dup := false
			for _, s := range cat.Subs {
				dup = dup || s.Text == sub
			}
			if !dup {
				cat.Subs = append(cat.Subs, itunesCategory{Text: sub})
			}
		}
	}
	ch.ItunesExplicit = boolString(f.Explicit)
	ch.ItunesType = showType(f.Type)

	ch.PodcastGUID = f.guid()
	ch.Locked = &podcastLocked{Owner: clean(f.LockedOwner), Value: yesNo(f.Locked)}
	for _, fu := range f.Funding {
		if fu.URL != "" {
			ch.Funding = append(ch.Funding, podcastFunding{URL: clean(fu.URL), Text: clean(fu.Text)})
		}
	}
	ch.Persons = persons(f.Persons)
	ch.Medium = clean(f.Medium)
	ch.License = license(f.License, f.LicenseURL)
	for _, t := range f.Trailers {
		if t.URL == "" {
			continue
		}
		ch.Trailers = append(ch.Trailers, podcastTrailer{PubDate: rssDate(t.Published), URL: clean(t.URL),
			Length: t.Length, Type: clean(t.Type), Season: max(t.Season, 0), Title: clean(t.Title)})
	}
	ch.SocialInteract = socialInteracts(f.SocialInteract)
}

func persons(ps []Person) []podcastPerson {
	var out []podcastPerson
	for _, p := range ps {
		if name := clean(p.Name); strings.TrimSpace(name) != "" {
			out = append(out, podcastPerson{Role: clean(p.Role), Group: clean(p.Group), Img: clean(p.Img), Href: clean(p.Href), Name: name})
		}
	}
	return out
}

func license(name, url string) *podcastLicense {
	if name = clean(name); name == "" {
		return nil
	}
	return &podcastLicense{URL: clean(url), Name: name}
}

func socialInteracts(ss []SocialInteract) []socialInteract {
	var out []socialInteract
	for _, s := range ss {
		protocol := clean(s.Protocol)
		switch {
		case protocol == "disabled":
			out = append(out, socialInteract{Protocol: protocol})
		case protocol != "" && s.URI != "":
			out = append(out, socialInteract{Priority: max(s.Priority, 0), Protocol: protocol, URI: clean(s.URI),
				AccountID: clean(s.AccountID), AccountURL: clean(s.AccountURL)})
		}
	}
	return out
}

func (f *Feed) rssItem(doc *rssDoc, x *rssItem, it *Item) {
	x.Title = clean(it.Title)
	x.Link = clean(it.Link)
	if it.Description != "" {
		x.Description = &cdata{clean(it.Description)}
	}
	if it.Content != "" {
		x.ContentEncoded = &cdata{clean(it.Content)}
		doc.NSContent = NSContent
	}
	if author := clean(it.Author); author != "" {
		switch {
		case isEmail(author):
			x.Author = author
		case !f.Podcast:
			x.Creator = author
			doc.NSDC = NSDC
		}
		if f.Podcast {
			x.ItunesAuthor = author
		}
	}
	x.Comments = clean(it.CommentsURL)
	if e := it.Enclosure; e != nil && e.URL != "" {
		x.Enclosure = &rssEnclosure{URL: clean(e.URL), Length: max(e.Length, 0), Type: clean(e.Type)}
	}
	if id, perma := itemGUID(it); id != "" {
		x.GUID = &rssGUID{IsPermaLink: boolString(perma), Value: clean(id)}
	}
	x.PubDate = rssDate(it.Published)

	if it.Thumbnail != "" {
		x.MediaThumbnail = &urlAttr{clean(it.Thumbnail)}
		doc.NSMedia = NSMedia
	}
	for _, m := range it.Media {
		if m.URL == "" {
			continue
		}
		mc := mediaContent{URL: clean(m.URL), FileSize: max(m.FileSize, 0), Type: clean(m.Type), Medium: clean(m.Medium),
			Framerate: max(m.Framerate, 0), Duration: max(seconds(m.Duration), 0), Height: max(m.Height, 0), Width: max(m.Width, 0)}
		if m.Bitrate > 0 {
			mc.Bitrate = strconv.FormatFloat(float64(m.Bitrate)/1000, 'f', -1, 64)
		}
		if x.Enclosure != nil && mc.URL == x.Enclosure.URL {
			mc.IsDefault = "true"
		}
		x.MediaContent = append(x.MediaContent, mc)
		doc.NSMedia = NSMedia
	}

	if !f.Podcast {
		return
	}
	if x.MediaThumbnail != nil {
		x.ItunesImage = &hrefAttr{x.MediaThumbnail.URL}
	}
	if it.Duration > 0 {
		x.ItunesDuration = strconv.FormatInt(seconds(it.Duration), 10)
	}
	if it.Explicit != nil {
		x.ItunesExplicit = boolString(*it.Explicit)
	}
	if it.Season > 0 {
		x.ItunesSeason = strconv.Itoa(it.Season)
		x.Season = &podcastSeason{Name: clean(it.SeasonName), Number: it.Season}
	}
	if it.Episode > 0 {
		x.ItunesEpisode = strconv.Itoa(it.Episode)
		x.Episode = &podcastEpisode{Display: clean(it.EpisodeDisplay), Number: it.Episode}
	}
	x.ItunesEpisodeType = episodeType(it.EpisodeType)
	for _, t := range it.Transcripts {
		if t.URL != "" && t.Type != "" {
			x.Transcripts = append(x.Transcripts, podcastTranscript{URL: clean(t.URL), Type: clean(t.Type),
				Language: clean(t.Language), Rel: clean(t.Rel)})
		}
	}
	if c := it.Chapters; c != nil && c.URL != "" {
		typ := clean(c.Type)
		if typ == "" {
			typ = ChaptersType
		}
		x.Chapters = &podcastChapters{URL: clean(c.URL), Type: typ}
	}
	x.Persons = persons(it.Persons)
	x.License = license(it.License, it.LicenseURL)
	x.SocialInteract = socialInteracts(it.SocialInteract)
	for _, a := range it.Alternates {
		ae := alternateEnclosure{Type: clean(a.Type), Length: max(a.Length, 0), Bitrate: max(a.Bitrate, 0),
			Height: max(a.Height, 0), Lang: clean(a.Lang), Title: clean(a.Title), Rel: clean(a.Rel), Codecs: clean(a.Codecs)}
		if a.Default {
			ae.Default = "true"
		}
		for _, s := range a.Sources {
			if s.URI != "" {
				ae.Sources = append(ae.Sources, podcastSource{URI: clean(s.URI), ContentType: clean(s.ContentType)})
			}
		}
		if in := a.Integrity; in != nil && in.Type != "" && in.Value != "" {
			ae.Integrity = &podcastIntegrity{Type: clean(in.Type), Value: clean(in.Value)}
		}
		if ae.Type == "" || len(ae.Sources) == 0 {
			continue // the spec requires both
		}
		x.Alternates = append(x.Alternates, ae)
	}
}

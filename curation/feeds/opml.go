package feeds

import (
	"encoding/xml"
	"time"
)

// Outline is one feed of an OPML subscription list. Type defaults to "rss";
// Text (required by OPML) falls back to Title, then to XMLURL.
type Outline struct {
	Text    string
	Title   string
	Type    string
	XMLURL  string
	HTMLURL string
}

type opmlDoc struct {
	XMLName xml.Name `xml:"opml"`
	Version string   `xml:"version,attr"`
	Head    opmlHead `xml:"head"`
	Body    opmlBody `xml:"body"`
}

type opmlHead struct {
	Title       string `xml:"title"`
	DateCreated string `xml:"dateCreated,omitempty"`
	OwnerName   string `xml:"ownerName,omitempty"`
}

type opmlBody struct {
	Outlines []opmlOutline `xml:"outline"`
}

type opmlOutline struct {
	Text    string `xml:"text,attr"`
	Title   string `xml:"title,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	XMLURL  string `xml:"xmlUrl,attr,omitempty"`
	HTMLURL string `xml:"htmlUrl,attr,omitempty"`
}

// OPML renders a subscription list as OPML 2.0: a head with the title, the
// creation date (RFC 822, omitted when zero) and the owner's name, and one
// outline per feed, in the given order. The output is deterministic.
func OPML(title string, ownerName string, created time.Time, outlines []Outline) ([]byte, error) {
	doc := opmlDoc{
		Version: "2.0",
		Head:    opmlHead{Title: clean(title), DateCreated: rssDate(created), OwnerName: clean(ownerName)},
	}
	doc.Body.Outlines = make([]opmlOutline, 0, len(outlines))
	for _, o := range outlines {
		x := opmlOutline{Text: clean(o.Text), Title: clean(o.Title), Type: clean(o.Type), XMLURL: clean(o.XMLURL), HTMLURL: clean(o.HTMLURL)}
		if x.Text == "" {
			x.Text = x.Title
		}
		if x.Text == "" {
			x.Text = x.XMLURL
		}
		if x.Type == "" {
			x.Type = "rss"
		}
		doc.Body.Outlines = append(doc.Body.Outlines, x)
	}
	return encodeXML(doc, 1024+256*len(outlines))
}

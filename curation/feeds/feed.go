package feeds

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Feed is one feed: a channel's episodes, a playlist, a comments thread…
// The same value renders as RSS, Atom and JSON Feed.
type Feed struct {
	Title       string
	Description string // HTML allowed (CDATA in RSS)
	Link        string // the HTML page of the feed
	// FeedURL is the URL this rendering is served at: the self link of the
	// RSS (atom:link rel="self"), of the Atom and the feed_url of the JSON
	// Feed. Set it to the URL of the format being rendered.
	FeedURL  string
	Language string // e.g. "en" or "fr-CA"

	// Updated is the channel's pubDate/lastBuildDate, Atom's updated. Zero:
	// the newest item date.
	Updated   time.Time
	Copyright string

	// ImageURL is the show artwork (itunes:image, RSS <image>, Atom icon,
	// JSON Feed icon). ImageWidth and ImageHeight, when known, go into the
	// RSS <image> only if they fit RSS 2.0's limits (144×400); podcast
	// artwork (1400–3000 px, see CheckArtwork) does not, so they are left
	// out for it.
	ImageURL                string
	ImageWidth, ImageHeight int

	Author                string     // itunes:author; Atom and JSON author
	OwnerName, OwnerEmail string     // itunes:owner
	Categories            []Category // itunes:category, from AppleCategories
	Explicit              bool       // itunes:explicit "true"/"false"
	Type                  string     // itunes:type: "episodic" (default) or "serial"

	// Podcast emits the iTunes and podcast namespaces (podcast feeds); false
	// renders plain RSS (comments feeds and the like).
	Podcast bool

	// GUID is the podcast:guid; "" means PodcastGUID(FeedURL). Keep the
	// GUID a podcast was first given: it must not change when the feed moves.
	GUID string

	Locked      bool   // podcast:locked yes/no
	LockedOwner string // podcast:locked owner attribute (an email address)

	Funding []Funding // podcast:funding
	Persons []Person  // podcast:person
	Medium  string    // podcast:medium: podcast, video, music, audiobook, film…

	License    string // podcast:license node value, e.g. "cc-by-4.0"
	LicenseURL string // podcast:license url attribute (required for custom licences)

	Trailers       []Trailer        // podcast:trailer
	SocialInteract []SocialInteract // channel-level podcast:socialInteract

	WebSubHub string // when set: <atom:link rel="hub">, JSON Feed hubs

	Items []Item
}

// Category is one of Apple's categories with an optional subcategory, e.g.
// {"Society & Culture", "Documentary"}. See AppleCategories.
type Category struct {
	Name string
	Sub  string
}

// Funding is a podcast:funding link: URL to follow, Text to show next to it.
type Funding struct {
	URL  string
	Text string
}

// Person is a podcast:person. Role and Group come from the Podcast Taxonomy
// Project (role "host" and group "cast" when empty); Img is an avatar URL,
// Href a page about the person.
type Person struct {
	Name  string
	Role  string
	Group string
	Img   string
	Href  string
}

// Trailer is a channel-level podcast:trailer.
type Trailer struct {
	Title     string // node value (required; up to 128 characters)
	URL       string
	Published time.Time // pubdate attribute (required)
	Length    int64     // bytes
	Type      string    // MIME type
	Season    int       // 0: the trailer of the whole show
}

// SocialInteract is a podcast:socialInteract: where the comments of an item
// (or of the whole show) live. Protocol "disabled" says that comments are
// closed and renders the tag with protocol="disabled" only.
type SocialInteract struct {
	Protocol   string // "activitypub", "disabled"…
	URI        string // root post of the thread (the ActivityPub id)
	AccountID  string // e.g. "@show@host"
	AccountURL string
	Priority   int // lower is higher; 0: not given
}

// Item is one entry of a feed: an episode, a video, a comment…
type Item struct {
	GUID            string // stable id; "" falls back to the enclosure URL, then Link
	GUIDIsPermaLink bool

	Title       string
	Link        string
	Description string // HTML (CDATA in RSS)
	// Content is the full HTML body, when it differs from Description
	// (content:encoded in RSS, Atom content, JSON content_html). Optional.
	Content string
	Author  string // an email address ("a@b.c (Name)") renders as RSS <author>, a name as itunes:author or dc:creator

	Published time.Time
	Updated   time.Time

	Enclosure  *Enclosure
	Alternates []Alternate    // podcast:alternateEnclosure
	Media      []MediaContent // media:content

	Thumbnail string        // media:thumbnail and itunes:image
	Duration  time.Duration // itunes:duration, in whole seconds

	Season         int    // podcast:season and itunes:season when > 0
	SeasonName     string // podcast:season name attribute
	Episode        int    // podcast:episode and itunes:episode when > 0
	EpisodeDisplay string // podcast:episode display attribute
	EpisodeType    string // itunes:episodeType: full, trailer or bonus

	Explicit *bool // itunes:explicit; nil: as the show

	Transcripts    []Transcript
	Chapters       *Chapters
	SocialInteract []SocialInteract
	Persons        []Person // replace the channel's persons for this item

	License    string
	LicenseURL string

	CommentsURL string // RSS <comments>
}

// Enclosure is the RSS enclosure: the media file. Apple requires all three.
type Enclosure struct {
	URL    string
	Length int64 // bytes
	Type   string
}

// Alternate is a podcast:alternateEnclosure: another version of the media
// (another bitrate, height, codec, or transport).
type Alternate struct {
	Type      string   // MIME type (required)
	Length    int64    // bytes (recommended)
	Bitrate   int64    // bits per second
	Height    int      // video height in pixels
	Title     string   // up to 32 characters
	Lang      string   // BCP 47
	Rel       string   // grouping; "" is the enclosure's group
	Codecs    string   // RFC 6381, e.g. `avc1.4d401e,mp4a.40.2`
	Default   bool     // the same media as the enclosure, preferred
	Sources   []Source // at least one
	Integrity *Integrity
}

// Source is a podcast:source of an alternate enclosure. ContentType is set
// when the transport differs from the media: "application/x-bittorrent" for
// a .torrent; a "magnet:" URI is a valid source too.
type Source struct {
	URI         string
	ContentType string
}

// Integrity is a podcast:integrity: Type "sri" (Value e.g. "sha384-…") or
// "pgp-signature" (Value base64).
type Integrity struct {
	Type  string
	Value string
}

// MediaContent is a Media RSS media:content.
type MediaContent struct {
	URL       string
	Type      string // MIME type
	Medium    string // "video", "audio", "image"
	FileSize  int64  // bytes
	Width     int
	Height    int
	Duration  time.Duration // rendered in whole seconds
	Bitrate   int64         // bits per second (rendered in kilobits, as Media RSS wants)
	Framerate int           // frames per second
}

// Transcript is a podcast:transcript.
type Transcript struct {
	URL      string
	Type     string // text/vtt, application/x-subrip, application/json, text/html, text/plain
	Language string
	Rel      string // "captions" for closed captions
}

// Chapters is a podcast:chapters; Type defaults to application/json+chapters.
type Chapters struct {
	URL  string
	Type string
}

// ChaptersType is the MIME type of JSON chapters.
const ChaptersType = "application/json+chapters"

// Namespace URIs.
const (
	NSItunes  = "http://www.itunes.com/dtds/podcast-1.0.dtd"
	NSPodcast = "https://podcastindex.org/namespace/1.0"
	NSMedia   = "http://search.yahoo.com/mrss/"
	NSAtom    = "http://www.w3.org/2005/Atom"
	NSContent = "http://purl.org/rss/1.0/modules/content/"
	NSDC      = "http://purl.org/dc/elements/1.1/"
)

// podcastNamespace is the UUID namespace of podcast:guid.
var podcastNamespace = uuid.MustParse("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

var schemeRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-]*://`)

// PodcastGUID is the podcast:guid of a feed URL: the UUIDv5, in the
// podcast namespace ead4c236-bf58-58c6-a2c6-a6b28d128cb6, of the URL with
// its scheme and trailing slashes stripped ("https://podnews.net/rss/" and
// "podnews.net/rss" give the same GUID). "" for an empty URL.
func PodcastGUID(feedURL string) string {
	s := strings.TrimSpace(feedURL)
	s = schemeRe.ReplaceAllString(s, "")
	s = strings.TrimRight(s, "/")
	if s == "" {
		return ""
	}
	return uuid.NewSHA1(podcastNamespace, []byte(s)).String()
}

// AppleCategories is Apple Podcasts' category list: each category with its
// subcategories (none for Government, History, Technology and True Crime).
var AppleCategories = map[string][]string{
	"Arts":                    {"Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"},
	"Business":                {"Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"},
	"Comedy":                  {"Comedy Interviews", "Improv", "Stand-Up"},
	"Education":               {"Courses", "How To", "Language Learning", "Self-Improvement"},
	"Fiction":                 {"Comedy Fiction", "Drama", "Science Fiction"},
	"Government":              nil,
	"History":                 nil,
	"Health & Fitness":        {"Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"},
	"Kids & Family":           {"Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"},
	"Leisure":                 {"Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden", "Video Games"},
	"Music":                   {"Music Commentary", "Music History", "Music Interviews"},
	"News":                    {"Business News", "Daily News", "Entertainment News", "News Commentary", "Politics", "Sports News", "Tech News"},
	"Religion & Spirituality": {"Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality"},
	"Science":                 {"Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics", "Natural Sciences", "Nature", "Physics", "Social Sciences"},
	"Society & Culture":       {"Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"},
	"Sports":                  {"Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby", "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling"},
	"Technology":              nil,
	"True Crime":              nil,
	"TV & Film":               {"After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"},
}

// Validate reports, in plain English, what would keep a podcast feed out of
// Apple Podcasts (the channel's title, description, itunes:image, language,
// a category from Apple's list; each item's title and complete enclosure)
// and enumerated values outside their specification, which the renderers
// leave out. nil when there is nothing to report. A feed that is not a
// podcast is only checked for a title.
func (f *Feed) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if strings.TrimSpace(f.Title) == "" {
		add("the feed has no title")
	}
	if !f.Podcast {
		return errors.Join(errs...)
	}
	if strings.TrimSpace(f.Description) == "" {
		add("the feed has no description")
	}
	if f.ImageURL == "" {
		add("the feed has no artwork (itunes:image)")
	}
	if f.Language == "" {
		add("the feed has no language")
	}
	if len(f.Categories) == 0 {
		add("the feed has no category; Apple Podcasts requires one")
	}
	for _, c := range f.Categories {
		subs, ok := AppleCategories[c.Name]
		switch {
		case !ok:
			add("%q is not an Apple Podcasts category", c.Name)
		case c.Sub != "" && !contains(subs, c.Sub):
			add("%q is not a subcategory of %q in Apple Podcasts", c.Sub, c.Name)
		}
	}
	if f.Type != "" && f.Type != "episodic" && f.Type != "serial" {
		add("the feed type %q is neither episodic nor serial", f.Type)
	}
	if f.Locked && f.LockedOwner == "" {
		add("the feed is locked but names no owner email to unlock it")
	}
	for i := range f.Items {
		it := &f.Items[i]
		name := it.Title
		if strings.TrimSpace(name) == "" {
			name = fmt.Sprintf("item %d", i+1)
			add("item %d has no title", i+1)
		}
		if it.Enclosure == nil || it.Enclosure.URL == "" {
			add("%s has no enclosure (media file)", name)
		} else {
			if it.Enclosure.Type == "" {
				add("%s: the enclosure has no media type", name)
			}
			if it.Enclosure.Length <= 0 {
				add("%s: the enclosure has no length in bytes", name)
			}
		}
		if it.EpisodeType != "" && episodeType(it.EpisodeType) == "" {
			add("%s: the episode type %q is not full, trailer or bonus", name, it.EpisodeType)
		}
		for _, a := range it.Alternates {
			if a.Type == "" || len(a.Sources) == 0 {
				add("%s: an alternate enclosure needs a media type and at least one source", name)
			}
		}
	}
	if f.Type == "serial" {
		for i := range f.Items {
			if f.Items[i].Episode <= 0 {
				add("a serial show needs an episode number on every item; %q has none", f.Items[i].Title)
				break
			}
		}
	}
	return errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// showType is itunes:type: serial or episodic.
func showType(t string) string {
	if strings.EqualFold(strings.TrimSpace(t), "serial") {
		return "serial"
	}
	return "episodic"
}

// episodeType is itunes:episodeType, or "" when t is none of its values.
func episodeType(t string) string {
	switch t = strings.ToLower(strings.TrimSpace(t)); t {
	case "full", "trailer", "bonus":
		return t
	}
	return ""
}

// clean makes s safe for XML 1.0 and JSON: invalid UTF-8 becomes U+FFFD,
// control characters other than tab, newline and carriage return are
// dropped, as are the non-characters U+FFFE and U+FFFF.
func clean(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c >= 0x7f {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	keep := func(r rune) bool {
		if r == '\t' || r == '\n' || r == '\r' {
			return true
		}
		return !unicode.IsControl(r) && r != 0xFFFE && r != 0xFFFF
	}
	for _, r := range s {
		if !keep(r) {
			return strings.Map(func(r rune) rune {
				if keep(r) {
					return r
				}
				return -1
			}, s)
		}
	}
	return s
}

// isEmail tells an RSS-style author ("a@b.c" or "a@b.c (Name)") from a
// name or a fediverse handle.
func isEmail(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || s[0] == '@' {
		return false
	}
	addr, _, _ := strings.Cut(s, " ")
	a, err := mail.ParseAddress(addr)
	return err == nil && a.Address == addr
}

// itemGUID is the id of an item in every format: its GUID, else its
// enclosure URL, else its link. The bool tells whether it is a permalink.
func itemGUID(it *Item) (string, bool) {
	switch {
	case it.GUID != "":
		return it.GUID, it.GUIDIsPermaLink
	case it.Enclosure != nil && it.Enclosure.URL != "":
		return it.Enclosure.URL, false
	case it.Link != "":
		return it.Link, true
	}
	return "", false
}

// updated is the feed's date: Updated, else the newest item date.
func (f *Feed) updated() time.Time {
	if !f.Updated.IsZero() {
		return f.Updated
	}
	var t time.Time
	for i := range f.Items {
		for _, d := range [2]time.Time{f.Items[i].Published, f.Items[i].Updated} {
			if d.After(t) {
				t = d
			}
		}
	}
	return t
}

// guid is the podcast:guid of the feed.
func (f *Feed) guid() string {
	if f.GUID != "" {
		return f.GUID
	}
	return PodcastGUID(f.FeedURL)
}

func seconds(d time.Duration) int64 {
	return int64(d.Round(time.Second) / time.Second)
}

// uuidSHA1 is a name-based (v5) UUID of s in the URL namespace.
func uuidSHA1(s string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(s)).String()
}

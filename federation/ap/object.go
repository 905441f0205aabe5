package ap

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Object is a lenient decoding of any object (Note, Video, Audio, Question, Tombstone, Page,
// Article, Image...), and what we encode for Note, Tombstone, Video and Audio.
//
// The PeerTube fields (UUID to SubtitleLanguage) are pointers or omitempty so that a Note carries
// none of them; a Video for PeerTube must set UUID, Views, State, CommentsPolicy, CommentsEnabled,
// WaitTranscoding, IsLiveBroadcast, DownloadEnabled, Published, Updated, Duration, Icon and a
// Group in Attribution.
type Object struct {
	Context      any               `json:"@context,omitempty"`
	ID           string            `json:"id"`
	Type         string            `json:"type"`
	Name         string            `json:"name,omitempty"`
	Summary      string            `json:"summary,omitempty"`
	Content      string            `json:"content,omitempty"`
	ContentMap   map[string]string `json:"contentMap,omitempty"`
	MediaType    string            `json:"mediaType,omitempty"`
	AttributedTo IRIs              `json:"attributedTo,omitempty"`
	InReplyTo    string            `json:"inReplyTo,omitempty"` // decoded from an IRI or an object
	Published    *time.Time        `json:"published,omitempty"`
	Updated      *time.Time        `json:"updated,omitempty"`
	Deleted      *time.Time        `json:"deleted,omitempty"`
	FormerType   string            `json:"formerType,omitempty"`
	Sensitive    bool              `json:"sensitive,omitempty"`
	To           IRIs              `json:"to,omitempty"`
	Cc           IRIs              `json:"cc,omitempty"`
	URL          Links             `json:"url,omitempty"`
	Attachment   []Attachment      `json:"attachment,omitempty"` // decoded from an object or an array
	Tag          []Tag             `json:"tag,omitempty"`        // decoded from an object or an array
	Icon         []Image           `json:"icon,omitempty"`       // decoded from an object or an array
	Image        []Image           `json:"image,omitempty"`      // decoded from an object or an array
	Duration     string            `json:"duration,omitempty"`   // ISO 8601, "PT123S"; see DurationISO
	Replies      *Ref              `json:"replies,omitempty"`
	Comments     string            `json:"comments,omitempty"` // PeerTube comments collection
	Likes        string            `json:"likes,omitempty"`
	Dislikes     string            `json:"dislikes,omitempty"`
	Shares       string            `json:"shares,omitempty"`
	Language     *Identifier       `json:"language,omitempty"` // PeerTube {identifier,name}; also decoded from a bare string

	// Question (poll) members.
	OneOf   []Object   `json:"oneOf,omitempty"`
	AnyOf   []Object   `json:"anyOf,omitempty"`
	EndTime *time.Time `json:"endTime,omitempty"`

	// PeerTube Video members.
	UUID             string      `json:"uuid,omitempty"`
	Views            *int        `json:"views,omitempty"`
	State            int         `json:"state,omitempty"` // 1: published
	CommentsEnabled  *bool       `json:"commentsEnabled,omitempty"`
	CommentsPolicy   int         `json:"commentsPolicy,omitempty"` // 1 open, 2 closed, 3 needs approval
	CanReply         any         `json:"canReply,omitempty"`       // PeerTube: Public or null
	WaitTranscoding  *bool       `json:"waitTranscoding,omitempty"`
	IsLiveBroadcast  *bool       `json:"isLiveBroadcast,omitempty"`
	DownloadEnabled  *bool       `json:"downloadEnabled,omitempty"`
	Support          string      `json:"support,omitempty"`
	AspectRatio      float64     `json:"aspectRatio,omitempty"`
	Category         *Identifier `json:"category,omitempty"`
	Licence          *Identifier `json:"licence,omitempty"`
	SubtitleLanguage []Caption   `json:"subtitleLanguage,omitempty"`

	// Attribution is attributedTo with the types the sender gave (PeerTube: a Person and a
	// Group). It is filled when decoding; when set, it is encoded as attributedTo, as
	// [{"type":...,"id":...}] objects, in place of AttributedTo.
	Attribution []TypedID `json:"-"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *Object) UnmarshalJSON(data []byte) error {
	type plain Object
	aux := struct {
		*plain
		Type         typeString       `json:"type"`
		AttributedTo many[TypedID]    `json:"attributedTo"`
		InReplyTo    idString         `json:"inReplyTo"`
		Attachment   many[Attachment] `json:"attachment"`
		Tag          many[Tag]        `json:"tag"`
		Icon         many[Image]      `json:"icon"`
		Image        many[Image]      `json:"image"`
		Comments     idString         `json:"comments"`
		Likes        idString         `json:"likes"`
		Dislikes     idString         `json:"dislikes"`
		Shares       idString         `json:"shares"`
		OneOf        many[Object]     `json:"oneOf"`
		AnyOf        many[Object]     `json:"anyOf"`
		Subtitles    many[Caption]    `json:"subtitleLanguage"`
	}{plain: (*plain)(o)}
	*o = Object{}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	o.Type = string(aux.Type)
	for _, t := range aux.AttributedTo {
		if t.ID != "" {
			o.Attribution = append(o.Attribution, t)
			o.AttributedTo = append(o.AttributedTo, t.ID)
		}
	}
	o.InReplyTo = string(aux.InReplyTo)
	o.Attachment = aux.Attachment
	o.Tag = aux.Tag
	o.Icon = aux.Icon
	o.Image = aux.Image
	o.Comments = string(aux.Comments)
	o.Likes = string(aux.Likes)
	o.Dislikes = string(aux.Dislikes)
	o.Shares = string(aux.Shares)
	o.OneOf = aux.OneOf
	o.AnyOf = aux.AnyOf
	o.SubtitleLanguage = aux.Subtitles
	return nil
}

// MarshalJSON implements json.Marshaler; it writes Attribution, when set, as attributedTo.
func (o Object) MarshalJSON() ([]byte, error) {
	type plain Object
	if len(o.Attribution) == 0 {
		return json.Marshal(plain(o))
	}
	return json.Marshal(struct {
		plain
		AttributedTo []TypedID `json:"attributedTo"`
	}{plain(o), o.Attribution})
}

// DecodeObject decodes an object leniently. It fails on invalid JSON, on a document that is not
// an object, and on a missing id or type.
func DecodeObject(data []byte) (*Object, error) {
	var o Object
	if err := decodeDocument(data, &o, "object"); err != nil {
		return nil, err
	}
	if err := checkIdentity(o.ID, o.Type, "object"); err != nil {
		return nil, err
	}
	return &o, nil
}

// Link is an ActivityStreams Link, as found in url: a page (text/html), a media file with its
// size and resolution, a torrent or magnet, or an HLS playlist whose renditions are nested in Tag.
type Link struct {
	Type       string       `json:"type"`
	Href       string       `json:"href"`
	MediaType  string       `json:"mediaType,omitempty"`
	Rel        []string     `json:"rel,omitempty"` // decoded from a string or an array
	Name       string       `json:"name,omitempty"`
	Height     int          `json:"height,omitempty"`
	Width      int          `json:"width,omitempty"`
	Size       int64        `json:"size,omitempty"`
	FPS        int          `json:"fps,omitempty"`
	Tag        []Link       `json:"tag,omitempty"`        // PeerTube: renditions inside an HLS link
	Attachment []Attachment `json:"attachment,omitempty"` // PeerTube: PropertyValue hints on a file
}

// UnmarshalJSON implements json.Unmarshaler. A bare string decodes as a Link to it; mimeType is
// accepted for mediaType.
func (l *Link) UnmarshalJSON(data []byte) error {
	if firstByte(data) == '"' {
		*l = Link{Type: "Link"}
		return json.Unmarshal(data, &l.Href)
	}
	type plain Link
	aux := struct {
		*plain
		Type       typeString       `json:"type"`
		Href       hrefString       `json:"href"`
		MimeType   string           `json:"mimeType"`
		Rel        many[string]     `json:"rel"`
		Tag        many[Link]       `json:"tag"`
		Attachment many[Attachment] `json:"attachment"`
	}{plain: (*plain)(l)}
	*l = Link{}
	if firstByte(data) == 'n' {
		return nil
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	l.Type = string(aux.Type)
	l.Href = string(aux.Href)
	if l.MediaType == "" {
		l.MediaType = aux.MimeType
	}
	l.Rel = aux.Rel
	l.Tag = aux.Tag
	l.Attachment = aux.Attachment
	return nil
}

// MarshalJSON implements json.Marshaler. Type defaults to "Link", and file links (video, audio and
// torrent media types) always carry height and size, which PeerTube requires even when zero.
func (l Link) MarshalJSON() ([]byte, error) {
	type plain Link
	if l.Type == "" {
		l.Type = "Link"
	}
	if !l.isFile() {
		return json.Marshal(plain(l))
	}
	return json.Marshal(struct {
		plain
		Height int   `json:"height"`
		Size   int64 `json:"size"`
	}{plain(l), l.Height, l.Size})
}

// isFile reports whether l points at a media file or a torrent of one.
func (l Link) isFile() bool {
	return l.IsMedia() || strings.HasPrefix(l.MediaType, "application/x-bittorrent")
}

// IsMedia reports whether l is a video or audio file.
func (l Link) IsMedia() bool {
	return strings.HasPrefix(l.MediaType, "video/") || strings.HasPrefix(l.MediaType, "audio/")
}

// Links is a url value. It decodes from a string (a Link with that href), a Link object, or an
// array mixing both, and encodes as an array.
type Links []Link

// UnmarshalJSON implements json.Unmarshaler.
func (l *Links) UnmarshalJSON(data []byte) error {
	var all many[Link]
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	*l = Links(all)
	return nil
}

// HTML returns the href of the first text/html link, or else of the first link without a media
// type, or "".
func (l Links) HTML() string {
	for _, x := range l {
		if strings.HasPrefix(x.MediaType, "text/html") {
			return x.Href
		}
	}
	for _, x := range l {
		if x.MediaType == "" && x.Href != "" {
			return x.Href
		}
	}
	return ""
}

// Media returns the video and audio file links, including those nested in the tag of another
// link (PeerTube's HLS renditions), in document order.
func (l Links) Media() []Link {
	var out []Link
	for _, x := range l {
		if x.IsMedia() {
			out = append(out, x)
		}
		out = append(out, Links(x.Tag).Media()...)
	}
	return out
}

// Attachment is an entry of attachment: a media file (Document, Image, Audio, Video) or a profile
// field (PropertyValue with Name and Value).
type Attachment struct {
	Type      string `json:"type"`
	MediaType string `json:"mediaType,omitempty"`
	URL       string `json:"url,omitempty"` // decoded from a string, a Link or an array (the first)
	Name      string `json:"name,omitempty"`
	Summary   string `json:"summary,omitempty"` // alt text, as GoToSocial sends it
	Blurhash  string `json:"blurhash,omitempty"`
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
	Size      int64  `json:"size,omitempty"`
	Value     string `json:"value,omitempty"` // PropertyValue
}

// UnmarshalJSON implements json.Unmarshaler. A bare string decodes as an attachment at that URL.
func (a *Attachment) UnmarshalJSON(data []byte) error {
	if firstByte(data) == '"' {
		*a = Attachment{}
		return json.Unmarshal(data, &a.URL)
	}
	type plain Attachment
	aux := struct {
		*plain
		Type typeString `json:"type"`
		URL  hrefString `json:"url"`
	}{plain: (*plain)(a)}
	*a = Attachment{}
	if firstByte(data) == 'n' {
		return nil
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	a.Type = string(aux.Type)
	a.URL = string(aux.URL)
	return nil
}

// Alt returns the description of a media attachment: summary, or else name (as Mastodon reads it).
func (a Attachment) Alt() string {
	if a.Summary != "" {
		return a.Summary
	}
	return a.Name
}

// Tag is an entry of tag: a Mention (Href is the actor id), a Hashtag or an Emoji (its icon is
// ignored).
type Tag struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
	Href string `json:"href,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler. A bare string decodes as a tag linking there.
func (t *Tag) UnmarshalJSON(data []byte) error {
	if firstByte(data) == '"' {
		*t = Tag{}
		if s, ok := plainString(data); ok {
			t.Href = s
			return nil
		}
		return json.Unmarshal(data, &t.Href)
	}
	type plain Tag
	aux := struct {
		*plain
		Type typeString `json:"type"`
		Href hrefString `json:"href"`
	}{plain: (*plain)(t)}
	*t = Tag{}
	if firstByte(data) == 'n' {
		return nil
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	t.Type = string(aux.Type)
	t.Href = string(aux.Href)
	return nil
}

// Image is an icon, avatar, header or thumbnail.
type Image struct {
	Type      string `json:"type"`
	MediaType string `json:"mediaType,omitempty"`
	URL       string `json:"url"` // decoded from a string, a Link or an array (the first)
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler. A bare string decodes as an image at that URL.
func (i *Image) UnmarshalJSON(data []byte) error {
	if firstByte(data) == '"' {
		*i = Image{}
		return json.Unmarshal(data, &i.URL)
	}
	type plain Image
	aux := struct {
		*plain
		Type typeString `json:"type"`
		URL  hrefString `json:"url"`
	}{plain: (*plain)(i)}
	*i = Image{}
	if firstByte(data) == 'n' {
		return nil
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	i.Type = string(aux.Type)
	i.URL = string(aux.URL)
	return nil
}

// Identifier is PeerTube's {identifier, name} pair, used for category, licence and language.
type Identifier struct {
	Identifier string `json:"identifier"`
	Name       string `json:"name"`
}

// UnmarshalJSON implements json.Unmarshaler. A bare string decodes as the identifier, and a
// numeric identifier as its decimal string.
func (id *Identifier) UnmarshalJSON(data []byte) error {
	*id = Identifier{}
	switch firstByte(data) {
	case 'n':
		return nil
	case '"':
		return json.Unmarshal(data, &id.Identifier)
	}
	var aux struct {
		Identifier any    `json:"identifier"`
		Name       string `json:"name"`
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	id.Name = aux.Name
	switch v := aux.Identifier.(type) {
	case string:
		id.Identifier = v
	case float64:
		id.Identifier = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return nil
}

// Caption is an entry of PeerTube's subtitleLanguage: a language and the caption files.
type Caption struct {
	Identifier             string `json:"identifier"`
	Name                   string `json:"name"`
	URL                    Links  `json:"url,omitempty"`
	AutomaticallyGenerated bool   `json:"automaticallyGenerated,omitempty"`
}

package ap

import (
	"encoding/json"
	"testing"
	"time"
)

// peerTubeVideo is shaped after PeerTube's VideoObject (packages/models/src/activitypub/objects/
// video-object.ts): url[] with the watch page, web-video files with their torrent and magnet,
// an HLS playlist with nested renditions, and trackers.
const peerTubeVideo = `{
  "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", {"RsaSignature2017": "https://w3id.org/security#RsaSignature2017"}, {"pt": "https://joinpeertube.org/ns#", "sc": "http://schema.org/", "uuid": "sc:identifier"}],
  "type": "Video",
  "id": "https://pt.example/videos/watch/9c9de5e8-0a1e-484a-b099-e80766180a6d",
  "name": "Sea waves",
  "duration": "PT12S",
  "uuid": "9c9de5e8-0a1e-484a-b099-e80766180a6d",
  "tag": [{"type": "Hashtag", "name": "sea"}],
  "category": {"identifier": "15", "name": "Science & Technology"},
  "licence": {"identifier": "1", "name": "Attribution"},
  "language": {"identifier": "en", "name": "English"},
  "subtitleLanguage": [{"identifier": "fr", "name": "French", "url": [{"type": "Link", "mediaType": "text/vtt", "href": "https://pt.example/lazy-static/video-captions/fr.vtt"}]}],
  "views": 42,
  "sensitive": false,
  "isLiveBroadcast": false,
  "liveSaveReplay": null,
  "permanentLive": null,
  "latencyMode": null,
  "commentsPolicy": 1,
  "canReply": "https://www.w3.org/ns/activitystreams#Public",
  "downloadEnabled": true,
  "waitTranscoding": false,
  "state": 1,
  "published": "2024-05-01T10:00:00.000Z",
  "originallyPublishedAt": null,
  "updated": "2024-05-02T11:30:00.123Z",
  "mediaType": "text/markdown",
  "content": "Waves on a **beach**.",
  "support": null,
  "aspectRatio": 1.7778,
  "icon": [
    {"type": "Image", "url": "https://pt.example/lazy-static/thumbnails/a.jpg", "mediaType": "image/jpeg", "width": 280, "height": 157},
    {"type": "Image", "url": "https://pt.example/lazy-static/previews/a.jpg", "mediaType": "image/jpeg", "width": 850, "height": 480}
  ],
  "url": [
    {"type": "Link", "mediaType": "text/html", "href": "https://pt.example/videos/watch/9c9de5e8-0a1e-484a-b099-e80766180a6d"},
    {"type": "Link", "mediaType": "video/mp4", "href": "https://pt.example/static/web-videos/a-720.mp4", "height": 720, "width": 1280, "size": 2101346, "fps": 30,
     "attachment": [{"type": "PropertyValue", "name": "ffprobe_codec_type", "value": "video"}]},
    {"type": "Link", "rel": ["metadata", "video/mp4"], "mediaType": "application/json", "href": "https://pt.example/api/v1/videos/9c9de5e8/metadata/1", "height": 720, "width": 1280, "fps": 30},
    {"type": "Link", "mediaType": "application/x-bittorrent", "href": "https://pt.example/lazy-static/torrents/a-720.torrent", "height": 720, "width": 1280, "fps": 30},
    {"type": "Link", "mediaType": "application/x-bittorrent;x-scheme-handler/magnet", "href": "magnet:?xt=urn:btih:0123456789abcdef", "height": 720, "width": 1280, "fps": 30},
    {"type": "Link", "mediaType": "application/x-mpegURL", "href": "https://pt.example/static/streaming-playlists/hls/a/master.m3u8",
     "tag": [
       {"type": "Infohash", "name": "0123456789abcdef0123456789abcdef01234567"},
       {"type": "Link", "name": "sha256", "mediaType": "application/json", "href": "https://pt.example/static/streaming-playlists/hls/a/segments-sha256.json"},
       {"type": "Link", "mediaType": "video/mp4", "href": "https://pt.example/static/streaming-playlists/hls/a/a-480-fragmented.mp4", "height": 480, "width": 854, "size": 1200000, "fps": 30},
       {"type": "Link", "mediaType": "audio/mp4", "href": "https://pt.example/static/streaming-playlists/hls/a/a-0-fragmented.mp4", "height": 0, "width": null, "size": 90000, "fps": -1}
     ]},
    {"type": "Link", "name": "tracker-websocket", "rel": ["tracker", "websocket"], "href": "wss://pt.example/tracker/socket"}
  ],
  "likes": "https://pt.example/videos/watch/9c9de5e8-0a1e-484a-b099-e80766180a6d/likes",
  "dislikes": "https://pt.example/videos/watch/9c9de5e8-0a1e-484a-b099-e80766180a6d/dislikes",
  "shares": "https://pt.example/videos/watch/9c9de5e8-0a1e-484a-b099-e80766180a6d/announces",
  "comments": "https://pt.example/videos/watch/9c9de5e8-0a1e-484a-b099-e80766180a6d/comments",
  "hasParts": "https://pt.example/videos/watch/9c9de5e8-0a1e-484a-b099-e80766180a6d/chapters",
  "attributedTo": [
    {"type": "Person", "id": "https://pt.example/accounts/root"},
    {"type": "Group", "id": "https://pt.example/video-channels/root_channel"}
  ],
  "to": ["https://www.w3.org/ns/activitystreams#Public"],
  "cc": ["https://pt.example/accounts/root/followers"]
}`

func TestDecodePeerTubeVideo(t *testing.T) {
	v, err := DecodeObject([]byte(peerTubeVideo))
	if err != nil {
		t.Fatal(err)
	}
	if v.Type != "Video" || v.UUID != "9c9de5e8-0a1e-484a-b099-e80766180a6d" || v.Name != "Sea waves" {
		t.Errorf("video %s %s %q", v.Type, v.UUID, v.Name)
	}
	if d, err := ParseDurationISO(v.Duration); err != nil || d != 12*time.Second {
		t.Errorf("duration %q = %v, %v", v.Duration, d, err)
	}
	if v.Language == nil || *v.Language != (Identifier{"en", "English"}) || v.Category.Identifier != "15" || v.Licence.Name != "Attribution" {
		t.Errorf("language %+v category %+v licence %+v", v.Language, v.Category, v.Licence)
	}
	if v.Views == nil || *v.Views != 42 || v.State != 1 || v.CommentsPolicy != 1 || !IsPublic(v.CanReply.(string)) {
		t.Errorf("views %v state %d policy %d canReply %v", v.Views, v.State, v.CommentsPolicy, v.CanReply)
	}
	if v.IsLiveBroadcast == nil || *v.IsLiveBroadcast || v.DownloadEnabled == nil || !*v.DownloadEnabled || v.AspectRatio != 1.7778 {
		t.Errorf("live %v download %v aspect %v", v.IsLiveBroadcast, v.DownloadEnabled, v.AspectRatio)
	}
	if v.URL.HTML() != "https://pt.example/videos/watch/9c9de5e8-0a1e-484a-b099-e80766180a6d" {
		t.Errorf("HTML() = %q", v.URL.HTML())
	}
	media := v.URL.Media()
	if len(media) != 3 {
		t.Fatalf("Media() = %+v, want the mp4 file and two HLS renditions", media)
	}
	if m := media[0]; m.MediaType != "video/mp4" || m.Height != 720 || m.Width != 1280 || m.Size != 2101346 || m.FPS != 30 ||
		len(m.Attachment) != 1 || m.Attachment[0].Value != "video" {
		t.Errorf("web video = %+v", m)
	}
	if media[1].Height != 480 || media[2].MediaType != "audio/mp4" || media[2].Width != 0 || media[2].FPS != -1 {
		t.Errorf("renditions = %+v", media[1:])
	}
	hls := v.URL[5]
	if hls.MediaType != "application/x-mpegURL" || len(hls.Tag) != 4 || hls.Tag[0].Type != "Infohash" {
		t.Errorf("hls = %+v", hls)
	}
	if tracker := v.URL[6]; len(tracker.Rel) != 2 || tracker.Rel[0] != "tracker" {
		t.Errorf("tracker = %+v", tracker)
	}
	if len(v.Icon) != 2 || v.Icon[1].Width != 850 || v.Icon[0].URL != "https://pt.example/lazy-static/thumbnails/a.jpg" {
		t.Errorf("icons = %+v", v.Icon)
	}
	if len(v.AttributedTo) != 2 || v.AttributedTo[1] != "https://pt.example/video-channels/root_channel" ||
		len(v.Attribution) != 2 || v.Attribution[1].Type != "Group" {
		t.Errorf("attributedTo %v, attribution %+v", v.AttributedTo, v.Attribution)
	}
	if v.Comments == "" || v.Likes == "" || v.Dislikes == "" || v.Shares == "" || v.Support != "" {
		t.Errorf("collections comments %q likes %q dislikes %q shares %q", v.Comments, v.Likes, v.Dislikes, v.Shares)
	}
	if len(v.SubtitleLanguage) != 1 || v.SubtitleLanguage[0].URL[0].MediaType != "text/vtt" {
		t.Errorf("captions = %+v", v.SubtitleLanguage)
	}
	if len(v.Tag) != 1 || v.Tag[0].Name != "sea" || v.Updated == nil || v.Updated.Nanosecond() != 123e6 {
		t.Errorf("tags %+v updated %v", v.Tag, v.Updated)
	}
}

// mastodonActor is shaped after a Mastodon 4 Person.
const mastodonActor = `{
  "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", {"toot": "http://joinmastodon.org/ns#", "featured": {"@id": "toot:featured", "@type": "@id"}, "discoverable": "toot:discoverable", "manuallyApprovesFollowers": "as:manuallyApprovesFollowers"}],
  "id": "https://masto.example/users/carol",
  "type": "Person",
  "following": "https://masto.example/users/carol/following",
  "followers": "https://masto.example/users/carol/followers",
  "inbox": "https://masto.example/users/carol/inbox",
  "outbox": "https://masto.example/users/carol/outbox",
  "featured": "https://masto.example/users/carol/collections/featured",
  "preferredUsername": "carol",
  "name": "Carol",
  "summary": "<p>Hello</p>",
  "url": "https://masto.example/@carol",
  "manuallyApprovesFollowers": false,
  "discoverable": true,
  "indexable": true,
  "published": "2023-01-01T00:00:00Z",
  "memorial": false,
  "publicKey": {"id": "https://masto.example/users/carol#main-key", "owner": "https://masto.example/users/carol", "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"},
  "tag": [],
  "attachment": [{"type": "PropertyValue", "name": "Site", "value": "<a href=\"https://carol.example\">carol.example</a>"}],
  "endpoints": {"sharedInbox": "https://masto.example/inbox"},
  "icon": {"type": "Image", "mediaType": "image/png", "url": "https://masto.example/avatars/carol.png"},
  "image": {"type": "Image", "mediaType": "image/jpeg", "url": "https://masto.example/headers/carol.jpg"}
}`

// mastodonNote is shaped after a Mastodon 4 reply to a video, with an embedded replies
// collection whose first page has no id.
const mastodonNote = `{
  "@context": ["https://www.w3.org/ns/activitystreams", {"ostatus": "http://ostatus.org#", "sensitive": "as:sensitive", "toot": "http://joinmastodon.org/ns#", "blurhash": "toot:blurhash", "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"}, "Hashtag": "as:Hashtag"}],
  "id": "https://masto.example/users/carol/statuses/111",
  "type": "Note",
  "summary": null,
  "inReplyTo": {"id": "https://hub.example/videos/abc", "type": "Video"},
  "published": "2024-05-03T08:00:00Z",
  "url": "https://masto.example/@carol/111",
  "attributedTo": "https://masto.example/users/carol",
  "to": ["https://www.w3.org/ns/activitystreams#Public"],
  "cc": ["https://masto.example/users/carol/followers", "https://hub.example/users/alice"],
  "sensitive": false,
  "content": "<p>Nice!</p>",
  "contentMap": {"en": "<p>Nice!</p>"},
  "attachment": {"type": "Document", "mediaType": "image/jpeg", "url": "https://masto.example/media/1.jpg", "name": "A cat", "blurhash": "UBL_:rOpGG-oBUNG", "focalPoint": [0.0, 0.0], "width": 400, "height": 300},
  "tag": {"type": "Mention", "href": "https://hub.example/users/alice", "name": "@alice@hub.example"},
  "replies": {
    "id": "https://masto.example/users/carol/statuses/111/replies",
    "type": "Collection",
    "first": {"type": "CollectionPage", "next": "https://masto.example/users/carol/statuses/111/replies?only_other_accounts=true&page=true", "partOf": "https://masto.example/users/carol/statuses/111/replies", "items": []}
  },
  "likes": {"id": "https://masto.example/users/carol/statuses/111/likes", "type": "Collection", "totalItems": 0},
  "shares": {"id": "https://masto.example/users/carol/statuses/111/shares", "type": "Collection", "totalItems": 0}
}`

func TestDecodeMastodon(t *testing.T) {
	a, err := DecodeActor([]byte(mastodonActor))
	if err != nil {
		t.Fatal(err)
	}
	if a.SharedInbox() != "https://masto.example/inbox" || a.URL != "https://masto.example/@carol" || !a.Discoverable ||
		a.Icon == nil || a.Icon.URL != "https://masto.example/avatars/carol.png" || a.Image == nil || a.Image.MediaType != "image/jpeg" ||
		a.PublicKey == nil || a.PublicKey.ID != "https://masto.example/users/carol#main-key" || len(a.Attachment) != 1 {
		t.Errorf("actor = %+v", a)
	}

	n, err := DecodeObject([]byte(mastodonNote))
	if err != nil {
		t.Fatal(err)
	}
	if n.InReplyTo != "https://hub.example/videos/abc" || n.Summary != "" || n.URL.HTML() != "https://masto.example/@carol/111" {
		t.Errorf("note reply to %q summary %q url %+v", n.InReplyTo, n.Summary, n.URL)
	}
	if len(n.Attachment) != 1 || n.Attachment[0].Alt() != "A cat" || n.Attachment[0].Width != 400 {
		t.Errorf("attachment = %+v", n.Attachment)
	}
	if len(n.Tag) != 1 || n.Tag[0].Href != "https://hub.example/users/alice" {
		t.Errorf("tag = %+v", n.Tag)
	}
	if n.Likes != "https://masto.example/users/carol/statuses/111/likes" || n.Shares == "" {
		t.Errorf("likes %q shares %q", n.Likes, n.Shares)
	}
	var replies OrderedCollection
	if err := json.Unmarshal(n.Replies.Raw, &replies); err != nil {
		t.Fatal(err)
	}
	if replies.Type != "Collection" || replies.First != "" || replies.FirstPage == nil ||
		replies.FirstPage.Next != "https://masto.example/users/carol/statuses/111/replies?only_other_accounts=true&page=true" ||
		len(replies.FirstPage.OrderedItems) != 0 {
		t.Errorf("replies = %+v, first page %+v", replies, replies.FirstPage)
	}
}

func TestLenientShapes(t *testing.T) {
	var o Object
	doc := `{"id":"x","type":["Note","Page"],"url":["https://a.example/1",{"type":"Link","href":"https://a.example/2","mimeType":"video/mp4"}],
		"icon":"https://a.example/i.png","language":"fr","attributedTo":{"id":"https://a.example/u","type":"Person"},
		"inReplyTo":["https://a.example/parent"],"comments":{"id":"https://a.example/c","type":"OrderedCollection"},
		"attachment":["https://a.example/f.mp3"],"tag":[null,{"type":"Emoji","name":":x:","icon":{"url":"https://a.example/x.png"}}]}`
	if err := json.Unmarshal([]byte(doc), &o); err != nil {
		t.Fatal(err)
	}
	if o.Type != "Note" || len(o.URL) != 2 || o.URL.HTML() != "https://a.example/1" || len(o.URL.Media()) != 1 {
		t.Errorf("type %q url %+v", o.Type, o.URL)
	}
	if len(o.Icon) != 1 || o.Icon[0].URL != "https://a.example/i.png" || o.Language.Identifier != "fr" {
		t.Errorf("icon %+v language %+v", o.Icon, o.Language)
	}
	if len(o.AttributedTo) != 1 || o.InReplyTo != "https://a.example/parent" || o.Comments != "https://a.example/c" {
		t.Errorf("attributedTo %v inReplyTo %q comments %q", o.AttributedTo, o.InReplyTo, o.Comments)
	}
	if len(o.Attachment) != 1 || o.Attachment[0].URL != "https://a.example/f.mp3" || len(o.Tag) != 1 || o.Tag[0].Name != ":x:" {
		t.Errorf("attachment %+v tag %+v", o.Attachment, o.Tag)
	}

	var a Actor
	if err := json.Unmarshal([]byte(`{"id":"a","type":"Group","url":[{"type":"Link","mediaType":"text/html","href":"https://p.example/c/x"}],
		"publicKey":[{"id":"k","owner":"a","publicKeyPem":"pem"}],"icon":[{"type":"Image","url":"https://p.example/1.png"},{"type":"Image","url":"https://p.example/2.png"}],
		"attributedTo":[{"type":"Person","id":"https://p.example/accounts/o"}]}`), &a); err != nil {
		t.Fatal(err)
	}
	if a.URL != "https://p.example/c/x" || a.PublicKey == nil || a.PublicKey.ID != "k" || a.Icon.URL != "https://p.example/1.png" ||
		len(a.AttributedTo) != 1 || a.AttributedTo[0] != "https://p.example/accounts/o" {
		t.Errorf("actor = %+v", a)
	}

	var refs struct {
		A, B, C, D Ref
		E          IRIs
	}
	if err := json.Unmarshal([]byte(`{"A":"https://x/1","B":{"id":"https://x/2","type":["Note"]},"C":[{"type":"Link","href":"https://x/3"}],"D":null,
		"E":[{"id":"https://x/4"},"https://x/5",""]}`), &refs); err != nil {
		t.Fatal(err)
	}
	if refs.A.ID != "https://x/1" || refs.A.Raw != nil || refs.B.Type != "Note" || refs.B.Raw == nil ||
		refs.C.ID != "https://x/3" || !refs.D.IsZero() || len(refs.E) != 2 || refs.E[1] != "https://x/5" {
		t.Errorf("refs = %+v", refs)
	}

	if err := json.Unmarshal([]byte(`{"A":42}`), &refs); err == nil {
		t.Error("a number as a Ref: no error")
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, doc := range []string{``, `null`, `[]`, `"https://x/1"`, `{`, `{"type":"Note"}`, `{"id":"https://x/1"}`, `{"id":"x","type":"Note","to":5}`} {
		if _, err := DecodeActivity([]byte(doc)); err == nil {
			t.Errorf("DecodeActivity(%q): no error", doc)
		}
		if _, err := DecodeObject([]byte(doc)); err == nil {
			t.Errorf("DecodeObject(%q): no error", doc)
		}
		if _, err := DecodeActor([]byte(doc)); err == nil && doc != `{"id":"x","type":"Note","to":5}` {
			t.Errorf("DecodeActor(%q): no error", doc)
		}
	}
	if _, _, _, err := Peek([]byte(`["x"]`)); err == nil {
		t.Error("Peek of an array: no error")
	}
	if id, typ, actor, err := Peek([]byte(`{"id":"i","type":["Create","Other"],"actor":{"id":"a","type":"Person"}}`)); err != nil || id != "i" || typ != "Create" || actor != "a" {
		t.Errorf("Peek = %q %q %q %v", id, typ, actor, err)
	}
}

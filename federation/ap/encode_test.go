package ap

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// asMap marshals v and decodes it back into a generic map.
func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}

// keys returns the sorted keys of m.
func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// buildVideo returns a Video as we send it to PeerTube and Mastodon.
func buildVideo() Object {
	views, yes, no := 0, true, false
	published := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	updated := published.Add(time.Hour)
	base := "https://hub.example/videos/0f9a"
	return Object{
		Context:         DefaultContext(),
		ID:              base,
		Type:            "Video",
		Name:            "Harbour at dawn",
		Content:         "Boats leaving the *harbour*.",
		MediaType:       "text/markdown",
		UUID:            "0f9a2c1e-8a55-4a43-9d1d-3b3c2b1f7e10",
		Duration:        DurationISO(95 * time.Second),
		Published:       &published,
		Updated:         &updated,
		Views:           &views,
		State:           1,
		CommentsEnabled: &yes,
		CommentsPolicy:  1,
		CanReply:        Public,
		WaitTranscoding: &no,
		IsLiveBroadcast: &no,
		DownloadEnabled: &yes,
		AspectRatio:     1.7778,
		Language:        &Identifier{"en", "English"},
		Category:        &Identifier{"15", "Science & Technology"},
		Licence:         &Identifier{"1", "Attribution"},
		Tag:             []Tag{{Type: "Hashtag", Name: "#harbour", Href: "https://hub.example/tags/harbour"}},
		To:              IRIs{Public},
		Cc:              IRIs{"https://hub.example/users/alice/followers"},
		Attribution: []TypedID{
			{Type: "Person", ID: "https://hub.example/users/alice"},
			{Type: "Group", ID: "https://hub.example/channels/harbours"},
		},
		URL: Links{
			{MediaType: "text/html", Href: base},
			{MediaType: "video/mp4", Href: base + "/720.mp4", Height: 720, Width: 1280, Size: 7340032, FPS: 30},
			{MediaType: "audio/mp4", Href: base + "/audio.m4a", Size: 524288},
		},
		Icon:     []Image{{Type: "Image", MediaType: "image/jpeg", URL: base + "/thumb.jpg", Width: 640, Height: 360}},
		Comments: base + "/comments",
		Likes:    base + "/likes",
		Shares:   base + "/shares",
	}
}

func TestMarshalVideo(t *testing.T) {
	video := buildVideo()
	m := asMap(t, video)

	urls, ok := m["url"].([]any)
	if !ok || len(urls) != 3 {
		t.Fatalf("url = %v", m["url"])
	}
	html := urls[0].(map[string]any)
	if html["mediaType"] != "text/html" || html["type"] != "Link" || html["height"] != nil || html["size"] != nil {
		t.Errorf("first link = %v, want a bare text/html Link", html)
	}
	mp4 := urls[1].(map[string]any)
	if mp4["type"] != "Link" || mp4["height"] != 720.0 || mp4["width"] != 1280.0 || mp4["size"] != 7340032.0 || mp4["fps"] != 30.0 {
		t.Errorf("mp4 link = %v", mp4)
	}
	audio := urls[2].(map[string]any)
	if h, ok := audio["height"]; !ok || h != 0.0 || audio["size"] != 524288.0 {
		t.Errorf("audio link = %v, want height 0 present for PeerTube", audio)
	}

	for key, want := range map[string]any{
		"type": "Video", "uuid": video.UUID, "duration": "PT95S", "views": 0.0, "state": 1.0,
		"commentsEnabled": true, "commentsPolicy": 1.0, "canReply": Public, "waitTranscoding": false,
		"isLiveBroadcast": false, "downloadEnabled": true, "mediaType": "text/markdown", "aspectRatio": 1.7778,
		"published": "2026-11-21T12:00:00Z", "comments": video.Comments,
	} {
		if got, ok := m[key]; !ok || got != want {
			t.Errorf("%s = %v (present %t), want %v", key, got, ok, want)
		}
	}
	if lang := m["language"].(map[string]any); lang["identifier"] != "en" || lang["name"] != "English" {
		t.Errorf("language = %v", lang)
	}
	attributed := m["attributedTo"].([]any)
	if len(attributed) != 2 || attributed[1].(map[string]any)["type"] != "Group" {
		t.Errorf("attributedTo = %v, want typed objects", attributed)
	}
	if icons := m["icon"].([]any); len(icons) != 1 || icons[0].(map[string]any)["width"] != 640.0 {
		t.Errorf("icon = %v", icons)
	}
	if ctx := m["@context"].([]any); len(ctx) != 3 || ctx[0] != ContextActivityStreams || ctx[1] != ContextSecurity {
		t.Errorf("@context = %v", ctx)
	}

	// And back: what we send decodes to what we built.
	b, _ := json.Marshal(video)
	back, err := DecodeObject(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.UUID != video.UUID || *back.Views != 0 || *back.WaitTranscoding || back.URL.HTML() != video.ID ||
		len(back.URL.Media()) != 2 || back.URL[2].Type != "Link" || !reflect.DeepEqual(back.Attribution, video.Attribution) ||
		!reflect.DeepEqual(back.AttributedTo, IRIs{video.Attribution[0].ID, video.Attribution[1].ID}) ||
		!back.Published.Equal(*video.Published) || !reflect.DeepEqual(back.Icon, video.Icon) {
		t.Errorf("round trip = %+v", back)
	}
}

func TestMarshalAudio(t *testing.T) {
	page := "https://hub.example/episodes/7"
	audio := Object{
		ID:         page,
		Type:       "Audio",
		Name:       "Episode 7",
		URL:        Links{{MediaType: "text/html", Href: page}, {MediaType: "audio/mpeg", Href: page + ".mp3", Size: 1234}},
		Attachment: []Attachment{{Type: "Document", MediaType: "audio/mpeg", URL: page + ".mp3", Size: 1234, Name: "Episode 7"}},
		Duration:   DurationISO(30*time.Minute + 400*time.Millisecond),
	}
	m := asMap(t, audio)
	att := m["attachment"].([]any)[0].(map[string]any)
	if att["type"] != "Document" || att["mediaType"] != "audio/mpeg" || att["url"] != page+".mp3" {
		t.Errorf("attachment = %v", att)
	}
	if m["duration"] != "PT1800S" {
		t.Errorf("duration = %v", m["duration"])
	}
	for _, k := range []string{"uuid", "views", "commentsEnabled", "waitTranscoding", "isLiveBroadcast", "state"} {
		if _, ok := m[k]; ok {
			t.Errorf("an Audio without PeerTube fields has %s", k)
		}
	}
}

func TestMarshalNoteAndTombstone(t *testing.T) {
	published := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	note := Object{
		ID:           "https://hub.example/notes/1",
		Type:         "Note",
		Content:      "<p>Hi</p>",
		InReplyTo:    "https://pt.example/videos/watch/1",
		AttributedTo: IRIs{"https://hub.example/users/alice"},
		To:           IRIs{Public},
		Published:    &published,
	}
	m := asMap(t, note)
	want := []string{"attributedTo", "content", "id", "inReplyTo", "published", "to", "type"}
	if got := keys(m); !slices.Equal(got, want) {
		t.Errorf("note keys = %v, want %v", got, want)
	}
	if to, ok := m["to"].([]any); !ok || len(to) != 1 || to[0] != Public {
		t.Errorf("to = %v, want a one-element array", m["to"])
	}
	if at, ok := m["attributedTo"].([]any); !ok || len(at) != 1 {
		t.Errorf("attributedTo = %v, want a one-element array", m["attributedTo"])
	}

	deleted := published.Add(time.Hour)
	tomb := asMap(t, Object{ID: note.ID, Type: "Tombstone", FormerType: "Note", Deleted: &deleted})
	if got := keys(tomb); !slices.Equal(got, []string{"deleted", "formerType", "id", "type"}) {
		t.Errorf("tombstone keys = %v", got)
	}
}

func TestMarshalActivity(t *testing.T) {
	like := Activity{
		Context: ContextActivityStreams,
		ID:      "https://hub.example/likes/1",
		Type:    "Like",
		Actor:   Ref{ID: "https://hub.example/users/alice", Type: "Person", Raw: json.RawMessage(`{"id":"https://hub.example/users/alice","type":"Person"}`)},
		Object:  Ref{ID: "https://gts.test/users/admin/statuses/1"},
		To:      IRIs{"https://gts.test/users/admin"},
	}
	b, err := json.Marshal(like)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://hub.example/likes/1","type":"Like",` +
		`"object":"https://gts.test/users/admin/statuses/1","to":["https://gts.test/users/admin"],"actor":"https://hub.example/users/alice"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}

	note := Object{ID: "https://hub.example/notes/2", Type: "Note", Content: "x", To: IRIs{Public}}
	embedded, err := Embed(note)
	if err != nil {
		t.Fatal(err)
	}
	if embedded.ID != note.ID || embedded.Type != "Note" {
		t.Errorf("Embed = %+v", embedded)
	}
	create := Activity{ID: note.ID + "/activity", Type: "Create", Actor: Ref{ID: "https://hub.example/users/alice"}, Object: embedded, To: note.To}
	b, err = json.Marshal(create)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeActivity(b)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := DecodeObject(back.Object.Raw)
	if err != nil || !reflect.DeepEqual(*inner, note) {
		t.Errorf("embedded note round trip = %+v, %v", inner, err)
	}
	if _, err := Embed("https://x/1"); err == nil {
		t.Error("Embed of a string: no error")
	}

	var zero struct {
		R Ref
		P *Ref `json:",omitempty"`
	}
	if b, _ := json.Marshal(zero); string(b) != `{"R":null}` {
		t.Errorf("zero Ref = %s", b)
	}
}

func TestMarshalActorAndCollections(t *testing.T) {
	actor := Actor{
		Context:           DefaultContext(),
		ID:                "https://hub.example/users/alice",
		Type:              "Person",
		PreferredUsername: "alice",
		Inbox:             "https://hub.example/users/alice/inbox",
		Endpoints:         &Endpoints{SharedInbox: "https://hub.example/inbox"},
		PublicKey:         &PublicKey{ID: "https://hub.example/users/alice#main-key", Owner: "https://hub.example/users/alice", PublicKeyPem: "pem"},
	}
	m := asMap(t, actor)
	if m["manuallyApprovesFollowers"] != false || m["discoverable"] != false || m["endpoints"].(map[string]any)["sharedInbox"] != "https://hub.example/inbox" {
		t.Errorf("actor = %v", m)
	}
	b, _ := json.Marshal(actor)
	back, err := DecodeActor(b)
	if err != nil || back.SharedInbox() != "https://hub.example/inbox" || back.PublicKey.Owner != actor.ID {
		t.Errorf("actor round trip = %+v, %v", back, err)
	}

	page := OrderedCollectionPage{ID: "https://hub.example/users/alice/outbox?page=1", Type: "OrderedCollectionPage", PartOf: "https://hub.example/users/alice/outbox"}
	if b, _ := json.Marshal(page); !strings.Contains(string(b), `"orderedItems":[]`) {
		t.Errorf("empty page = %s", b)
	}
	coll := OrderedCollection{ID: "https://hub.example/users/alice/followers", Type: "OrderedCollection"}
	if b, _ := json.Marshal(coll); string(b) != `{"id":"https://hub.example/users/alice/followers","type":"OrderedCollection","totalItems":0}` {
		t.Errorf("empty collection = %s", b)
	}
}

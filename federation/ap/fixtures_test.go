package ap

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureDir holds the GoToSocial captures described in its README.md.
const fixtureDir = "../testdata/gotosocial"

// fixture reads a fixture file; a missing file fails the test.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// httpBody returns the body of a captured request: what follows the first blank line.
func httpBody(t *testing.T, name string) []byte {
	t.Helper()
	raw := fixture(t, name)
	_, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("%s: no end of headers", name)
	}
	return body
}

// activityFixture decodes the body of a captured delivery.
func activityFixture(t *testing.T, name string) *Activity {
	t.Helper()
	a, err := DecodeActivity(httpBody(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return a
}

func TestGoToSocialDeliveries(t *testing.T) {
	var manifest []struct {
		File         string `json:"file"`
		Method       string `json:"method"`
		ActivityType string `json:"activity_type"`
		ActivityID   string `json:"activity_id"`
		Actor        string `json:"actor"`
		ObjectType   string `json:"object_type"`
	}
	if err := json.Unmarshal(fixture(t, "manifest.json"), &manifest); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.http"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 20 || len(manifest) != len(files) {
		t.Fatalf("want 20 captures listed in the manifest, found %d files and %d entries", len(files), len(manifest))
	}
	for _, m := range manifest {
		t.Run(m.File, func(t *testing.T) {
			body := httpBody(t, m.File)
			if m.Method == "GET" {
				if len(body) != 0 {
					t.Fatalf("GET has a body of %d bytes", len(body))
				}
				if _, err := DecodeActivity(body); err == nil {
					t.Fatal("decoding an empty body: no error")
				}
				return
			}
			a, err := DecodeActivity(body)
			if err != nil {
				t.Fatal(err)
			}
			if a.Type != m.ActivityType || a.ID != m.ActivityID || a.Actor.ID != m.Actor {
				t.Fatalf("got %s %s by %s, want %s %s by %s", a.Type, a.ID, a.Actor.ID, m.ActivityType, m.ActivityID, m.Actor)
			}
			if a.Actor.Raw != nil {
				t.Errorf("actor decoded as an embedded object")
			}
			id, typ, actor, err := Peek(body)
			if err != nil || id != a.ID || typ != a.Type || actor != a.Actor.ID {
				t.Errorf("Peek = %q %q %q %v", id, typ, actor, err)
			}
			switch m.ObjectType {
			case "IRI":
				if a.Object.ID == "" || a.Object.Raw != nil || len(a.Objects) != 1 {
					t.Errorf("object = %+v, want one bare IRI", a.Object)
				}
			case "IRI list":
				if len(a.Objects) < 2 || a.Object.ID != a.Objects[0].ID {
					t.Errorf("objects = %+v, want several IRIs", a.Objects)
				}
			default:
				if a.Object.Type != m.ObjectType || a.Object.Raw == nil || a.Object.ID == "" {
					t.Fatalf("object = %s %s (raw %t), want an embedded %s", a.Object.Type, a.Object.ID, a.Object.Raw != nil, m.ObjectType)
				}
				checkEmbedded(t, a.Object)
			}
		})
	}
}

// checkEmbedded decodes an embedded object with the decoder its type calls for.
func checkEmbedded(t *testing.T, r Ref) {
	t.Helper()
	var id, typ string
	switch r.Type {
	case "Note", "Question":
		o, err := DecodeObject(r.Raw)
		if err != nil {
			t.Fatal(err)
		}
		id, typ = o.ID, o.Type
	case "Person":
		a, err := DecodeActor(r.Raw)
		if err != nil {
			t.Fatal(err)
		}
		id, typ = a.ID, a.Type
	default:
		a, err := DecodeActivity(r.Raw)
		if err != nil {
			t.Fatal(err)
		}
		id, typ = a.ID, a.Type
	}
	if id != r.ID || typ != r.Type {
		t.Errorf("embedded %s %s decodes as %s %s", r.Type, r.ID, typ, id)
	}
}

func TestGoToSocialFollowAndUndo(t *testing.T) {
	follow := activityFixture(t, "01-follow.http")
	if follow.Object.ID != "http://hub.test/users/alice" || len(follow.To) != 1 || follow.To[0] != "http://hub.test/users/alice" {
		t.Errorf("follow: object %q to %v", follow.Object.ID, follow.To)
	}
	if follow.Context != ContextActivityStreams {
		t.Errorf("@context = %v, want the bare string", follow.Context)
	}

	undo := activityFixture(t, "02-undo-follow.http")
	inner, err := DecodeActivity(undo.Object.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if inner.Type != "Follow" || inner.ID != follow.ID || inner.Actor.ID != follow.Actor.ID || inner.Object.ID != follow.Object.ID {
		t.Errorf("Undo embeds %+v, want the Follow of 01", inner)
	}

	accept := activityFixture(t, "07-accept-follow.http")
	inner, err = DecodeActivity(accept.Object.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if inner.Actor.ID != "http://hub.test/users/alice" || inner.ID != "http://hub.test/activities/follow-admin-1" || inner.Object.ID != "http://gts.test/users/admin" {
		t.Errorf("Accept embeds %+v", inner)
	}

	announce := activityFixture(t, "05-announce.http")
	if len(announce.Cc) != 2 || !announce.Cc.HasPublic() || announce.To.HasPublic() || announce.Published == nil {
		t.Errorf("announce: to %v cc %v published %v", announce.To, announce.Cc, announce.Published)
	}
}

func TestGoToSocialNoteReply(t *testing.T) {
	a := activityFixture(t, "08-create-note-reply.http")
	if _, ok := a.Context.([]any); !ok {
		t.Errorf("@context = %T, want an array", a.Context)
	}
	if len(a.To) != 1 || !IsPublic(a.To[0]) {
		t.Errorf("to = %v, want the collapsed Public", a.To)
	}
	n, err := DecodeObject(a.Object.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if n.Type != "Note" || n.InReplyTo != "http://hub.test/notes/1" {
		t.Errorf("got a %s replying to %q", n.Type, n.InReplyTo)
	}
	if n.Summary == "" || !n.Sensitive {
		t.Errorf("content warning %q, sensitive %t", n.Summary, n.Sensitive)
	}
	if len(n.AttributedTo) != 1 || n.AttributedTo[0] != "http://gts.test/users/admin" {
		t.Errorf("attributedTo = %v", n.AttributedTo)
	}
	var mentions, hashtags []Tag
	for _, tag := range n.Tag {
		switch tag.Type {
		case "Mention":
			mentions = append(mentions, tag)
		case "Hashtag":
			hashtags = append(hashtags, tag)
		}
	}
	if len(mentions) != 1 || mentions[0].Href != "http://hub.test/users/alice" || mentions[0].Name != "@alice@hub.test" {
		t.Errorf("mentions = %+v", mentions)
	}
	if len(hashtags) != 1 || hashtags[0].Name != "#fixturetest" {
		t.Errorf("hashtags = %+v", hashtags)
	}
	if len(n.Attachment) != 1 {
		t.Fatalf("attachments = %+v", n.Attachment)
	}
	img := n.Attachment[0]
	if img.Type != "Image" || img.MediaType != "image/png" || img.Alt() != "A 32x32 test gradient" ||
		!strings.HasSuffix(img.URL, ".png") || img.Blurhash == "" {
		t.Errorf("attachment = %+v", img)
	}
	if n.URL.HTML() != "http://gts.test/@admin/statuses/01M7YZSKVYV64QX614MK48N2NB" {
		t.Errorf("url = %+v", n.URL)
	}
	if n.ContentMap["en"] != n.Content || !strings.Contains(n.Content, "<p>") {
		t.Errorf("content %q, contentMap %v", n.Content, n.ContentMap)
	}
	if n.Replies == nil || n.Replies.Type != "Collection" || !strings.HasSuffix(n.Replies.ID, "/replies") {
		t.Errorf("replies = %+v", n.Replies)
	}
	if n.Published == nil || n.Updated != nil {
		t.Errorf("published %v, updated %v", n.Published, n.Updated)
	}

	edit, err := DecodeObject(activityFixture(t, "09-update-note.http").Object.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if edit.ID != n.ID || edit.Updated == nil || !edit.Updated.After(*edit.Published) {
		t.Errorf("edit %s updated %v", edit.ID, edit.Updated)
	}
}

func TestGoToSocialVisibility(t *testing.T) {
	tests := []struct {
		file   string
		to, cc int
		public bool
	}{
		{"10-create-note-bob-reply-public.http", 1, 2, true},
		{"11-create-note-bob-reply-unlisted.http", 1, 2, true},
		{"12-create-note-bob-reply-private.http", 1, 1, false},
		{"13-create-note-direct.http", 1, 0, false},
	}
	for _, tt := range tests {
		a := activityFixture(t, tt.file)
		n, err := DecodeObject(a.Object.Raw)
		if err != nil {
			t.Fatal(err)
		}
		public := n.To.HasPublic() || n.Cc.HasPublic()
		if len(n.To) != tt.to || len(n.Cc) != tt.cc || public != tt.public {
			t.Errorf("%s: to %v cc %v", tt.file, n.To, n.Cc)
		}
		if len(a.Cc) != len(n.Cc) {
			t.Errorf("%s: activity cc %v, note cc %v", tt.file, a.Cc, n.Cc)
		}
		if tt.file[:2] == "10" && (len(n.Tag) != 1 || n.Tag[0].Type != "Mention" || len(n.Attachment) != 0) {
			t.Errorf("%s: a single tag object should decode as one tag: %+v", tt.file, n.Tag)
		}
	}
	// 12: "cc" is a single IRI, collapsed from an array.
	private := activityFixture(t, "12-create-note-bob-reply-private.http")
	if len(private.Cc) != 1 || private.Cc[0] != "http://gts.test/users/admin" {
		t.Errorf("collapsed cc = %v", private.Cc)
	}
}

func TestGoToSocialQuestionDeleteFlag(t *testing.T) {
	q, err := DecodeObject(activityFixture(t, "14-create-question-poll.http").Object.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if q.Type != "Question" || len(q.OneOf) != 2 || q.OneOf[0].Name != "HTTP signatures" || q.EndTime == nil {
		t.Errorf("question %s, options %+v, end %v", q.Type, q.OneOf, q.EndTime)
	}

	del := activityFixture(t, "15-delete-note.http")
	if del.Object.ID != "http://gts.test/users/admin/statuses/01M7YZSKVYV64QX614MK48N2NB" || del.Object.Raw != nil || del.Object.Type != "" {
		t.Errorf("delete object = %+v, want a bare IRI", del.Object)
	}

	flag := activityFixture(t, "19-flag.http")
	if len(flag.Objects) != 2 || flag.Objects[0].ID != "http://hub.test/users/alice" || flag.Objects[1].ID != "http://hub.test/notes/1" {
		t.Errorf("flag objects = %+v", flag.Objects)
	}
	if flag.Content == "" || len(flag.To) != 0 || len(flag.Cc) != 0 {
		t.Errorf("flag content %q to %v cc %v", flag.Content, flag.To, flag.Cc)
	}
}

func TestGoToSocialUpdatePerson(t *testing.T) {
	a := activityFixture(t, "16-update-person.http")
	p, err := DecodeActor(a.Object.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Admin of gts.test" || len(p.Attachment) != 2 || p.Attachment[1].Name != "Pronouns" || p.Attachment[1].Value != "they/them" {
		t.Errorf("person %q, fields %+v", p.Name, p.Attachment)
	}
}

func TestGoToSocialActors(t *testing.T) {
	admin, err := DecodeActor(fixture(t, "actor-admin.json"))
	if err != nil {
		t.Fatal(err)
	}
	if admin.Type != "Person" || admin.ID != "http://gts.test/users/admin" || admin.PreferredUsername != "admin" ||
		admin.Inbox != "http://gts.test/users/admin/inbox" || admin.URL != "http://gts.test/@admin" ||
		admin.Followers != "http://gts.test/users/admin/followers" || admin.Published == nil {
		t.Errorf("admin = %+v", admin)
	}
	if admin.SharedInbox() != "" || admin.Endpoints != nil {
		t.Errorf("admin has no endpoints, got shared inbox %q", admin.SharedInbox())
	}
	if admin.Icon != nil || admin.Image != nil {
		t.Errorf("admin has no icon or image, got %+v %+v", admin.Icon, admin.Image)
	}
	if admin.PublicKey == nil || admin.PublicKey.ID != "http://gts.test/users/admin/main-key" ||
		admin.PublicKey.Owner != admin.ID || !strings.HasPrefix(admin.PublicKey.PublicKeyPem, "-----BEGIN PUBLIC KEY-----") {
		t.Errorf("public key = %+v", admin.PublicKey)
	}
	pem := fixture(t, "admin.pub")
	if strings.TrimSpace(admin.PublicKey.PublicKeyPem) != strings.TrimSpace(string(pem)) {
		t.Errorf("public key differs from admin.pub")
	}

	instance, err := DecodeActor(fixture(t, "actor-instance.json"))
	if err != nil {
		t.Fatal(err)
	}
	if instance.Type != "Service" || !instance.ManuallyApprovesFollowers || instance.PreferredUsername != "gts.test" {
		t.Errorf("instance = %+v", instance)
	}

	stub, err := DecodeActor(fixture(t, "main-key-admin.json"))
	if err != nil {
		t.Fatal(err)
	}
	if stub.ID != admin.ID || stub.Inbox != "" || stub.PublicKey == nil || stub.PublicKey.ID != admin.PublicKey.ID {
		t.Errorf("key stub = %+v", stub)
	}
}

func TestGoToSocialStatuses(t *testing.T) {
	status, err := DecodeObject(fixture(t, "status.json"))
	if err != nil {
		t.Fatal(err)
	}
	if status.ID != "http://gts.test/users/admin/statuses/01M7YZSKVYV64QX614MK48N2NB" || status.Updated == nil ||
		len(status.Attachment) != 1 || status.Attachment[0].Alt() != "A 32x32 test gradient (new alt text)" {
		t.Errorf("status = %+v", status)
	}
	q, err := DecodeObject(fixture(t, "status-question.json"))
	if err != nil {
		t.Fatal(err)
	}
	if q.Type != "Question" || len(q.OneOf) != 2 || len(q.Cc) != 1 || len(q.Tag) != 0 || len(q.Attachment) != 0 {
		t.Errorf("question = %+v", q)
	}
	reply, err := DecodeObject(fixture(t, "status-bob-reply.json"))
	if err != nil {
		t.Fatal(err)
	}
	if reply.InReplyTo != status.ID || len(reply.Tag) != 1 {
		t.Errorf("bob's reply = %+v", reply)
	}
}

func TestGoToSocialCollections(t *testing.T) {
	var followers OrderedCollection
	if err := json.Unmarshal(fixture(t, "followers.json"), &followers); err != nil {
		t.Fatal(err)
	}
	if followers.Type != "OrderedCollection" || followers.TotalItems != 1 ||
		followers.First != "http://gts.test/users/admin/followers?limit=40" || followers.FirstPage != nil {
		t.Errorf("followers = %+v", followers)
	}

	var page OrderedCollectionPage
	if err := json.Unmarshal(fixture(t, "followers-page.json"), &page); err != nil {
		t.Fatal(err)
	}
	if ids := ItemIDs(page.OrderedItems); len(ids) != 1 || ids[0] != "http://hub.test/users/alice" ||
		page.PartOf != followers.ID || page.Next == "" || page.Prev == "" || page.TotalItems == nil || *page.TotalItems != 1 {
		t.Errorf("followers page = %+v", page)
	}

	var outbox OrderedCollectionPage
	if err := json.Unmarshal(fixture(t, "outbox-page.json"), &outbox); err != nil {
		t.Fatal(err)
	}
	if len(outbox.OrderedItems) != 1 {
		t.Fatalf("outbox items = %d", len(outbox.OrderedItems))
	}
	create, err := DecodeActivity(outbox.OrderedItems[0])
	if err != nil {
		t.Fatal(err)
	}
	if create.Type != "Create" || create.Object.Raw != nil || len(create.Cc) != 1 ||
		create.Object.ID != "http://gts.test/users/admin/statuses/01M7YZTS30BQ8JVEKKH348Q8C4" {
		t.Errorf("outbox item = %+v", create)
	}
	if ids := ItemIDs(outbox.OrderedItems); len(ids) != 1 || ids[0] != create.ID {
		t.Errorf("outbox item ids = %v", ids)
	}

	var replies OrderedCollection
	if err := json.Unmarshal(fixture(t, "replies.json"), &replies); err != nil {
		t.Fatal(err)
	}
	var repliesPage OrderedCollectionPage
	if err := json.Unmarshal(fixture(t, "replies-page.json"), &repliesPage); err != nil {
		t.Fatal(err)
	}
	ids := ItemIDs(repliesPage.OrderedItems)
	if replies.TotalItems != 3 || len(ids) != 3 || !strings.HasPrefix(ids[0], "http://gts.test/users/bob/statuses/") ||
		repliesPage.PartOf != replies.ID {
		t.Errorf("replies %+v, page items %v", replies, ids)
	}
}

package ap

import "testing"

// benchReply is a Mastodon-shaped Create of a reply, as the inbox
// benchmark sends them.
const benchReply = `{"@context":"https://www.w3.org/ns/activitystreams","actor":"http://127.0.0.1:40000/users/fan7","cc":["http://127.0.0.1:40000/users/fan7/followers","http://127.0.0.1:41000/c/news"],"id":"http://127.0.0.1:40000/users/fan7/statuses/1763762400000000000-7/activity","object":{"attributedTo":"http://127.0.0.1:40000/users/fan7","cc":["http://127.0.0.1:40000/users/fan7/followers","http://127.0.0.1:41000/c/news"],"content":"\u003cp\u003e\u003cspan class=\"h-card\"\u003e\u003ca href=\"http://127.0.0.1:41000/c/news\" class=\"u-url mention\"\u003e@\u003cspan\u003enews\u003c/span\u003e\u003c/a\u003e\u003c/span\u003e reply 7\u003c/p\u003e","id":"http://127.0.0.1:40000/users/fan7/statuses/1763762400000000000-7","inReplyTo":"http://127.0.0.1:41000/i/AbCdEfGhIjKl","published":"2026-11-21T22:00:00Z","tag":[{"href":"http://127.0.0.1:41000/c/news","name":"@news@127.0.0.1:41000","type":"Mention"}],"to":["https://www.w3.org/ns/activitystreams#Public"],"type":"Note"},"to":["https://www.w3.org/ns/activitystreams#Public"],"type":"Create"}`

// BenchmarkDecodeReply is the inbox's decoding of one reply: Peek at
// the door, DecodeActivityObject in the drain.
func BenchmarkDecodeReply(b *testing.B) {
	data := []byte(benchReply)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := Peek(data); err != nil {
			b.Fatal(err)
		}
		act, obj, objErr, err := DecodeActivityObject(data)
		if err != nil || objErr != nil || obj == nil || act.Actor.ID == "" || len(obj.Tag) != 1 || len(obj.Cc) != 2 {
			b.Fatalf("%v %v %+v", err, objErr, obj)
		}
	}
}

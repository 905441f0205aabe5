// Package ap is the ActivityStreams vocabulary of Archipel: Go types for the activities, objects,
// actors and collections we send, and lenient decoding of what other servers send.
//
// Other servers collapse single-element arrays to scalars, give objects either embedded or as bare
// IRIs, and write url as a string, a Link or an array of both. The types here accept all of those
// shapes when decoding, and encode one plain shape (arrays stay arrays, references are IRIs).
package ap

import (
	"mime"
	"strconv"
	"strings"
)

// Well-known IRIs and media types.
const (
	// ContextActivityStreams is the ActivityStreams JSON-LD context.
	ContextActivityStreams = "https://www.w3.org/ns/activitystreams"
	// ContextSecurity is the security context that defines publicKey.
	ContextSecurity = "https://w3id.org/security/v1"
	// Public is the special collection that addresses everyone.
	Public = "https://www.w3.org/ns/activitystreams#Public"
	// MediaTypeActivity is the usual media type of ActivityStreams documents.
	MediaTypeActivity = "application/activity+json"
	// MediaTypeLD is the JSON-LD media type with the ActivityStreams profile.
	MediaTypeLD = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
)

// IsPublic reports whether s is the Public collection in any of its spellings
// ("as:Public", "Public" or the full IRI).
func IsPublic(s string) bool {
	return s == Public || s == "as:Public" || s == "Public"
}

// IsActivityJSON reports whether a Content-Type or Accept header value asks for ActivityStreams
// JSON: application/activity+json, or application/ld+json without a profile or with the
// ActivityStreams profile. It is true when such a type appears with q > 0 and text/html does not
// have a strictly higher q.
func IsActivityJSON(headerValue string) bool {
	asQ, htmlQ := 0.0, 0.0
	for _, part := range splitHeader(headerValue) {
		typ, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			q, err = strconv.ParseFloat(s, 64)
			if err != nil || q < 0 || q > 1 {
				continue
			}
		}
		switch {
		case typ == "application/activity+json",
			typ == "application/ld+json" && isASProfile(params["profile"]):
			asQ = max(asQ, q)
		case typ == "text/html":
			htmlQ = max(htmlQ, q)
		}
	}
	return asQ > 0 && htmlQ <= asQ
}

// isASProfile reports whether an ld+json profile parameter is absent or names ActivityStreams.
func isASProfile(profile string) bool {
	if profile == "" {
		return true
	}
	for _, p := range strings.Fields(profile) {
		if p == ContextActivityStreams {
			return true
		}
	}
	return false
}

// splitHeader splits a header value at the commas that are not inside a quoted string.
func splitHeader(s string) []string {
	var parts []string
	quoted, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case c == '\\' && quoted:
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// DefaultContext returns the @context used on everything we send: ActivityStreams, security, and
// the Mastodon, PeerTube and schema.org terms our documents use. Each call returns a new value.
func DefaultContext() any {
	return []any{
		ContextActivityStreams,
		ContextSecurity,
		map[string]any{
			"Hashtag":                   "as:Hashtag",
			"sensitive":                 "as:sensitive",
			"toot":                      "http://joinmastodon.org/ns#",
			"discoverable":              "toot:discoverable",
			"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
			"pt":                        "https://joinpeertube.org/ns#",
			"sc":                        "http://schema.org/",
			"uuid":                      "sc:identifier",
			"Infohash":                  "pt:Infohash",
			"commentsEnabled":           "pt:commentsEnabled",
			"canReply":                  "pt:canReply",
			"commentsPolicy":            "pt:commentsPolicy",
			"views":                     "sc:Number",
			"size":                      "sc:Number",
			"fps":                       "sc:Number",
			"category":                  "sc:category",
			"licence":                   "sc:license",
			"language":                  "sc:inLanguage",
			"identifier":                "sc:identifier",
			"name":                      "sc:name",
			"blurhash":                  "toot:blurhash",
			"focalPoint": map[string]any{
				"@container": "@list",
				"@id":        "toot:focalPoint",
			},
		},
	}
}

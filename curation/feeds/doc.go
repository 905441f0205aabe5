// Package feeds renders one feed model — an ordered list of local or remote
// episodes and videos — as RSS 2.0, Atom 1.0, JSON Feed 1.1 and OPML 2.0.
//
// # RSS
//
// The RSS rendering carries the iTunes namespace (what Apple Podcasts
// requires), the Podcasting 2.0 namespace (https://podcastindex.org/namespace/1.0:
// guid, locked, funding, person, medium, license, trailer, socialInteract,
// transcript, chapters, season, episode, alternateEnclosure with its sources
// and integrity), Media RSS (media:content, media:thumbnail) and an Atom
// self link (plus a WebSub hub link when one is configured).
//
// gorilla/feeds, the project's feed library, has RSS types with no
// extension points: they cannot carry a namespaced element or attribute.
// So the RSS is written here with encoding/xml structs of this package's own,
// and gorilla/feeds renders only the Atom and JSON Feed forms, which this
// package then completes (self and hub links, entry publication dates, icon,
// language, attachments) on gorilla's exported Atom and JSON types.
//
// The iTunes and podcast namespaces are emitted only for podcast feeds
// (Feed.Podcast); a plain feed, such as a comments feed, is plain RSS. The
// media, content and dc namespaces are declared only when an element of
// theirs is present.
//
// # Guarantees
//
//   - Every rendering is deterministic: the same Feed gives the same bytes,
//     so a caller can cache the output and derive an ETag from it. Nothing
//     reads the clock or a random source; a missing date stays missing (or,
//     where Atom requires one, falls back to the newest item date, then to
//     the Unix epoch).
//   - Every rendering is valid XML (or JSON) whatever the text holds: control
//     characters are dropped, invalid UTF-8 becomes U+FFFD, and HTML
//     descriptions go into CDATA sections (with "]]>" split safely).
//   - Dates are RFC 1123 with a numeric zone (RFC 822/2822 as RSS wants) in
//     UTC for RSS and OPML, RFC 3339 in UTC for Atom and JSON.
//   - Rendering never fails on content: an out-of-range enumerated value
//     (itunes:type, itunes:episodeType) is normalised or left out. Validate
//     reports such values and what Apple Podcasts would reject.
package feeds

package deliver

// Recipient is one addressee's inboxes, as found on its actor document.
type Recipient struct {
	Inbox       string // the actor's own inbox
	SharedInbox string // endpoints.sharedInbox, or "" when the actor has none
}

// Dedupe resolves recipients to unique inboxes, shared inbox first: for each
// recipient it takes SharedInbox when non-empty, else Inbox, drops empty
// strings and duplicates, and keeps the order of first appearance. Inboxes are
// compared as given (the caller canonicalises actor documents' URLs).
func Dedupe(rs []Recipient) []string {
	out := make([]string, 0, len(rs))
	seen := make(map[string]struct{}, len(rs))
	for _, r := range rs {
		in := r.SharedInbox
		if in == "" {
			in = r.Inbox
		}
		if in == "" {
			continue
		}
		if _, dup := seen[in]; dup {
			continue
		}
		seen[in] = struct{}{}
		out = append(out, in)
	}
	return out
}

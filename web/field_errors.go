package web

import (
	"regexp"
	"strconv"
)

// fieldErrorPatterns recognise the messages of accounts.FieldError, which
// are English fragments shared with the command line ("is required"), so
// that forms show them in the page's language. Each pattern's groups are
// the arguments after the field's label; whole patterns are sentences of
// their own, without a label. A message no pattern knows stays in English
// (see fieldMessage); TestFieldErrorsTranslated checks that the accounts
// package's messages are known.
var fieldErrorPatterns = []struct {
	re    *regexp.Regexp
	key   string
	whole bool
}{
	{regexp.MustCompile(`^is required$`), "field_error.required", false},
	{regexp.MustCompile(`^must be at most (\d+) characters$`), "field_error.max_chars", false},
	{regexp.MustCompile(`^must be at most (\d+) characters \(it has (\d+)\)$`), "field_error.max_chars_has", false},
	{regexp.MustCompile(`^must be at least (\d+) characters$`), "field_error.min_chars", false},
	{regexp.MustCompile(`^may contain only letters a–z, digits 0–9 and underscores$`), "field_error.handle_chars", false},
	{regexp.MustCompile(`^(".*") is reserved by the hub$`), "field_error.reserved", false},
	{regexp.MustCompile(`^must be video or podcast$`), "field_error.kind", false},
	{regexp.MustCompile(`^must be an address such as name@example\.org$`), "field_error.email", false},
	{regexp.MustCompile(`^contains control characters$`), "field_error.control_chars", false},
	{regexp.MustCompile(`^may hold at most (\d+) links$`), "field_error.max_links", false},
	{regexp.MustCompile(`^may each be at most (\d+) characters long$`), "field_error.link_length", false},
	{regexp.MustCompile(`^must be web addresses starting with https:// or http://, one per line \((".*") is not\)$`), "field_error.link_scheme", false},
	{regexp.MustCompile(`^must differ from your username: people and channels share addresses$`), "field_error.same_handle", false},
	{regexp.MustCompile(`^(".*") is already taken by a user or a channel$`), "field_error.taken", false},
	{regexp.MustCompile(`^already has an application waiting: follow it with the status link you were given$`), "field_error.email_pending", false},
	{regexp.MustCompile(`^already has an account on this hub$`), "field_error.email_taken", false},
	{regexp.MustCompile(`^The curators have too many applications to read at the moment\. Please try again in a few days\.$`), "field_error.too_many_applications", true},
}

// fieldError makes a sentence of a field's label (already in the page's
// language) and an accounts.FieldError message: "Handle is required.".
func (c *catalog) fieldError(label, msg string) string {
	for _, p := range fieldErrorPatterns {
		m := p.re.FindStringSubmatch(msg)
		if m == nil || (!p.whole && label == "") {
			continue
		}
		var args []any
		if !p.whole {
			args = append(args, label)
		}
		for _, g := range m[1:] {
			if n, err := strconv.Atoi(g); err == nil {
				args = append(args, n)
			} else {
				args = append(args, g)
			}
		}
		return c.T(p.key, args...)
	}
	return fieldMessage(label, msg)
}

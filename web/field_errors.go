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

// detailPatterns recognise messages that other packages write in English
// and the pages show: why an upload was refused (transcode), why a
// picture, a transcript or chapters are not accepted (feeds, library).
// Their English catalogue entries give the messages back as they were;
// the groups are the arguments, as text. A message no pattern knows is
// shown as it is (TestDetailsTranslated keeps the table in step).
var detailPatterns = []struct {
	re  *regexp.Regexp
	key string
}{
	// transcode.RejectError messages, whole sentences.
	{regexp.MustCompile(`^The file is empty\.$`), "detail.file_empty"},
	{regexp.MustCompile(`^The file is (.+); the limit is (.+)\.$`), "detail.file_too_large"},
	{regexp.MustCompile(`^The file has no video or audio in it\.$`), "detail.no_media"},
	{regexp.MustCompile(`^The file has no video track; this channel publishes videos\.$`), "detail.no_video"},
	{regexp.MustCompile(`^The file has no audio track; podcast episodes need sound\.$`), "detail.no_audio"},
	{regexp.MustCompile(`^The video is (\d+)×(\d+) \((.+) megapixels\); the limit is (.+) megapixels\.$`), "detail.too_many_pixels"},
	{regexp.MustCompile(`^The file is incomplete: it ends before its own index or duration says it should\. Please upload the whole file again\.$`), "detail.truncated"},
	{regexp.MustCompile(`^The recording lasts (.+); the limit is (.+)\.$`), "detail.too_long"},
	{regexp.MustCompile(`^The file could not be read as video or audio in time\.$`), "detail.probe_slow"},
	{regexp.MustCompile(`^The file could not be read as video or audio in (.+)\.$`), "detail.probe_timeout"},
	{regexp.MustCompile(`^The file is not a video or audio file we can read\.$`), "detail.unreadable"},
	// The upload refusals of this package (api_uploads.go), for the tus
	// client, which shows them as they come.
	{regexp.MustCompile(`^Sign in to upload\.$`), "detail.upload_sign_in"},
	{regexp.MustCompile(`^Say which channel to upload to \(the channel metadata\)\.$`), "detail.upload_no_channel"},
	{regexp.MustCompile(`^There is no channel @(.+)\.$`), "detail.upload_unknown_channel"},
	{regexp.MustCompile(`^You cannot upload to @(.+)\.$`), "detail.upload_not_yours"},
	{regexp.MustCompile(`^Your account no longer exists\.$`), "detail.upload_no_account"},
	// feeds.CheckArtwork errors, inside "This picture does not suit…: %s."
	{regexp.MustCompile(`^the artwork could not be read as a JPEG or PNG image \((.*)\)$`), "detail.artwork_unreadable"},
	{regexp.MustCompile(`^the artwork is a (\S+) image; Apple Podcasts accepts only JPEG or PNG$`), "detail.artwork_format"},
	{regexp.MustCompile(`^the artwork uses CMYK colours; save it in RGB$`), "detail.artwork_cmyk"},
	{regexp.MustCompile(`^the artwork is greyscale; save it in RGB$`), "detail.artwork_grey"},
	{regexp.MustCompile(`^the artwork is (\d+)×(\d+) pixels; it must be square$`), "detail.artwork_square"},
	{regexp.MustCompile(`^the artwork is (\d+)×(\d+) pixels; Apple Podcasts needs at least (\d+)×(\d+)$`), "detail.artwork_small"},
	{regexp.MustCompile(`^the artwork is (\d+)×(\d+) pixels; Apple Podcasts accepts at most (\d+)×(\d+)$`), "detail.artwork_large"},
	// library.TranscriptType errors, after "not a transcript: ".
	{regexp.MustCompile(`^the file is empty$`), "detail.transcript_empty"},
	{regexp.MustCompile(`^the file is over (\d+) MiB$`), "detail.transcript_large"},
	{regexp.MustCompile(`^the file is not UTF-8 text$`), "detail.transcript_encoding"},
	{regexp.MustCompile(`^it starts neither with WEBVTT \(WebVTT\) nor with a numbered cue and its timing \(SubRip\)$`), "detail.transcript_format"},
	// feeds.ParseChapters errors, inside "Chapters: %s."
	{regexp.MustCompile(`^the chapters are not valid JSON chapters: (.*)$`), "detail.chapters_json"},
	{regexp.MustCompile(`^line (\d+): (".*") does not start with a time such as 0:00 or 1:02:03$`), "detail.chapters_time"},
	{regexp.MustCompile(`^there are no chapters$`), "detail.chapters_none"},
	{regexp.MustCompile(`^there are (\d+) chapters: at most (\d+)$`), "detail.chapters_many"},
	{regexp.MustCompile(`^chapter (\d+) starts before the beginning$`), "detail.chapters_before"},
	{regexp.MustCompile(`^chapter (\d+) \((".*")\) does not start after the one before it$`), "detail.chapters_order"},
	{regexp.MustCompile(`^chapter (\d+) has no title$`), "detail.chapters_title"},
}

// detail is msg, an English message of another package, in the
// catalogue's language when a pattern knows it.
func (c *catalog) detail(msg string) string {
	for _, p := range detailPatterns {
		if m := p.re.FindStringSubmatch(msg); m != nil {
			args := make([]any, len(m)-1)
			for i, g := range m[1:] {
				args[i] = g
			}
			return c.T(p.key, args...)
		}
	}
	return msg
}

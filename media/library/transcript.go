package library

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/archipel/archipel/store"
)

// Transcript types, as podcast:transcript names them.
const (
	TranscriptVTT = "text/vtt"
	TranscriptSRT = "application/x-subrip"
)

// MaxTranscript bounds a transcript file.
const MaxTranscript = 2 << 20

// ErrBadTranscript is returned for a file that is neither WebVTT nor
// SubRip; its message says what is wrong.
var ErrBadTranscript = errors.New("not a transcript")

var srtTiming = regexp.MustCompile(`^\d{1,2}:\d{2}:\d{2}[,.]\d{1,3} --> \d{1,2}:\d{2}:\d{2}[,.]\d{1,3}`)

// TranscriptType tells a WebVTT file from a SubRip one, checking that
// data is text that starts like one.
func TranscriptType(data []byte) (string, error) {
	if len(data) == 0 {
		return "", fmt.Errorf("%w: the file is empty", ErrBadTranscript)
	}
	if len(data) > MaxTranscript {
		return "", fmt.Errorf("%w: the file is over %d MiB", ErrBadTranscript, MaxTranscript>>20)
	}
	if !utf8.Valid(data) {
		return "", fmt.Errorf("%w: the file is not UTF-8 text", ErrBadTranscript)
	}
	text := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(text, []byte("WEBVTT")) && (len(text) == 6 || bytes.ContainsAny(text[6:7], " \t\r\n")) {
		return TranscriptVTT, nil
	}
	lines := bytes.SplitN(bytes.TrimLeft(text, "\r\n"), []byte("\n"), 3)
	if len(lines) >= 2 {
		if _, err := strconv.Atoi(string(bytes.TrimSpace(lines[0]))); err == nil && srtTiming.Match(bytes.TrimSpace(lines[1])) {
			return TranscriptSRT, nil
		}
	}
	return "", fmt.Errorf("%w: it starts neither with WEBVTT (WebVTT) nor with a numbered cue and its timing (SubRip)", ErrBadTranscript)
}

// SetTranscript stores data as the item's transcript, replacing any
// other, and marks the item changed (its feeds carry podcast:transcript).
func (l *Library) SetTranscript(ctx context.Context, item *store.Item, data []byte) error {
	mimeType, err := TranscriptType(data)
	if err != nil {
		return err
	}
	ext := ".vtt"
	if mimeType == TranscriptSRT {
		ext = ".srt"
	}
	key := fmt.Sprintf("items/%s/transcript-%d%s", item.PublicID, time.Now().UnixNano(), ext)
	size, sum, err := l.Storage.Put(ctx, key, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("store the transcript: %w", err)
	}
	old, err := l.Store.ReplaceRenditionFile(ctx, item.ID, store.MediaFile{Rendition: "transcript", MimeType: mimeType,
		Size: size, SHA256: sum, StorageKey: key})
	if err != nil {
		_ = l.Storage.Delete(ctx, key)
		return err
	}
	l.deleteKeys(old)
	return nil
}

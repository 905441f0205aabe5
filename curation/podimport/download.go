package podimport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultIdleTimeout is how long a download may receive nothing before it
// is given up (and resumed on the next run).
const DefaultIdleTimeout = 60 * time.Second

// partialMeta is kept next to a partial download: what it is a part of,
// so that the next run resumes it only if the file has not changed.
type partialMeta struct {
	URL          string `json:"url"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// errTooLarge is a download over the hub's size limit.
var errTooLarge = errors.New("too large")

// InterruptedError is a download cut short: its partial file is kept and
// the next run resumes it with a Range request.
type InterruptedError struct {
	Got, Total int64 // Total is -1 when unknown
	Err        error
}

func (e *InterruptedError) Error() string {
	if e.Total > 0 {
		return fmt.Sprintf("the download stopped at %d of %d bytes (%v); the next import resumes it", e.Got, e.Total, e.Err)
	}
	return fmt.Sprintf("the download stopped after %d bytes (%v); the next import resumes it", e.Got, e.Err)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

var contentRangeRE = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+|\*)$`)

// download fetches rawURL into dest, resuming what an earlier run left in
// dest with a Range request (If-Range guards against a changed file, and
// the answer's Content-Range is checked). It reports bytes as they come
// with progress(got, total), total -1 when unknown, and refuses files over
// max bytes (0: no limit). On success dest holds the whole file.
func (im *Importer) download(ctx context.Context, rawURL, dest string, max int64, progress func(got, total int64)) (int64, error) {
	metaPath := dest + ".meta"
	var meta partialMeta
	offset := int64(0)
	if b, err := os.ReadFile(metaPath); err == nil && json.Unmarshal(b, &meta) == nil && meta.URL == rawURL {
		if fi, err := os.Stat(dest); err == nil {
			offset = fi.Size()
		}
	}
	if offset == 0 {
		meta = partialMeta{URL: rawURL}
	}
	for restarts := 0; ; restarts++ {
		n, err := im.downloadFrom(ctx, rawURL, dest, metaPath, &meta, offset, max, progress)
		var restart *restartError
		if errors.As(err, &restart) && restarts == 0 {
			offset = 0
			meta = partialMeta{URL: rawURL}
			continue
		}
		if err != nil {
			var se *StatusError
			if errors.Is(err, errTooLarge) || (errors.As(err, &se) && se.Gone()) || errors.As(err, &restart) {
				removePartial(dest)
			}
			return n, err
		}
		_ = os.Remove(metaPath)
		return n, nil
	}
}

// restartError means the partial file cannot be continued: start over.
type restartError struct{ why string }

func (e *restartError) Error() string { return "cannot resume: " + e.why }

func removePartial(dest string) {
	_ = os.Remove(dest)
	_ = os.Remove(dest + ".meta")
}

func (im *Importer) downloadFrom(ctx context.Context, rawURL, dest, metaPath string, meta *partialMeta, offset, max int64, progress func(got, total int64)) (int64, error) {
	idle := im.IdleTimeout
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := http.Header{}
	if offset > 0 {
		h.Set("Range", fmt.Sprintf("bytes=%d-", offset))
		switch {
		case meta.ETag != "" && !strings.HasPrefix(meta.ETag, "W/"):
			h.Set("If-Range", meta.ETag)
		case meta.LastModified != "":
			h.Set("If-Range", meta.LastModified)
		}
	}
	resp, err := im.Fetcher.Open(ctx, rawURL, h)
	if err != nil {
		return offset, err
	}
	defer resp.Body.Close()
	total := int64(-1)
	switch {
	case resp.StatusCode == http.StatusPartialContent && offset > 0:
		m := contentRangeRE.FindStringSubmatch(strings.TrimSpace(resp.Header.Get("Content-Range")))
		if m == nil {
			return offset, &restartError{"the server answered a Range request with no valid Content-Range"}
		}
		start, _ := strconv.ParseInt(m[1], 10, 64)
		end, _ := strconv.ParseInt(m[2], 10, 64)
		if start != offset || end < start {
			return offset, &restartError{fmt.Sprintf("the server sent bytes %d-%d for a request from %d", start, end, offset)}
		}
		if m[3] != "*" {
			total, _ = strconv.ParseInt(m[3], 10, 64)
			if end != total-1 {
				return offset, &restartError{fmt.Sprintf("the server sent bytes %d-%d of %d for an open range", start, end, total)}
			}
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0:
		// The partial file may be whole already.
		if m := regexp.MustCompile(`^bytes \*/(\d+)$`).FindStringSubmatch(strings.TrimSpace(resp.Header.Get("Content-Range"))); m != nil {
			if t, _ := strconv.ParseInt(m[1], 10, 64); t == offset {
				return offset, nil
			}
		}
		return offset, &restartError{"the server cannot send the rest of the file"}
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		// A whole file: the server ignored the Range, or the file changed.
		offset = 0
		if resp.StatusCode == http.StatusOK && resp.ContentLength >= 0 {
			total = resp.ContentLength
		}
	default:
		return offset, &StatusError{URL: rawURL, Code: resp.StatusCode}
	}
	if max > 0 && total > max {
		return offset, errTooLarge
	}
	if offset == 0 {
		meta.ETag, meta.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
		b, _ := json.Marshal(meta)
		if err := os.WriteFile(metaPath, b, 0o640); err != nil {
			return 0, err
		}
	}
	flags := os.O_WRONLY | os.O_CREATE
	if offset == 0 {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(dest, flags, 0o640)
	if err != nil {
		return offset, err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return offset, err
	}
	if err := f.Truncate(offset); err != nil {
		f.Close()
		return offset, err
	}
	got := offset
	var idled atomic.Bool
	watchdog := time.AfterFunc(idle, func() { idled.Store(true); cancel() })
	defer watchdog.Stop()
	buf := make([]byte, 256<<10)
	var copyErr error
	lastReport := time.Time{}
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			watchdog.Reset(idle)
			if _, werr := f.Write(buf[:n]); werr != nil {
				copyErr = werr
				break
			}
			got += int64(n)
			if max > 0 && got > max {
				f.Close()
				return got, errTooLarge
			}
			if progress != nil && time.Since(lastReport) > 200*time.Millisecond {
				lastReport = time.Now()
				progress(got, total)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			copyErr = rerr
			if idled.Load() {
				copyErr = fmt.Errorf("nothing received for %s", idle)
			}
			break
		}
	}
	if err := f.Sync(); err != nil && copyErr == nil {
		copyErr = err
	}
	if err := f.Close(); err != nil && copyErr == nil {
		copyErr = err
	}
	if copyErr != nil {
		return got, &InterruptedError{Got: got, Total: total, Err: copyErr}
	}
	if total >= 0 && got != total {
		return got, &InterruptedError{Got: got, Total: total, Err: errors.New("the connection closed early")}
	}
	if progress != nil {
		progress(got, got)
	}
	return got, nil
}

// downloads tracks the downloads in progress, for progress reports.
type downloads struct {
	mu sync.Mutex
	m  map[string]*dlState
}

type dlState struct {
	title      string
	got, total int64
}

func (d *downloads) set(key, title string, got, total int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = map[string]*dlState{}
	}
	d.m[key] = &dlState{title: title, got: got, total: total}
}

func (d *downloads) done(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.m, key)
}

// list returns the downloads in progress, by title.
func (d *downloads) list() []Download {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Download, 0, len(d.m))
	for _, s := range d.m {
		out = append(out, Download{Title: s.title, Got: s.got, Total: s.total})
	}
	sortDownloads(out)
	return out
}

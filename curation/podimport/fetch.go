package podimport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/archipel/archipel/federation/httpclient"
)

// Fetcher is the importer's way out to the network. HTTP adapts the hub's
// SSRF-guarded client to it; tests may put anything in its place.
type Fetcher interface {
	// Fetch reads a small document (the feed, a transcript, chapters, a
	// picture) whole, refusing one over max bytes. A non-2xx status is a
	// *StatusError.
	Fetch(ctx context.Context, rawURL, accept string, max int64) (body []byte, contentType string, err error)
	// Open starts a GET with extra headers (Range, If-Range) and returns
	// the response unread, whatever its status; the caller closes it.
	Open(ctx context.Context, rawURL string, header http.Header) (*http.Response, error)
}

// HTTP is a Fetcher on a federation/httpclient.Client, which refuses
// private and loopback addresses unless configured to allow them. Its
// Config.MaxBody must allow the largest feed to import.
type HTTP struct{ Client *httpclient.Client }

// Fetch implements Fetcher.
func (h HTTP) Fetch(ctx context.Context, rawURL, accept string, max int64) ([]byte, string, error) {
	resp, err := h.Client.GetLimit(ctx, rawURL, accept, max, nil)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, "", &StatusError{URL: rawURL, Code: resp.StatusCode}
	}
	return resp.Body, resp.Header.Get("Content-Type"), nil
}

// Open implements Fetcher.
func (h HTTP) Open(ctx context.Context, rawURL string, header http.Header) (*http.Response, error) {
	return h.Client.Open(ctx, rawURL, header)
}

// StatusError is an HTTP answer other than success.
type StatusError struct {
	URL  string
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered %d %s", e.URL, e.Code, http.StatusText(e.Code))
}

// Gone tells whether the status means the file is not there (4xx but 408
// and 429), rather than a passing failure.
func (e *StatusError) Gone() bool {
	return e.Code >= 400 && e.Code < 500 && e.Code != http.StatusRequestTimeout && e.Code != http.StatusTooManyRequests
}

// reason words a network error for a report: what went wrong, without the
// Go error's nesting.
func reason(err error) string {
	var se *StatusError
	if errors.As(err, &se) {
		return fmt.Sprintf("answered %d %s", se.Code, http.StatusText(se.Code))
	}
	switch {
	case errors.Is(err, httpclient.ErrForbiddenAddress):
		return "is on a private or loopback address, which this hub does not connect to"
	case errors.Is(err, httpclient.ErrTooLarge):
		return "is too large"
	case errors.Is(err, httpclient.ErrScheme):
		return "is not an http or https URL"
	case errors.Is(err, httpclient.ErrTooManyRedirects):
		return "redirects too many times"
	case errors.Is(err, context.DeadlineExceeded):
		return "did not answer in time"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "cannot be reached: unknown host " + dnsErr.Name
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		msg := opErr.Err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return "cannot be reached: " + msg
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		msg = msg[i+2:]
	}
	return "cannot be fetched: " + msg
}

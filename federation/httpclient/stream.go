package httpclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Open sends a GET for rawURL with the extra request headers header (e.g.
// Range) and returns the response with its body unread, for downloads too
// large to hold in memory: the caller reads and closes the body. Redirects
// are followed like Get's, each hop checked again; any final status is
// returned. Config.Timeout bounds the wait for each hop's response headers,
// not the reading of the body, which lasts as long as ctx allows; MaxBody
// does not apply. Errors are as for Get.
func (c *Client) Open(ctx context.Context, rawURL string, header http.Header) (*http.Response, error) {
	ctx, cancel := context.WithCancel(ctx)
	u, err := url.Parse(rawURL)
	if err == nil {
		err = c.checkURL(u)
	}
	if err != nil {
		cancel()
		return nil, &url.Error{Op: "Get", URL: rawURL, Err: err}
	}
	for hops := 0; ; hops++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			cancel()
			return nil, err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		req.Header.Set("User-Agent", c.cfg.UserAgent)
		if req.Header.Get("Accept") == "" {
			req.Header.Set("Accept", "*/*")
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			cancel()
			return nil, err
		}
		loc := resp.Header.Get("Location")
		if !isRedirect(resp.StatusCode) || loc == "" {
			resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
			return resp, nil
		}
		discard(resp.Body)
		if hops >= c.cfg.MaxRedirects {
			cancel()
			return nil, &url.Error{Op: "Get", URL: u.String(), Err: fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, c.cfg.MaxRedirects)}
		}
		next, err := u.Parse(loc)
		if err == nil {
			err = c.checkURL(next)
		}
		if err != nil {
			cancel()
			return nil, &url.Error{Op: "Get", URL: u.String(), Err: fmt.Errorf("redirect to %q: %w", loc, err)}
		}
		u = next
	}
}

// cancelBody releases the request's context when the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

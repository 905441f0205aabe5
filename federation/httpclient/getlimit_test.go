package httpclient

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestGetLimit(t *testing.T) {
	// /?size=N answers N bytes, echoing the Accept header in X-Accept;
	// &chunked=1 sends them without a Content-Length.
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("size"))
		w.Header().Set("X-Accept", r.Header.Get("Accept"))
		if r.URL.Query().Get("chunked") != "" {
			w.(http.Flusher).Flush() // the cap applies while reading
		}
		_, _ = w.Write([]byte(strings.Repeat("x", n)))
	})
	c := newClient(t, Config{AllowPrivate: true, MaxBody: 4096})
	ctx := context.Background()

	resp, err := c.GetLimit(ctx, srv.URL+"/?size=1000", "application/jrd+json", 1000, nil)
	if err != nil || len(resp.Body) != 1000 {
		t.Fatalf("at the cap: %v", err)
	}
	if got := resp.Header.Get("X-Accept"); got != "application/jrd+json" {
		t.Errorf("Accept = %q", got)
	}
	for _, q := range []string{"", "&chunked=1"} {
		if _, err := c.GetLimit(ctx, srv.URL+"/?size=1000"+q, "", 999, nil); !errors.Is(err, ErrTooLarge) {
			t.Errorf("over the cap%s: err = %v, want ErrTooLarge", q, err)
		}
	}
	if resp, err = c.GetLimit(ctx, srv.URL+"/?size=10", "", 999, nil); err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("X-Accept"); got != AcceptActivityJSON {
		t.Errorf("default Accept = %q", got)
	}
	// 0, or more than Config.MaxBody, is Config.MaxBody.
	for _, max := range []int64{0, 1 << 20} {
		if _, err := c.GetLimit(ctx, srv.URL+"/?size=4096", "", max, nil); err != nil {
			t.Errorf("GetLimit(%d) at Config.MaxBody: %v", max, err)
		}
		if _, err := c.GetLimit(ctx, srv.URL+"/?size=4097", "", max, nil); !errors.Is(err, ErrTooLarge) {
			t.Errorf("GetLimit(%d) over Config.MaxBody: err = %v, want ErrTooLarge", max, err)
		}
	}
}

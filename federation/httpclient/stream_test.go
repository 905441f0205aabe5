package httpclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// TestOpenStreams checks Open: extra headers sent, redirects followed, the
// body left to the caller whatever its size, and private addresses refused
// up front, at dial time and in redirects.
func TestOpenStreams(t *testing.T) {
	big := strings.Repeat("x", 3<<20) // over the 2 MiB MaxBody, which Open ignores
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/file", http.StatusFound)
			return
		}
		w.Header().Set("X-Range", r.Header.Get("Range"))
		w.Header().Set("X-UA", r.Header.Get("User-Agent"))
		io.WriteString(w, big)
	})
	ctx := context.Background()
	c := newClient(t, Config{AllowPrivate: true})
	resp, err := c.Open(ctx, srv.URL+"/moved", http.Header{"Range": {"bytes=5-"}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || len(body) != len(big) || resp.Header.Get("X-Range") != "bytes=5-" || resp.Header.Get("X-UA") != testUA ||
		resp.Request.URL.Path != "/file" {
		t.Fatalf("Open: %v, %d bytes, headers %v", err, len(body), resp.Header)
	}

	strict := newClient(t, Config{})
	if _, err := strict.Open(ctx, srv.URL+"/file", nil); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("loopback literal: err = %v, want ErrForbiddenAddress", err)
	}
	if _, err := strict.Open(ctx, "http://localhost:"+srv.port()+"/file", nil); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("loopback name: err = %v, want ErrForbiddenAddress", err)
	}
	if _, err := strict.Open(ctx, "ftp://example.org/x", nil); !errors.Is(err, ErrScheme) {
		t.Fatalf("ftp: err = %v, want ErrScheme", err)
	}
	// A "public" server redirecting to a private one.
	public := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL+"/file", http.StatusFound)
	})
	publicAddr := netip.MustParseAddrPort(public.Listener.Addr().String())
	strict.allowed = func(ap netip.AddrPort) bool { return ap == publicAddr || isPublic(ap.Addr()) }
	if _, err := strict.Open(ctx, public.URL, nil); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("redirect to loopback: err = %v, want ErrForbiddenAddress", err)
	}
}

package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/archipel/archipel/store"
)

// requestState is what the middleware and handlers learn about one request.
// The outermost middleware creates it; everything inside shares the pointer,
// so that the access log sees the pattern the mux matched further in.
type requestState struct {
	id      string
	logger  *slog.Logger
	pattern string
	rec     *recorder

	userLoaded bool
	user       *store.User

	csrfValue string // this request's CSRF cookie value, "" until known
	lang      string // the page's language, "" until negotiated
}

type stateKey struct{}

// state returns the request's state. Outside the chain (in unit tests of a
// single handler) it returns a fresh state with the server's logger.
func (s *server) state(r *http.Request) *requestState {
	if st, ok := r.Context().Value(stateKey{}).(*requestState); ok {
		return st
	}
	return &requestState{logger: s.logger}
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (rw *recorder) WriteHeader(code int) {
	if !rw.wrote && code >= 200 {
		rw.status = code
		rw.wrote = true
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(b []byte) (int, error) {
	if !rw.wrote {
		rw.WriteHeader(http.StatusOK)
	}
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += int64(n)
	return n, err
}

// ReadFrom hands copies to the server's own writer, which can send a file
// with sendfile(2) when media are served from local storage.
func (rw *recorder) ReadFrom(src io.Reader) (int64, error) {
	if !rw.wrote {
		rw.WriteHeader(http.StatusOK)
	}
	n, err := io.Copy(rw.ResponseWriter, src)
	rw.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// chain wraps h in the middleware, outermost first: request ID, access log
// and metrics (observe), panic recovery, security headers.
func (s *server) chain(h http.Handler) http.Handler {
	return s.observe(s.recoverPanics(securityHeaders(h)))
}

// observe gives the request an ID and a logger, then logs and counts it.
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !requestIDRE.MatchString(id) {
			var err error
			if id, err = randomHex(8); err != nil {
				panic(fmt.Sprint("crypto/rand: ", err))
			}
		}
		w.Header().Set("X-Request-ID", id)
		st := &requestState{id: id, logger: s.logger.With("request_id", id)}
		st.rec = &recorder{ResponseWriter: w, status: http.StatusOK}
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))

		defer func() {
			elapsed := time.Since(start)
			route := st.pattern
			if route == "" {
				route = "unmatched"
			}
			s.metrics.observe(r.Method, route, st.rec.status, elapsed)
			level := slog.LevelInfo
			if r.URL.Path == "/healthz" || r.URL.Path == "/metrics" {
				level = slog.LevelDebug
			}
			st.logger.LogAttrs(r.Context(), level, "http request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", route),
				slog.Int("status", st.rec.status),
				slog.Int64("bytes", st.rec.bytes),
				slog.Duration("duration", elapsed),
			)
		}()
		next.ServeHTTP(st.rec, r)
	})
}

// recoverPanics turns a panic into a logged error and a friendly 500 page.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			st := s.state(r)
			st.logger.Error("panic while serving a request",
				"panic", fmt.Sprint(p), "method", r.Method, "path", r.URL.Path, "stack", string(debug.Stack()))
			if st.rec != nil && st.rec.wrote {
				return // too late for an error page: part of the response is out
			}
			s.renderServerError(w, r)
		}()
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows only this site's own styles and scripts.
// Pictures and media may come from other https sites: an imported
// podcast's episodes may stay on their host (see curation/podimport).
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data: https:; media-src 'self' https:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// embedContentSecurityPolicy is the policy of the embeddable player
// (GET /i/{id}/embed): any site may frame it; it runs no script and has no
// form.
const embedContentSecurityPolicy = "default-src 'self'; img-src 'self' data: https:; media-src 'self' https:; style-src 'self'; script-src 'none'; frame-ancestors *; base-uri 'none'; form-action 'none'"

// interactContentSecurityPolicy is the policy of the remote interaction
// page (GET /interact): its form's answer is a redirect to the visitor's
// own server, and browsers hold a form's redirects to form-action too
// (Chromium refuses the redirect under form-action 'self'). The server is
// asked in https, or in http when this hub is served in http (development,
// tests), as federation.Service.InteractURL does.
func (s *server) interactContentSecurityPolicy() string {
	schemes := "https:"
	if s.publicURL.Scheme == "http" {
		schemes = "http: https:"
	}
	return strings.Replace(contentSecurityPolicy, "form-action 'self'", "form-action 'self' "+schemes, 1)
}

// allowFraming replaces the frame-blocking headers that securityHeaders
// set by the embed policy. Only the embeddable player calls it: every
// other page stays unframeable.
func allowFraming(w http.ResponseWriter) {
	h := w.Header()
	h.Del("X-Frame-Options")
	h.Set("Content-Security-Policy", embedContentSecurityPolicy)
}

// securityHeaders sets the headers every response gets.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		next.ServeHTTP(w, r)
	})
}

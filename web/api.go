package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/archipel/archipel/store"
)

// The JSON API lives under /api/. A request is authenticated either by an
// "Authorization: Bearer <token>" header (a personal API token; only its
// SHA-256 is stored) or by the session cookie. A bearer token is not an
// ambient credential, so such requests need no CSRF token; state-changing
// requests made with the session cookie (the pages' scripts) must send the
// page's CSRF token in the X-CSRF-Token header.

// uploadsPath is where the tus upload endpoint is mounted.
const uploadsPath = "/api/uploads/"

// apiRoute registers an API handler on pattern. It authenticates the
// request (see above) and answers errors in JSON: 401 for a bad bearer
// token or an unsafe method without any user, 403 when the CSRF header is
// missing or wrong. Safe methods reach h without a user; h decides.
func (s *server) apiRoute(pattern string, h http.HandlerFunc) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := s.state(r)
		st.pattern = r.Pattern
		w.Header().Set("Cache-Control", "no-store")
		user, bearer, err := s.authenticate(r)
		if errors.Is(err, errBadToken) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeJSONError(w, http.StatusUnauthorized, "The API token is invalid or has been revoked.")
			return
		}
		if err != nil {
			s.apiServerError(w, r, err)
			return
		}
		if !safeMethod(r.Method) {
			if user == nil {
				w.Header().Set("WWW-Authenticate", "Bearer")
				writeJSONError(w, http.StatusUnauthorized, "Sign in or send an API token.")
				return
			}
			if !bearer && !s.csrfTokenValid(r, r.Header.Get(csrfHeader)) {
				st.logger.Warn("CSRF header missing or invalid", "route", r.Pattern)
				writeJSONError(w, http.StatusForbidden,
					"The "+csrfHeader+" header is missing or does not match this session. Reload the page and try again.")
				return
			}
		}
		h(w, r)
	}))
}

var errBadToken = errors.New("invalid API token")

// authenticate finds the request's user: by its bearer token when it sends
// an Authorization header (bearer is then true), else by its session
// cookie. The user is remembered for currentUser.
func (s *server) authenticate(r *http.Request) (user *store.User, bearer bool, err error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		user, err = s.currentUser(r)
		return user, false, err
	}
	scheme, token, _ := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, true, errBadToken
	}
	user, err = s.store.APITokenUser(r.Context(), hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, true, errBadToken
	}
	if err != nil {
		return nil, true, err
	}
	st := s.state(r)
	st.user, st.userLoaded = user, true
	return user, true, nil
}

// isAPI tells whether r is for the JSON API.
func isAPI(r *http.Request) bool {
	return r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/")
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data, _ = json.Marshal(map[string]string{"error": "internal error"})
	}
	data = append(data, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// writeJSONError answers {"error": msg}.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// apiServerError logs err and answers a JSON 500.
func (s *server) apiServerError(w http.ResponseWriter, r *http.Request, err error) {
	s.state(r).logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	writeJSONError(w, http.StatusInternalServerError, "internal error")
}

// handleAPINotFound answers every /api/ path no other route matches.
func (s *server) handleAPINotFound(w http.ResponseWriter, r *http.Request) {
	s.state(r).pattern = r.Pattern
	writeJSONError(w, http.StatusNotFound, "There is no API endpoint at "+r.URL.Path+" for "+r.Method+".")
}

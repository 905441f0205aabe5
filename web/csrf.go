package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"mime"
	"net/http"
)

// CSRF protection is a double-submit cookie bound by an HMAC: the browser
// holds a random value in the archipel_csrf cookie, and every form carries
// csrf_token = hex(HMAC-SHA256(secret, value)). A site that cannot read the
// cookie, or does not know the secret, cannot forge the field.
const (
	csrfCookie = "archipel_csrf"
	csrfField  = "csrf_token"
	// maxFormBytes bounds the body of the forms of this package.
	maxFormBytes = 1 << 20
)

// csrfToken returns the token to put in this page's forms, setting a CSRF
// cookie first if the browser has none (so that anonymous visitors can sign
// in). Call it before the response header is written.
func (s *server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	st := s.state(r)
	if st.csrfValue == "" {
		if c, err := r.Cookie(csrfCookie); err == nil && validCSRFValue(c.Value) {
			st.csrfValue = c.Value
		} else {
			s.rotateCSRF(w, r)
		}
	}
	return s.signCSRF(st.csrfValue)
}

// rotateCSRF gives the browser a new CSRF cookie, as after signing in.
func (s *server) rotateCSRF(w http.ResponseWriter, r *http.Request) {
	v, err := randomToken()
	if err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	s.state(r).csrfValue = v
	http.SetCookie(w, &http.Cookie{
		Name:     csrfCookie,
		Value:    v,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

func (s *server) signCSRF(value string) string {
	m := hmac.New(sha256.New, s.csrfSecret)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// checkCSRF tells whether a state-changing request carries the token that
// matches its CSRF cookie in its csrf_token form field.
func (s *server) checkCSRF(w http.ResponseWriter, r *http.Request) bool {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	}
	if _, err := r.Cookie(csrfCookie); err != nil {
		return false // do not read the body for nothing
	}
	return s.csrfTokenValid(r, r.PostFormValue(csrfField))
}

// formExpired answers a form whose CSRF token is missing or wrong.
func (s *server) formExpired(w http.ResponseWriter, r *http.Request) {
	s.state(r).logger.Warn("CSRF token missing or invalid", "route", r.Pattern)
	s.renderError(w, r, http.StatusForbidden, "error.form_expired", "error.form_expired.message")
}

// csrfHeader carries the page's CSRF token on the JSON API's requests sent
// by the pages' scripts with the session cookie.
const csrfHeader = "X-CSRF-Token"

// csrfTokenValid tells whether token is the one of the request's CSRF
// cookie, as sent in a form field or in the X-CSRF-Token header.
func (s *server) csrfTokenValid(r *http.Request, token string) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || !validCSRFValue(c.Value) {
		return false
	}
	got, err := hex.DecodeString(token)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	want, _ := hex.DecodeString(s.signCSRF(c.Value))
	if !hmac.Equal(got, want) {
		return false
	}
	s.state(r).csrfValue = c.Value
	return true
}

// validCSRFValue checks the shape of a CSRF cookie value: 32 bytes, base64url.
func validCSRFValue(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}

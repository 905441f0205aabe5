package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/archipel/archipel/federation/ap"
)

// Remote interaction: someone with an account on another fediverse server
// wants to reply to, like or boost one of our items or comments from
// there. They give their handle; WebFinger on their server names its
// "subscribe" template (Mastodon's /authorize_interaction?uri={uri}), and
// they are sent there with the id of our object, as Mastodon's own
// "remote interact" does.

// Errors of InteractURL, for errors.Is. Each is returned inside an
// *InteractError, which names the server asked.
var (
	// ErrBadHandle means the handle is not alice@host, @alice@host,
	// acct:alice@host nor a profile URL.
	ErrBadHandle = errors.New("federation: not a fediverse handle")
	// ErrNoInstance means the WebFinger lookup failed: the server could
	// not be reached, refused, answered an error (404: no such account)
	// or something that is not a WebFinger answer, or its address is not
	// one the hub may connect to.
	ErrNoInstance = errors.New("federation: the handle's server could not be asked")
	// ErrNoTemplate means the server answered but names no usable
	// subscribe template (none, no {uri} in it, or not an http(s) URL).
	ErrNoTemplate = errors.New("federation: the handle's server offers no remote interaction")
	// ErrForeignObject means the object is not a local item or comment.
	ErrForeignObject = errors.New("federation: not an item or comment of this hub")
)

// InteractError is the error of InteractURL.
type InteractError struct {
	Kind   error  // ErrBadHandle, ErrNoInstance or ErrNoTemplate
	Handle string // as given
	Host   string // the server asked, host[:port]; "" for ErrBadHandle
	Err    error  // the cause, if any
}

// Error implements error.
func (e *InteractError) Error() string {
	msg := e.Kind.Error()
	if e.Host != "" {
		msg += " (" + e.Host + ")"
	} else {
		msg += fmt.Sprintf(" (%q)", e.Handle)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap makes errors.Is see both the kind and the cause.
func (e *InteractError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// The WebFinger link relation of the remote interaction template.
const relSubscribe = "http://ostatus.org/schema/1.0/subscribe"

// maxWebFingerBody caps a WebFinger answer.
const maxWebFingerBody = 64 << 10

// maxHandleLen bounds what is parsed as a handle.
const maxHandleLen = 512

// InteractTarget is a local object remote people may interact with.
type InteractTarget struct {
	URI       string // its ActivityPub id, in canonical form
	ItemID    string // the item's public id; "" for a comment
	CommentID int64  // the comment's id; 0 for an item
}

// ParseInteractTarget reports whether uri is the id of a local item
// (PublicURL/i/ID) or local comment (PublicURL/comments/N), and returns
// it. Anything else (another host, another path, a query or fragment) is
// refused.
func (s *Service) ParseInteractTarget(uri string) (InteractTarget, bool) {
	u, err := url.Parse(uri)
	if err != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil || u.RawPath != "" {
		return InteractTarget{}, false
	}
	if id, ok := s.parseLocalItem(uri); ok && validPublicID(id) {
		return InteractTarget{URI: s.ItemURI(id), ItemID: id}, true
	}
	if p := s.localPath(uri); strings.HasPrefix(p, "/comments/") {
		rest := p[len("/comments/"):]
		n, err := strconv.ParseInt(rest, 10, 64)
		if err == nil && n > 0 && strconv.FormatInt(n, 10) == rest {
			return InteractTarget{URI: s.base + "/comments/" + rest, CommentID: n}, true
		}
	}
	return InteractTarget{}, false
}

// InteractURL looks handle up with WebFinger on its server and returns
// where to send its owner to interact with objectURI, a local item or
// comment: the server's subscribe template with {uri} replaced by the
// escaped id. handle is alice@host, @alice@host, acct:alice@host or a
// profile URL such as https://host/@alice; host may carry a port.
//
// WebFinger is asked over https, or over http when the hub's own public
// URL is http (development and tests), with the service's client: private
// addresses are refused unless Config.AllowPrivateAddresses, the answer is
// capped at 64 KiB and the call at the service's timeout. Errors are an
// *InteractError of kind ErrBadHandle, ErrNoInstance or ErrNoTemplate, or
// ErrForeignObject.
func (s *Service) InteractURL(ctx context.Context, handle, objectURI string) (string, error) {
	target, ok := s.ParseInteractTarget(objectURI)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrForeignObject, objectURI)
	}
	acct, err := s.parseHandle(handle)
	if err != nil {
		return "", &InteractError{Kind: ErrBadHandle, Handle: handle, Err: err}
	}
	fail := func(kind, err error) (string, error) {
		return "", &InteractError{Kind: kind, Handle: handle, Host: acct.host, Err: err}
	}

	doc, err := s.webfinger(ctx, acct)
	if err != nil {
		return fail(ErrNoInstance, err)
	}

	escaped := url.QueryEscape(target.URI)
	var refused error
	for _, l := range doc.Links {
		if l.Rel != relSubscribe || l.Template == "" {
			continue
		}
		to, err := expandSubscribe(l.Template, escaped)
		if err != nil {
			refused = err
			continue
		}
		return to, nil
	}
	if refused == nil {
		refused = fmt.Errorf("no %s link for %s", relSubscribe, acct.resource)
	}
	return fail(ErrNoTemplate, refused)
}

// webfinger asks acct's server about it.
func (s *Service) webfinger(ctx context.Context, acct remoteAccount) (*jrd, error) {
	wf := acct.scheme + "://" + acct.host + "/.well-known/webfinger?resource=" + url.QueryEscape(acct.resource)
	resp, err := s.client.GetLimit(ctx, wf, "application/jrd+json", maxWebFingerBody, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("WebFinger %s answered %d", resp.URL, resp.StatusCode)
	}
	var doc jrd
	if err := json.Unmarshal(resp.Body, &doc); err != nil {
		return nil, fmt.Errorf("WebFinger %s: not a JRD document: %v", resp.URL, err)
	}
	return &doc, nil
}

// webfingerActor finds the ActivityPub id of user@host with WebFinger.
func (s *Service) webfingerActor(ctx context.Context, user, host string) (string, error) {
	acct, err := s.parseHandle(user + "@" + host)
	if err != nil {
		return "", err
	}
	doc, err := s.webfinger(ctx, acct)
	if err != nil {
		return "", err
	}
	for _, l := range doc.Links {
		if l.Rel == "self" && l.Href != "" && (l.Type == ap.MediaTypeActivity || strings.Contains(l.Type, "activitystreams")) {
			return l.Href, nil
		}
	}
	return "", fmt.Errorf("WebFinger has no ActivityPub actor for %s@%s", user, host)
}

// expandSubscribe fills a subscribe template with an escaped URI and checks
// that the result is an http(s) URL with a host: nothing else (javascript:,
// data:, a relative or scheme-relative URL) is a redirect target.
func expandSubscribe(template, escapedURI string) (string, error) {
	if !strings.Contains(template, "{uri}") {
		return "", fmt.Errorf("the subscribe template %q has no {uri}", template)
	}
	u, err := url.Parse(strings.ReplaceAll(template, "{uri}", escapedURI))
	if err != nil {
		return "", fmt.Errorf("the subscribe template %q: %v", template, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", fmt.Errorf("the subscribe template %q is not an http(s) URL", template)
	}
	if !validHost(u.Host) {
		return "", fmt.Errorf("the subscribe template %q has an invalid host", template)
	}
	return u.String(), nil
}

// remoteAccount is a parsed handle: what to ask WebFinger, and where.
type remoteAccount struct {
	resource string // acct:alice@host or the profile URL
	host     string // host[:port], lower-case
	scheme   string // of the WebFinger request
}

// remoteScheme is the scheme remote servers are asked in: https, unless
// the hub itself is served over http (development and tests on loopback).
func (s *Service) remoteScheme() string {
	if strings.HasPrefix(s.base, "http://") {
		return "http"
	}
	return "https"
}

// parseHandle parses a handle given by a person (see InteractURL).
func (s *Service) parseHandle(handle string) (remoteAccount, error) {
	h := strings.TrimSpace(handle)
	if h == "" {
		return remoteAccount{}, errors.New("empty handle")
	}
	if len(h) > maxHandleLen {
		return remoteAccount{}, errors.New("handle too long")
	}
	lower := strings.ToLower(h)
	if strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
		u, err := url.Parse(h)
		if err != nil {
			return remoteAccount{}, err
		}
		if u.User != nil || u.Opaque != "" || !validHost(u.Host) {
			return remoteAccount{}, errors.New("not a profile URL")
		}
		u.Fragment, u.RawFragment = "", ""
		u.Host = strings.ToLower(u.Host)
		scheme := s.remoteScheme()
		if u.Scheme == "https" {
			scheme = "https" // never downgraded
		}
		return remoteAccount{resource: u.String(), host: u.Host, scheme: scheme}, nil
	}
	rest := h
	if strings.HasPrefix(lower, "acct:") {
		rest = rest[len("acct:"):]
	}
	rest = strings.TrimPrefix(rest, "@")
	user, host, ok := strings.Cut(rest, "@")
	if !ok {
		return remoteAccount{}, errors.New("no @host")
	}
	if !validUser(user) {
		return remoteAccount{}, errors.New("invalid user name")
	}
	if !validHost(host) {
		return remoteAccount{}, errors.New("invalid host")
	}
	host = strings.ToLower(host)
	return remoteAccount{resource: "acct:" + user + "@" + host, host: host, scheme: s.remoteScheme()}, nil
}

// validUser accepts the user part of a handle: printable, without spaces
// and without the characters that delimit URLs or handles.
func validUser(user string) bool {
	if user == "" || len(user) > 255 {
		return false
	}
	for _, r := range user {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) || strings.ContainsRune(`/?#@:%\"<>[]{}|^`+"`", r) {
			return false
		}
	}
	return true
}

// validHost accepts host[:port] where host is an ASCII DNS name (IDNs in
// their xn-- form) or an IP address ([brackets] for IPv6) and port, if
// any, is 1 to 65535.
func validHost(hostport string) bool {
	if hostport == "" || len(hostport) > 261 {
		return false
	}
	u, err := url.Parse("http://" + hostport)
	if err != nil || u.Host != hostport || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	if strings.HasSuffix(hostport, ":") {
		return false
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return false
		}
	}
	name := u.Hostname()
	if strings.HasPrefix(hostport, "[") {
		addr, err := netip.ParseAddr(name)
		return err == nil && addr.Is6() && addr.Zone() == ""
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return true
	}
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// validPublicID accepts the shape of an item's public id: 1 to 64 ASCII
// letters, digits, '-' and '_'.
func validPublicID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ValidHost reports whether s is a host name, with an optional port, as
// an instance is named in policies ("videos.example", "127.0.0.1:8080").
func ValidHost(s string) bool { return validHost(s) }

package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/archipel/archipel/curation/feeds"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
)

// Limits of the item edit form.
const (
	maxItemTitle       = 200
	maxItemDescription = 10000
	maxItemTags        = 10
	maxTagLength       = 40
)

// itemForm is the data of an item's edit form: what the person typed, as
// typed, and the errors by field name ("" for an error of no field).
type itemForm struct {
	tr          *catalog // the page's language, for the messages
	Item        *store.Item
	Title       string
	Description string
	Tags        string // comma-separated, as typed
	Sensitive   bool
	Errors      map[string]string
	// CommentsPolicy is the item's comment policy (inherit, open,
	// approval or closed), edited when EditCommentsPolicy.
	CommentsPolicy     string
	EditCommentsPolicy bool
	CommentsPolicies   []policyChoice
	// Transcript is the item's transcript file, nil without one.
	Transcript *library.RenditionView
	// The podcast feed's fields, as typed: season and episode numbers
	// ("" for none), episode type, chapters (lines or JSON).
	Season, Episode, EpisodeType, Chapters string

	MaxTitle, MaxDescription, MaxTags, MaxTagLength int
}

func newItemForm(tr *catalog, item *store.Item) *itemForm {
	return &itemForm{tr: tr, Item: item, Errors: map[string]string{},
		MaxTitle: maxItemTitle, MaxDescription: maxItemDescription, MaxTags: maxItemTags, MaxTagLength: maxTagLength,
		EditCommentsPolicy: true, CommentsPolicies: itemCommentPolicies(tr)}
}

// itemCommentPolicies are the choices of an item's comment policy.
func itemCommentPolicies(tr *catalog) []policyChoice {
	return []policyChoice{
		{policyInherit, tr.T("item_edit.policy_inherit")},
		{policyOpen, tr.T("item_edit.policy_open")},
		{policyApproval, tr.T("item_edit.policy_approval")},
		{policyClosed, tr.T("item_edit.policy_closed")},
	}
}

// handleItemEdit shows the edit form of an item to its owner and admins.
func (s *server) handleItemEdit(w http.ResponseWriter, r *http.Request) {
	_, item := s.manageItem(w, r)
	if item == nil || !s.editable(w, r, item) {
		return
	}
	tags, err := s.store.ItemTags(r.Context(), item.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	form := newItemForm(s.tr(r), item)
	form.fill(item, tags)
	if form.Transcript, err = s.currentTranscript(r, item); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "item_edit", s.tr(r).T("item_edit.title", item.Title), form)
}

// fill sets the form to what is stored.
func (f *itemForm) fill(item *store.Item, tags []string) {
	f.Title, f.Description, f.Sensitive = item.Title, item.Description, item.Sensitive
	f.Tags = strings.Join(tags, ", ")
	f.CommentsPolicy = item.CommentsPolicy
	f.setEpisode(item)
}

// currentTranscript is the item's transcript file, nil without one.
func (s *server) currentTranscript(r *http.Request, item *store.Item) (*library.RenditionView, error) {
	v, err := s.library.View(r.Context(), item, false)
	if err != nil {
		return nil, err
	}
	if t := v.Transcripts(); len(t) > 0 {
		return &t[0], nil
	}
	return nil, nil
}

// editable refuses to edit items that come from another server: they
// change there, and reach us by federation.
func (s *server) editable(w http.ResponseWriter, r *http.Request, item *store.Item) bool {
	if item.OriginURI == "" {
		return true
	}
	s.renderError(w, r, http.StatusForbidden, "error.not_allowed", "error.not_allowed.remote_item")
	return false
}

// validate checks the form and returns the edit to save; it records the
// problems in f.Errors.
func (f *itemForm) validate() store.ItemEdit {
	e := store.ItemEdit{
		Title: strings.TrimSpace(f.Title),
		// Browsers send a textarea's line breaks as CRLF but count them as
		// one character against maxlength: count (and store) them as LF.
		Description: strings.TrimSpace(strings.ReplaceAll(f.Description, "\r\n", "\n")),
		Sensitive:   f.Sensitive,
	}
	switch n := utf8.RuneCountInString(e.Title); {
	case n == 0:
		f.Errors["title"] = f.tr.T("item_edit.title_required")
	case n > maxItemTitle:
		f.Errors["title"] = f.tr.T("item_edit.title_too_long", maxItemTitle, n)
	}
	if n := utf8.RuneCountInString(e.Description); n > maxItemDescription {
		f.Errors["description"] = f.tr.T("item_edit.description_too_long", maxItemDescription, n)
	}
	var msg string
	e.Tags, msg = normalizeTags(f.tr, f.Tags)
	if msg != "" {
		f.Errors["tags"] = msg
	}
	if f.EditCommentsPolicy {
		switch f.CommentsPolicy {
		case "":
			f.CommentsPolicy = policyInherit
		case policyInherit, policyOpen, policyApproval, policyClosed:
		default:
			f.Errors["comments_policy"] = f.tr.T("item_edit.policy_invalid")
		}
		e.CommentsPolicy = f.CommentsPolicy
	}
	e.Episode = f.validateEpisode()
	return e
}

// maxEpisodeNumber bounds season and episode numbers.
const maxEpisodeNumber = 100000

// setEpisode fills the podcast fields from the item.
func (f *itemForm) setEpisode(item *store.Item) {
	if item.Season > 0 {
		f.Season = itoa(item.Season)
	}
	if item.Episode > 0 {
		f.Episode = itoa(item.Episode)
	}
	f.EpisodeType = item.EpisodeType
	f.Chapters = feeds.FormatChapters(item.Chapters)
}

// validateEpisode checks the podcast fields.
func (f *itemForm) validateEpisode() *store.EpisodeFields {
	ep := &store.EpisodeFields{Type: f.EpisodeType}
	number := func(field, value, msgKey string) int {
		value = strings.TrimSpace(value)
		if value == "" {
			return 0
		}
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 || n > maxEpisodeNumber {
			f.Errors[field] = f.tr.T(msgKey, maxEpisodeNumber)
		}
		return n
	}
	ep.Season = number("season", f.Season, "item_edit.season_invalid")
	ep.Episode = number("episode", f.Episode, "item_edit.episode_invalid")
	switch ep.Type {
	case "":
		ep.Type = "full"
	case "full", "trailer", "bonus":
	default:
		f.Errors["episode_type"] = f.tr.T("item_edit.type_invalid")
	}
	chapters, err := feeds.ParseChapters(strings.ReplaceAll(f.Chapters, "\r\n", "\n"))
	if err != nil {
		f.Errors["chapters"] = f.tr.T("item_edit.chapters_invalid", f.tr.detail(err.Error()))
	}
	ep.Chapters = chapters
	return ep
}

var (
	tagSpaceRE = regexp.MustCompile(`\s+`)
	tagRuneRE  = regexp.MustCompile(`^[a-z0-9_-]+$`)
)

// normalizeTags turns a comma-separated list into tags: each trimmed,
// without a leading #, lower-cased, inner spaces as "-", made only of
// a–z, 0–9, "_" and "-", at most maxTagLength characters; empty entries
// and repeats are dropped, and there may be at most maxItemTags. It returns
// a message for people when the list is not acceptable.
func normalizeTags(tr *catalog, list string) ([]string, string) {
	tags := []string{}
	seen := map[string]bool{}
	for _, raw := range strings.Split(list, ",") {
		t := strings.TrimLeft(strings.TrimSpace(raw), "#")
		t = tagSpaceRE.ReplaceAllString(strings.ToLower(strings.TrimSpace(t)), "-")
		if t == "" || seen[t] {
			continue
		}
		if !tagRuneRE.MatchString(t) {
			return nil, tr.T("item_edit.tag_chars", t)
		}
		if n := utf8.RuneCountInString(t); n > maxTagLength {
			return nil, tr.T("item_edit.tag_too_long", t, maxTagLength)
		}
		seen[t] = true
		tags = append(tags, t)
	}
	if len(tags) > maxItemTags {
		return nil, tr.T("item_edit.too_many_tags", len(tags), maxItemTags)
	}
	return tags, ""
}

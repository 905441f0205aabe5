package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/archipel/archipel/curation/feeds"
	"github.com/archipel/archipel/store"
)

// feedSettingsForm is the page where a channel's owner says what its
// podcast feed tells apps and directories.
type feedSettingsForm struct {
	Channel    *store.Channel
	Settings   store.ChannelFeedSettings
	Categories []string // Apple's categories and subcategories, as the feed writes them
	FeedURL    string
	Artwork    string // URL of the channel's picture, "" without one
	GUID       string // in force: the set one, or the one derived from the feed URL
	Errors     map[string]string
	Saved      bool
}

// categoryKey is the catalogue key of one of Apple's category names
// ("Health & Fitness": category.health_fitness).
func categoryKey(name string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			under = false
		} else {
			under = true
		}
	}
	return "category." + b.String()
}

// categoryLabel shows a category value ("Name" or "Name > Sub", as the
// feed carries it, in Apple's English) in the page's language.
func (c *catalog) categoryLabel(value string) string {
	parts := strings.Split(value, " > ")
	for i, p := range parts {
		if _, ok := c.msgs[categoryKey(p)]; ok {
			parts[i] = c.T(categoryKey(p))
		}
	}
	return strings.Join(parts, " › ")
}

// appleCategoryChoices lists Apple's categories and subcategories, as
// "Name" and "Name > Sub", in order.
func appleCategoryChoices() []string {
	names := make([]string, 0, len(feeds.AppleCategories))
	for n := range feeds.AppleCategories {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		out = append(out, n)
		subs := append([]string(nil), feeds.AppleCategories[n]...)
		sort.Strings(subs)
		for _, sub := range subs {
			out = append(out, n+" > "+sub)
		}
	}
	return out
}

var (
	uuidRE     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	languageRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
)

func (s *server) newFeedSettingsForm(c *store.Channel) *feedSettingsForm {
	f := &feedSettingsForm{Channel: c, Categories: appleCategoryChoices(), FeedURL: s.feeds.FeedURL(c.Handle, "rss"),
		Errors: map[string]string{}, Settings: store.ChannelFeedSettings{
			Category: c.Category, Language: c.Language, Explicit: c.Explicit, FeedType: c.FeedType, Locked: c.Locked,
			PodcastGUID: c.PodcastGUID, FundingURL: c.FundingURL, FundingText: c.FundingText, License: c.License,
		}}
	if c.AvatarKey != "" {
		f.Artwork = s.library.MediaURL(c.AvatarKey)
	}
	f.GUID = c.PodcastGUID
	if f.GUID == "" {
		f.GUID = feeds.PodcastGUID(f.FeedURL)
	}
	return f
}

// handleFeedSettings shows a channel's feed settings to its owner.
func (s *server) handleFeedSettings(w http.ResponseWriter, r *http.Request) {
	_, c := s.manageChannelFor(w, r, "error.not_owner.feed")
	if c == nil {
		return
	}
	f := s.newFeedSettingsForm(c)
	f.Saved = r.URL.Query().Get("saved") != ""
	s.render(w, r, http.StatusOK, "feed_settings", s.tr(r).T("feed.heading", c.Title), f)
}

// handleFeedSettingsSave saves them; mistakes show the form again.
func (s *server) handleFeedSettingsSave(w http.ResponseWriter, r *http.Request) {
	user, c := s.manageChannelFor(w, r, "error.not_owner.feed")
	if c == nil {
		return
	}
	f := s.newFeedSettingsForm(c)
	in := store.ChannelFeedSettings{
		Category:    strings.TrimSpace(r.PostFormValue("category")),
		Language:    strings.TrimSpace(r.PostFormValue("language")),
		Explicit:    r.PostFormValue("explicit") != "",
		FeedType:    r.PostFormValue("feed_type"),
		Locked:      r.PostFormValue("locked") != "",
		PodcastGUID: strings.ToLower(strings.TrimSpace(r.PostFormValue("podcast_guid"))),
		FundingURL:  strings.TrimSpace(r.PostFormValue("funding_url")),
		FundingText: strings.TrimSpace(r.PostFormValue("funding_text")),
		License:     strings.TrimSpace(r.PostFormValue("license")),
	}
	f.Settings = in
	tr := s.tr(r)
	if in.Category != "" && !slices.Contains(f.Categories, in.Category) {
		f.Errors["category"] = tr.T("feed.category_invalid")
	}
	if in.Language != "" && !languageRE.MatchString(in.Language) {
		f.Errors["language"] = tr.T("feed.language_invalid")
	}
	switch in.FeedType {
	case "episodic", "serial":
	default:
		f.Errors["feed_type"] = tr.T("feed.type_invalid")
	}
	if in.PodcastGUID != "" && !uuidRE.MatchString(in.PodcastGUID) {
		f.Errors["podcast_guid"] = tr.T("feed.guid_invalid")
	}
	if in.FundingURL != "" {
		if u, err := url.Parse(in.FundingURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			f.Errors["funding_url"] = tr.T("feed.funding_url_invalid")
		}
	}
	if utf8.RuneCountInString(in.FundingText) > 128 {
		f.Errors["funding_text"] = tr.T("feed.funding_text_too_long", 128)
	}
	if in.FundingText != "" && in.FundingURL == "" {
		f.Errors["funding_url"] = tr.T("feed.funding_url_missing")
	}
	if utf8.RuneCountInString(in.License) > 128 {
		f.Errors["license"] = tr.T("feed.license_too_long", 128)
	}
	if len(f.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "feed_settings", s.tr(r).T("feed.heading", c.Title), f)
		return
	}
	if err := s.store.SetChannelFeed(r.Context(), c.ID, in); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("feed settings saved", "channel", c.Handle, "user", user.Username)
	http.Redirect(w, r, "/c/"+c.Handle+"/feed-settings?saved=1", http.StatusSeeOther)
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/archipel/archipel/store"
)

// searchPageSize is how many results one page of a search shows.
const searchPageSize = 20

// maxSearchQuery bounds a query, in characters; the rest is ignored.
const maxSearchQuery = 200

// maxSearchPage bounds the page number a search goes to.
const maxSearchPage = 500

// searchPage is the data of the search template, and what the API
// answers is made of.
type searchPage struct {
	Query    string // as typed, trimmed
	Searched bool   // the query has words: the rest is its answer
	Results  []itemCard
	Total    int
	Page     int
	From, To int // 1-based positions of the results shown
	PrevURL  string
	NextURL  string
	FirstURL string
}

// itemCard is an item as lists show it (search results, a channel's items,
// the home page's latest), with its thumbnail and its origin.
type itemCard struct {
	*store.Item
	Thumbnail string // URL, "" when there is none
	Origin    string // a remote item's host
}

// itemCards are items with their thumbnails and origins, as lists show
// them (search results, the home page's latest).
func (s *server) itemCards(ctx context.Context, items []*store.Item) ([]itemCard, error) {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	thumbs, err := s.store.ItemThumbnails(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]itemCard, 0, len(items))
	for _, it := range items {
		res := itemCard{Item: it, Origin: hostOfURL(it.OriginURI)}
		if f := thumbs[it.ID]; f != nil {
			res.Thumbnail = s.fileURL(f)
		}
		out = append(out, res)
	}
	return out, nil
}

// searchParams reads the query and page of a search request.
func searchParams(r *http.Request) (query string, page int) {
	query = strings.TrimSpace(r.URL.Query().Get("q"))
	if rs := []rune(query); len(rs) > maxSearchQuery {
		query = string(rs[:maxSearchQuery])
	}
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	return query, min(page, maxSearchPage)
}

// search runs a search for one page of results.
func (s *server) search(ctx context.Context, query string, page int) (*searchPage, error) {
	p := &searchPage{Query: query, Page: page, Searched: len(store.SearchWords(query)) > 0}
	if !p.Searched {
		return p, nil
	}
	offset := (page - 1) * searchPageSize
	items, total, err := s.store.SearchItems(ctx, query, searchPageSize, offset)
	if err != nil {
		return nil, err
	}
	p.Total = total
	if p.Results, err = s.itemCards(ctx, items); err != nil {
		return nil, err
	}
	pageURL := func(n int) string {
		v := url.Values{"q": {query}}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		return "/search?" + v.Encode()
	}
	p.FirstURL = pageURL(1)
	if len(items) > 0 {
		p.From, p.To = offset+1, offset+len(items)
		if page > 1 {
			p.PrevURL = pageURL(page - 1)
		}
		if p.To < total && page < maxSearchPage {
			p.NextURL = pageURL(page + 1)
		}
	}
	return p, nil
}

// fileURL is where a browser gets a media file: here for a stored one,
// at its origin for a remote one ("" when neither can be had).
func (s *server) fileURL(f *store.MediaFile) string {
	if f.StorageKey != "" {
		if s.library == nil {
			return ""
		}
		return s.library.MediaURL(f.StorageKey)
	}
	return f.RemoteURL
}

// handleSearch shows GET /search?q=…&page=N: the hub's items, local and
// accepted remote ones, that have every word of the query.
func (s *server) handleSearch(w http.ResponseWriter, r *http.Request) {
	query, page := searchParams(r)
	p, err := s.search(r.Context(), query, page)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	title := s.tr(r).T("search.heading")
	if query != "" {
		title = query + " · " + title
	}
	s.render(w, r, http.StatusOK, "search", title, p)
}

// apiSearchResults is the answer of GET /api/search.
type apiSearchResults struct {
	Query   string          `json:"query"`
	Total   int             `json:"total"`
	Page    int             `json:"page"`
	PerPage int             `json:"per_page"`
	Next    string          `json:"next,omitempty"` // the next page's URL
	Items   []apiSearchItem `json:"items"`
}

type apiSearchItem struct {
	ID              string     `json:"id"`
	URL             string     `json:"url"`
	Kind            string     `json:"kind"`
	Title           string     `json:"title"`
	Description     string     `json:"description"`
	Channel         string     `json:"channel"` // its handle; remote channels: the remote username
	ChannelTitle    string     `json:"channel_title"`
	DurationSeconds float64    `json:"duration_seconds"`
	Thumbnail       string     `json:"thumbnail,omitempty"`
	Origin          string     `json:"origin,omitempty"` // a remote item's page at its origin
	PublishedAt     *time.Time `json:"published_at"`
}

// handleAPISearch answers GET /api/search?q=…&page=N: the search page's
// results in JSON.
func (s *server) handleAPISearch(w http.ResponseWriter, r *http.Request) {
	query, page := searchParams(r)
	p, err := s.search(r.Context(), query, page)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	out := apiSearchResults{Query: query, Total: p.Total, Page: page, PerPage: searchPageSize, Items: []apiSearchItem{}}
	if p.NextURL != "" {
		out.Next = s.absURL("/api" + p.NextURL)
	}
	for _, res := range p.Results {
		origin := res.OriginURL
		if origin == "" {
			origin = res.OriginURI
		}
		out.Items = append(out.Items, apiSearchItem{
			ID: res.PublicID, URL: s.absURL("/i/" + res.PublicID), Kind: res.Kind, Title: res.Title,
			Description: res.Description, Channel: res.ChannelHandle, ChannelTitle: res.ChannelTitle,
			DurationSeconds: res.Duration.Seconds(), Thumbnail: res.Thumbnail, Origin: origin, PublishedAt: res.PublishedAt,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

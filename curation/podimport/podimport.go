// Package podimport imports a podcast from its RSS feed into a podcast
// channel: the show (title, description, language, explicit, artwork,
// category, podcast:guid, podcast:locked, funding) and its episodes (guid,
// title, description, date, duration, explicit, picture, season and
// number, type, transcript, chapters, people).
//
// An episode's audio is either referenced where the feed has it (a media
// file with a remote URL, published at once) or downloaded into the
// library — two at a time, resumable with Range requests across runs — and
// published through the transcoding pipeline like an upload.
//
// A feed locked by its owner (podcast:locked yes) is refused unless the
// person importing says they own it. A re-import skips the episodes whose
// guid the channel knows. A bad episode (no enclosure, dead enclosure, a
// date that cannot be read) is reported with its reason and the others go
// on; a feed that is not well-formed XML fails the import and changes
// nothing. Every request goes through the Fetcher (the hub's SSRF-guarded
// client).
package podimport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/curation/feeds"
	"github.com/archipel/archipel/federation/httpclient"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/transcode"
)

// Defaults of the Importer's limits.
const (
	DefaultMaxFeed          = 64 << 20 // a feed of thousands of episodes
	DefaultDownloads        = 2        // downloads at once
	DefaultChecks           = 8        // enclosure checks at once (reference mode)
	DefaultProgressInterval = 500 * time.Millisecond

	maxTranscript = 5 << 20
	maxChapters   = 1 << 20
	maxImage      = 10 << 20
	batchSize     = 100 // referenced episodes recorded per transaction
	maxTitle      = 200 // as uploads
)

// Importer imports podcasts from their feeds. Its zero limits take the
// defaults above.
type Importer struct {
	Store    *store.Store
	Accounts *accounts.Service
	// Library stores pictures and transcripts, and takes downloaded
	// episodes (Ingest, then publication once transcoded). Its Events hear
	// of episodes published by a re-import; its Queue gets the jobs that
	// attach a downloaded episode's files after transcoding.
	Library *library.Library
	Fetcher Fetcher
	// WorkDir keeps partial downloads between runs, one directory per feed.
	WorkDir string
	Logger  *slog.Logger

	MaxFeed          int64
	Downloads        int
	Checks           int
	IdleTimeout      time.Duration // a download receiving nothing this long stops (and resumes next run)
	ProgressInterval time.Duration
	Now              func() time.Time
}

// Options says what to import, where and how.
type Options struct {
	FeedURL string
	// Channel is the handle of the channel to create or update; "" finds
	// the channel of an earlier import of the feed (or of its
	// podcast:guid), else derives a new handle from the show's title.
	Channel string
	// Owner owns the channel if one is created.
	Owner *store.User
	// Mode is store.ImportReference (the default) or store.ImportDownload.
	Mode string
	// ConfirmOwner says the person owns the show: a locked feed is
	// refused without it.
	ConfirmOwner bool
	// ImportID is the import row this run reports to (a background
	// import); 0 records one once the feed is read.
	ImportID  int64
	StartedBy int64 // with ImportID 0: who started it (0: the command line)
	// Authorize, when not nil, vets an existing channel before anything is
	// written to it.
	Authorize func(ch *store.Channel) error
	// OnEpisode hears of each episode's outcome and each warning;
	// OnProgress of the counts and downloads, every ProgressInterval.
	// Both may be called from several goroutines, never at once.
	OnEpisode  func(EpisodeResult)
	OnProgress func(Progress)
}

// Outcome is what became of an episode.
type Outcome string

// Outcomes.
const (
	Imported Outcome = "imported"
	Skipped  Outcome = "skipped"
	Failed   Outcome = "failed"
	Warning  Outcome = "warning" // the episode was imported, but not all of it
)

// EpisodeResult is one episode's outcome (or a warning about it).
type EpisodeResult struct {
	Outcome Outcome
	Title   string
	GUID    string
	Reason  string // why it failed or was skipped; what the warning is
	Item    string // public id of the item, when imported
}

// Progress is how far an import is.
type Progress struct {
	Total, Done, Skipped, Failed int
	Downloads                    []Download
}

// Percent is the share of episodes dealt with.
func (p Progress) Percent() int {
	if p.Total <= 0 {
		return 100
	}
	return (p.Done + p.Skipped + p.Failed) * 100 / p.Total
}

// Download is a download in progress.
type Download struct {
	Title      string
	Got, Total int64 // Total -1 when unknown
}

func sortDownloads(d []Download) {
	sort.Slice(d, func(i, j int) bool { return d[i].Title < d[j].Title })
}

// ReportEntry is a failure or a warning of an import, as stored in
// store.Import.Report (a JSON array).
type ReportEntry struct {
	Kind   Outcome `json:"kind"` // Failed or Warning
	Title  string  `json:"title"`
	Reason string  `json:"reason"`
}

// ParseReport reads store.Import.Report.
func ParseReport(s string) []ReportEntry {
	var out []ReportEntry
	if s != "" {
		_ = json.Unmarshal([]byte(s), &out)
	}
	return out
}

// Result is what an import did.
type Result struct {
	ImportID  int64
	Channel   *store.Channel
	Created   bool // the channel was created
	FeedTitle string
	Progress
	Report []ReportEntry
}

// LockedError refuses a feed whose owner locked it (podcast:locked yes).
type LockedError struct{ Owner string }

func (e *LockedError) Error() string {
	owner := ""
	if e.Owner != "" {
		owner = " (" + e.Owner + ")"
	}
	return "this podcast's feed is locked (podcast:locked yes): its owner" + owner +
		" does not want it imported elsewhere. Import it only if it is yours, and confirm that you own it"
}

// ChannelError is a channel that cannot take the import, worded for
// people.
type ChannelError struct {
	Reason string
	// NeedOwner: the channel does not exist, and no owner was given to
	// create it for.
	NeedOwner bool
	Handle    string
}

func (e *ChannelError) Error() string { return e.Reason }

// Message words an import's error for people.
func Message(err error) string {
	var fe *FeedError
	var le *LockedError
	var ce *ChannelError
	switch {
	case errors.As(err, &fe), errors.As(err, &le), errors.As(err, &ce):
		return err.Error()
	case errors.Is(err, context.Canceled):
		return "the import was interrupted"
	}
	return "the import failed: " + err.Error()
}

// Temporary tells whether an import that failed with err may work later.
func Temporary(err error) bool {
	var fe *FeedError
	var le *LockedError
	var ce *ChannelError
	var field *accounts.FieldError
	switch {
	case errors.As(err, &fe):
		return fe.Temporary
	case errors.As(err, &le), errors.As(err, &ce), errors.As(err, &field):
		return false
	}
	return true
}

// MayImport tells whether a user may import podcasts: creators, curators
// and admins.
func MayImport(u *store.User) bool {
	return u != nil && !u.Disabled && (u.Role == store.RoleCreator || u.Role == store.RoleCurator || u.Role == store.RoleAdmin)
}

// MayImportInto tells whether a user may import into an existing channel:
// its owner and admins.
func MayImportInto(u *store.User, ch *store.Channel) bool {
	return MayImport(u) && (u.Role == store.RoleAdmin || (ch.OwnerID != 0 && ch.OwnerID == u.ID))
}

// Plan is a feed read and the channel it goes to.
type Plan struct {
	FeedURL string
	Show    *Show
	Channel *store.Channel // the existing channel; nil: Handle is created
	Handle  string
}

func (im *Importer) now() time.Time {
	if im.Now != nil {
		return im.Now()
	}
	return time.Now()
}

func (im *Importer) logger() *slog.Logger {
	if im.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return im.Logger
}

// CheckURL validates a feed URL as typed.
func CheckURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", &FeedError{Reason: fmt.Sprintf("%q is not an http or https URL", raw)}
	}
	return u.String(), nil
}

// Inspect reads the feed and finds (or names) its channel, writing
// nothing: invalid XML, a locked feed without ConfirmOwner and a channel
// that cannot take it are errors here.
func (im *Importer) Inspect(ctx context.Context, opts Options) (*Plan, error) {
	feedURL, err := CheckURL(opts.FeedURL)
	if err != nil {
		return nil, err
	}
	max := im.MaxFeed
	if max <= 0 {
		max = DefaultMaxFeed
	}
	body, _, err := im.Fetcher.Fetch(ctx, feedURL, "application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5", max)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &FeedError{Reason: "the feed " + reason(err), Temporary: temporaryFetch(err)}
	}
	show, err := ParseFeed(body, feedURL)
	if err != nil {
		return nil, err
	}
	if show.Locked != nil && *show.Locked && !opts.ConfirmOwner {
		return nil, &LockedError{Owner: show.LockedOwner}
	}
	plan := &Plan{FeedURL: feedURL, Show: show}
	if err := im.resolveChannel(ctx, plan, opts); err != nil {
		return nil, err
	}
	return plan, nil
}

// temporaryFetch tells whether fetching the feed may work later: not
// when it is refused (address, scheme, size) or gone.
func temporaryFetch(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code >= 500 || se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests
	}
	for _, final := range []error{httpclient.ErrForbiddenAddress, httpclient.ErrScheme, httpclient.ErrTooLarge, httpclient.ErrTooManyRedirects} {
		if errors.Is(err, final) {
			return false
		}
	}
	return true
}

func (im *Importer) resolveChannel(ctx context.Context, plan *Plan, opts Options) error {
	use := func(ch *store.Channel) error {
		if ch.Kind != store.KindPodcast {
			return &ChannelError{Reason: fmt.Sprintf("@%s is a video channel: import the podcast into a podcast channel", ch.Handle)}
		}
		if opts.Authorize != nil {
			if err := opts.Authorize(ch); err != nil {
				return err
			}
		}
		plan.Channel, plan.Handle = ch, ch.Handle
		return nil
	}
	if opts.Channel != "" {
		h, err := accounts.NormalizeHandle("channel", opts.Channel)
		if err != nil {
			var fe *accounts.FieldError
			if errors.As(err, &fe) {
				return &ChannelError{Reason: "the channel handle " + fe.Message}
			}
			return err
		}
		ch, err := im.Store.LocalChannel(ctx, h)
		if err == nil {
			return use(ch)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		free, err := im.handleFree(ctx, h)
		if err != nil {
			return err
		}
		if !free {
			return &ChannelError{Reason: fmt.Sprintf("@%s is the name of an account: choose another handle for the channel", h)}
		}
		plan.Handle = h
		return nil
	}
	ch, err := im.Store.LastImportChannel(ctx, plan.FeedURL)
	if err == nil {
		return use(ch)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	guid := plan.Show.GUID
	if guid == "" {
		guid = feeds.PodcastGUID(plan.FeedURL)
	}
	ch, err = im.Store.LocalChannelByPodcastGUID(ctx, guid)
	if err == nil {
		return use(ch)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	base := HandleFromTitle(plan.Show.Title)
	for i := 1; i <= 100; i++ {
		h := base
		if i > 1 {
			h = fmt.Sprintf("%s_%d", base, i)
		}
		if _, err := accounts.NormalizeHandle("channel", h); err != nil {
			continue // reserved
		}
		free, err := im.handleFree(ctx, h)
		if err != nil {
			return err
		}
		if free {
			plan.Handle = h
			return nil
		}
	}
	return &ChannelError{Reason: fmt.Sprintf("no free handle like @%s: name the channel to create", base)}
}

// handleFree tells whether no channel and no account has handle h.
func (im *Importer) handleFree(ctx context.Context, h string) (bool, error) {
	if _, err := im.Store.LocalChannel(ctx, h); err == nil {
		return false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	if _, err := im.Store.UserByUsername(ctx, h); err == nil {
		return false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	return true, nil
}

var nonHandle = regexp.MustCompile(`[^a-z0-9]+`)

// HandleFromTitle derives a channel handle from a show's title: accents
// dropped, lower case, runs of other characters as one underscore, at
// most 26 characters (room for a "_N" suffix); "podcast" when nothing is
// left.
func HandleFromTitle(title string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(title) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	h := strings.Trim(nonHandle.ReplaceAllString(b.String(), "_"), "_")
	if len(h) > 26 {
		h = strings.TrimRight(h[:26], "_")
	}
	if h == "" {
		h = "podcast"
	}
	return h
}

// Run imports the feed: it inspects it, creates or updates the channel,
// then imports the episodes. With Options.ImportID 0 it records the
// import (once the feed is read) and ends it; otherwise the caller ends
// it on error.
func (im *Importer) Run(ctx context.Context, opts Options) (res *Result, err error) {
	plan, err := im.Inspect(ctx, opts)
	if err != nil {
		return nil, err
	}
	mode := opts.Mode
	if mode == "" {
		mode = store.ImportReference
	}
	if mode != store.ImportReference && mode != store.ImportDownload {
		return nil, fmt.Errorf("podimport: unknown mode %q", mode)
	}
	show := plan.Show
	ch, created := plan.Channel, false
	if ch == nil {
		if opts.Owner == nil {
			return nil, &ChannelError{Reason: fmt.Sprintf("the channel @%s does not exist yet: name its owner to create it", plan.Handle),
				NeedOwner: true, Handle: plan.Handle}
		}
		title := truncate(show.Title, accounts.MaxTitleLength)
		ch, err = im.Accounts.CreateChannel(ctx, opts.Owner, accounts.ChannelInput{
			Handle: plan.Handle, Kind: store.KindPodcast, Title: title, Description: show.Description, Language: show.Language,
		})
		var fe *accounts.FieldError
		if errors.As(err, &fe) {
			return nil, &ChannelError{Reason: fmt.Sprintf("the channel @%s cannot be created: %s %s", plan.Handle, fe.Field, fe.Message)}
		}
		if err != nil {
			return nil, err
		}
		created = true
	}
	importID := opts.ImportID
	if importID == 0 {
		if importID, err = im.Store.CreateImport(ctx, store.NewImport{
			FeedURL: plan.FeedURL, ChannelHandle: ch.Handle, Mode: mode, ConfirmOwner: opts.ConfirmOwner, StartedBy: opts.StartedBy,
		}); err != nil {
			return nil, err
		}
		defer func() {
			state, why := store.ImportDone, ""
			if err != nil {
				state, why = store.ImportFailed, Message(err)
			}
			if ferr := im.Store.FinishImport(context.WithoutCancel(ctx), importID, state, why); ferr != nil && err == nil {
				err = ferr
			}
		}()
	}
	if err := im.Store.StartImport(ctx, importID); err != nil {
		return nil, err
	}
	if err := im.Store.SetImportChannel(ctx, importID, ch.ID, ch.Handle, show.Title, len(show.Episodes)); err != nil {
		return nil, err
	}
	r := &run{im: im, opts: opts, plan: plan, ch: ch, importID: importID, mode: mode}
	r.prog.Total = len(show.Episodes)
	log := im.logger().With("import", importID, "channel", ch.Handle, "feed", plan.FeedURL)
	log.Info("podcast import started", "episodes", len(show.Episodes), "mode", mode, "created", created)

	if err := r.updateChannel(ctx, created); err != nil {
		return nil, err
	}
	if !created {
		if r.announceAfter, err = im.Store.NewestPublishedAt(ctx, ch.ID); err != nil {
			return nil, err
		}
	}
	stop := r.startFlusher(ctx)
	err = r.episodes(ctx)
	stop()
	if ferr := r.flush(context.WithoutCancel(ctx)); ferr != nil && err == nil {
		err = ferr
	}
	if err != nil {
		log.Warn("podcast import failed", "error", err)
		return nil, err
	}
	if ch, err = im.Store.LocalChannel(ctx, ch.Handle); err != nil {
		return nil, err
	}
	if opts.ImportID != 0 {
		if err := im.Store.FinishImport(ctx, importID, store.ImportDone, ""); err != nil {
			return nil, err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	log.Info("podcast import done", "imported", r.prog.Done, "skipped", r.prog.Skipped, "failed", r.prog.Failed)
	return &Result{ImportID: importID, Channel: ch, Created: created, FeedTitle: show.Title, Progress: r.prog,
		Report: append([]ReportEntry(nil), r.report...)}, nil
}

// run is one import in progress.
type run struct {
	im            *Importer
	opts          Options
	plan          *Plan
	ch            *store.Channel
	importID      int64
	mode          string
	announceAfter *time.Time // re-import: episodes after this are announced

	mu     sync.Mutex // guards prog, report and the callbacks
	prog   Progress
	report []ReportEntry
	dls    downloads
}

func (r *run) outcome(res EpisodeResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch res.Outcome {
	case Imported:
		r.prog.Done++
	case Skipped:
		r.prog.Skipped++
	case Failed:
		r.prog.Failed++
		r.report = append(r.report, ReportEntry{Kind: Failed, Title: res.Title, Reason: res.Reason})
	case Warning:
		r.report = append(r.report, ReportEntry{Kind: Warning, Title: res.Title, Reason: res.Reason})
	}
	if r.opts.OnEpisode != nil {
		r.opts.OnEpisode(res)
	}
}

func (r *run) warn(title, why string) {
	r.outcome(EpisodeResult{Outcome: Warning, Title: title, Reason: why})
}

// flush records the progress and tells OnProgress.
func (r *run) flush(ctx context.Context) error {
	r.mu.Lock()
	p := r.prog
	p.Downloads = r.dls.list()
	report := ""
	if len(r.report) > 0 {
		b, _ := json.Marshal(r.report)
		report = string(b)
	}
	if r.opts.OnProgress != nil {
		r.opts.OnProgress(p)
	}
	r.mu.Unlock()
	var working []string
	for _, d := range p.Downloads {
		working = append(working, describeDownload(d))
	}
	return r.im.Store.UpdateImportProgress(ctx, r.importID, store.ImportProgress{
		Total: p.Total, Done: p.Done, Skipped: p.Skipped, Failed: p.Failed, WorkingOn: strings.Join(working, "\n"), Report: report,
	})
}

// describeDownload is "Title: 12.3 of 45.6 MB (27%)".
func describeDownload(d Download) string {
	if d.Total > 0 {
		return fmt.Sprintf("Downloading %s: %.1f of %.1f MB (%d%%)", d.Title, float64(d.Got)/1e6, float64(d.Total)/1e6, d.Got*100/d.Total)
	}
	return fmt.Sprintf("Downloading %s: %.1f MB", d.Title, float64(d.Got)/1e6)
}

func (r *run) startFlusher(ctx context.Context) (stop func()) {
	every := r.im.ProgressInterval
	if every <= 0 {
		every = DefaultProgressInterval
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if err := r.flush(ctx); err != nil && ctx.Err() == nil {
					r.im.logger().Warn("record import progress", "import", r.importID, "error", err)
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// updateChannel brings the show's fields to the channel.
func (r *run) updateChannel(ctx context.Context, created bool) error {
	show := r.plan.Show
	u := store.ChannelFeedUpdate{
		Title: truncate(show.Title, accounts.MaxTitleLength), Description: show.Description, Language: show.Language,
		Category: show.Category, Explicit: show.Explicit, FeedType: show.FeedType, PodcastGUID: show.GUID,
		Locked: show.Locked, FundingURL: show.FundingURL, FundingText: truncate(show.FundingText, 128),
	}
	if u.Title == "" {
		u.Title = r.ch.Title
	}
	if u.PodcastGUID == "" && r.ch.PodcastGUID == "" {
		// The show keeps the guid its first feed URL gives it.
		u.PodcastGUID = feeds.PodcastGUID(r.plan.FeedURL)
	}
	if !created && show.Description == "" {
		u.Description = r.ch.Description
	}
	if show.ImageURL != "" {
		key, err := r.storeImage(ctx, "channels/"+r.ch.Handle+"/artwork", show.ImageURL, artworkExts)
		if err != nil {
			r.warn(show.Title, "the show's artwork "+err.Error())
		} else {
			u.AvatarKey = key
		}
	}
	old, err := r.im.Store.UpdateChannelFromFeed(ctx, r.ch.ID, u)
	if err != nil {
		return err
	}
	if old != "" {
		if err := r.im.Library.Storage.Delete(ctx, old); err != nil {
			r.im.logger().Warn("delete replaced artwork", "key", old, "error", err)
		}
	}
	return nil
}

var (
	imageExts   = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}
	artworkExts = map[string]string{"image/jpeg": ".jpg", "image/png": ".png"} // as Apple requires, and /media/ serves
)

// storeImage fetches a picture of one of the types exts lists into storage
// under prefix-<sha8>.<ext>; its error is worded to follow "the picture".
func (r *run) storeImage(ctx context.Context, prefix, rawURL string, exts map[string]string) (string, error) {
	body, _, err := r.im.Fetcher.Fetch(ctx, rawURL, "image/*", maxImage)
	if err != nil {
		return "", errors.New(reason(err))
	}
	ext := exts[mediaType(http.DetectContentType(body))]
	if ext == "" {
		if len(exts) == len(artworkExts) {
			return "", errors.New("is not a JPEG or PNG picture")
		}
		return "", errors.New("is not a JPEG, PNG, WebP or GIF picture")
	}
	sum := sha256.Sum256(body)
	key := prefix + "-" + hex.EncodeToString(sum[:4]) + ext
	if _, _, err := r.im.Library.Storage.Put(ctx, key, bytes.NewReader(body)); err != nil {
		return "", err
	}
	return key, nil
}

func mediaType(ctype string) string {
	mt, _, err := mime.ParseMediaType(ctype)
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

// episodes sorts the feed's episodes out and imports the new ones, oldest
// first.
func (r *run) episodes(ctx context.Context) error {
	known, err := r.im.Store.FeedGUIDs(ctx, r.ch.ID)
	if err != nil {
		return err
	}
	// The first listing of a guid counts; episodes go oldest (last) first.
	seen := map[string]bool{}
	dup := make([]bool, len(r.plan.Show.Episodes))
	for i, ep := range r.plan.Show.Episodes {
		if ep.GUID != "" {
			dup[i] = seen[ep.GUID]
			seen[ep.GUID] = true
		}
	}
	var todo []*Episode
	eps := r.plan.Show.Episodes
	for i := len(eps) - 1; i >= 0; i-- {
		ep := &eps[i]
		if dup[i] {
			r.outcome(EpisodeResult{Outcome: Skipped, Title: ep.Title, GUID: ep.GUID, Reason: "it is listed twice in the feed"})
			continue
		}
		if by, ok := known[ep.GUID]; ok && ep.GUID != "" {
			if by == r.importID {
				r.outcome(EpisodeResult{Outcome: Imported, Title: ep.Title, GUID: ep.GUID, Reason: "imported by an earlier attempt"})
			} else {
				r.outcome(EpisodeResult{Outcome: Skipped, Title: ep.Title, GUID: ep.GUID, Reason: "already imported"})
			}
			continue
		}
		if ep.Problem != "" {
			r.outcome(EpisodeResult{Outcome: Failed, Title: ep.Title, GUID: ep.GUID, Reason: ep.Problem})
			continue
		}
		todo = append(todo, ep)
	}
	if len(todo) == 0 {
		return nil
	}
	if r.mode == store.ImportDownload {
		return r.downloadAll(ctx, todo)
	}
	return r.referenceAll(ctx, todo)
}

// prepared is a referenced episode ready to record.
type prepared struct {
	ep   *Episode
	item store.ImportedItem
	keys []string // stored files, deleted if the item is not recorded
}

func (r *run) referenceAll(ctx context.Context, todo []*Episode) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := r.im.Checks
	if workers <= 0 {
		workers = DefaultChecks
	}
	jobs := make(chan *Episode)
	results := make(chan *prepared, 2*batchSize)
	var wg sync.WaitGroup
	for range min(workers, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ep := range jobs {
				if p := r.prepareReference(ctx, ep); p != nil {
					results <- p
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, ep := range todo {
			select {
			case jobs <- ep:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	var batch []*prepared
	var failure error
	write := func() {
		if len(batch) == 0 || failure != nil {
			batch = batch[:0]
			return
		}
		if err := r.record(ctx, batch); err != nil {
			failure = err
			cancel()
		}
		batch = batch[:0]
	}
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case p, ok := <-results:
			if !ok {
				write()
				if failure == nil {
					failure = ctx.Err()
				}
				return failure
			}
			batch = append(batch, p)
			if len(batch) >= batchSize {
				write()
			}
		case <-tick.C:
			write()
		}
	}
}

// record writes a batch of referenced episodes in one transaction.
func (r *run) record(ctx context.Context, batch []*prepared) error {
	items := make([]store.ImportedItem, len(batch))
	for i, p := range batch {
		items[i] = p.item
	}
	var then func(tx *store.Tx, id int64, it *store.ImportedItem) error
	if ev := r.im.Library.Events; ev != nil && r.announceAfter != nil {
		then = func(tx *store.Tx, id int64, it *store.ImportedItem) error {
			if !it.PublishedAt.After(*r.announceAfter) {
				return nil // the back catalogue is not announced
			}
			return ev.ItemPublished(ctx, tx, id)
		}
	}
	ids, err := r.im.Store.InsertImportedItems(ctx, items, then)
	if err != nil {
		for _, p := range batch {
			r.deleteKeys(p.keys)
		}
		return err
	}
	for i, p := range batch {
		if ids[i] == 0 {
			r.deleteKeys(p.keys)
			r.outcome(EpisodeResult{Outcome: Skipped, Title: p.ep.Title, GUID: p.ep.GUID, Reason: "already imported"})
			continue
		}
		r.outcome(EpisodeResult{Outcome: Imported, Title: p.ep.Title, GUID: p.ep.GUID, Item: items[i].PublicID})
	}
	return nil
}

func (r *run) deleteKeys(keys []string) {
	for _, k := range keys {
		if err := r.im.Library.Storage.Delete(context.Background(), k); err != nil {
			r.im.logger().Warn("delete an imported file", "key", k, "error", err)
		}
	}
}

// prepareReference checks a referenced episode's enclosure and fetches its
// transcript and chapters; nil when the episode failed (reported).
func (r *run) prepareReference(ctx context.Context, ep *Episode) *prepared {
	fail := func(why string) *prepared {
		if ctx.Err() == nil {
			r.outcome(EpisodeResult{Outcome: Failed, Title: ep.Title, GUID: ep.GUID, Reason: why})
		}
		return nil
	}
	size, ctype, err := r.probe(ctx, ep.EnclosureURL)
	if err != nil {
		return fail("its enclosure " + reason(err))
	}
	mt := ep.EnclosureType
	if mt == "" {
		mt = mediaType(ctype)
	}
	if mt == "" || mt == "application/octet-stream" {
		if byExt := mime.TypeByExtension(path.Ext(urlPath(ep.EnclosureURL))); byExt != "" {
			mt = mediaType(byExt)
		}
	}
	if mt == "" {
		mt = "audio/mpeg"
	}
	if ep.EnclosureSize > 0 {
		size = ep.EnclosureSize
	}
	p := &prepared{ep: ep}
	publicID := store.NewPublicID()
	files := []store.MediaFile{{Rendition: renditionFor(mt), MimeType: mt, Size: size, RemoteURL: ep.EnclosureURL}}
	if img := ep.ImageURL; strings.HasPrefix(img, "https://") || strings.HasPrefix(img, "http://") {
		it := mime.TypeByExtension(path.Ext(urlPath(img)))
		if it == "" || !strings.HasPrefix(it, "image/") {
			it = "image/jpeg"
		}
		files = append(files, store.MediaFile{Rendition: "thumbnail", MimeType: mediaType(it), RemoteURL: img})
	}
	if f, ok := r.transcript(ctx, ep, publicID); ok {
		files = append(files, f)
		p.keys = append(p.keys, f.StorageKey)
	}
	p.item = r.importedItem(ep, publicID, r.chapters(ctx, ep))
	p.item.Files = files
	return p
}

func (r *run) importedItem(ep *Episode, publicID, chapters string) store.ImportedItem {
	pub := ep.Published
	if pub.IsZero() {
		pub = r.im.now()
	}
	lang := r.plan.Show.Language
	if lang == "" {
		lang = r.ch.Language
	}
	return store.ImportedItem{
		PublicID: publicID, ChannelID: r.ch.ID, ImportID: r.importID, Kind: store.ItemEpisode,
		Title: truncate(ep.Title, maxTitle), Description: ep.Description, Language: lang, Sensitive: ep.Explicit,
		Duration: ep.Duration, Season: ep.Season, Episode: ep.Number, EpisodeType: ep.EpisodeType, Chapters: chapters,
		FeedGUID: ep.GUID, SourceName: sourceName(ep), PublishedAt: pub,
	}
}

// probe checks that an enclosure answers, with a one-byte Range request,
// and learns its size and type.
func (r *run) probe(ctx context.Context, rawURL string) (size int64, ctype string, err error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	resp, err := r.im.Fetcher.Open(ctx, rawURL, http.Header{"Range": {"bytes=0-0"}})
	if err != nil {
		return 0, "", err
	}
	if resp.StatusCode == http.StatusPartialContent {
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10) // so that the connection is reused
	}
	resp.Body.Close() // a server ignoring Range sends the whole file: not read
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, "", &StatusError{URL: rawURL, Code: resp.StatusCode}
	}
	if m := contentRangeRE.FindStringSubmatch(resp.Header.Get("Content-Range")); m != nil && m[3] != "*" {
		size, _ = strconv.ParseInt(m[3], 10, 64)
	} else if resp.StatusCode == http.StatusOK && resp.ContentLength > 0 {
		size = resp.ContentLength
	}
	return size, resp.Header.Get("Content-Type"), nil
}

// transcript fetches an episode's transcript into storage; ok false when
// it has none or it failed (a warning).
func (r *run) transcript(ctx context.Context, ep *Episode, publicID string) (store.MediaFile, bool) {
	if ep.Transcript == nil {
		return store.MediaFile{}, false
	}
	body, _, err := r.im.Fetcher.Fetch(ctx, ep.Transcript.URL, ep.Transcript.Type+", */*;q=0.1", maxTranscript)
	if err != nil {
		if ctx.Err() == nil {
			r.warn(ep.Title, "its transcript "+reason(err))
		}
		return store.MediaFile{}, false
	}
	mimeType, err := library.TranscriptType(body) // the feed's type is a claim: check the file
	if err != nil {
		r.warn(ep.Title, "its transcript is "+err.Error())
		return store.MediaFile{}, false
	}
	ext := ".vtt"
	if mimeType == library.TranscriptSRT {
		ext = ".srt"
	}
	key := "items/" + publicID + "/transcript" + ext
	size, sum, err := r.im.Library.Storage.Put(ctx, key, bytes.NewReader(body))
	if err != nil {
		r.warn(ep.Title, "its transcript could not be stored: "+err.Error())
		return store.MediaFile{}, false
	}
	return store.MediaFile{Rendition: "transcript", MimeType: mimeType, Size: size, SHA256: sum, StorageKey: key}, true
}

// chapters fetches an episode's JSON chapters; "" when it has none or they
// failed (a warning).
func (r *run) chapters(ctx context.Context, ep *Episode) string {
	if ep.ChaptersURL == "" {
		return ""
	}
	body, _, err := r.im.Fetcher.Fetch(ctx, ep.ChaptersURL, "application/json+chapters, application/json;q=0.9, */*;q=0.1", maxChapters)
	if err != nil {
		if ctx.Err() == nil {
			r.warn(ep.Title, "its chapters "+reason(err))
		}
		return ""
	}
	doc, err := feeds.ParseChapters(string(body))
	if err != nil || doc == "" {
		r.warn(ep.Title, "its chapters are not JSON chapters")
		return ""
	}
	return doc
}

// renditionFor names an enclosure's media file after its type, as
// transcoding names its outputs.
func renditionFor(mt string) string {
	switch mt {
	case "audio/mpeg", "audio/mp3":
		return "mp3"
	case "audio/mp4", "audio/x-m4a", "audio/aac", "audio/m4a":
		return "aac"
	case "audio/ogg", "audio/opus", "audio/vorbis":
		return "ogg"
	}
	if strings.HasPrefix(mt, "video/") {
		return "video"
	}
	return "audio"
}

func urlPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}

// sourceName is the enclosure's file name.
func sourceName(ep *Episode) string {
	name := path.Base(urlPath(ep.EnclosureURL))
	if name == "." || name == "/" || name == "" {
		name = "episode"
	}
	if ext := path.Ext(name); ext == "" || len(ext) > 6 {
		if exts, _ := mime.ExtensionsByType(ep.EnclosureType); len(exts) > 0 {
			name += exts[0]
		} else {
			name += ".mp3"
		}
	}
	return truncate(name, 200)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return strings.TrimSpace(string(r[:n]))
	}
	return s
}

func hashHex(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// downloadAll downloads the episodes, Downloads at a time.
func (r *run) downloadAll(ctx context.Context, todo []*Episode) error {
	workers := r.im.Downloads
	if workers <= 0 {
		workers = DefaultDownloads
	}
	dir := filepath.Join(r.im.WorkDir, hashHex(r.plan.FeedURL, 16))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	jobs := make(chan *Episode)
	var wg sync.WaitGroup
	for range min(workers, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ep := range jobs {
				r.downloadOne(ctx, dir, ep)
			}
		}()
	}
	for _, ep := range todo {
		select {
		case jobs <- ep:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	_ = os.Remove(dir) // when empty: nothing left to resume
	_ = os.Remove(r.im.WorkDir)
	return ctx.Err()
}

// downloadOne downloads an episode, ingests it and tags it with the
// feed's fields; its transcript and picture wait for the transcoding.
func (r *run) downloadOne(ctx context.Context, dir string, ep *Episode) {
	fail := func(why string) {
		if ctx.Err() == nil {
			r.outcome(EpisodeResult{Outcome: Failed, Title: ep.Title, GUID: ep.GUID, Reason: why})
		}
	}
	lib := r.im.Library
	name := sourceName(ep)
	dest := filepath.Join(dir, hashHex(ep.GUID, 24)+strings.ToLower(path.Ext(name)))
	max := lib.Limits.MaxBytes
	r.dls.set(ep.GUID, ep.Title, 0, ep.EnclosureSize)
	_, err := r.im.download(ctx, ep.EnclosureURL, dest, max, func(got, total int64) { r.dls.set(ep.GUID, ep.Title, got, total) })
	r.dls.done(ep.GUID)
	var ie *InterruptedError
	switch {
	case err == nil:
	case errors.Is(err, errTooLarge):
		fail(fmt.Sprintf("its audio file is larger than this hub's limit of %d MB", max/1e6))
		return
	case errors.As(err, &ie):
		fail("its enclosure could not be downloaded whole: " + ie.Error())
		return
	default:
		fail("its enclosure " + reason(err))
		return
	}
	chapters := r.chapters(ctx, ep)
	item, err := lib.Ingest(ctx, r.ch, dest, library.Input{Title: truncate(ep.Title, maxTitle), Description: ep.Description, Filename: name})
	var rej *transcode.RejectError
	if errors.As(err, &rej) {
		removePartial(dest)
		fail("its audio file was refused: " + rej.Message)
		return
	}
	if err != nil {
		fail("its audio file could not be added: " + err.Error())
		return
	}
	removePartial(dest) // Ingest moved the file; the .meta is left
	fields := store.ImportedFields{
		FeedGUID: ep.GUID, ImportID: r.importID, PublishedAt: ep.Published, Sensitive: ep.Explicit,
		Season: ep.Season, Episode: ep.Number, EpisodeType: ep.EpisodeType, Chapters: chapters,
		Language: r.plan.Show.Language,
	}
	if fields.PublishedAt.IsZero() {
		fields.PublishedAt = r.im.now()
	}
	if fields.Language == "" {
		fields.Language = r.ch.Language
	}
	state, err := r.im.Store.TagImportedItem(ctx, item.ID, fields)
	if errors.Is(err, store.ErrConflict) {
		_ = lib.Delete(context.WithoutCancel(ctx), item)
		r.outcome(EpisodeResult{Outcome: Skipped, Title: ep.Title, GUID: ep.GUID, Reason: "already imported"})
		return
	}
	if err != nil {
		_ = lib.Delete(context.WithoutCancel(ctx), item)
		fail("it could not be recorded: " + err.Error())
		return
	}
	if state == store.StateDraft {
		if err := lib.Publish(ctx, item); err != nil {
			r.warn(ep.Title, "it could not be published: "+err.Error())
		}
	}
	attach := 0
	if f, ok := r.transcript(ctx, ep, item.PublicID); ok {
		if err := r.im.Store.AddImportAttachment(ctx, item.ID, f); err != nil {
			r.warn(ep.Title, "its transcript could not be recorded: "+err.Error())
		} else {
			attach++
		}
	}
	if ep.ImageURL != "" {
		key, err := r.storeImage(ctx, "items/"+item.PublicID+"/thumbnail", ep.ImageURL, imageExts)
		if err != nil {
			r.warn(ep.Title, "its picture "+err.Error())
		} else {
			mt := "image/jpeg"
			for t, ext := range imageExts {
				if strings.HasSuffix(key, ext) {
					mt = t
				}
			}
			if err := r.im.Store.AddImportAttachment(ctx, item.ID, store.MediaFile{Rendition: "thumbnail", MimeType: mt, StorageKey: key}); err != nil {
				r.warn(ep.Title, "its picture could not be recorded: "+err.Error())
			} else {
				attach++
			}
		}
	}
	if attach > 0 {
		if lib.Queue == nil {
			r.warn(ep.Title, "its transcript and picture wait for a job queue")
		} else if _, err := lib.Queue.Insert(ctx, JobArgs{AttachItemID: item.ID}, nil); err != nil {
			r.warn(ep.Title, "its transcript and picture could not be queued: "+err.Error())
		}
	}
	r.outcome(EpisodeResult{Outcome: Imported, Title: ep.Title, GUID: ep.GUID, Item: item.PublicID, Reason: "queued for transcoding"})
}

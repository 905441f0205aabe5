package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/archipel/archipel/curation/podimport"
	"github.com/archipel/archipel/store"
)

// importCommand imports content from elsewhere: for now a podcast from its
// RSS feed (the Feeds issue).
func importCommand() *command {
	var channel, owner string
	var download, reference, confirm bool
	return &command{
		name:    "import",
		summary: "import a podcast from its RSS feed",
		subs: []*command{{
			name:    "feed",
			args:    "URL",
			summary: "create or update a podcast channel from an RSS feed",
			help: `Reads the podcast's RSS feed and brings the show (title, description,
language, explicit, artwork, category, podcast:guid, podcast:locked,
funding) and its episodes (title, notes, date, duration, picture, season and
number, transcript, chapters) into a podcast channel: the one named by
--channel, else the channel of an earlier import of the feed, else a new one
named after the show and owned by --owner. Running it again imports only the
episodes it does not know (by their guid).

With --reference (the default) the audio stays where the feed has it and
episodes are published at once. With --download the audio files are copied
into the hub, two at a time (an interrupted download resumes on the next
run), and transcoded like uploads by a running 'archipel serve', which
publishes them when ready.

A feed its owner locked (podcast:locked yes) is refused unless you own the
show and say so with --confirm-owner.

Prints a line per episode; a progress line goes to standard error.

  archipel import feed --owner alice https://example.org/podcast.xml`,
			flags: func(fs *flag.FlagSet) {
				fs.StringVar(&channel, "channel", "", "handle of the channel to create or update (default: from an earlier import, or the show's title)")
				fs.StringVar(&owner, "owner", "", "account owning the channel if it is created")
				fs.BoolVar(&download, "download", false, "copy the audio files into the hub and transcode them")
				fs.BoolVar(&reference, "reference", false, "keep the audio files where the feed has them (the default)")
				fs.BoolVar(&confirm, "confirm-owner", false, "you own this podcast: import it even if its feed is locked")
			},
			run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
				if download && reference {
					return usagef("--download and --reference exclude each other")
				}
				mode := store.ImportReference
				if download {
					mode = store.ImportDownload
				}
				var u *store.User
				if owner != "" {
					var err error
					if u, err = s.UserByUsername(ctx, strings.ToLower(strings.TrimPrefix(owner, "@"))); err != nil {
						return noUser(owner, err)
					}
				}
				if _, err := podimport.CheckURL(args[0]); err != nil {
					return usagef("%v", err)
				}
				h, err := e.newServices(s, false)
				if err != nil {
					return err
				}
				p := &importPrinter{out: e.stdout, errw: e.stderr}
				res, err := h.importer.Run(ctx, podimport.Options{
					FeedURL: args[0], Channel: channel, Owner: u, Mode: mode, ConfirmOwner: confirm,
					OnEpisode: p.episode, OnProgress: p.progress,
				})
				p.finish()
				var le *podimport.LockedError
				var ce *podimport.ChannelError
				switch {
				case errors.As(err, &le):
					return fmt.Errorf("%v.\nIf this podcast is yours, run the command again with --confirm-owner", err)
				case errors.As(err, &ce) && ce.NeedOwner:
					return usagef("--owner is required: the channel @%s does not exist yet, and is created for that account", ce.Handle)
				case err != nil:
					return errors.New(podimport.Message(err))
				}
				verb := "updated"
				if res.Created {
					verb = "created"
				}
				fmt.Fprintf(e.stdout, "channel @%s %s: %s/c/%s\n", res.Channel.Handle, verb, e.cfg.PublicURL, res.Channel.Handle)
				fmt.Fprintf(e.stdout, "%d imported, %d skipped, %d failed, of %d episodes\n", res.Done, res.Skipped, res.Failed, res.Total)
				if mode == store.ImportDownload && res.Done > 0 {
					fmt.Fprintln(e.stdout, "Downloaded episodes are published once 'archipel serve' has transcoded them.")
				}
				return nil
			}),
		}},
	}
}

// importPrinter prints an import's episodes on stdout, one line each, and
// its progress on one line of stderr, cleared before each episode line
// (both are often the same terminal).
type importPrinter struct {
	mu       sync.Mutex
	out      io.Writer
	errw     io.Writer
	drawn    int // length of the progress line on screen
	lastLine string
}

func (p *importPrinter) clear() {
	if p.drawn > 0 {
		fmt.Fprintf(p.errw, "\r%s\r", strings.Repeat(" ", p.drawn))
		p.drawn = 0
	}
}

func (p *importPrinter) episode(r podimport.EpisodeResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	switch r.Outcome {
	case podimport.Imported:
		if r.Reason != "" {
			fmt.Fprintf(p.out, "imported  %s (%s)\n", r.Title, r.Reason)
		} else {
			fmt.Fprintf(p.out, "imported  %s\n", r.Title)
		}
	case podimport.Skipped:
		fmt.Fprintf(p.out, "skipped   %s (%s)\n", r.Title, r.Reason)
	case podimport.Failed:
		fmt.Fprintf(p.out, "failed    %s: %s\n", r.Title, r.Reason)
	case podimport.Warning:
		fmt.Fprintf(p.out, "warning   %s: %s\n", r.Title, r.Reason)
	}
	if p.lastLine != "" {
		p.draw(p.lastLine)
	}
}

// progress draws "import     [#####.....]  45%  2250/5000 episodes".
func (p *importPrinter) progress(pr podimport.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	const width = 30
	pct := pr.Percent()
	fill := pct * width / 100
	line := fmt.Sprintf("%-10s [%s%s] %3d%%  %d/%d episodes", "import", strings.Repeat("#", fill), strings.Repeat(".", width-fill),
		pct, pr.Done+pr.Skipped+pr.Failed, pr.Total)
	for _, d := range pr.Downloads {
		if d.Total > 0 {
			line += fmt.Sprintf("  · %.1f/%.1f MB", float64(d.Got)/1e6, float64(d.Total)/1e6)
		} else {
			line += fmt.Sprintf("  · %.1f MB", float64(d.Got)/1e6)
		}
	}
	p.lastLine = line
	p.draw(line)
}

func (p *importPrinter) draw(line string) {
	p.clear()
	fmt.Fprint(p.errw, "\r"+line)
	p.drawn = len([]rune(line))
}

// finish leaves the last progress line on screen, ended.
func (p *importPrinter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn > 0 {
		fmt.Fprintln(p.errw)
		p.drawn = 0
	}
}

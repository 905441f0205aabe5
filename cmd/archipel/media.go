package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/media"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/transcode"
)

// newLibrary builds the media library on the hub's data directory; its
// Queue is set by the caller once a job runner exists.
func (e *env) newLibrary(s *store.Store) (*library.Library, error) {
	st, err := media.NewLocalStorage(filepath.Join(e.cfg.DataDir, "media"))
	if err != nil {
		return nil, err
	}
	return &library.Library{
		Store:   s,
		Storage: st,
		Transcoder: &transcode.Runner{
			FFmpeg: e.cfg.FFmpeg, FFprobe: e.cfg.FFprobe, Threads: e.cfg.TranscodeThreads, Logger: e.logger(),
		},
		Limits: transcode.Limits{
			MaxBytes: e.cfg.MaxUploadSize, MaxDuration: e.cfg.MaxDuration, MaxPixels: e.cfg.MaxPixels,
		},
		WorkDir:   filepath.Join(e.cfg.DataDir, "work"),
		PublicURL: e.cfg.PublicURL,
		Logger:    e.logger(),
	}, nil
}

// uploadsDir is where partial uploads wait.
func (e *env) uploadsDir() string { return filepath.Join(e.cfg.DataDir, "uploads") }

func uploadCommand() *command {
	var channel, title, description string
	var publish, wait bool
	return &command{
		name: "upload", args: "FILE", summary: "upload a video or an episode to a channel",
		help: `Copies FILE into the hub, checks it with ffprobe, and queues its transcoding
(a running 'archipel serve' does the work). Prints the item's id and URL.
With --wait, follows the transcoding to its end.

  archipel upload --channel alice_talks --title "Episode 1" --publish --wait ep1.flac`,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&channel, "channel", "", "handle of the channel (required)")
			fs.StringVar(&title, "title", "", "title (default: the file name)")
			fs.StringVar(&description, "description", "", "description, in Markdown")
			fs.BoolVar(&publish, "publish", false, "publish as soon as transcoding succeeds")
			fs.BoolVar(&wait, "wait", false, "wait for transcoding and show its progress")
		},
		run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
			if channel == "" {
				return usagef("--channel is required")
			}
			ch, err := s.LocalChannel(ctx, strings.ToLower(strings.TrimPrefix(channel, "@")))
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no channel @%s on this hub", channel)
			}
			if err != nil {
				return err
			}
			h, err := e.newServices(s, false)
			if err != nil {
				return err
			}
			lib := h.library
			tmp, err := copyWithProgress(e, args[0], e.uploadsDir())
			if err != nil {
				return err
			}
			defer os.Remove(tmp) // gone already when ingested
			item, err := lib.Ingest(ctx, ch, tmp, library.Input{Title: title, Description: description, Publish: publish, Filename: args[0]})
			var rej *transcode.RejectError
			if errors.As(err, &rej) {
				return fmt.Errorf("refused: %s", rej.Message)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "item %s\n%s\n", item.PublicID, lib.ItemURL(item))
			if !wait {
				return nil
			}
			return waitForItem(ctx, e, s, lib, item.ID)
		}),
	}
}

// copyWithProgress copies src into dir under a fresh name, drawing a
// progress bar on stderr.
func copyWithProgress(e *env, src, dir string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		return "", fmt.Errorf("%s is a directory", src)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	out, err := os.CreateTemp(dir, "cli-*"+filepath.Ext(src))
	if err != nil {
		return "", err
	}
	bar := &progressBar{w: e.stderr, label: "upload", total: fi.Size()}
	_, err = io.Copy(out, io.TeeReader(in, bar))
	bar.done()
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", err
	}
	return out.Name(), nil
}

// progressBar draws "label [#####.....]  45%  12.3/27.0 MB" on one line.
type progressBar struct {
	w      io.Writer
	label  string
	total  int64
	n      int64
	last   time.Time
	drawn  bool
	lastPc int
}

func (p *progressBar) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if time.Since(p.last) > 100*time.Millisecond {
		p.draw(percent(p.n, p.total))
	}
	return len(b), nil
}

func percent(n, total int64) int {
	if total <= 0 {
		return 100
	}
	return int(n * 100 / total)
}

func (p *progressBar) draw(pct int) {
	p.last, p.drawn, p.lastPc = time.Now(), true, pct
	const width = 30
	fill := pct * width / 100
	extra := ""
	if p.total > 0 {
		extra = fmt.Sprintf("  %.1f/%.1f MB", float64(p.n)/1e6, float64(p.total)/1e6)
	}
	fmt.Fprintf(p.w, "\r%-10s [%s%s] %3d%%%s", p.label, strings.Repeat("#", fill), strings.Repeat(".", width-fill), pct, extra)
}

func (p *progressBar) done() {
	p.draw(percent(p.n, p.total))
	fmt.Fprintln(p.w)
}

// waitForItem follows an item's transcoding until it ends.
func waitForItem(ctx context.Context, e *env, s *store.Store, lib *library.Library, id int64) error {
	bar := &progressBar{w: e.stderr, label: "transcode"}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		item, err := s.ItemByID(ctx, id)
		if err != nil {
			return err
		}
		switch item.State {
		case store.StateProcessing:
			if item.Progress != bar.lastPc || !bar.drawn {
				bar.draw(item.Progress)
			}
		case store.StateFailed:
			fmt.Fprintln(e.stderr)
			return fmt.Errorf("transcoding failed (retry with 'archipel item retry %s'):\n%s", item.PublicID, item.ErrorTail)
		default:
			bar.draw(100)
			fmt.Fprintln(e.stderr)
			v, err := lib.View(ctx, item, false)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: %d renditions\n", item.State, len(v.Renditions))
			for _, r := range v.Renditions {
				fmt.Fprintf(e.stdout, "  %-10s %s\n", r.Name, r.URL)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func itemCommand() *command {
	var asJSON bool
	// item runs a subcommand on the item named by its id, with a library.
	item := func(fn func(ctx context.Context, e *env, lib *library.Library, it *store.Item) error) func(context.Context, *env, []string) error {
		return withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
			it, err := s.ItemByPublicID(ctx, args[0])
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no item %q", args[0])
			}
			if err != nil {
				return err
			}
			h, err := e.newServices(s, false)
			if err != nil {
				return err
			}
			lib := h.library
			return fn(ctx, e, lib, it)
		})
	}
	return &command{
		name: "item", summary: "show and manage videos and episodes",
		subs: []*command{
			{
				name: "show", args: "ID", summary: "show an item's state, renditions and their URLs",
				flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") },
				run: item(func(ctx context.Context, e *env, lib *library.Library, it *store.Item) error {
					v, err := lib.View(ctx, it, true)
					if err != nil {
						return err
					}
					if asJSON {
						return writeJSON(e.stdout, v)
					}
					fmt.Fprintf(e.stdout, "%s  %s  (@%s, %s)\nstate: %s", v.ID, v.Title, v.Channel, v.Kind, v.State)
					if v.State == store.StateProcessing {
						fmt.Fprintf(e.stdout, " %d%%", v.Progress)
					}
					fmt.Fprintf(e.stdout, "\nurl: %s\nduration: %.1fs\n", v.URL, v.DurationSeconds)
					if v.Error != "" {
						fmt.Fprintf(e.stdout, "error:\n%s\n", v.Error)
					}
					for _, r := range v.Renditions {
						fmt.Fprintf(e.stdout, "  %-10s %-11s %10d  %s\n", r.Name, r.MimeType, r.Size, r.URL)
					}
					return nil
				}),
			},
			{
				name: "publish", args: "ID", summary: "publish a draft",
				run: item(func(ctx context.Context, e *env, lib *library.Library, it *store.Item) error {
					if err := lib.Publish(ctx, it); err != nil {
						return fmt.Errorf("item %s is %s, not a draft", it.PublicID, it.State)
					}
					fmt.Fprintf(e.stdout, "published %s\n", lib.ItemURL(it))
					return nil
				}),
			},
			{
				name: "retry", args: "ID", summary: "transcode a failed item again",
				run: item(func(ctx context.Context, e *env, lib *library.Library, it *store.Item) error {
					if err := lib.Retry(ctx, it); err != nil {
						if errors.Is(err, store.ErrNotFound) {
							return fmt.Errorf("item %s is %s, not failed", it.PublicID, it.State)
						}
						return err
					}
					fmt.Fprintf(e.stdout, "queued %s again\n", it.PublicID)
					return nil
				}),
			},
			{
				name: "delete", args: "ID", summary: "delete an item, its jobs and its files",
				run: item(func(ctx context.Context, e *env, lib *library.Library, it *store.Item) error {
					if err := lib.Delete(ctx, it); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "deleted %s\n", it.PublicID)
					return nil
				}),
			},
		},
	}
}

func tokenCommand() *command {
	var name string
	return &command{
		name: "token", summary: "manage personal API tokens",
		subs: []*command{{
			name: "create", args: "USER", summary: "create a token for the JSON API and print it once",
			help: `Use the token as 'Authorization: Bearer TOKEN', e.g. for resumable uploads
at /api/uploads/ (tus 1.0) and the item API at /api/items/ID.`,
			flags: func(fs *flag.FlagSet) { fs.StringVar(&name, "name", "cli", "what the token is for") },
			run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
				u, err := s.UserByUsername(ctx, strings.ToLower(args[0]))
				if err != nil {
					return noUser(args[0], err)
				}
				token, err := (&accounts.Service{Store: s}).CreateAPIToken(ctx, u, name)
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, token)
				return nil
			}),
		}},
	}
}

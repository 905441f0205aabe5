// Command archipel runs and administers an Archipel hub. Every subcommand
// reads the same options (flags, ARCHIPEL_* variables, config file), so that
// `ARCHIPEL_DATA_DIR=/srv/hub archipel user list` acts on that hub.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/config"
	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// command is one subcommand.
type command struct {
	name    string
	args    string // the positional arguments, e.g. "NAME ROLE"; run gets exactly these
	summary string
	help    string // longer text for -h
	flags   func(fs *flag.FlagSet)
	run     func(ctx context.Context, env *env, args []string) error
	subs    []*command
}

// env is what a running command gets: its I/O, its flags and the loaded
// configuration.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	fs             *flag.FlagSet
	cfg            *config.Loaded
	getenv         func(string) string
}

func commands() []*command {
	return []*command{
		serveCommand(),
		migrateCommand(),
		userCommand(),
		applicationCommand(),
		channelCommand(),
		uploadCommand(),
		itemCommand(),
		importCommand(),
		followCommand(),
		unfollowCommand(),
		followsCommand(),
		reviewCommand(),
		instanceCommand(),
		actorCommand(),
		proposalsCommand(),
		tokenCommand(),
		jobsCommand(),
		configCommand(),
		versionCommand(),
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	flags := map[string]string{}
	top := flag.NewFlagSet("archipel", flag.ContinueOnError)
	top.SetOutput(stderr)
	config.Bind(top, flags)
	cmds := commands()
	top.Usage = func() { printTopUsage(stderr, cmds) }
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	rest := top.Args()
	cmd := cmds[0] // serve is the default
	if len(rest) > 0 {
		cmd = findCommand(cmds, rest[0])
		if cmd == nil {
			fmt.Fprintf(stderr, "archipel: unknown command %q\n\n", rest[0])
			printTopUsage(stderr, cmds)
			return exitUsage
		}
		rest = rest[1:]
	}
	path := "archipel " + cmd.name
	for len(cmd.subs) > 0 {
		if len(rest) == 0 || rest[0] == "-h" || rest[0] == "--help" || rest[0] == "help" {
			printGroupUsage(stderr, path, cmd)
			if len(rest) == 0 {
				return exitUsage
			}
			return exitOK
		}
		sub := findCommand(cmd.subs, rest[0])
		if sub == nil {
			fmt.Fprintf(stderr, "%s: unknown command %q\n\n", path, rest[0])
			printGroupUsage(stderr, path, cmd)
			return exitUsage
		}
		cmd, rest, path = sub, rest[1:], path+" "+sub.name
	}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	e.fs = flag.NewFlagSet(path, flag.ContinueOnError)
	e.fs.SetOutput(stderr)
	config.Bind(e.fs, flags)
	if cmd.flags != nil {
		cmd.flags(e.fs)
	}
	e.fs.Usage = func() { printCommandUsage(stderr, path, cmd, e.fs) }
	positional, err := parseInterleaved(e.fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	e.cfg, err = config.Load(config.Sources{Flags: flags, Getenv: getenv})
	if err != nil {
		fmt.Fprintf(stderr, "archipel: %v\n", err)
		return exitUsage
	}
	if want := strings.Fields(cmd.args); len(positional) != len(want) {
		err = usagef("expected %d argument(s) %s, got %q", len(want), cmd.args, positional)
	} else {
		err = cmd.run(ctx, e, positional)
	}
	var ue *usageError
	var ce *config.Error
	var fe *accounts.FieldError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %v\nRun '%s -h' for help.\n", path, err, path)
		return exitUsage
	case errors.As(err, &fe):
		fmt.Fprintf(stderr, "%s: %v\n", path, err)
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "archipel: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "%s: %v\n", path, err)
		return exitFailure
	}
}

// parseInterleaved parses flags given before, between and after positional
// arguments, as in `user create alice --role admin`.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func findCommand(cmds []*command, name string) *command {
	for _, c := range cmds {
		if c.name == name {
			return c
		}
	}
	return nil
}

func printTopUsage(w io.Writer, cmds []*command) {
	fmt.Fprintf(w, `Archipel: a curated video and podcast federation hub.

Usage: archipel [options] [command] [arguments]

Commands:
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `
Without a command, archipel serves. Run 'archipel COMMAND -h' for a
command's help. Every command takes the options below, also read from
ARCHIPEL_* environment variables and from a config file (--config):

`)
	printOptions(w)
}

func printGroupUsage(w io.Writer, path string, c *command) {
	fmt.Fprintf(w, "%s\n\nUsage: %s COMMAND [options] [arguments]\n\nCommands:\n", c.summary, path)
	for _, s := range c.subs {
		fmt.Fprintf(w, "  %-15s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun '%s COMMAND -h' for a command's help.\n", path)
}

func printCommandUsage(w io.Writer, path string, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "%s\n\nUsage: %s [options] %s\n", c.summary, path, c.args)
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.help))
	}
	own := false
	fs.VisitAll(func(f *flag.Flag) {
		if isConfigOption(f.Name) {
			return
		}
		if !own {
			fmt.Fprintf(w, "\nOptions of this command:\n")
			own = true
		}
		name, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s %s\n        %s\n", f.Name, name, usage)
	})
	fmt.Fprintf(w, "\nHub options (also ARCHIPEL_* variables and --config file):\n")
	printOptions(w)
}

func printOptions(w io.Writer) {
	for _, o := range config.Options {
		def := o.Default
		if def == "" {
			def = "none"
		}
		fmt.Fprintf(w, "  --%-17s %s\n  %-19s %s; default %s; env %s\n", o.Name, o.Usage, "", o.Accepts, def, o.Env())
	}
}

func isConfigOption(name string) bool {
	for _, o := range config.Options {
		if o.Name == name {
			return true
		}
	}
	return false
}

// logger builds the process logger from the configuration.
func (e *env) logger() *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(e.cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if e.cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// withStore adapts a command that works on the hub's database: it opens
// (and migrates) it first and closes it after.
func withStore(fn func(ctx context.Context, e *env, s *store.Store, args []string) error) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.openStore(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		return fn(ctx, e, s, args)
	}
}

// openStore opens the configured database and applies pending migrations,
// so that any command works on a new hub.
func (e *env) openStore(ctx context.Context) (*store.Store, error) {
	s, err := store.Open(ctx, e.cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := jobs.Migrate(ctx, s); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

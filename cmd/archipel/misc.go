package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/archipel/archipel/store"
)

func migrateCommand() *command {
	return &command{
		name: "migrate", summary: "apply database migrations and exit",
		help: `Applies the embedded migrations not yet applied, then River's. Running it
again is harmless; serve does the same at start.`,
		run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
			v, err := s.SchemaVersion(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s database %s is at schema version %d\n", s.Engine(), s.Where(), v)
			return nil
		}),
	}
}

func configCommand() *command {
	return &command{
		name: "config", summary: "print the effective configuration, secrets redacted",
		help: `Prints each option's effective value and where it came from: a flag, an
ARCHIPEL_* variable, the config file or the default. Passwords are redacted.`,
		run: func(ctx context.Context, e *env, args []string) error {
			fmt.Fprintln(e.stdout, strings.Join(e.cfg.Effective(), "\n"))
			return nil
		},
	}
}

func versionCommand() *command {
	return &command{
		name: "version", summary: "print the version",
		run: func(ctx context.Context, e *env, args []string) error {
			v, _ := store.Migrations()
			fmt.Fprintf(e.stdout, "archipel %s (%s, %s/%s, schema %d)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH, len(v))
			return nil
		},
	}
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/store"
)

func userCommand() *command {
	var role, email string
	var pwStdin, asJSON bool
	return &command{
		name:    "user",
		summary: "manage accounts",
		subs: []*command{
			{
				name: "create", args: "NAME", summary: "create an account",
				help: `Creates an account with a role: admin (everything), curator (what the hub
shows and follows) or creator (channels and uploads). Without --password-stdin
a password is generated and printed once.

  echo "$PASSWORD" | archipel user create alice --role creator --password-stdin`,
				flags: func(fs *flag.FlagSet) {
					fs.StringVar(&role, "role", "", "admin, curator or creator (required)")
					fs.StringVar(&email, "email", "", "e-mail address")
					fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of standard input")
				},
				run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
					if role == "" {
						return usagef("--role is required: admin, curator or creator")
					}
					if err := accounts.CheckRole(role); err != nil {
						return usagef("%v", err)
					}
					pw, generated, err := e.password(pwStdin)
					if err != nil {
						return err
					}
					u, err := (&accounts.Service{Store: s}).CreateUser(ctx, args[0], role, email, pw)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "created %s %s\n", u.Role, u.Username)
					if generated {
						fmt.Fprintf(e.stdout, "password: %s\n", pw)
					}
					return nil
				}),
			},
			{
				name: "list", summary: "list accounts",
				flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") },
				run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
					users, err := s.ListUsers(ctx)
					if err != nil {
						return err
					}
					if asJSON {
						type row struct {
							Username    string     `json:"username"`
							Role        string     `json:"role"`
							Email       string     `json:"email,omitempty"`
							Disabled    bool       `json:"disabled"`
							CreatedAt   time.Time  `json:"created_at"`
							LastLoginAt *time.Time `json:"last_login_at"`
						}
						out := []row{}
						for _, u := range users {
							out = append(out, row{u.Username, u.Role, u.Email, u.Disabled, u.CreatedAt, u.LastLoginAt})
						}
						return writeJSON(e.stdout, out)
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "USERNAME\tROLE\tCREATED\tLAST LOGIN")
					for _, u := range users {
						last := "never"
						if u.LastLoginAt != nil {
							last = u.LastLoginAt.Local().Format("2006-01-02 15:04")
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.Role, u.CreatedAt.Local().Format("2006-01-02 15:04"), last)
					}
					return tw.Flush()
				}),
			},
			{
				name: "set-role", args: "NAME ROLE", summary: "change an account's role",
				run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
					if err := accounts.CheckRole(args[1]); err != nil {
						return usagef("%v", err)
					}
					name := strings.ToLower(args[0])
					if err := s.SetUserRole(ctx, name, args[1]); err != nil {
						return noUser(name, err)
					}
					fmt.Fprintf(e.stdout, "%s is now %s\n", name, args[1])
					return nil
				}),
			},
			{
				name: "reset-password", args: "NAME", summary: "set a new password and sign the account out everywhere",
				help: `Without --password-stdin a password is generated and printed once.`,
				flags: func(fs *flag.FlagSet) {
					fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of standard input")
				},
				run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
					pw, generated, err := e.password(pwStdin)
					if err != nil {
						return err
					}
					name := strings.ToLower(args[0])
					if err := (&accounts.Service{Store: s}).SetPassword(ctx, name, pw); err != nil {
						return noUser(name, err)
					}
					fmt.Fprintf(e.stdout, "password of %s reset\n", name)
					if generated {
						fmt.Fprintf(e.stdout, "password: %s\n", pw)
					}
					return nil
				}),
			},
		},
	}
}

func noUser(name string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no account named %q", name)
	}
	return err
}

// password reads a password from stdin, or generates one.
func (e *env) password(fromStdin bool) (pw string, generated bool, err error) {
	if !fromStdin {
		pw, err = accounts.GeneratePassword()
		return pw, true, err
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read password from stdin: %w", err)
	}
	pw = strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", false, usagef("--password-stdin: standard input is empty")
	}
	if err := accounts.CheckPasswordStrength(pw); err != nil {
		return "", false, usagef("%v", err)
	}
	return pw, false, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

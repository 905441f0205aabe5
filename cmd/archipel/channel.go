package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/store"
)

func channelCommand() *command {
	var owner, kind, title, description, language string
	var asJSON bool
	return &command{
		name:    "channel",
		summary: "manage channels",
		subs: []*command{
			{
				name: "create", args: "HANDLE", summary: "create a channel for an account",
				help: `HANDLE names the channel in @HANDLE@host; it shares one namespace with account
names: letters a-z, digits and underscores, at most 30.

  archipel channel create --owner alice --kind podcast --title "Alice talks" alice_talks`,
				flags: func(fs *flag.FlagSet) {
					fs.StringVar(&owner, "owner", "", "name of the owning account (required)")
					fs.StringVar(&kind, "kind", "", "video or podcast (required)")
					fs.StringVar(&title, "title", "", "title (default: the handle)")
					fs.StringVar(&description, "description", "", "description")
					fs.StringVar(&language, "language", "", "language code, e.g. en or fr")
				},
				run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
					if owner == "" || kind == "" {
						return usagef("--owner and --kind are required")
					}
					if err := accounts.CheckKind(kind); err != nil {
						return usagef("%v", err)
					}
					u, err := s.UserByUsername(ctx, strings.ToLower(owner))
					if err != nil {
						return noUser(owner, err)
					}
					c, err := (&accounts.Service{Store: s}).CreateChannel(ctx, u, accounts.ChannelInput{
						Handle: args[0], Kind: kind, Title: title, Description: description, Language: language,
					})
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "created %s channel %s: %s/c/%s\n", c.Kind, c.Handle, e.cfg.PublicURL, c.Handle)
					return nil
				}),
			},
			{
				name: "list", summary: "list local channels",
				flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") },
				run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
					chans, err := s.ListChannels(ctx, store.ChannelFilter{LocalOnly: true})
					if err != nil {
						return err
					}
					if asJSON {
						type row struct {
							Handle    string    `json:"handle"`
							Kind      string    `json:"kind"`
							Title     string    `json:"title"`
							Owner     string    `json:"owner"`
							URL       string    `json:"url"`
							CreatedAt time.Time `json:"created_at"`
						}
						out := []row{}
						for _, c := range chans {
							out = append(out, row{c.Handle, c.Kind, c.Title, c.OwnerUsername, e.cfg.PublicURL.String() + "/c/" + c.Handle, c.CreatedAt})
						}
						return writeJSON(e.stdout, out)
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "HANDLE\tKIND\tOWNER\tTITLE")
					for _, c := range chans {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Handle, c.Kind, c.OwnerUsername, c.Title)
					}
					return tw.Flush()
				}),
			},
		},
	}
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/store"
)

// cliDecider is who the record says decided, for decisions made here.
const cliDecider = "command line"

func applicationCommand() *command {
	var asJSON bool
	var message string
	messageFlag := func(usage string) func(fs *flag.FlagSet) {
		return func(fs *flag.FlagSet) { fs.StringVar(&message, "message", "", usage) }
	}
	return &command{
		name:    "application",
		summary: "read and decide creator applications",
		subs: []*command{
			{
				name: "list", summary: "list applications, pending first",
				help:  `Lists the pending applications, oldest first, then the 50 latest decisions.`,
				flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") },
				run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
					apps, err := s.ListApplications(ctx, 50)
					if err != nil {
						return err
					}
					if asJSON {
						type row struct {
							ID            int64      `json:"id"`
							State         string     `json:"state"`
							Name          string     `json:"name"`
							Email         string     `json:"email"`
							Username      string     `json:"username"`
							ChannelHandle string     `json:"channel_handle"`
							ChannelTitle  string     `json:"channel_title"`
							ChannelKind   string     `json:"channel_kind"`
							Motivation    string     `json:"motivation"`
							Links         []string   `json:"links"`
							Message       string     `json:"message"`
							DecidedBy     string     `json:"decided_by"`
							DecidedAt     *time.Time `json:"decided_at"`
							CreatedAt     time.Time  `json:"created_at"`
						}
						out := []row{}
						for _, a := range apps {
							links := a.Links
							if links == nil {
								links = []string{}
							}
							out = append(out, row{a.ID, a.State, a.Name, a.Email, a.Username, a.ChannelHandle, a.ChannelTitle,
								a.ChannelKind, a.Motivation, links, a.Message, a.DecidedBy, a.DecidedAt, a.CreatedAt})
						}
						return writeJSON(e.stdout, out)
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "ID\tSTATE\tNAME\tEMAIL\tUSERNAME\tCHANNEL\tAPPLIED\tDECIDED BY")
					for _, a := range apps {
						fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s (%s)\t%s\t%s\n", a.ID, a.State, a.Name, a.Email, a.Username,
							a.ChannelHandle, a.ChannelKind, a.CreatedAt.Local().Format("2006-01-02 15:04"), a.DecidedBy)
					}
					return tw.Flush()
				}),
			},
			{
				name: "approve", args: "ID", summary: "approve an application: create its account and channel",
				help: `Creates the creator account and the channel the application asks for; the
applicant sets their password from their status link. The decision is
recorded as made by "command line".`,
				flags: messageFlag("message shown to the applicant (optional)"),
				run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
					id, err := applicationID(args[0])
					if err != nil {
						return err
					}
					a, err := (&accounts.Service{Store: s}).ApproveApplication(ctx, id, store.Decision{By: cliDecider, Message: message})
					if err != nil {
						return applicationErr(id, err)
					}
					fmt.Fprintf(e.stdout, "approved application %d: created creator %s and %s channel %s; the applicant sets their password from their status link\n",
						a.ID, a.Username, a.ChannelKind, a.ChannelHandle)
					return nil
				}),
			},
			{
				name: "decline", args: "ID", summary: "decline an application with a message",
				help:  `The message (required) is shown to the applicant on their status page.`,
				flags: messageFlag("why the application is declined, shown to the applicant (required)"),
				run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
					id, err := applicationID(args[0])
					if err != nil {
						return err
					}
					if message == "" {
						return usagef("--message is required: the applicant reads it on their status page")
					}
					a, err := (&accounts.Service{Store: s}).DeclineApplication(ctx, id, store.Decision{By: cliDecider, Message: message})
					if err != nil {
						return applicationErr(id, err)
					}
					fmt.Fprintf(e.stdout, "declined application %d (%s)\n", a.ID, a.Name)
					return nil
				}),
			},
		},
	}
}

func applicationID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("%q is not an application ID (see archipel application list)", arg)
	}
	return id, nil
}

func applicationErr(id int64, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("no application %d (see archipel application list)", id)
	case errors.Is(err, store.ErrAlreadyDecided):
		return fmt.Errorf("application %d has already been decided (see archipel application list)", id)
	}
	return err
}

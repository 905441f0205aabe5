package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/archipel/archipel/curation"
	"github.com/archipel/archipel/store"
)

// curatorOf builds the curation service on s (its jobs are worked by a
// running 'archipel serve').
func (e *env) curatorOf(s *store.Store) (*curation.Curator, error) {
	h, err := e.newServices(s, false)
	if err != nil {
		return nil, err
	}
	return &curation.Curator{Store: s, Federation: h.federation}, nil
}

func splitFlag(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

func followCommand() *command {
	var languages, tags, list string
	var autoAccept, sensitive, mirror bool
	var minDuration time.Duration
	return &command{
		name: "follow", args: "TARGET", summary: "make the hub follow an instance, a channel, an account or a podcast",
		help: `TARGET is @name@host (a channel, an account, a podcast), an actor's URL, or a bare
host (the whole instance: PeerTube's instance actor, found through NodeInfo).
The hub's instance actor sends Follow; 'archipel follows' shows when it is
accepted. What the target publishes then arrives in the review queue
('archipel review list'), or is accepted at once with --auto-accept.

  archipel follow @bluesky_films@videos.example --languages en,fr --min-duration 2m
  archipel follow peertube.example --auto-accept --tags science`,
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&autoAccept, "auto-accept", false, "accept its items without review")
			fs.StringVar(&languages, "languages", "", "only items in these languages (comma-separated codes)")
			fs.StringVar(&tags, "tags", "", "only items with one of these tags (comma-separated)")
			fs.BoolVar(&sensitive, "sensitive", false, "let sensitive items in")
			fs.DurationVar(&minDuration, "min-duration", 0, "only items at least this long")
			fs.BoolVar(&mirror, "mirror", false, "keep a copy of accepted items' media here, served and seeded like local files")
			fs.StringVar(&list, "list", "off", "for a hub: its curation list's changes are ignored (off), proposed for review (review) or applied (auto)")
		},
		run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
			if list != store.ListOff && list != store.ListReview && list != store.ListAuto {
				return usagef("--list is off, review or auto")
			}
			c, err := e.curatorOf(s)
			if err != nil {
				return err
			}
			f, err := c.Follow(ctx, args[0], store.FollowSettings{Review: !autoAccept, Languages: splitFlag(languages),
				Tags: splitFlag(tags), AllowSensitive: sensitive, MinDuration: minDuration, ListMode: list, Mirror: mirror}, nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "following %s (%s, %s): %s\n", f.Actor.URI, f.Actor.Kind, handleOf(f.Actor), f.State)
			return nil
		}),
	}
}

func unfollowCommand() *command {
	return &command{
		name: "unfollow", args: "TARGET", summary: "stop following an actor (its indexed items stay)",
		run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
			c, err := e.curatorOf(s)
			if err != nil {
				return err
			}
			f, err := c.Unfollow(ctx, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "unfollowed %s\n", f.Actor.URI)
			return nil
		}),
	}
}

func handleOf(a *store.Actor) string { return "@" + a.Username + "@" + a.Domain }

func followsCommand() *command {
	var asJSON bool
	return &command{
		name: "follows", summary: "list the hub's follows and their state",
		flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") },
		run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
			follows, err := s.CuratedFollows(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				type row struct {
					Target         string    `json:"target"`
					Actor          string    `json:"actor"`
					Handle         string    `json:"handle"`
					Kind           string    `json:"kind"`
					State          string    `json:"state"`
					Review         bool      `json:"review"`
					Languages      []string  `json:"languages"`
					Tags           []string  `json:"tags"`
					AllowSensitive bool      `json:"allow_sensitive"`
					MinDuration    float64   `json:"min_duration_seconds"`
					CreatedBy      string    `json:"created_by"`
					CreatedAt      time.Time `json:"created_at"`
				}
				out := []row{}
				for _, f := range follows {
					st := f.Settings
					out = append(out, row{f.Target, f.Actor.URI, handleOf(f.Actor), f.Actor.Kind, f.State, st.Review,
						orEmpty(st.Languages), orEmpty(st.Tags), st.AllowSensitive, st.MinDuration.Seconds(), f.CreatedBy, f.CreatedAt})
				}
				return writeJSON(e.stdout, out)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TARGET\tKIND\tSTATE\tITEMS\tACTOR")
			for _, f := range follows {
				mode := "reviewed"
				if !f.Settings.Review {
					mode = "auto-accepted"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Target, f.Actor.Kind, f.State, mode, f.Actor.URI)
			}
			return tw.Flush()
		}),
	}
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func reviewCommand() *command {
	var asJSON bool
	decide := func(accept bool) func(context.Context, *env, *store.Store, []string) error {
		return func(ctx context.Context, e *env, s *store.Store, args []string) error {
			item, err := s.ItemByPublicID(ctx, args[0])
			if err != nil {
				return fmt.Errorf("no item %q: %w", args[0], err)
			}
			c, err := e.curatorOf(s)
			if err != nil {
				return err
			}
			changed, err := c.Decide(ctx, []int64{item.ID}, accept, nil)
			if err != nil {
				return err
			}
			if len(changed) == 0 {
				return fmt.Errorf("%s is not waiting for review (it is %s)", item.PublicID, item.ReviewState)
			}
			fmt.Fprintf(e.stdout, "%s %s: %s\n", changed[0].ReviewState, item.PublicID, item.Title)
			return nil
		}
	}
	return &command{
		name: "review", summary: "work the review queue of remote items",
		subs: []*command{
			{
				name: "list", summary: "list the items waiting for review, oldest first",
				flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") },
				run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
					items, err := s.ReviewQueue(ctx, 1000, 0)
					if err != nil {
						return err
					}
					if asJSON {
						type row struct {
							ID        string    `json:"id"`
							Kind      string    `json:"kind"`
							Title     string    `json:"title"`
							Channel   string    `json:"channel"`
							Origin    string    `json:"origin"`
							Duration  float64   `json:"duration_seconds"`
							CreatedAt time.Time `json:"created_at"`
						}
						out := []row{}
						for _, it := range items {
							out = append(out, row{it.PublicID, it.Kind, it.Title, it.ChannelTitle, it.OriginURI, it.Duration.Seconds(), it.CreatedAt})
						}
						return writeJSON(e.stdout, out)
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "ID\tKIND\tCHANNEL\tTITLE\tORIGIN")
					for _, it := range items {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.PublicID, it.Kind, it.ChannelTitle, it.Title, it.OriginURI)
					}
					return tw.Flush()
				}),
			},
			{name: "accept", args: "ID", summary: "accept a remote item: it appears on the hub", run: withStore(decide(true))},
			{name: "reject", args: "ID", summary: "reject a remote item: it stays hidden", run: withStore(decide(false))},
		},
	}
}

func instanceCommand() *command {
	set := func(policy, done string) func(context.Context, *env, *store.Store, []string) error {
		return func(ctx context.Context, e *env, s *store.Store, args []string) error {
			host := strings.ToLower(strings.TrimSpace(args[0]))
			if host == "" || strings.ContainsAny(host, "/@ ") {
				return usagef("give a host name, such as videos.example")
			}
			c, err := e.curatorOf(s)
			if err != nil {
				return err
			}
			// Through federation: blocks are announced on the hub's list.
			if err := c.Federation.SetInstancePolicy(ctx, host, policy); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s %s\n", host, done)
			return nil
		}
	}
	return &command{
		name: "instance", summary: "set the hub's policy toward another server",
		subs: []*command{
			{name: "block", args: "HOST", summary: "refuse everything from HOST and purge what the hub holds from it (its actors, items, comments, follows)",
				run: withStore(set(store.PolicyBlock, "blocked: its actors, items and comments are purged"))},
			{name: "mute", args: "HOST", summary: "keep HOST's items out of the hub's listings", run: withStore(set(store.PolicyMute, "muted"))},
			{name: "limit", args: "HOST", summary: "keep HOST's items out of listings and always reviewed, even from auto-accepting follows", run: withStore(set(store.PolicyLimit, "limited"))},
			{name: "reset", args: "HOST", summary: "federate with HOST normally again", run: withStore(set(store.PolicyNone, "federated normally"))},
			{name: "allow", args: "HOST", summary: "approve HOST (what allowlist mode federates with)", run: withStore(set(store.PolicyAllow, "allowed"))},
			{name: "mode", args: "MODE", summary: "federate with every server but blocked ones (open) or only with allowed ones (allowlist)",
				run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
					if err := s.SetFederationMode(ctx, args[0]); err != nil {
						return usagef("%v", err)
					}
					fmt.Fprintf(e.stdout, "federation mode: %s\n", args[0])
					return nil
				})},
		},
	}
}

func proposalsCommand() *command {
	var asJSON bool
	decide := func(apply bool) func(context.Context, *env, *store.Store, []string) error {
		return func(ctx context.Context, e *env, s *store.Store, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usagef("ID is a number, as 'archipel proposals list' shows")
			}
			c, err := e.curatorOf(s)
			if err != nil {
				return err
			}
			p, err := c.DecideProposal(ctx, id, apply, "command line")
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: %s %s\n", p.State, p.Action, p.Target)
			return nil
		}
	}
	return &command{
		name: "proposals", summary: "changes proposed by the curation lists the hub subscribes to",
		subs: []*command{
			{
				name: "list", summary: "list the proposals, pending first",
				flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") },
				run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
					ps, err := s.Proposals(ctx, "", 1000)
					if err != nil {
						return err
					}
					if asJSON {
						type row struct {
							ID        int64     `json:"id"`
							From      string    `json:"from"`
							Action    string    `json:"action"`
							Target    string    `json:"target"`
							Coll      string    `json:"collection,omitempty"`
							State     string    `json:"state"`
							Note      string    `json:"note,omitempty"`
							CreatedAt time.Time `json:"created_at"`
						}
						out := []row{}
						for _, p := range ps {
							out = append(out, row{p.ID, p.From.URI, p.Action, p.Target, p.Collection, p.State, p.Note, p.CreatedAt})
						}
						return writeJSON(e.stdout, out)
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "ID\tSTATE\tFROM\tPROPOSES")
					for _, p := range ps {
						what := p.Action + " " + p.Target
						if p.Collection != "" {
							what += " in " + p.Collection
						}
						fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", p.ID, p.State, p.From.Domain, what)
					}
					return tw.Flush()
				}),
			},
			{name: "apply", args: "ID", summary: "carry a proposal out", run: withStore(decide(true))},
			{name: "dismiss", args: "ID", summary: "set a proposal aside", run: withStore(decide(false))},
		},
	}
}

func actorCommand() *command {
	set := func(action string) func(context.Context, *env, *store.Store, []string) error {
		return func(ctx context.Context, e *env, s *store.Store, args []string) error {
			a, err := s.RemoteActorByURI(ctx, strings.TrimSpace(args[0]))
			if err != nil {
				return fmt.Errorf("no remote actor %q is known here (give its id, as 'archipel follows' shows): %w", args[0], err)
			}
			switch action {
			case store.PolicyBlock:
				err = s.SetActorPolicy(ctx, a.ID, store.PolicyBlock)
			case "reset":
				if err = s.SetActorPolicy(ctx, a.ID, store.PolicyNone); err == nil {
					err = s.SetActorListing(ctx, a.ID, store.PolicyNone)
				}
			default:
				err = s.SetActorListing(ctx, a.ID, action)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: %s\n", a.URI, action)
			return nil
		}
	}
	return &command{
		name: "actor", summary: "set the hub's policy toward one remote actor",
		subs: []*command{
			{name: "block", args: "URI", summary: "refuse the actor and purge its comments, reactions, follows, its channel's items and the items it brought still awaiting review", run: withStore(set(store.PolicyBlock))},
			{name: "mute", args: "URI", summary: "keep the actor's items out of listings", run: withStore(set(store.PolicyMute))},
			{name: "limit", args: "URI", summary: "keep the actor's items out of listings and always reviewed", run: withStore(set(store.PolicyLimit))},
			{name: "reset", args: "URI", summary: "lift any of those", run: withStore(set("reset"))},
		},
	}
}

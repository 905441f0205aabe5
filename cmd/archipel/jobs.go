package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/curation"
	"github.com/archipel/archipel/curation/podimport"
	"github.com/archipel/archipel/federation"
	"github.com/archipel/archipel/federation/httpclient"
	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/media"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/store"
)

// services holds the long-lived services that commands and jobs share.
type services struct {
	store      *store.Store
	library    *library.Library
	uploads    *media.Uploads
	federation *federation.Service
	websub     *curation.WebSub // pings the configured WebSub hub; Hub "" : none
	runner     *jobs.Runner
	registry   *prometheus.Registry // metrics of every service; serve exposes it at /metrics
	importer   *podimport.Importer  // podcasts from their feeds (CLI and the web form's jobs)
	// importTimeout bounds one run of a background import, below the
	// rescue delay so that a long import is never started twice.
	importTimeout time.Duration
}

// newServices builds the services on s and a job runner; work says whether this
// process works jobs (serve) or only inserts them (command-line tools).
func (e *env) newServices(s *store.Store, work bool) (*services, error) {
	lib, err := e.newLibrary(s)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	fed, err := federation.New(federation.Config{
		Store: s, Library: lib, PublicURL: e.cfg.PublicURL, Version: version, Logger: e.logger(), Registry: reg,
		AllowPrivateAddresses: e.cfg.FederationAllowPrivate, DateWindow: e.cfg.FederationDateWindow,
		MaxInboxBody: e.cfg.FederationMaxInbox,
	})
	if err != nil {
		return nil, err
	}
	ws := &curation.WebSub{Store: s, Client: fed.Client(), Hub: e.cfg.WebSubHub,
		Feeds: &curation.Feeds{Store: s, Library: lib, PublicURL: e.cfg.PublicURL}}
	lib.Events = library.EventsList{fed, ws}
	imp, err := e.newImporter(s, lib)
	if err != nil {
		return nil, err
	}
	h := &services{
		store:      s,
		library:    lib,
		federation: fed,
		websub:     ws,
		registry:   reg,
		uploads: &media.Uploads{
			Dir: e.uploadsDir(), BasePath: "/api/uploads/", MaxSize: e.cfg.MaxUploadSize,
			Expiry: e.cfg.UploadExpiry, Logger: e.logger(),
		},
	}
	h.importer, h.importTimeout = imp, max(e.cfg.JobRescueAfter*5/6, time.Minute)
	w, periodic := registerWorkers(h)
	node := e.cfg.NodeName
	if !work {
		// River client IDs must be unique among live processes.
		node = fmt.Sprintf("%s-cli-%d", node, time.Now().UnixNano())
	}
	h.runner, err = jobs.New(s, w, jobs.Config{
		NodeName: node,
		Workers:  e.cfg.JobWorkers,
		Queues: map[string]int{
			library.TranscodeQueue:     e.cfg.TranscodeWorkers,
			federation.QueueFederation: e.cfg.FederationWorkers,
		},
		RescueAfter:     e.cfg.JobRescueAfter,
		ShutdownTimeout: e.cfg.ShutdownTimeout,
		Logger:          e.logger(),
		Periodic:        periodic,
		Work:            work,
	})
	if err != nil {
		return nil, err
	}
	lib.Queue = h.runner
	fed.SetQueue(h.runner)
	ws.Queue = h.runner
	return h, nil
}

// newImporter builds the podcast importer. Its requests go through an
// SSRF-guarded client of its own: feeds are larger than federation
// documents, and downloads stream.
func (e *env) newImporter(s *store.Store, lib *library.Library) (*podimport.Importer, error) {
	client, err := httpclient.New(httpclient.Config{
		UserAgent:    fmt.Sprintf("Archipel/%s (+%s)", version, e.cfg.PublicURL),
		AllowPrivate: e.cfg.FederationAllowPrivate,
		Timeout:      time.Minute,
		MaxBody:      podimport.DefaultMaxFeed,
	})
	if err != nil {
		return nil, err
	}
	return &podimport.Importer{
		Store: s, Accounts: &accounts.Service{Store: s}, Library: lib, Fetcher: podimport.HTTP{Client: client},
		WorkDir: filepath.Join(e.cfg.DataDir, "work", "imports"), Logger: e.logger(),
	}, nil
}

// registerWorkers is the one place where every job kind is registered.
// Each package defines its job arguments and worker; this composition root
// gives them their dependencies.
func registerWorkers(h *services) (*river.Workers, []*river.PeriodicJob) {
	w := river.NewWorkers()
	river.AddWorker(w, &jobs.ProbeWorker{Store: h.store})
	river.AddWorker(w, &accounts.SessionCleanupWorker{Store: h.store})
	river.AddWorker(w, &library.TranscodeWorker{Library: h.library})
	river.AddWorker(w, &library.SweepUploadsWorker{Uploads: h.uploads})
	river.AddWorker(w, &library.TorrentSweepWorker{Library: h.library})
	river.AddWorker(w, &federation.InboxWorker{Service: h.federation})
	river.AddWorker(w, &federation.DeliverWorker{Service: h.federation})
	river.AddWorker(w, &federation.BackfillWorker{Service: h.federation})
	river.AddWorker(w, &federation.MirrorWorker{Service: h.federation})
	river.AddWorker(w, &podimport.Worker{Importer: h.importer, JobTimeout: h.importTimeout})
	river.AddWorker(w, &curation.WebSubWorker{WebSub: h.websub})

	hourly := func(args river.JobArgs) *river.PeriodicJob {
		return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return args, nil },
			&river.PeriodicJobOpts{RunOnStart: true})
	}
	return w, []*river.PeriodicJob{
		// Drains the inbox when no commit woke a drain (see InboxArgs).
		river.NewPeriodicJob(river.PeriodicInterval(federation.InboxSweepEvery),
			func() (river.JobArgs, *river.InsertOpts) { return federation.InboxArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
		hourly(accounts.SessionCleanupArgs{}),
		hourly(library.SweepUploadsArgs{}),
		hourly(library.TorrentSweepArgs{}),
	}
}

func jobsCommand() *command {
	var sleep time.Duration
	var wait bool
	var timeout time.Duration
	return &command{
		name:    "jobs",
		summary: "inspect the background job queue",
		subs: []*command{{
			name: "probe", summary: "queue a diagnostic job and (with --wait) see it done",
			help: `Queues a job that sleeps, then records that it ran. With --wait, waits until a
running 'archipel serve' has worked it and prints its attempts: a quick check
that the queue works, even across restarts.`,
			flags: func(fs *flag.FlagSet) {
				fs.DurationVar(&sleep, "sleep", 0, "how long the job works")
				fs.BoolVar(&wait, "wait", false, "wait for the job to complete")
				fs.DurationVar(&timeout, "timeout", 2*time.Minute, "how long --wait waits")
			},
			run: withStore(func(ctx context.Context, e *env, s *store.Store, args []string) error {
				h, err := e.newServices(s, false)
				if err != nil {
					return err
				}
				r := h.runner
				b := make([]byte, 8)
				rand.Read(b)
				token := hex.EncodeToString(b)
				id, err := r.Insert(ctx, jobs.ProbeArgs{Token: token, Sleep: sleep}, nil)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "queued probe job %d (token %s)\n", id, token)
				if !wait {
					return nil
				}
				ctx, cancel := context.WithTimeout(ctx, timeout)
				defer cancel()
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for {
					if p, err := s.Probe(ctx, token); err == nil && p.CompletedAt != nil {
						fmt.Fprintf(e.stdout, "probe job %d completed after %d attempt(s)\n", id, p.Attempts)
						return nil
					}
					select {
					case <-ctx.Done():
						return fmt.Errorf("probe job %d not completed within %s: is 'archipel serve' running on this database?", id, timeout)
					case <-tick.C:
					}
				}
			}),
		}},
	}
}

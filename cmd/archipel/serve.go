package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/archipel/archipel/accounts"
	"github.com/archipel/archipel/jobs"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/web"
)

func serveCommand() *command {
	return &command{
		name: "serve", summary: "run the hub (the default command)",
		help: `Opens (and creates) the database, applies migrations, creates the first admin
account if there is none, starts the background jobs and serves HTTP until
SIGINT or SIGTERM, then waits for requests and running jobs to finish (up to
--shutdown-timeout).`,
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 0 {
				return usagef("unexpected arguments %q", args)
			}
			return serve(ctx, e)
		},
	}
}

func serve(ctx context.Context, e *env) error {
	started := time.Now()
	log := e.logger()
	s, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := ensureAdmin(ctx, e, s, log); err != nil {
		return err
	}
	// A first run hashed a password (argon2id, 19 MiB) and made a key
	// pair: give that memory back now rather than hold it while idle.
	debug.FreeOSMemory()
	lock, err := jobs.LockNode(ctx, s, e.cfg.NodeName)
	if err != nil {
		return err
	}
	defer lock.Release()

	h, err := e.newServices(s, true)
	if err != nil {
		return err
	}
	runner := h.runner
	reg := h.registry
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)
	p2p, err := e.startP2P(ctx, h)
	if err != nil {
		return err
	}
	defer p2p.close()
	handler, err := web.New(ctx, web.Deps{
		Store:      s,
		Accounts:   &accounts.Service{Store: s, AutoApproveDomains: e.cfg.AutoApproveDomains},
		Logger:     log,
		PublicURL:  e.cfg.PublicURL,
		Registry:   reg,
		SessionTTL: e.cfg.SessionTTL,
		Version:    version,
		Library:    h.library,
		FeedItems:  e.cfg.FeedItems,
		Importer:   h.importer,
		Uploads:    h.uploads,
		Federation: h.federation,
		Tracker:    p2p.handler(),
		P2P:        e.cfg.P2P,
		ICEServers: e.cfg.ICEServers,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", e.cfg.Listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", e.cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		// Whole-request limits for ordinary pages; handlers that stream
		// (uploads, media) extend their own deadlines with
		// http.ResponseController.
		ReadTimeout:    2 * time.Minute,
		WriteTimeout:   2 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if err := runner.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("archipel is serving", "url", e.cfg.PublicURL.String(), "listen", ln.Addr().String(),
		"database", string(s.Engine())+":"+s.Where(), "node", e.cfg.NodeName, "version", version,
		"startup", time.Since(started).Round(time.Millisecond))

	select {
	case err = <-serveErr:
		err = fmt.Errorf("HTTP server: %w", err)
	case <-ctx.Done():
		log.Info("shutting down", "timeout", e.cfg.ShutdownTimeout)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), e.cfg.ShutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(shutdownCtx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		log.Warn("HTTP shutdown", "error", serr)
	}
	if jerr := runner.Stop(); jerr != nil {
		log.Warn("job shutdown", "error", jerr)
	}
	log.Info("stopped")
	return err
}

// ensureAdmin creates the first admin account when the hub has none: with
// --admin-password if given, or a generated password printed once.
func ensureAdmin(ctx context.Context, e *env, s *store.Store, log *slog.Logger) error {
	n, err := s.CountUsersWithRole(ctx, store.RoleAdmin)
	if err != nil || n > 0 {
		return err
	}
	pw, generated := e.cfg.AdminPassword, false
	if pw == "" {
		if pw, err = accounts.GeneratePassword(); err != nil {
			return err
		}
		generated = true
	}
	u, err := (&accounts.Service{Store: s}).CreateUser(ctx, "admin", store.RoleAdmin, "", pw)
	var fe *accounts.FieldError
	if errors.As(err, &fe) {
		// Another node created it meanwhile, or "admin" names a channel.
		log.Warn("first admin account not created", "reason", fe.Message)
		return nil
	}
	if err != nil {
		return err
	}
	if generated {
		fmt.Fprintf(e.stdout, `
  First start: the admin account was created.
    sign in at  %s/login
    username    %s
    password    %s
  This password is shown once. Change it with: archipel user reset-password %s

`, e.cfg.PublicURL, u.Username, pw, u.Username)
	} else {
		log.Info("first start: admin account created with the password from admin-password", "username", u.Username)
	}
	return nil
}

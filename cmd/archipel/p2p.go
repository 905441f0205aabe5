package main

import (
	"context"
	"net"
	"net/http"
	"strconv"

	"github.com/pion/webrtc/v4"

	"github.com/archipel/archipel/config"
	"github.com/archipel/archipel/media/library"
	"github.com/archipel/archipel/media/seed"
	"github.com/archipel/archipel/media/tracker"
)

// p2p is the peer-to-peer side of a serving hub: the WebTorrent tracker
// and the seeder. Both are nil with --p2p=false; the seeder is nil with
// --seed-max=0.
type p2p struct {
	tracker *tracker.Tracker
	seeder  *seed.Seeder
	cancel  context.CancelFunc
	done    chan struct{}
}

// startP2P starts the tracker and the seeder (which reconciles its
// torrents with the database until close).
func (e *env) startP2P(ctx context.Context, h *services) (*p2p, error) {
	p := &p2p{}
	if !e.cfg.P2P {
		return p, nil
	}
	known := &library.KnownTorrents{Store: h.store}
	t, err := tracker.New(tracker.Config{Known: known.Known, Logger: e.logger(), Registerer: h.registry})
	if err != nil {
		return nil, err
	}
	p.tracker = t
	if e.cfg.SeedMax == 0 {
		return p, nil
	}
	s, err := seed.New(seed.Config{
		Store: h.store, Storage: h.library.Storage, PublicURL: e.cfg.PublicURL,
		ListenPort: e.cfg.BTPort, ICEServers: iceServers(e.cfg.ICEServers),
		MaxTorrents: e.cfg.SeedMax, WebRTCTorrents: webRTCTorrents(e.cfg.SeedWebRTC),
		Logger: e.logger(), Registerer: h.registry,
	})
	if err != nil {
		t.Close()
		return nil, err
	}
	if e.cfg.BTPort != 0 {
		// Magnet links name the seeder, so that BitTorrent clients find
		// it without DHT or a TCP tracker.
		h.library.BTPeer = net.JoinHostPort(e.cfg.PublicURL.Hostname(), strconv.Itoa(e.cfg.BTPort))
	}
	p.seeder = s
	if list, ok := h.library.Events.(library.EventsList); ok {
		h.library.Events = append(list, s) // publications wake it
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		s.Run(runCtx)
	}()
	return p, nil
}

// handler is the tracker's WebSocket endpoint, or nil.
func (p *p2p) handler() http.Handler {
	if p.tracker == nil {
		return nil
	}
	return p.tracker
}

func (p *p2p) close() {
	if p.cancel != nil {
		p.cancel()
		<-p.done
	}
	if p.tracker != nil {
		p.tracker.Close()
	}
}

// iceServers turns --ice-servers into WebRTC's form.
func iceServers(list []config.ICEServer) []webrtc.ICEServer {
	var out []webrtc.ICEServer
	for _, s := range list {
		out = append(out, webrtc.ICEServer{URLs: []string{s.URL}, Username: s.Username, Credential: s.Credential})
	}
	return out
}

// webRTCTorrents is --seed-webrtc-max for seed.Config, where 0 means the
// default and a negative number none.
func webRTCTorrents(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

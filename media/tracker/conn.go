package tracker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/coder/websocket"
)

// conn is one WebSocket. Its handler goroutine reads; writeLoop writes
// everything queued on out, one message at a time with a timeout, so relaying
// to a slow peer never blocks the sender.
type conn struct {
	t      *Tracker
	ws     *websocket.Conn
	ip     string
	out    chan []byte
	closeq chan closeReq
	stop   chan struct{} // closed when the reader is done and no close is pending
	done   chan struct{} // closed when writeLoop returns

	strikes int // consecutive rate-limited requests; reader goroutine only

	// swarms maps the swarms this socket announced in to its peer there.
	// Guarded by t.mu.
	swarms map[[20]byte]*peer
}

type closeReq struct {
	code   websocket.StatusCode
	reason string
}

// request is any message a peer sends. The binary strings decode to Go
// strings of code points; offers and answers stay raw JSON and are relayed
// as received.
type request struct {
	Action   string          `json:"action"`
	InfoHash json.RawMessage `json:"info_hash"` // string, or array for scrape
	PeerID   string          `json:"peer_id"`
	Left     json.RawMessage `json:"left"`
	Event    string          `json:"event"`
	Offers   []struct {
		OfferID string          `json:"offer_id"`
		Offer   json.RawMessage `json:"offer"`
	} `json:"offers"`
	Answer   json.RawMessage `json:"answer"`
	ToPeerID string          `json:"to_peer_id"`
	OfferID  string          `json:"offer_id"`
}

type announceReply struct {
	Action     string `json:"action"`
	InfoHash   string `json:"info_hash"`
	Interval   int    `json:"interval"`
	Complete   int    `json:"complete"`
	Incomplete int    `json:"incomplete"`
}

type failureReply struct {
	Action        string `json:"action,omitempty"`
	FailureReason string `json:"failure reason"`
	InfoHash      string `json:"info_hash,omitempty"`
}

type offerMsg struct {
	Action   string          `json:"action"`
	Offer    json.RawMessage `json:"offer"`
	OfferID  string          `json:"offer_id"`
	PeerID   string          `json:"peer_id"`
	InfoHash string          `json:"info_hash"`
}

type answerMsg struct {
	Action   string          `json:"action"`
	Answer   json.RawMessage `json:"answer"`
	OfferID  string          `json:"offer_id"`
	PeerID   string          `json:"peer_id"`
	InfoHash string          `json:"info_hash"`
}

type fileStats struct {
	Complete   int `json:"complete"`
	Incomplete int `json:"incomplete"`
	Downloaded int `json:"downloaded"`
}

type scrapeReply struct {
	Action string               `json:"action"`
	Files  map[string]fileStats `json:"files"`
}

// readLoop reads until the socket fails or a handler asks to close it, in
// which case it returns true and the close is queued behind pending writes.
func (c *conn) readLoop() (closing bool) {
	for {
		_, data, err := c.ws.Read(c.t.ctx)
		if err != nil {
			if errors.Is(err, websocket.ErrMessageTooBig) {
				c.t.metrics.refusals.WithLabelValues("too_big").Inc()
				c.t.log.Debug("message too big, socket closed", "ip", c.ip)
			}
			return false
		}
		if c.handle(data) {
			return true
		}
	}
}

// handle serves one message and reports whether the socket must close.
func (c *conn) handle(data []byte) (closing bool) {
	var req request
	if err := json.Unmarshal(data, &req); err != nil {
		c.refuse("invalid", failureReply{FailureReason: "invalid message"})
		return false
	}
	switch req.Action {
	case "announce":
		return c.announce(&req)
	case "scrape":
		return c.scrape(&req)
	default:
		c.refuse("invalid", failureReply{FailureReason: "invalid action"})
		return false
	}
}

// limited applies the per-IP rate; past maxStrikes refusals in a row it
// queues a close and returns true.
func (c *conn) limited(action, ih string) (refused, closing bool) {
	if c.t.allow(c.ip) {
		c.strikes = 0
		return false, false
	}
	c.strikes++
	c.refuse("rate_limited", failureReply{Action: action, FailureReason: "too many requests, slow down", InfoHash: ih})
	if c.strikes >= maxStrikes {
		c.t.log.Warn("closing tracker socket over request rate", "ip", c.ip)
		c.requestClose(websocket.StatusPolicyViolation, "rate limit")
		return true, true
	}
	return true, false
}

func (c *conn) announce(req *request) (closing bool) {
	t := c.t
	var ihStr string
	if err := json.Unmarshal(req.InfoHash, &ihStr); err != nil {
		c.refuse("invalid", failureReply{Action: "announce", FailureReason: "invalid info_hash"})
		return false
	}
	ih, err := fromBinary(ihStr)
	if err != nil {
		c.refuse("invalid", failureReply{Action: "announce", FailureReason: "invalid info_hash"})
		return false
	}
	pid, err := fromBinary(req.PeerID)
	if err != nil {
		c.refuse("invalid", failureReply{Action: "announce", FailureReason: "invalid peer_id", InfoHash: ihStr})
		return false
	}
	isAnswer := len(req.Answer) > 0 && !bytes.Equal(req.Answer, []byte("null"))
	var toPid [20]byte
	if isAnswer {
		if toPid, err = fromBinary(req.ToPeerID); err != nil {
			c.refuse("invalid", failureReply{Action: "announce", FailureReason: "invalid to_peer_id", InfoHash: ihStr})
			return false
		}
	} else {
		// Answers are not rate limited: they follow offers this tracker relayed.
		if refused, closing := c.limited("announce", ihStr); refused {
			return closing
		}
		t.metrics.announces.Inc()
	}
	if t.cfg.Known == nil || !t.cfg.Known(ih) {
		c.refuse("unknown_infohash", failureReply{Action: "announce", FailureReason: "unknown info_hash: this tracker only serves its own videos", InfoHash: ihStr})
		return false
	}

	event := req.Event
	switch event {
	case "started", "stopped", "completed", "update", "paused":
	default:
		event = "update" // missing or unknown, e.g. anacrolix's "<regular>"
	}
	seeding := event == "completed" || leftIsZero(req.Left)

	var (
		targets  []*peer
		answerTo *peer
		reply    announceReply
	)
	t.mu.Lock()
	s := t.swarms[ih]
	if s == nil {
		s = &swarm{peers: make(map[[20]byte]*peer)}
		t.swarms[ih] = s
	}
	p := s.peers[pid]
	if event == "stopped" {
		if p != nil && p.c == c {
			t.removePeerLocked(ih, p)
			delete(c.swarms, ih)
		}
	} else {
		if p == nil || p.c != c {
			if p == nil && len(s.peers) >= t.cfg.MaxPeersPerSwarm {
				if len(s.peers) == 0 {
					delete(t.swarms, ih)
				}
				t.mu.Unlock()
				c.refuse("swarm_full", failureReply{Action: "announce", FailureReason: "swarm is full", InfoHash: ihStr})
				return false
			}
			if old := c.swarms[ih]; old != nil {
				t.removePeerLocked(ih, old) // this socket changed its peer_id
			}
			np := &peer{c: c, id: req.PeerID}
			if p != nil { // the peer_id moved to this socket: take it over
				delete(p.c.swarms, ih)
				np.seeder = p.seeder
				t.removePeerLocked(ih, p)
				if t.swarms[ih] == nil {
					t.swarms[ih] = s
				}
			}
			p = np
			s.peers[pid] = p
			if p.seeder {
				s.complete++
			}
			c.swarms[ih] = p
		}
		if seeding && !p.seeder {
			p.seeder = true
			s.complete++
			if event == "completed" {
				s.downloaded++
			}
		}
		if isAnswer {
			answerTo = s.peers[toPid]
		} else {
			targets = pickOthers(s, pid, min(len(req.Offers), maxOffers))
		}
	}
	reply = announceReply{
		Action:     "announce",
		InfoHash:   ihStr,
		Interval:   int(t.cfg.Interval / time.Second),
		Complete:   s.complete,
		Incomplete: len(s.peers) - s.complete,
	}
	if len(s.peers) == 0 {
		delete(t.swarms, ih)
	}
	t.mu.Unlock()

	if isAnswer {
		if answerTo == nil || answerTo.c == c {
			t.log.Debug("no peer to answer", "ip", c.ip)
			return false
		}
		answerTo.c.send(answerMsg{Action: "announce", Answer: req.Answer, OfferID: req.OfferID, PeerID: req.PeerID, InfoHash: ihStr})
		t.metrics.answers.Inc()
		return false
	}
	c.send(reply)
	for i, to := range targets {
		o := req.Offers[i]
		if len(o.Offer) == 0 || bytes.Equal(o.Offer, []byte("null")) {
			continue
		}
		to.c.send(offerMsg{Action: "announce", Offer: o.Offer, OfferID: o.OfferID, PeerID: req.PeerID, InfoHash: ihStr})
		t.metrics.offers.Inc()
	}
	return false
}

func (c *conn) scrape(req *request) (closing bool) {
	var hashes []string
	var one string
	if err := json.Unmarshal(req.InfoHash, &one); err == nil {
		hashes = []string{one}
	} else if err := json.Unmarshal(req.InfoHash, &hashes); err != nil || len(hashes) == 0 {
		c.refuse("invalid", failureReply{Action: "scrape", FailureReason: "scrape needs info_hash"})
		return false
	}
	if len(hashes) > maxScrape {
		c.refuse("invalid", failureReply{Action: "scrape", FailureReason: "too many info_hash"})
		return false
	}
	if refused, closing := c.limited("scrape", ""); refused {
		return closing
	}
	files := make(map[string]fileStats, len(hashes))
	c.t.mu.Lock()
	for _, h := range hashes {
		ih, err := fromBinary(h)
		if err != nil {
			continue
		}
		var fs fileStats
		if s := c.t.swarms[ih]; s != nil {
			fs = fileStats{Complete: s.complete, Incomplete: len(s.peers) - s.complete, Downloaded: s.downloaded}
		}
		files[h] = fs
	}
	c.t.mu.Unlock()
	c.send(scrapeReply{Action: "scrape", Files: files})
	return false
}

// leftIsZero reports whether "left" is the number 0 (or the string "0").
// Missing or null means unknown, so a leecher.
func leftIsZero(raw json.RawMessage) bool {
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f == 0
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "0"
	}
	return false
}

func (c *conn) refuse(reason string, f failureReply) {
	c.t.metrics.refusals.WithLabelValues(reason).Inc()
	c.send(f)
}

// send queues v for writing. A socket whose queue is full is stuck and gets
// closed rather than slowing its senders.
func (c *conn) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.t.log.Error("encoding tracker message", "err", err)
		return
	}
	select {
	case c.out <- b:
	default:
		c.t.log.Debug("tracker socket send queue full, closing", "ip", c.ip)
		c.ws.CloseNow()
	}
}

func (c *conn) requestClose(code websocket.StatusCode, reason string) {
	select {
	case c.closeq <- closeReq{code, reason}:
	default:
	}
}

func (c *conn) writeLoop() {
	defer close(c.done)
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		select {
		case b := <-c.out:
			if !c.write(b) {
				return
			}
		case req := <-c.closeq:
			for {
				select {
				case b := <-c.out:
					if !c.write(b) {
						return
					}
					continue
				default:
				}
				break
			}
			c.ws.Close(req.code, req.reason)
			return
		case <-c.stop:
			return
		case <-c.t.ctx.Done():
			return
		case <-ping.C:
			ctx, cancel := context.WithTimeout(c.t.ctx, writeTimeout)
			err := c.ws.Ping(ctx)
			cancel()
			if err != nil {
				c.ws.CloseNow()
				return
			}
		}
	}
}

func (c *conn) write(b []byte) bool {
	ctx, cancel := context.WithTimeout(c.t.ctx, writeTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.ws.CloseNow()
		return false
	}
	return true
}

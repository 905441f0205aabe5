package deliver

import (
	"context"
	"net/http"
	"runtime"
)

// Gate bounds how many goroutines run a CPU-bound step at once. A fan-out
// signs every request (RSA-2048, about 1 ms of CPU) inside Send; with hundreds
// of attempts in flight, letting them all sign together only makes each of
// them wait for all the others, and the network work of finished signatures
// queues behind the rest. Behind a Gate sized to the number of cores the
// signatures are made a few at a time, each request leaves as soon as it is
// signed, and the goroutines waiting on the network cost nothing.
//
// One Gate is meant to be shared by every delivery of a process (they share
// the CPU). The zero Gate is not usable: use NewGate.
type Gate struct {
	sem chan struct{}
}

// NewGate returns a Gate letting n goroutines through at once; n <= 0 means
// runtime.GOMAXPROCS(0).
func NewGate(n int) *Gate {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return &Gate{sem: make(chan struct{}, n)}
}

// Do runs f when a turn is free, or returns ctx.Err() if ctx is done first.
func (g *Gate) Do(ctx context.Context, f func() error) error {
	select {
	case g.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g.sem }()
	return f()
}

// RequestSigner signs an outgoing request with its body. It is the method
// set of federation/httpclient.Signer and federation/httpsig.Signer.
type RequestSigner interface {
	SignRequest(r *http.Request, body []byte) error
}

// Signer returns s wrapped so that each SignRequest runs through the gate,
// waiting for a turn as long as the request's context allows.
func (g *Gate) Signer(s RequestSigner) RequestSigner {
	return gatedSigner{g: g, s: s}
}

type gatedSigner struct {
	g *Gate
	s RequestSigner
}

// SignRequest signs r under the gate.
func (gs gatedSigner) SignRequest(r *http.Request, body []byte) error {
	return gs.g.Do(r.Context(), func() error { return gs.s.SignRequest(r, body) })
}

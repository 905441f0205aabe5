package deliver

import (
	"context"
	"net/http"
	"runtime"
	"sync/atomic"
)

// Gate bounds how many goroutines run a CPU-bound step at once. A fan-out
// signs every request (RSA-2048, about 1 ms of CPU) inside Send; with hundreds
// of attempts in flight, letting them all sign together only makes each wait
// for all the others, while the network work of the requests already signed
// queues behind them. Behind a Gate sized to the number of cores, signatures
// are made a few at a time and each request leaves as soon as it is signed.
//
// Used as Engine.Gate together with Gate.Signer, the turn is taken by the
// engine before an attempt starts, so waiting for the CPU does not count
// against the attempt's Timeout. Share one Gate between all the deliveries of
// a process: they share the CPU. The zero Gate is not usable: use NewGate.
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
	t, err := g.take(ctx)
	if err != nil {
		return err
	}
	defer t.release()
	return f()
}

// turn is one held place in a Gate.
type turn struct {
	g    *Gate
	held atomic.Bool
}

// turnKey is the context key of the turn an Engine took for an attempt.
type turnKey struct{}

// take waits for a turn, then yields the processor once.
//
// The goroutine that takes a turn usually runs ahead of every other runnable
// one: a worker whose request just finished was woken by a channel send, and
// so was a waiter handed a freed turn, and Go runs such a goroutine next.
// Without the yield the signers take the CPU in an unbroken chain while the
// requests already signed wait behind them for their few microseconds of
// network work, hundreds deep, their timeouts running (measured: attempts of
// about 500 ms instead of about 20 ms in a 3,000-host fan-out on 2 cores).
// Yielding puts the signer behind the network work that is ready.
func (g *Gate) take(ctx context.Context) (*turn, error) {
	select {
	case g.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	runtime.Gosched()
	t := &turn{g: g}
	t.held.Store(true)
	return t, nil
}

// release gives the turn back; it reports whether it was still held.
func (t *turn) release() bool {
	if t.held.CompareAndSwap(true, false) {
		<-t.g.sem
		return true
	}
	return false
}

// ReleaseTurn gives back the Gate turn that the Engine took for the attempt
// ctx belongs to, if it is still held. A Send with CPU-bound work other than a
// signer wrapped by Gate.Signer calls it when that work is done. It is a no-op
// for a context without a turn.
func ReleaseTurn(ctx context.Context) {
	if t, ok := ctx.Value(turnKey{}).(*turn); ok {
		t.release()
	}
}

// RequestSigner signs an outgoing request with its body. It is the method
// set of federation/httpclient.Signer and federation/httpsig.Signer.
type RequestSigner interface {
	SignRequest(r *http.Request, body []byte) error
}

// Signer returns s wrapped to sign under the gate. When the request's context
// holds a turn of this gate taken by an Engine (Engine.Gate), it signs at once
// and gives the turn back; otherwise (a second signature in one attempt, or
// use outside an Engine) it waits for a turn of its own as long as the
// request's context allows.
func (g *Gate) Signer(s RequestSigner) RequestSigner {
	return gatedSigner{g: g, s: s}
}

type gatedSigner struct {
	g *Gate
	s RequestSigner
}

// SignRequest signs r under the gate.
func (gs gatedSigner) SignRequest(r *http.Request, body []byte) error {
	ctx := r.Context()
	if t, ok := ctx.Value(turnKey{}).(*turn); ok && t.g == gs.g && t.held.Load() {
		defer t.release()
		return gs.s.SignRequest(r, body)
	}
	return gs.g.Do(ctx, func() error { return gs.s.SignRequest(r, body) })
}

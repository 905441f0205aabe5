package deliver_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archipel/archipel/federation/deliver"
)

// sleepSigner stands in for an RSA signer: it takes d and counts how many
// signatures run at once.
type sleepSigner struct {
	d time.Duration
	c *concurrency
}

func (s sleepSigner) SignRequest(r *http.Request, body []byte) error {
	s.c.enter()
	defer s.c.leave()
	time.Sleep(s.d)
	r.Header.Set("Signature", "x")
	return nil
}

// TestEngineGate: with Engine.Gate, signing runs one at a time (gate of 1)
// while the network waits overlap, and the attempts' Timeout does not count
// the wait for a turn.
func TestEngineGate(t *testing.T) {
	var signing, sending concurrency
	gate := deliver.NewGate(1)
	signer := gate.Signer(sleepSigner{d: 5 * time.Millisecond, c: &signing})
	e := &deliver.Engine{
		Gate:    gate,
		Timeout: 150 * time.Millisecond, // much less than 60 signatures × 5ms
		Send: func(ctx context.Context, inbox string) (int, http.Header, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, inbox, nil)
			if err := signer.SignRequest(req, nil); err != nil {
				return 0, nil, err
			}
			sending.enter()
			defer sending.leave()
			select { // the network
			case <-time.After(30 * time.Millisecond):
				return http.StatusAccepted, nil, nil
			case <-ctx.Done():
				return 0, nil, ctx.Err()
			}
		},
	}
	var inboxes []string
	for i := range 60 {
		inboxes = append(inboxes, fmt.Sprintf("https://h%d.example/inbox", i))
	}
	for _, r := range e.Deliver(context.Background(), inboxes, nil) {
		if r.Outcome != deliver.Delivered {
			t.Fatalf("%+v", r)
		}
	}
	if signing.max.Load() != 1 || signing.total.Load() != 60 {
		t.Fatalf("%d signatures, at most %d at once; want 60, 1", signing.total.Load(), signing.max.Load())
	}
	if sending.max.Load() < 4 {
		t.Fatalf("at most %d requests waited on the network at once: the gate serialised whole attempts", sending.max.Load())
	}
}

// TestEngineGateUncooperative: a Send that does not give its turn back early
// still works (one attempt per turn) and is reported once.
func TestEngineGateUncooperative(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	var c concurrency
	e := &deliver.Engine{
		Gate:   deliver.NewGate(2),
		Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil)),
		Send: func(ctx context.Context, inbox string) (int, http.Header, error) {
			c.enter()
			defer c.leave()
			time.Sleep(time.Millisecond)
			return http.StatusAccepted, nil, nil
		},
	}
	var inboxes []string
	for i := range 20 {
		inboxes = append(inboxes, fmt.Sprintf("https://h%d.example/inbox", i))
	}
	for _, r := range e.Deliver(context.Background(), inboxes, nil) {
		if r.Outcome != deliver.Delivered {
			t.Fatalf("%+v", r)
		}
	}
	if c.max.Load() > 2 {
		t.Fatalf("%d attempts at once through a gate of 2", c.max.Load())
	}
	if n := strings.Count(logs.String(), "held its CPU turn"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, logs.String())
	}

	// ReleaseTurn lets a Send give its turn back itself.
	logs.Reset()
	c = concurrency{}
	e.Send = func(ctx context.Context, inbox string) (int, http.Header, error) {
		deliver.ReleaseTurn(ctx)
		c.enter()
		defer c.leave()
		time.Sleep(10 * time.Millisecond)
		return http.StatusAccepted, nil, nil
	}
	e.Deliver(context.Background(), inboxes, nil)
	if c.max.Load() <= 2 || logs.Len() != 0 {
		t.Fatalf("max %d at once, logs %q", c.max.Load(), logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

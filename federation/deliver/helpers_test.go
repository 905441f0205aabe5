package deliver_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/archipel/archipel/federation/deliver"
	"github.com/archipel/archipel/federation/fedtest"
	"github.com/archipel/archipel/federation/httpclient"
	"github.com/archipel/archipel/federation/httpsig"
)

const testKeyID = "https://hub.example/accounts/alice#main-key"

// actor is a signing identity the farm knows.
type actor struct {
	key    *rsa.PrivateKey
	signer *httpsig.Signer
	keys   func(string) (crypto.PublicKey, error)
}

func newActor(tb testing.TB) actor {
	tb.Helper()
	key, _, _, err := httpsig.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	return actor{
		key:    key,
		signer: &httpsig.Signer{KeyID: testKeyID, Key: key},
		keys:   fedtest.KeyMap(map[string]crypto.PublicKey{testKeyID: &key.PublicKey}),
	}
}

// startFarm starts a farm that knows a's key and closes it with the test.
func startFarm(tb testing.TB, a actor, n int, modes func(int) fedtest.Mode) *fedtest.Farm {
	tb.Helper()
	f, err := fedtest.StartFarm(fedtest.FarmConfig{N: n, Modes: modes, KeyPEM: a.keys})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(f.Close)
	return f
}

// newClient returns the federation client as used in production, but allowed
// to reach loopback.
func newClient(tb testing.TB, timeout time.Duration) *httpclient.Client {
	tb.Helper()
	c, err := httpclient.New(httpclient.Config{
		UserAgent:    "Archipel-test/0 (+https://hub.example)",
		AllowPrivate: true,
		Timeout:      timeout,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.CloseIdleConnections)
	return c
}

// postSend is the Send a caller writes: sign afresh (through gate when not
// nil; the Engine must then have the same Gate) and POST body with the
// federation client.
func postSend(c *httpclient.Client, s httpclient.Signer, gate *deliver.Gate, body []byte) deliver.Send {
	if gate != nil {
		s = gate.Signer(s)
	}
	return func(ctx context.Context, inbox string) (int, http.Header, error) {
		resp, err := c.Post(ctx, inbox, "", body, s)
		if err != nil {
			if errors.Is(err, httpclient.ErrForbiddenAddress) || errors.Is(err, httpclient.ErrScheme) {
				err = errors.Join(deliver.ErrPermanent, err)
			}
			return 0, nil, err
		}
		return resp.StatusCode, resp.Header, nil
	}
}

// newEngine returns an Engine posting body as a through c, with a CPU gate
// sized to GOMAXPROCS.
func newEngine(c *httpclient.Client, a actor, body []byte, timeout time.Duration) *deliver.Engine {
	gate := deliver.NewGate(0)
	return &deliver.Engine{
		Send:    postSend(c, a.signer, gate, body),
		Gate:    gate,
		Timeout: timeout,
	}
}

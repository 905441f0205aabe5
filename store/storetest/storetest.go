// Package storetest gives tests fresh, migrated databases on every engine:
// SQLite always, PostgreSQL when ARCHIPEL_TEST_DATABASE_URL is set. When CI
// is set and that variable is not, tests fail instead of skipping.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/archipel/archipel/store"
)

// EnvPostgres names the variable holding the PostgreSQL test server's URL.
const EnvPostgres = "ARCHIPEL_TEST_DATABASE_URL"

// Engines lists the engines to test on.
func Engines(t testing.TB) []store.Engine {
	t.Helper()
	if os.Getenv(EnvPostgres) != "" {
		return []store.Engine{store.SQLite, store.Postgres}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not set: CI must run the PostgreSQL tests", EnvPostgres)
	}
	t.Logf("%s is not set: testing SQLite only", EnvPostgres)
	return []store.Engine{store.SQLite}
}

// ForEach runs fn as a subtest per engine, each with a fresh migrated store.
func ForEach(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	for _, e := range Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// URL returns the URL of a fresh empty database on engine e, removed when
// the test ends: a SQLite file in a temporary directory, or a PostgreSQL
// schema of its own (selected with search_path).
func URL(t testing.TB, e store.Engine) string {
	t.Helper()
	if e == store.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "archipel.db")
	}
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Fatalf("%s is not set", EnvPostgres)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", store.Redact(base), err)
	}
	defer conn.Close(ctx)
	schema := "t_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a fresh migrated store on engine e, closed when the test ends.
func Open(t testing.TB, e store.Engine) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), URL(t, e))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprint("crypto/rand: ", err))
	}
	return hex.EncodeToString(b)
}

// Package store owns the database: opening SQLite or PostgreSQL, migrations,
// and every SQL statement of the product. The SQL text is shared by both
// engines ($1-style placeholders); the few differences live in dialect.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

var (
	// ErrNotFound is returned when a row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a unique value (a handle, a username) is taken.
	ErrConflict = errors.New("already exists")
)

// Store is the database handle shared by the whole process.
type Store struct {
	db     *sql.DB
	q      querier       // db, through the statement cache on SQLite
	stmts  *stmtCache    // SQLite only
	writes writeGate     // SQLite only: one writer at a time
	pool   *pgxpool.Pool // PostgreSQL only
	engine Engine
	where  string // the database's location without secrets, for messages
	now    func() time.Time
	blocks blockCache
}

// querier is what *sql.DB, *sql.Tx and *sql.Conn have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// IsPostgresURL tells whether a database URL selects PostgreSQL.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// SQLitePath returns the file path of a sqlite: URL, or "" if it is not one.
func SQLitePath(u string) string {
	for _, p := range []string{"sqlite://", "sqlite:", "file:"} {
		if strings.HasPrefix(u, p) {
			path := strings.TrimPrefix(u, p)
			if i := strings.IndexByte(path, '?'); i >= 0 {
				path = path[:i]
			}
			return path
		}
	}
	return ""
}

// Open connects to the database named by dsn: "postgres://…" for PostgreSQL,
// "sqlite:PATH" (or "file:PATH") for SQLite. It pings before returning, and
// its errors name where the database is, never the password.
func Open(ctx context.Context, dsn string) (*Store, error) {
	switch {
	case IsPostgresURL(dsn):
		return openPostgres(ctx, dsn)
	case SQLitePath(dsn) != "":
		return openSQLite(ctx, SQLitePath(dsn))
	default:
		return nil, fmt.Errorf("unsupported database URL %q: use postgres://… or sqlite:PATH", Redact(dsn))
	}
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("cannot create the directory of SQLite database %s: %w", path, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Every transaction takes the write lock at BEGIN, so that a transaction
	// that reads then writes waits for the lock instead of failing with
	// SQLITE_BUSY halfway (River's job fetches do exactly that).
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("cannot open SQLite database %s: %w", path, err)
	}
	// SQLite allows one writer at a time: a few connections serve readers in
	// parallel (WAL) while writers queue on the busy timeout.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, engine: SQLite, where: path, now: time.Now, writes: make(writeGate, 1)}
	s.stmts = newStmtCache(db, s.writes)
	s.q = s.stmts
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot open SQLite database %s: %w", path, sqliteMessage(err))
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("invalid PostgreSQL URL %s: %w", Redact(dsn), errors.Unwrap(err))
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	// pgxpool's default, 4 connections on this machine, is shared with
	// River's fetch loops and starved the inbox drains (246 replies/s).
	// A URL's pool_max_conns still wins.
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to PostgreSQL at %s: %w", where, pgMessage(err))
	}
	s := &Store{db: stdlib.OpenDBFromPool(pool), pool: pool, engine: Postgres, where: where, now: time.Now}
	s.q = s.db
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("cannot connect to PostgreSQL at %s: %w", where, pgMessage(err))
	}
	return s, nil
}

// Redact hides the password of a database URL.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	return u.String()
}

// pgMessage keeps the useful part of a pgx error: the server's message or the
// network failure, without pgx's nesting.
func pgMessage(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return errors.New(pgErr.Message)
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		if inner := errors.Unwrap(connErr); inner != nil {
			err = inner
		}
	}
	// pgx joins one error per attempt (with and without TLS): one is enough.
	first, _, _ := strings.Cut(err.Error(), "\n")
	return errors.New(first)
}

func sqliteMessage(err error) error {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return errors.New(sqlite.ErrorCodeString[e.Code()])
	}
	return err
}

// Close releases the connections.
func (s *Store) Close() error {
	if s.stmts != nil {
		s.stmts.close()
	}
	err := s.db.Close()
	if s.pool != nil {
		s.pool.Close()
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Engine tells which engine is behind the store.
func (s *Store) Engine() Engine { return s.engine }

// Where names the database for humans (path, or host:port/db).
func (s *Store) Where() string { return s.where }

// DB is the database/sql handle, for the SQLite job driver.
func (s *Store) DB() *sql.DB { return s.db }

// PgxPool is the pgx pool, for the PostgreSQL job driver; nil on SQLite.
func (s *Store) PgxPool() *pgxpool.Pool { return s.pool }

// Tx is a database transaction. On PostgreSQL it is a pgx transaction on one
// pooled connection, and the store's queries run on that same connection, so
// that jobs inserted with the pgx driver commit atomically with the rows.
type Tx struct {
	q     querier
	sqlTx *sql.Tx   // SQLite
	pgxTx pgx.Tx    // PostgreSQL
	conn  *sql.Conn // PostgreSQL: the connection holding pgxTx
	s     *Store
}

// SQLTx is the transaction as database/sql sees it (SQLite only).
func (tx *Tx) SQLTx() *sql.Tx { return tx.sqlTx }

// PgxTx is the pgx transaction (PostgreSQL only).
func (tx *Tx) PgxTx() pgx.Tx { return tx.pgxTx }

// InTx runs fn in a transaction, committed when fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.rollback()
			panic(p)
		}
		if err != nil {
			tx.rollback()
			return
		}
		err = tx.commit(ctx)
	}()
	return fn(tx)
}

func (s *Store) begin(ctx context.Context) (*Tx, error) {
	if s.engine == SQLite {
		if err := s.writes.acquire(ctx); err != nil {
			return nil, err
		}
		t, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			s.writes.release()
			return nil, err
		}
		return &Tx{q: cachedTx{tx: t, cache: s.stmts}, sqlTx: t, s: s}, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var ptx pgx.Tx
	err = conn.Raw(func(dc any) error {
		var err error
		ptx, err = dc.(*stdlib.Conn).Conn().Begin(ctx)
		return err
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &Tx{q: conn, pgxTx: ptx, conn: conn, s: s}, nil
}

func (tx *Tx) commit(ctx context.Context) error {
	if tx.sqlTx != nil {
		defer tx.s.writes.release()
		return tx.sqlTx.Commit()
	}
	defer tx.conn.Close()
	return tx.pgxTx.Commit(ctx)
}

func (tx *Tx) rollback() {
	if tx.sqlTx != nil {
		_ = tx.sqlTx.Rollback()
		tx.s.writes.release()
		return
	}
	_ = tx.pgxTx.Rollback(context.Background())
	tx.conn.Close()
}

// isUnique tells whether err is a unique-constraint violation.
func isUnique(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func (s *Store) utcNow() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

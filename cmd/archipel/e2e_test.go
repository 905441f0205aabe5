package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// binary is the archipel command built once for these tests: they run it as
// an admin or a service manager would, as a real process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "archipel-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "archipel")
	// Built as make build does: pure Go, without cgo (which would link
	// the C SQLite and libutp that anacrolix/torrent can use, 10 MB more
	// resident for nothing: the hub uses neither).
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build archipel: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hub is one data directory and database, shared by the commands of a test.
type hub struct {
	t        testing.TB
	dataDir  string
	dbURL    string
	extraEnv []string // for every command and serve
}

func newHub(t testing.TB, e store.Engine) *hub {
	return &hub{t: t, dataDir: t.TempDir(), dbURL: storetest.URL(t, e)}
}

func (h *hub) env() []string {
	return append(append(os.Environ(),
		"ARCHIPEL_DATA_DIR="+h.dataDir,
		"ARCHIPEL_DATABASE_URL="+h.dbURL,
		"ARCHIPEL_LISTEN=127.0.0.1:0",
		"ARCHIPEL_BT_PORT=0", // tests run hubs side by side
		"ARCHIPEL_NODE_NAME=test-node",
	), h.extraEnv...)
}

// run runs a command to completion and returns its output and exit status.
func (h *hub) run(stdin string, args ...string) (stdout, stderr string, code int) {
	h.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = h.env()
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	if err != nil {
		h.t.Fatalf("run %v: %v", args, err)
	}
	return o.String(), e.String(), 0
}

func (h *hub) mustRun(stdin string, args ...string) string {
	h.t.Helper()
	out, errOut, code := h.run(stdin, args...)
	if code != 0 {
		h.t.Fatalf("archipel %v: exit %d\n%s%s", args, code, out, errOut)
	}
	return out
}

// server is a running `archipel serve`.
type server struct {
	cmd  *exec.Cmd
	base string
	mu   sync.Mutex
	logs bytes.Buffer
	done chan error
}

var listenRE = regexp.MustCompile(`listen=(127\.0\.0\.\d+:\d+)`)

func (h *hub) serve(extraEnv ...string) *server {
	h.t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(h.env(), extraEnv...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		h.t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.logs.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		s.done <- cmd.Wait()
	}()
	h.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-s.done
		}
	})
	select {
	case a := <-addr:
		s.base = "http://" + a
	case err := <-s.done:
		h.t.Fatalf("serve exited at start: %v\n%s", err, s.log())
	case <-time.After(30 * time.Second):
		h.t.Fatalf("serve did not start in 30s\n%s", s.log())
	}
	return s
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

func (s *server) wait(t testing.TB) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not exit\n%s", s.log())
		return nil
	}
}

func (h *hub) store() *store.Store {
	h.t.Helper()
	s, err := store.Open(context.Background(), h.dbURL)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { s.Close() })
	return s
}

var tokenRE = regexp.MustCompile(`token ([0-9a-f]+)`)

func (h *hub) queueProbe(sleep string) string {
	h.t.Helper()
	out := h.mustRun("", "jobs", "probe", "--sleep", sleep)
	m := tokenRE.FindStringSubmatch(out)
	if m == nil {
		h.t.Fatalf("no token in %q", out)
	}
	return m[1]
}

func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestJobSurvivesSIGKILL kills the server while a job runs, starts it again,
// and sees the job complete on its second attempt.
func TestJobSurvivesSIGKILL(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			h := newHub(t, e)
			srv := h.serve()
			st := h.store()
			ctx := context.Background()
			token := h.queueProbe("3s")
			waitFor(t, "the probe job to start", 30*time.Second, func() bool {
				p, err := st.Probe(ctx, token)
				return err == nil && p.Attempts == 1
			})
			if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			srv.wait(t)
			p, err := st.Probe(ctx, token)
			if err != nil || p.CompletedAt != nil {
				t.Fatalf("after SIGKILL the probe is %+v, %v; want started, not completed", p, err)
			}
			srv = h.serve()
			waitFor(t, "the probe job to complete after restart", 60*time.Second, func() bool {
				p, err = st.Probe(ctx, token)
				return err == nil && p.CompletedAt != nil
			})
			if p.Attempts != 2 {
				t.Fatalf("attempts = %d, want 2 (killed once, then completed)", p.Attempts)
			}
			if !strings.Contains(srv.log(), "queued again") {
				t.Fatalf("restart did not report the recovered job:\n%s", srv.log())
			}
		})
	}
}

// TestGracefulShutdownWaitsForJobs sends SIGTERM while a job runs: the
// server finishes the job and exits 0.
func TestGracefulShutdownWaitsForJobs(t *testing.T) {
	h := newHub(t, store.SQLite)
	srv := h.serve()
	st := h.store()
	token := h.queueProbe("1500ms")
	waitFor(t, "the probe job to start", 30*time.Second, func() bool {
		p, err := st.Probe(context.Background(), token)
		return err == nil && p.Attempts == 1
	})
	srv.cmd.Process.Signal(syscall.SIGTERM)
	if err := srv.wait(t); err != nil {
		t.Fatalf("serve exit after SIGTERM: %v\n%s", err, srv.log())
	}
	p, err := st.Probe(context.Background(), token)
	if err != nil || p.CompletedAt == nil || p.Attempts != 1 {
		t.Fatalf("probe after graceful stop = %+v, %v; want completed in one attempt", p, err)
	}
}

func TestFirstRunCreatesAdminAndServes(t *testing.T) {
	h := newHub(t, store.SQLite)
	srv := h.serve("ARCHIPEL_ADMIN_PASSWORD=correct-horse-battery")
	for _, path := range []string{"/healthz", "/"} {
		resp, err := http.Get(srv.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
	}
	out := h.mustRun("", "user", "list")
	if !regexp.MustCompile(`(?m)^admin\s+admin`).MatchString(out) {
		t.Fatalf("user list:\n%s", out)
	}
	// Only one serve per SQLite database.
	cmd := exec.Command(binary, "serve")
	cmd.Env = h.env()
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "already running") {
		t.Fatalf("second serve: %v\n%s", err, msg)
	}
}

// TestCommandsWorkWhileServing changes state with the command line while
// serve runs on the same data, and sees the change on the served pages.
func TestCommandsWorkWhileServing(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			h := newHub(t, e)
			srv := h.serve()
			out := h.mustRun("long-enough-pw\n", "user", "create", "Alice", "--role", "creator", "--password-stdin")
			if !strings.Contains(out, "created creator alice") || strings.Contains(out, "password:") {
				t.Fatalf("user create: %q", out)
			}
			out = h.mustRun("", "channel", "create", "--owner", "alice", "--kind", "podcast", "--title", "Alice talks", "alice_talks")
			if !strings.Contains(out, "/c/alice_talks") {
				t.Fatalf("channel create: %q", out)
			}
			h.mustRun("", "user", "set-role", "alice", "curator")
			out = h.mustRun("", "user", "reset-password", "alice")
			if !regexp.MustCompile(`password: \S{20}`).MatchString(out) {
				t.Fatalf("reset-password printed no password: %q", out)
			}
			out = h.mustRun("", "user", "list", "--json")
			if !strings.Contains(out, `"username": "alice"`) || !strings.Contains(out, `"role": "curator"`) {
				t.Fatalf("user list --json: %s", out)
			}
			out = h.mustRun("", "channel", "list")
			if !strings.Contains(out, "alice_talks  podcast  alice") {
				t.Fatalf("channel list:\n%s", out)
			}
			resp, err := http.Get(srv.base + "/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(body), "Alice talks") {
				t.Fatalf("home page does not list the channel made by the command line")
			}
		})
	}
}

func TestBadInputExitCodes(t *testing.T) {
	h := newHub(t, store.SQLite)
	cases := []struct {
		name   string
		env    []string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"bad listen flag", nil, "", []string{"--listen", "nope", "config"}, 2, `invalid value "nope" for listen (from flag --listen): accepts host:port`},
		{"bad env", []string{"ARCHIPEL_PUBLIC_URL=ftp://x"}, "", []string{"config"}, 2, "for public-url (from env ARCHIPEL_PUBLIC_URL)"},
		{"bad duration", []string{"ARCHIPEL_SESSION_TTL=forever"}, "", []string{"version"}, 2, "session-ttl"},
		{"unknown command", nil, "", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", nil, "", []string{"user", "list", "--colour"}, 2, "flag provided but not defined: -colour"},
		{"missing argument", nil, "", []string{"user", "set-role", "bob"}, 2, "expected 2 argument(s) NAME ROLE"},
		{"extra argument", nil, "", []string{"migrate", "now"}, 2, `expected 0 argument(s) , got ["now"]`},
		{"missing role", nil, "", []string{"user", "create", "bob"}, 2, "--role is required"},
		{"bad role", nil, "", []string{"user", "create", "bob", "--role", "king"}, 2, "role: must be one of admin, curator, creator"},
		{"short password", nil, "short\n", []string{"user", "create", "bob", "--role", "creator", "--password-stdin"}, 2, "at least 10 characters"},
		{"empty stdin", nil, "", []string{"user", "create", "bob", "--role", "creator", "--password-stdin"}, 2, "standard input is empty"},
		{"bad handle", nil, "", []string{"user", "create", "Bob!", "--role", "creator"}, 2, "only letters a–z, digits 0–9 and underscores"},
		{"no such user", nil, "", []string{"user", "set-role", "ghost", "admin"}, 1, `no account named "ghost"`},
		{"unreachable database", []string{"ARCHIPEL_DATABASE_URL=postgres://hub:s3cret@127.0.0.1:1/hub"}, "", []string{"user", "list"}, 1, "cannot connect to PostgreSQL at 127.0.0.1:1/hub"},
		{"unknown database scheme", []string{"ARCHIPEL_DATABASE_URL=mysql://x"}, "", []string{"user", "list"}, 2, "database-url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(binary, c.args...)
			cmd.Env = append(h.env(), c.env...)
			cmd.Stdin = strings.NewReader(c.stdin)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != c.code || !strings.Contains(stderr.String(), c.stderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), c.code, c.stderr)
			}
			for _, bad := range []string{"s3cret", "panic", "goroutine "} {
				if strings.Contains(stderr.String(), bad) {
					t.Fatalf("stderr shows %q: %s", bad, stderr.String())
				}
			}
		})
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	h := newHub(t, store.SQLite)
	var walk func(prefix []string, cmds []*command)
	walk = func(prefix []string, cmds []*command) {
		for _, c := range cmds {
			args := append(append([]string{}, prefix...), c.name)
			if len(c.subs) > 0 {
				walk(args, c.subs)
				continue
			}
			_, errOut, code := h.run("", append(args, "-h")...)
			if code != 0 || !strings.Contains(errOut, "Usage: archipel "+strings.Join(args, " ")) || !strings.Contains(errOut, "ARCHIPEL_DATA_DIR") {
				t.Errorf("%v -h: exit %d\n%s", args, code, errOut)
			}
		}
	}
	walk(nil, commands())
}

func TestConfigRedactsSecretsAndShowsSources(t *testing.T) {
	h := newHub(t, store.SQLite)
	file := filepath.Join(t.TempDir(), "archipel.conf")
	os.WriteFile(file, []byte("# a hub\nlog-level = debug\npublic-url = \"https://hub.example\"\n"), 0o600)
	cmd := exec.Command(binary, "config", "--config", file, "--log-level", "warn")
	cmd.Env = append(h.env(), "ARCHIPEL_DATABASE_URL=postgres://hub:s3cret@db.example:5432/hub", "ARCHIPEL_ADMIN_PASSWORD=hunter2-hunter2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("config: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{
		`public-url        = "https://hub.example"`, "# file " + file,
		`log-level         = "warn"`, "# flag --log-level",
		"postgres://hub:REDACTED@db.example:5432/hub", `admin-password    = "REDACTED"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("config output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "s3cret") || strings.Contains(s, "hunter2") {
		t.Fatalf("config output leaks a secret:\n%s", s)
	}
}

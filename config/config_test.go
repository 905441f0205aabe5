package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	l, err := Load(Sources{Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if l.Listen != "127.0.0.1:8080" || l.PublicURL.String() != "http://localhost:8080" ||
		l.DataDir != filepath.Join(wd, "data") || l.DatabaseURL != "sqlite:"+filepath.Join(wd, "data", "archipel.db") ||
		l.SessionTTL != 720*time.Hour || l.JobWorkers != 4 || l.NodeName == "" {
		t.Fatalf("defaults = %+v", l.Config)
	}
}

func TestPrecedenceFlagOverEnvOverFileOverDefault(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a.conf")
	os.WriteFile(file, []byte("listen = 127.0.0.1:1111\nlog-level = warn\njob-workers = 7\n"), 0o600)
	l, err := Load(Sources{
		Flags:  map[string]string{"config": file, "listen": "127.0.0.1:3333"},
		Getenv: env(map[string]string{"ARCHIPEL_LISTEN": "127.0.0.1:2222", "ARCHIPEL_LOG_LEVEL": "error"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.Listen != "127.0.0.1:3333" || l.LogLevel != "error" || l.JobWorkers != 7 || l.LogFormat != "text" {
		t.Fatalf("got listen %s, log-level %s, job-workers %d, log-format %s", l.Listen, l.LogLevel, l.JobWorkers, l.LogFormat)
	}
	if l.From["job-workers"] != Source("file "+file) || l.From["log-level"] != "env ARCHIPEL_LOG_LEVEL" || l.From["listen"] != "flag --listen" {
		t.Fatalf("sources = %v", l.From)
	}
	// The data directory derives the SQLite path.
	l, _ = Load(Sources{Getenv: env(map[string]string{"ARCHIPEL_DATA_DIR": "/srv/hub"})})
	if l.DatabaseURL != "sqlite:/srv/hub/archipel.db" {
		t.Fatalf("database URL = %s", l.DatabaseURL)
	}
}

func TestInvalidValuesNameTheOptionAndWhatItAccepts(t *testing.T) {
	for name, bad := range map[string]string{
		"listen": "8080", "public-url": "localhost:8080", "data-dir": " ", "database-url": "mysql://x",
		"log-level": "loud", "log-format": "xml", "admin-password": "short", "session-ttl": "1s",
		"job-workers": "0", "job-rescue-after": "soon", "shutdown-timeout": "2h", "node-name": "a b",
	} {
		_, err := Load(Sources{Flags: map[string]string{name: bad}, Getenv: env(nil)})
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "for "+name+" (from flag --"+name+"): accepts ") {
			t.Errorf("%s=%q: %v", name, bad, err)
		}
	}
	_, err := Load(Sources{Flags: map[string]string{"admin-password": "short"}, Getenv: env(nil)})
	if strings.Contains(err.Error(), `"short"`) {
		t.Errorf("error shows a secret: %v", err)
	}
}

func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("listen = :1\ncolour = blue\n"), 0o600)
	_, err := Load(Sources{Flags: map[string]string{"config": bad}, Getenv: env(nil)})
	if err == nil || !strings.Contains(err.Error(), "bad.conf:2: unknown option \"colour\"") {
		t.Fatalf("unknown key: %v", err)
	}
	_, err = Load(Sources{Getenv: env(map[string]string{"ARCHIPEL_CONFIG": filepath.Join(dir, "missing.conf")})})
	if err == nil || !strings.Contains(err.Error(), "cannot read config file") {
		t.Fatalf("missing file: %v", err)
	}
}

// TestREADMEDocumentsEveryOption keeps README.md's configuration table in
// step with the option table.
func TestREADMEDocumentsEveryOption(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- options:begin -->\n", "<!-- options:end -->"
	_, rest, ok := strings.Cut(string(readme), begin)
	table, _, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("README.md lacks the %q … %q markers", begin, end)
	}
	want := MarkdownTable()
	if table != want && os.Getenv("ARCHIPEL_UPDATE_README") != "" {
		updated := strings.Replace(string(readme), begin+table+end, begin+want+end, 1)
		if err := os.WriteFile("../README.md", []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if table != want {
		t.Fatalf("README.md's option table is out of date: run ARCHIPEL_UPDATE_README=1 go test ./config, or paste:\n%s", want)
	}
}

func TestAutoApproveDomains(t *testing.T) {
	c, err := Load(Sources{Flags: map[string]string{"auto-approve-domains": " .Gouv.fr, example.org ,"}, Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.AutoApproveDomains, "|") != ".gouv.fr|example.org" {
		t.Errorf("domains %q", c.AutoApproveDomains)
	}
	for _, bad := range []string{"*.gouv.fr", "a@b.org", "localhost", "x..org"} {
		_, err := Load(Sources{Flags: map[string]string{"auto-approve-domains": bad}, Getenv: env(nil)})
		if err == nil || !strings.Contains(err.Error(), "auto-approve-domains") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// Package config is Archipel's one table of options. Each option has a
// default, a flag, an ARCHIPEL_* environment variable, a config-file key and
// a validator; flags beat the environment, which beats the file, which beats
// the default.
package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/archipel/archipel/store"
)

// Config is the effective configuration.
type Config struct {
	ConfigFile      string
	Listen          string
	PublicURL       *url.URL
	DataDir         string
	DatabaseURL     string // always set after Load: sqlite:… or postgres://…
	LogLevel        string
	LogFormat       string
	AdminPassword   string
	SessionTTL      time.Duration
	JobWorkers      int
	JobRescueAfter  time.Duration
	ShutdownTimeout time.Duration
	NodeName        string

	TranscodeWorkers int
	TranscodeThreads int
	MaxUploadSize    int64
	MaxDuration      time.Duration
	MaxPixels        int64
	UploadExpiry     time.Duration
	FFmpeg           string
	FFprobe          string

	FederationAllowPrivate bool
	FederationDateWindow   time.Duration
	FederationMaxInbox     int64
	FederationWorkers      int
	FeedItems              int
	WebSubHub              string

	P2P        bool        // tracker, seeder and P2P player
	BTPort     int         // BitTorrent TCP port of the seeder; 0: any free port
	SeedMax    int         // torrents seeded at once; 0: none
	SeedWebRTC int         // of those, announced to browsers over WebRTC too
	ICEServers []ICEServer // given to WebRTC, on the hub and in players

	// AutoApproveDomains are the e-mail domains whose creator applications
	// are approved at once, lower-cased: "example.org", or ".example.org"
	// for any subdomain.
	AutoApproveDomains []string
}

// ICEServer is a STUN or TURN server, from --ice-servers.
type ICEServer struct {
	URL                  string // stun:HOST:PORT or turn:HOST:PORT
	Username, Credential string // TURN only
}

// Option is one row of the table.
type Option struct {
	Name    string // flag name and config-file key
	Default string
	Accepts string // what values are accepted, for errors and docs
	Usage   string
	Secret  bool
	set     func(c *Config, v string) error
}

// Env is the option's environment variable.
func (o Option) Env() string {
	return "ARCHIPEL_" + strings.ToUpper(strings.ReplaceAll(o.Name, "-", "_"))
}

// Options is the table, in the order documented.
var Options = []Option{
	{Name: "config", Default: "", Accepts: "a file path", Usage: "optional config file of `key = value` lines (keys are option names)",
		set: func(c *Config, v string) error { c.ConfigFile = v; return nil }},
	{Name: "listen", Default: "127.0.0.1:8080", Accepts: "host:port, e.g. 127.0.0.1:8080 or :8080", Usage: "address the HTTP server listens on",
		set: func(c *Config, v string) error {
			_, port, err := net.SplitHostPort(v)
			if err != nil {
				return err
			}
			if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
				return errors.New("bad port")
			}
			c.Listen = v
			return nil
		}},
	{Name: "public-url", Default: "http://localhost:8080", Accepts: "an absolute http or https URL without path, e.g. https://hub.example", Usage: "URL at which people and other servers reach this hub",
		set: func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
				(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
				return errors.New("bad URL")
			}
			u.Path = ""
			c.PublicURL = u
			return nil
		}},
	{Name: "data-dir", Default: "./data", Accepts: "a directory path", Usage: "directory for the SQLite database and media files",
		set: func(c *Config, v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("empty")
			}
			abs, err := filepath.Abs(v)
			c.DataDir = abs
			return err
		}},
	{Name: "database-url", Default: "", Accepts: "postgres://user:pass@host:5432/db or sqlite:PATH; empty means sqlite:DATA-DIR/archipel.db", Usage: "database to use", Secret: true,
		set: func(c *Config, v string) error {
			if v != "" && !store.IsPostgresURL(v) && store.SQLitePath(v) == "" {
				return errors.New("unknown scheme")
			}
			if store.IsPostgresURL(v) {
				if _, err := url.Parse(v); err != nil {
					return errors.New("bad URL")
				}
			}
			c.DatabaseURL = v
			return nil
		}},
	{Name: "log-level", Default: "info", Accepts: "debug, info, warn or error", Usage: "lowest level of log lines written",
		set: func(c *Config, v string) error { return oneOf(&c.LogLevel, v, "debug", "info", "warn", "error") }},
	{Name: "log-format", Default: "text", Accepts: "text or json", Usage: "format of log lines",
		set: func(c *Config, v string) error { return oneOf(&c.LogFormat, v, "text", "json") }},
	{Name: "admin-password", Default: "", Accepts: "a password of at least 10 characters, or empty", Usage: "password of the first admin account, created on first start (empty: generate and print one)", Secret: true,
		set: func(c *Config, v string) error {
			if v != "" && len([]rune(v)) < 10 {
				return errors.New("too short")
			}
			c.AdminPassword = v
			return nil
		}},
	{Name: "session-ttl", Default: "720h", Accepts: "a duration between 5m and 8760h, e.g. 720h", Usage: "how long a browser stays signed in",
		set: func(c *Config, v string) error { return duration(&c.SessionTTL, v, 5*time.Minute, 8760*time.Hour) }},
	{Name: "job-workers", Default: "4", Accepts: "an integer from 1 to 100", Usage: "background jobs run at once by this node",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				return errors.New("out of range")
			}
			c.JobWorkers = n
			return nil
		}},
	{Name: "job-rescue-after", Default: "1h", Accepts: "a duration of at least 1s, longer than the longest job", Usage: "when a job left running by another node that vanished is retried",
		set: func(c *Config, v string) error { return duration(&c.JobRescueAfter, v, time.Second, 0) }},
	{Name: "shutdown-timeout", Default: "30s", Accepts: "a duration between 1s and 1h", Usage: "how long shutdown waits for requests and running jobs",
		set: func(c *Config, v string) error { return duration(&c.ShutdownTimeout, v, time.Second, time.Hour) }},
	{Name: "node-name", Default: "", Accepts: "letters, digits, '.', '-' and '_'; empty means the host name", Usage: "name of this node, unique among the nodes sharing a database",
		set: func(c *Config, v string) error {
			if v == "" {
				h, err := os.Hostname()
				if err != nil || h == "" {
					h = "archipel"
				}
				v = h
			}
			if strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != "" || len(v) > 64 {
				return errors.New("bad name")
			}
			c.NodeName = v
			return nil
		}},
	{Name: "transcode-workers", Default: "1", Accepts: "an integer from 1 to 16", Usage: "transcoding jobs run at once by this node",
		set: func(c *Config, v string) error { return intIn(&c.TranscodeWorkers, v, 1, 16) }},
	{Name: "transcode-threads", Default: "0", Accepts: "an integer from 0 to 64; 0 means one less than the CPUs", Usage: "threads each ffmpeg may use",
		set: func(c *Config, v string) error { return intIn(&c.TranscodeThreads, v, 0, 64) }},
	{Name: "max-upload-size", Default: "4G", Accepts: "a size such as 500M, 4G or a number of bytes, at least 1M", Usage: "largest file a creator may upload",
		set: func(c *Config, v string) error {
			n, err := parseSize(v)
			if err != nil || n < 1<<20 {
				return errors.New("bad size")
			}
			c.MaxUploadSize = n
			return nil
		}},
	{Name: "max-duration", Default: "4h", Accepts: "a duration between 1s and 24h", Usage: "longest video or episode accepted",
		set: func(c *Config, v string) error { return duration(&c.MaxDuration, v, time.Second, 24*time.Hour) }},
	{Name: "max-pixels", Default: "8294400", Accepts: "a number of pixels per frame, e.g. 8294400 for 3840×2160", Usage: "largest video frame accepted",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 64*64 {
				return errors.New("bad number")
			}
			c.MaxPixels = n
			return nil
		}},
	{Name: "upload-expiry", Default: "24h", Accepts: "a duration between 1m and 720h", Usage: "when an unfinished upload is removed",
		set: func(c *Config, v string) error { return duration(&c.UploadExpiry, v, time.Minute, 720*time.Hour) }},
	{Name: "ffmpeg", Default: "ffmpeg", Accepts: "a command name or path", Usage: "the ffmpeg program",
		set: func(c *Config, v string) error { return nonEmpty(&c.FFmpeg, v) }},
	{Name: "ffprobe", Default: "ffprobe", Accepts: "a command name or path", Usage: "the ffprobe program",
		set: func(c *Config, v string) error { return nonEmpty(&c.FFprobe, v) }},
	{Name: "federation-allow-private-addresses", Default: "false", Accepts: "true or false",
		Usage: "let federation requests reach loopback, private and link-local addresses (tests, closed networks)",
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			c.FederationAllowPrivate = b
			return err
		}},
	{Name: "federation-date-window", Default: "1h", Accepts: "a duration between 1m and 12h", Usage: "clock skew accepted on signed requests",
		set: func(c *Config, v string) error {
			return duration(&c.FederationDateWindow, v, time.Minute, 12*time.Hour)
		}},
	{Name: "federation-max-inbox-body", Default: "1M", Accepts: "a size between 64K and 64M", Usage: "largest activity an inbox accepts",
		set: func(c *Config, v string) error {
			n, err := parseSize(v)
			if err != nil || n < 64<<10 || n > 64<<20 {
				return errors.New("bad size")
			}
			c.FederationMaxInbox = n
			return nil
		}},
	{Name: "federation-workers", Default: "4", Accepts: "an integer from 1 to 64", Usage: "inbox and delivery jobs run at once by this node",
		set: func(c *Config, v string) error { return intIn(&c.FederationWorkers, v, 1, 64) }},
	{Name: "feed-items", Default: "100", Accepts: "an integer from 1 to 5000", Usage: "items listed in a channel's RSS, Atom and JSON feeds, newest first",
		set: func(c *Config, v string) error { return intIn(&c.FeedItems, v, 1, 5000) }},
	{Name: "websub-hub", Default: "", Accepts: "an http(s) URL, or empty", Usage: "WebSub hub told when a channel's feeds change (empty: none)",
		set: func(c *Config, v string) error {
			if v == "" {
				c.WebSubHub = ""
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("not an http(s) URL")
			}
			c.WebSubHub = v
			return nil
		}},
	{Name: "p2p", Default: "true", Accepts: "true or false", Usage: "share media peer to peer: the WebTorrent tracker, the hub seeding its torrents, and the P2P player",
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			c.P2P = b
			return err
		}},
	{Name: "bt-port", Default: "6881", Accepts: "a port from 0 to 65535 (0: any free port)", Usage: "TCP port where BitTorrent clients reach the hub's seeder",
		set: func(c *Config, v string) error { return intIn(&c.BTPort, v, 0, 65535) }},
	{Name: "seed-max", Default: "1000", Accepts: "an integer from 0 to 100000", Usage: "torrents the hub seeds over BitTorrent, the most recently published first (every file keeps its web seed)",
		set: func(c *Config, v string) error { return intIn(&c.SeedMax, v, 0, 100000) }},
	{Name: "seed-webrtc-max", Default: "100", Accepts: "an integer from 0 to 10000", Usage: "of those, how many the hub also seeds to browsers over WebRTC (each costs about 150 KB and 7 sockets)",
		set: func(c *Config, v string) error { return intIn(&c.SeedWebRTC, v, 0, 10000) }},
	{Name: "ice-servers", Default: "", Accepts: "comma-separated stun: and turn: URLs (turn:USER:PASSWORD@HOST:PORT), or empty", Usage: "STUN and TURN servers for the hub's WebRTC peer and players (empty: none, for a hub with a public address)",
		set: func(c *Config, v string) error {
			c.ICEServers = nil
			for _, u := range strings.Split(v, ",") {
				u = strings.TrimSpace(u)
				if u == "" {
					continue
				}
				scheme, rest, _ := strings.Cut(u, ":")
				if scheme != "stun" && scheme != "turn" && scheme != "turns" {
					return errors.New("not a stun: or turn: URL")
				}
				s := ICEServer{URL: u}
				if cred, host, ok := strings.Cut(rest, "@"); ok && scheme != "stun" {
					user, pass, _ := strings.Cut(cred, ":")
					s.URL = scheme + ":" + host
					s.Username, _ = url.PathUnescape(user)
					s.Credential, _ = url.PathUnescape(pass)
				}
				c.ICEServers = append(c.ICEServers, s)
			}
			return nil
		}},
	{Name: "auto-approve-domains", Default: "", Accepts: "comma-separated e-mail domains, e.g. example.org,.gouv.fr (a leading dot: any subdomain), or empty", Usage: "creator applications from these e-mail domains are approved without a curator (addresses are not verified: the hub sends no mail)",
		set: func(c *Config, v string) error {
			c.AutoApproveDomains = nil
			for _, d := range strings.Split(v, ",") {
				d = strings.ToLower(strings.TrimSpace(d))
				if d == "" {
					continue
				}
				if !domainRE.MatchString(strings.TrimPrefix(d, ".")) {
					return fmt.Errorf("%q is not a domain", d)
				}
				c.AutoApproveDomains = append(c.AutoApproveDomains, d)
			}
			return nil
		}},
}

// domainRE matches a DNS name of two labels or more (ASCII; IDNs as xn--).
var domainRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

func intIn(dst *int, v string, lo, hi int) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return errors.New("out of range")
	}
	*dst = n
	return nil
}

func nonEmpty(dst *string, v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("empty")
	}
	*dst = v
	return nil
}

// parseSize reads 123, 500K, 500M, 4G or 1T (powers of 1024).
func parseSize(v string) (int64, error) {
	v = strings.TrimSpace(strings.ToUpper(v))
	v = strings.TrimSuffix(strings.TrimSuffix(v, "B"), "I")
	mult := int64(1)
	if n := len(v); n > 0 {
		switch v[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			v = v[:n-1]
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, errors.New("bad size")
	}
	return n * mult, nil
}

func oneOf(dst *string, v string, allowed ...string) error {
	if !slices.Contains(allowed, v) {
		return errors.New("not allowed")
	}
	*dst = v
	return nil
}

func duration(dst *time.Duration, v string, lo, hi time.Duration) error {
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || (hi > 0 && d > hi) {
		return errors.New("out of range")
	}
	*dst = d
	return nil
}

// Error is a configuration error; commands exit with status 2 on it.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Sources holds the raw values an option may come from.
type Sources struct {
	Flags  map[string]string // set flags, by option name
	Getenv func(string) string
}

// Source tells where an option's effective value came from.
type Source string

// Loaded is the configuration with the origin of each value.
type Loaded struct {
	Config
	From map[string]Source // option name → "default", "file F", "env X", "flag --x"
	Raw  map[string]string
}

// Load builds the configuration from the sources, validating every value.
func Load(src Sources) (*Loaded, error) {
	if src.Getenv == nil {
		src.Getenv = os.Getenv
	}
	raw := map[string]string{}
	from := map[string]Source{}
	for _, o := range Options {
		raw[o.Name], from[o.Name] = o.Default, "default"
	}
	apply := func(name, v string, s Source) {
		raw[name], from[name] = v, s
	}
	// The config file's own location can only come from a flag or the environment.
	cfgFile, cfgFrom := raw["config"], from["config"]
	if v, ok := lookupEnv(src.Getenv, Options[0].Env()); ok {
		cfgFile, cfgFrom = v, Source("env "+Options[0].Env())
	}
	if v, ok := src.Flags["config"]; ok {
		cfgFile, cfgFrom = v, "flag --config"
	}
	if cfgFile != "" {
		kv, err := readFile(cfgFile)
		if err != nil {
			return nil, err
		}
		for k, v := range kv {
			apply(k, v, Source("file "+cfgFile))
		}
	}
	apply("config", cfgFile, cfgFrom)
	for _, o := range Options[1:] {
		if v, ok := lookupEnv(src.Getenv, o.Env()); ok {
			apply(o.Name, v, Source("env "+o.Env()))
		}
		if v, ok := src.Flags[o.Name]; ok {
			apply(o.Name, v, Source("flag --"+o.Name))
		}
	}
	l := &Loaded{From: from, Raw: raw}
	for _, o := range Options {
		if err := o.set(&l.Config, raw[o.Name]); err != nil {
			return nil, &Error{fmt.Sprintf("invalid value %q for %s (from %s): accepts %s", display(o, raw[o.Name]), o.Name, from[o.Name], o.Accepts)}
		}
	}
	if l.DatabaseURL == "" {
		l.DatabaseURL = "sqlite:" + filepath.Join(l.DataDir, "archipel.db")
	}
	return l, nil
}

func display(o Option, v string) string {
	if o.Secret && o.Name != "database-url" {
		return "REDACTED"
	}
	return store.Redact(v)
}

func lookupEnv(getenv func(string) string, k string) (string, bool) {
	v := getenv(k)
	return v, v != ""
}

func readFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{fmt.Sprintf("cannot read config file: %v", err)}
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		if !ok || k == "" {
			return nil, &Error{fmt.Sprintf("%s:%d: expected `key = value`", path, n)}
		}
		if k == "config" || !slices.ContainsFunc(Options, func(o Option) bool { return o.Name == k }) {
			return nil, &Error{fmt.Sprintf("%s:%d: unknown option %q", path, n, k)}
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{fmt.Sprintf("cannot read config file %s: %v", path, err)}
	}
	return out, nil
}

// Bind registers every option as a flag on fs; the values given are
// collected into flags, for Sources.
func Bind(fs *flag.FlagSet, flags map[string]string) {
	for _, o := range Options {
		usage := fmt.Sprintf("%s (%s; env %s)", o.Usage, o.Accepts, o.Env())
		fs.Func(o.Name, usage, func(v string) error {
			flags[o.Name] = v
			return nil
		})
	}
}

// Effective returns name = value lines with secrets redacted, as the config
// command prints them.
func (l *Loaded) Effective() []string {
	var out []string
	for _, o := range Options {
		v := l.Raw[o.Name]
		switch o.Name {
		case "database-url":
			v = store.Redact(l.DatabaseURL)
		case "data-dir":
			v = l.DataDir
		case "node-name":
			v = l.NodeName
		}
		if o.Secret && o.Name != "database-url" && v != "" {
			v = "REDACTED"
		}
		out = append(out, fmt.Sprintf("%-17s = %-40s # %s", o.Name, strconv.Quote(v), l.From[o.Name]))
	}
	return out
}

// MarkdownTable renders the option table as README.md documents it.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| Flag | Environment | Default | Accepts | What it does |\n|---|---|---|---|---|\n")
	for _, o := range Options {
		def := o.Default
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | `%s` | %s | %s |\n", o.Name, o.Env(), def, strings.ReplaceAll(o.Accepts, "|", "\\|"), o.Usage)
	}
	return b.String()
}

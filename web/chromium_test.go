package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium is a headless Debian Chromium driven over the DevTools protocol.
// Each tab it opens lives in its own browser context (its own cookies,
// storage and service workers), as separate viewers would.
type chromium struct {
	t       testing.TB
	browser context.Context
}

// tab is one page of a chromium, with the console errors and uncaught
// exceptions it logged, and apart the errors the browser itself logged
// (failed loads, refusals by the Content-Security-Policy).
type tab struct {
	t         testing.TB
	ctx       context.Context
	mu        sync.Mutex
	errors    []string
	logErrors []string
}

// chromiumPath finds Chromium. CI installs it (.ci/run), so there its
// absence fails the test; elsewhere the test is skipped.
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("ARCHIPEL_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is not installed: .ci/run installs Debian's chromium package")
	}
	t.Skip("Chromium not installed (apt-get install chromium)")
	return ""
}

// newChromium starts a headless Chromium for the test; it is closed at
// the end of the test.
func newChromium(t testing.TB) *chromium {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// WebRTC between tabs and the hub on one machine: real host
		// addresses instead of mDNS names nobody resolves offline.
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"),
		chromedp.WindowSize(1280, 800),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	if err := chromedp.Do(browser); err != nil { // starts the browser
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	return &chromium{t: t, browser: browser}
}

// newTab opens a tab in a fresh browser context. It asks for English
// pages, whatever the machine's locale.
func (c *chromium) newTab() *tab {
	c.t.Helper()
	tb := &tab{t: c.t}
	ctx, cancel := chromedp.NewContext(c.browser, chromedp.WithNewBrowserContext(), chromedp.WithListener(tb.listen))
	c.t.Cleanup(cancel)
	tb.ctx = ctx
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders,
			network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "en"}})
		return err
	})); err != nil {
		c.t.Fatalf("open a tab: %v", err)
	}
	return tb
}

// listen records console errors and uncaught exceptions.
func (tb *tab) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			tb.addError("console.error: " + strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		msg := ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			msg += " " + ev.ExceptionDetails.Exception.Description
		}
		tb.addError("exception: " + msg)
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError {
			tb.mu.Lock()
			tb.logErrors = append(tb.logErrors, fmt.Sprintf("%s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			tb.mu.Unlock()
		}
	}
}

func (tb *tab) addError(s string) {
	tb.mu.Lock()
	tb.errors = append(tb.errors, s)
	tb.mu.Unlock()
}

// consoleErrors are the errors the page logged so far.
func (tb *tab) consoleErrors() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.errors...)
}

// problems are the console errors, uncaught exceptions and browser log
// errors of the page so far.
func (tb *tab) problems() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append(append([]string(nil), tb.errors...), tb.logErrors...)
}

// run runs actions with a deadline, failing the test on error.
func (tb *tab) run(timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("chromium: %v (console: %q)", err, tb.consoleErrors())
	}
}

// evalJS evaluates a JavaScript expression (awaiting a promise) in tb.
func evalJS[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v (console: %q)", expr, err, tb.consoleErrors())
	}
	return v
}

// waitFor polls a JavaScript condition until it holds.
func (tb *tab) waitFor(what, cond string, timeout time.Duration) {
	tb.t.Helper()
	deadline := time.Now().Add(timeout)
	for !evalJS[bool](tb, "!!("+cond+")") {
		if time.Now().After(deadline) {
			state := evalJS[string](tb, `JSON.stringify(Object.assign({}, (document.querySelector(".player")||{}).dataset || {}, {stats: (document.querySelector(".p2p-stats")||{}).textContent}))`)
			tb.t.Fatalf("%s: not within %s (player %s; console: %q)", what, timeout, state, tb.consoleErrors())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// int64Of evaluates an integer expression.
func (tb *tab) int64Of(expr string) int64 {
	tb.t.Helper()
	return int64(evalJS[float64](tb, fmt.Sprintf("Number(%s)", expr)))
}

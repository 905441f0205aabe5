package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// axeScript is axe-core's script, installed from web/e2e/package-lock.json
// (make test and .ci/run do it). CI must have it; elsewhere its absence
// skips the test.
func axeScript(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("e2e", "node_modules", "axe-core", "axe.min.js"))
	if err == nil {
		return string(b)
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("axe-core is not installed (%v): .ci/run installs it with npm ci --ignore-scripts --prefix web/e2e", err)
	}
	t.Skipf("axe-core is not installed, so the accessibility test is skipped: run npm ci --ignore-scripts --prefix web/e2e (make test does) (%v)", err)
	return ""
}

// axeViolation is what the test reports of an axe-core violation.
type axeViolation struct {
	ID, Impact, Help, HelpURL string
	Nodes                     []string // each node's target, and why it fails
}

// runAxe runs axe-core on the tab's page, with its default rules and
// WCAG 2.2's target size (AA, off by default), and returns the serious and
// critical violations.
func runAxe(j *journey, script string) []axeViolation {
	j.t.Helper()
	if !evalJS[bool](j.tab, "typeof axe === 'object'") {
		evalJS[bool](j.tab, script+";\ntrue")
	}
	out := evalJS[string](j.tab, `axe.run(document, {resultTypes: ["violations"], rules: {"target-size": {enabled: true}}}).then(r => JSON.stringify(
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
			ID: v.id, Impact: v.impact, Help: v.help, HelpURL: v.helpUrl,
			Nodes: v.nodes.map(n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " ")),
		}))))`)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		j.t.Fatalf("axe's answer: %v\n%s", err, out)
	}
	return vs
}

// colorScheme emulates prefers-color-scheme.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})
}

// TestAxeKeyPagesInChromium runs axe-core on each key page, as a visitor
// or as whoever the page is for, and on a few more states of them (an
// item's page for its owner and for a signed-in commenter, a channel's
// for its owner, a collection's for a curator, the sign-in form with an
// error), in the light and the dark colour scheme, and fails on every
// violation of impact serious or critical.
func TestAxeKeyPagesInChromium(t *testing.T) {
	chromiumPath(t)
	script := axeScript(t)
	s := storetest.Open(t, store.SQLite)
	st := newSite(t, s, siteOptions{realMedia: true})
	pages := st.keyPages()
	video := "/i/" + st.video.PublicID
	pages = append(pages,
		keyPage{"item-video, its owner", video, "alice"},
		keyPage{"item-video, a commenter", video, "bob"},
		keyPage{"channel, its owner", "/c/" + st.clips.Handle, "alice"},
		keyPage{"collection, a curator", "/collections/" + st.collection, "cora"},
		keyPage{"login, a wrong password", "/login", ""},
	)
	browser := newChromium(t)
	tabs := map[string]*journey{}
	for _, p := range pages {
		j := tabs[p.user]
		if j == nil {
			j = browser.journey(t, st, "")
			if p.user != "" {
				j.open("/login")
				j.signIn(p.user)
			}
			tabs[p.user] = j
		}
		j.open(p.path)
		if p.name == "login, a wrong password" {
			j.run(chromedp.SetValue(chromedp.CSS("#username"), "alice"), chromedp.SetValue(chromedp.CSS("#password"), "not the password"),
				chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
			j.until("the sign-in error", `document.readyState === "complete" && document.querySelector('#password[aria-invalid="true"]')`, 10*time.Second)
		}
		for _, scheme := range []string{"light", "dark"} {
			j.run(colorScheme(scheme))
			for _, v := range runAxe(j, script) {
				t.Errorf("%s (%s, %s scheme): %s [%s]: %s (%s)\n\t%s", p.name, p.path, scheme, v.ID, v.Impact, v.Help, v.HelpURL,
					strings.Join(v.Nodes, "\n\t"))
			}
		}
	}
}

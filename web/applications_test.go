package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/archipel/archipel/markup/markuptest"
	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// newApplyHarness is newHarness with --auto-approve-domains.
func newApplyHarness(t *testing.T, s *store.Store, domains ...string) *harness {
	t.Helper()
	return newHarnessWith(t, s, func(d *Deps) { d.Accounts.AutoApproveDomains = domains })
}

func applicationFields(name, email, username, handle string) url.Values {
	return url.Values{
		"name": {name}, "email": {email}, "username": {username}, "channel_handle": {handle},
		"channel_title": {name + "’s channel"}, "channel_kind": {"podcast"},
		"motivation": {"I have made a podcast about rivers for three years.\nIt needs a home."},
		"links":      {"https://rivers.example/feed.rss\n\nhttps://rivers.example/"},
	}
}

// apply sends the form and returns the status page's path.
func apply(t *testing.T, b *browser, fields url.Values) string {
	t.Helper()
	r := b.submit("/apply", "/apply", fields)
	wantStatus(t, r, http.StatusSeeOther)
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, "/apply/status?new=1&t=") {
		t.Fatalf("apply redirects to %q", loc)
	}
	return loc
}

func TestApplicationApprovedApplicantSetsPasswordAndSignsIn(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHarness(t, s)
		createUser(t, s, "carol", store.RoleCurator)

		// The form is linked from the sign-in page and the home page.
		anon := h.browser()
		wantContains(t, anon.get("/login").body, `href="/apply"`)
		wantContains(t, anon.get("/").body, `href="/apply"`)

		applicant := h.browser()
		status := apply(t, applicant, applicationFields("Ada", "Ada@Rivers.example", "ada", "ada_rivers"))
		r := applicant.get(status)
		wantStatus(t, r, http.StatusOK)
		token := strings.TrimPrefix(status, "/apply/status?new=1&t=")
		wantContains(t, r.body, "Keep this link", h.srv.URL+"/apply/status?t="+token, "Waiting for the curators",
			"@ada", "@ada_rivers")
		if got := r.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("status page Referrer-Policy %q", got)
		}
		// The token is not logged, nor stored in clear.
		if strings.Contains(h.logs.String(), token) {
			t.Error("the status token is in the logs")
		}
		if _, err := s.ApplicationByToken(ctx, token); err == nil {
			t.Error("the token is stored in clear")
		}
		// No password form before approval.
		wantNotContains(t, r.body, `action="/apply/password"`)

		curator := h.browser()
		curator.login("carol")
		list := curator.get("/curation/applications")
		wantStatus(t, list, http.StatusOK)
		wantContains(t, list.body, "Waiting (1)", "ada@rivers.example", "I have made a podcast about rivers",
			`<a href="https://rivers.example/feed.rss" rel="nofollow noopener noreferrer">`)
		apps, _ := s.ListApplications(ctx, 10)
		id := apps[0].ID
		action := fmt.Sprintf("/curation/applications/%d/approve", id)
		r = curator.submit("/curation/applications", action, url.Values{"message": {"Welcome aboard, Ada!"}})
		wantStatus(t, r, http.StatusSeeOther)
		r = curator.get(r.Header.Get("Location"))
		wantContains(t, r.body, "Approved Ada’s application", "Waiting (0)", "Approved</strong> by carol")
		a, _ := s.ApplicationByID(ctx, id)
		if a.State != store.ApplicationApproved || a.DecidedBy != "carol" || a.DecidedAt == nil || a.UserID == 0 {
			t.Fatalf("decision not recorded: %+v", a)
		}
		// Deciding twice is refused.
		r = curator.post(fmt.Sprintf("/curation/applications/%d/decline", id),
			url.Values{"csrf_token": formFields(t, curator.get("/").body, "/logout")["csrf_token"], "message": {"no"}})
		wantStatus(t, r, http.StatusConflict)

		// The applicant cannot sign in yet: nobody knows the password.
		r = h.browser().submit("/login", "/login", url.Values{"username": {"ada"}, "password": {testPassword}})
		wantStatus(t, r, http.StatusUnauthorized)

		statusNow := "/apply/status?t=" + token
		r = applicant.get(statusNow)
		wantContains(t, r.body, "Approved", "Welcome aboard, Ada!", `action="/apply/password"`)
		r = applicant.submit(statusNow, "/apply/password", url.Values{"password": {testPassword}, "password_again": {"other password"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "The two passwords differ")
		r = applicant.submit(statusNow, "/apply/password", url.Values{"password": {"short"}, "password_again": {"short"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "Password must be at least 10 characters.")
		r = applicant.submit(statusNow, "/apply/password", url.Values{"password": {testPassword}, "password_again": {testPassword}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/c/ada_rivers" {
			t.Fatalf("after setting the password: redirect to %q", loc)
		}
		r = applicant.get("/c/ada_rivers")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "@ada (creator)", "Ada’s channel")

		// Once only: the page now says to sign in, and a second form post is refused.
		r = applicant.get(statusNow)
		wantContains(t, r.body, "Your password is set")
		wantNotContains(t, r.body, `action="/apply/password"`)
		r = applicant.post("/apply/password", url.Values{"csrf_token": formFields(t, applicant.get("/").body, "/logout")["csrf_token"],
			"t": {token}, "password": {"another password"}, "password_again": {"another password"}})
		wantStatus(t, r, http.StatusConflict)

		// A fresh browser signs in with the chosen password; the channel is theirs.
		later := h.browser()
		later.login("ada")
		u, err := s.UserByUsername(ctx, "ada")
		if err != nil || u.Role != store.RoleCreator || u.Email != "ada@rivers.example" {
			t.Fatalf("user %+v, %v", u, err)
		}
		c, err := s.LocalChannel(ctx, "ada_rivers")
		if err != nil || c.OwnerID != u.ID || c.Kind != store.KindPodcast {
			t.Fatalf("channel %+v, %v", c, err)
		}
		wantContains(t, later.get("/c/ada_rivers").body, "@ada (creator)")
		wantContains(t, h.logs.String(), `"msg":"application approved"`, `"by":"carol"`)
	})
}

func TestApplicationDeclinedWithMessage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHarness(t, s)
		createUser(t, s, "root", store.RoleAdmin)
		applicant := h.browser()
		status := apply(t, applicant, applicationFields("Bob", "bob@example.org", "bob", "bob_tv"))
		token := strings.TrimPrefix(status, "/apply/status?new=1&t=")

		// One pending application per address.
		r := h.browser().submit("/apply", "/apply", applicationFields("Bob again", "BOB@example.org", "bob2", "bob2_tv"))
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "already has an application waiting")

		admin := h.browser()
		admin.login("root")
		apps, _ := s.ListApplications(ctx, 10)
		action := fmt.Sprintf("/curation/applications/%d/decline", apps[0].ID)
		// Declining needs a message; the page says so.
		r = admin.submit("/curation/applications", action, url.Values{"message": {"  "}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "Message is required.")
		r = admin.submit("/curation/applications", action, url.Values{"message": {"Your links do not open.\nTry again with working ones."}})
		wantStatus(t, r, http.StatusSeeOther)

		r = applicant.get("/apply/status?t=" + token)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "Declined", "Your links do not open.\nTry again with working ones.", `href="/apply"`)
		wantNotContains(t, r.body, `action="/apply/password"`)
		a, _ := s.ApplicationByID(ctx, apps[0].ID)
		if a.State != store.ApplicationDeclined || a.DecidedBy != "root" || a.UserID != 0 {
			t.Fatalf("declined: %+v", a)
		}
		if taken, _ := s.LocalHandleTaken(ctx, "bob"); taken {
			t.Fatal("declining created the user")
		}
		// Once declined, the address may apply again.
		apply(t, h.browser(), applicationFields("Bob", "bob@example.org", "bob", "bob_tv"))

		// An unknown token is a 404.
		wantStatus(t, h.browser().get("/apply/status?t=nope"), http.StatusNotFound)
		wantStatus(t, h.browser().get("/apply/status"), http.StatusNotFound)
	})
}

func TestApplicationAutoApprovedByDomain(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newApplyHarness(t, s, ".gouv.fr")

		b := h.browser()
		status := apply(t, b, applicationFields("Etalab", "agent@numerique.gouv.fr", "agent", "agent_videos"))
		r := b.get(status)
		wantContains(t, r.body, "approved automatically", `action="/apply/password"`)
		u, err := s.UserByUsername(ctx, "agent")
		if err != nil || u.Role != store.RoleCreator {
			t.Fatalf("auto-approved user: %+v, %v", u, err)
		}
		if _, err := s.LocalChannel(ctx, "agent_videos"); err != nil {
			t.Fatalf("auto-approved channel: %v", err)
		}

		// Look-alikes wait for a curator.
		for i, email := range []string{"mallory@evilgouv.fr", "mallory@gouv.fr.evil.example", "mallory@gouv.fr"} {
			apply(t, h.browser(), applicationFields("Mallory", email, fmt.Sprintf("mallory%d", i), fmt.Sprintf("mallory%d_tv", i)))
		}
		apps, err := s.ListApplications(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range apps {
			auto := a.Email == "agent@numerique.gouv.fr"
			if auto != (a.State == store.ApplicationApproved) {
				t.Errorf("%s: state %s", a.Email, a.State)
			}
			if auto && (a.DecidedBy != "auto: domain .gouv.fr" || a.DecidedAt == nil || a.DecidedByUser != 0) {
				t.Errorf("auto decision not recorded: %+v", a)
			}
		}
		// The curators see who decided.
		createUser(t, s, "carol", store.RoleCurator)
		c := h.browser()
		c.login("carol")
		wantContains(t, c.get("/curation/applications").body, "Waiting (3)", "by auto: domain .gouv.fr")
	})
}

func TestApplyValidationKeepsInput(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		createUser(t, s, "taken", store.RoleCreator)
		b := h.browser()
		r := b.get("/apply")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.body, "Apply for a channel", `name="motivation"`)

		fields := url.Values{
			"name": {"Zoé"}, "email": {"zoe at example"}, "username": {"taken"}, "channel_handle": {"Bad Handle!"},
			"channel_title": {"Zoé’s films"}, "channel_kind": {"video"}, "motivation": {""},
			"links": {"https://zoe.example/\nftp://zoe.example/x"},
		}
		r = b.submit("/apply", "/apply", fields)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body,
			"Nothing you typed is lost",
			"E-mail address must be an address such as name@example.org.",
			`Username &#34;taken&#34; is already taken by a user or a channel.`,
			"Channel handle may contain only letters",
			"Motivation is required.",
			"Links must be web addresses starting with https:// or http://",
			// The input, as typed.
			`value="Zoé"`, `value="zoe at example"`, `value="taken"`, `value="Bad Handle!"`, `value="Zoé’s films"`,
			`value="video" checked`, ">https://zoe.example/\nftp://zoe.example/x</textarea>",
			`aria-invalid="true"`)
		wantNotContains(t, r.body, "Name is required", "Your name is required")

		// Same username and handle; a motivation too long.
		fields = applicationFields("Zoé", "zoe@example.org", "zoe", "zoe")
		fields.Set("motivation", strings.Repeat("a", 4001))
		r = b.submit("/apply", "/apply", fields)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "Channel handle must differ from your username", "Motivation must be at most 4000 characters (it has 4001).")
		if n, _ := s.CountPendingApplications(context.Background()); n != 0 {
			t.Fatalf("%d applications stored from invalid forms", n)
		}
		// Without the CSRF token, nothing is stored.
		r = h.browser().post("/apply", applicationFields("Zoé", "zoe@example.org", "zoe", "zoe_films"))
		wantStatus(t, r, http.StatusForbidden)
	})
}

func TestApplicationsAreForCuratorsOnly(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHarness(t, s)
		createUser(t, s, "cleo", store.RoleCreator)
		createUser(t, s, "carol", store.RoleCurator)
		apply(t, h.browser(), applicationFields("Dan", "dan@example.org", "dan", "dan_tv"))
		apps, _ := s.ListApplications(ctx, 10)
		id := apps[0].ID

		r := h.browser().get("/curation/applications")
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/login?next=%2Fcuration%2Fapplications" {
			t.Errorf("anonymous visitor sent to %q", loc)
		}
		creator := h.browser()
		creator.login("cleo")
		r = creator.get("/curation/applications")
		wantStatus(t, r, http.StatusForbidden)
		wantNotContains(t, r.body, "dan@example.org")
		wantNotContains(t, creator.get("/").body, `href="/curation/applications"`)
		csrf := formFields(t, creator.get("/").body, "/logout")["csrf_token"]
		for _, verb := range []string{"approve", "decline"} {
			r = creator.post(fmt.Sprintf("/curation/applications/%d/%s", id, verb), url.Values{"csrf_token": csrf, "message": {"x"}})
			wantStatus(t, r, http.StatusForbidden)
		}
		if a, _ := s.ApplicationByID(ctx, id); a.State != store.ApplicationPending {
			t.Fatalf("a creator decided: %+v", a)
		}
		curator := h.browser()
		curator.login("carol")
		wantContains(t, curator.get("/").body, `href="/curation/applications"`)
		wantStatus(t, curator.get("/curation/applications"), http.StatusOK)
		wantStatus(t, curator.post("/curation/applications/999/approve",
			url.Values{"csrf_token": formFields(t, curator.get("/").body, "/logout")["csrf_token"]}), http.StatusNotFound)
	})
}

func TestApplicationHandleTakenMeanwhileIsAClearError(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHarness(t, s)
		createUser(t, s, "carol", store.RoleCurator)
		apply(t, h.browser(), applicationFields("Eve", "eve@example.org", "eve", "eve_tv"))
		createUser(t, s, "eve_tv", store.RoleCreator) // after applying
		apps, _ := s.ListApplications(ctx, 10)
		c := h.browser()
		c.login("carol")
		r := c.submit("/curation/applications", fmt.Sprintf("/curation/applications/%d/approve", apps[0].ID),
			url.Values{"message": {"typed message"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, `Cannot approve: The channel handle &#34;eve_tv&#34; is already taken by a user or a channel.`,
			">typed message</textarea>")
		if taken, _ := s.LocalHandleTaken(ctx, "eve"); taken {
			t.Fatal("a failed approval left the user behind")
		}
	})
}

var articleRE = regexp.MustCompile(`(?s)<article class="application"[^>]*>(.*?)<details`)

func TestApplicationHostileInputIsInert(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHarness(t, s)
		createUser(t, s, "carol", store.RoleCurator)

		// Through the form: a hostile link is refused, and the page showing
		// the error (with the input) runs nothing.
		b := h.browser()
		fields := applicationFields(`<script>alert(1)</script>`, "x@example.org", "xss", "xss_tv")
		fields.Set("motivation", strings.Join(markuptest.XSSCorpus[:10], "\n"))
		fields.Set("links", "javascript:alert(1)")
		r := b.submit("/apply", "/apply", fields)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.body, "Links must be web addresses")
		pageInert(t, r.body)
		fields.Set("links", `https://ok.example/"><script>alert(1)</script>`)
		status := apply(t, b, fields)
		r = b.get(status)
		pageInert(t, r.body)

		// Stored directly, as if validation had let them through.
		for i, entry := range markuptest.XSSCorpus {
			_, err := s.CreateApplication(ctx, store.NewApplication{Name: entry, Email: fmt.Sprintf("x%d@example.org", i),
				Username: entry, ChannelHandle: entry, ChannelTitle: entry, ChannelKind: store.KindVideo, Motivation: entry,
				Links:     []string{"javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>", entry},
				TokenHash: fmt.Sprintf("hostile-%d", i)})
			if err != nil {
				t.Fatal(err)
			}
		}
		c := h.browser()
		c.login("carol")
		r = c.get("/curation/applications")
		wantStatus(t, r, http.StatusOK)
		pageInert(t, r.body)
		articles := articleRE.FindAllStringSubmatch(r.body, -1)
		if len(articles) != len(markuptest.XSSCorpus)+1 {
			t.Fatalf("%d applications shown, want %d", len(articles), len(markuptest.XSSCorpus)+1)
		}
		for _, m := range articles {
			if err := markuptest.InertAllowing(m[1], "h3", "div"); err != nil {
				t.Errorf("application not inert: %v\n%s", err, m[1])
			}
		}
		wantNotContains(t, r.body, "ZgotmplZ", `href="javascript`, `href=" JaVaScRiPt`)
		wantContains(t, r.body, `<span class="plain-text">javascript:alert(1)</span>`)

		// Declined with a hostile message, the status page stays inert.
		apps, _ := s.ListApplications(ctx, 100)
		r = c.submit("/curation/applications", fmt.Sprintf("/curation/applications/%d/decline", apps[0].ID),
			url.Values{"message": {markuptest.XSSCorpus[5]}})
		wantStatus(t, r, http.StatusSeeOther)
		pageInert(t, c.get(r.Header.Get("Location")).body)
		pageInert(t, b.get(strings.Replace(status, "new=1&", "", 1)).body)
	})
}

// pageInert fails t if a whole page holds an element that runs or loads
// something other than the layout's stylesheet and icon, an event handler,
// a style attribute or a URL that is not http(s), mailto or relative.
func pageInert(t *testing.T, page string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "iframe", "object", "embed", "img", "svg", "math", "style", "base", "meta", "frame", "video", "audio":
				if n.Data != "meta" || len(n.Attr) == 0 || (n.Attr[0].Key != "charset" && n.Attr[0].Key != "name") {
					t.Errorf("<%s> element in the page", n.Data)
				}
			}
			for _, a := range n.Attr {
				k := strings.ToLower(a.Key)
				v := strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case strings.HasPrefix(k, "on"), k == "style", k == "srcdoc":
					t.Errorf("<%s %s=%q> in the page", n.Data, k, a.Val)
				case k == "href" || k == "src" || k == "action" || k == "formaction":
					if i := strings.IndexByte(v, ':'); i >= 0 && !strings.ContainsAny(v[:i], "/?#") &&
						v[:i] != "http" && v[:i] != "https" && v[:i] != "mailto" {
						t.Errorf("<%s %s=%q> in the page", n.Data, k, a.Val)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

func TestApplicationCommands(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			h := newHub(t, e)
			h.mustRun("", "migrate")
			s := h.store()
			var ids []int64
			for _, name := range []string{"ada", "bob"} {
				a, err := s.CreateApplication(ctx, store.NewApplication{Name: name, Email: name + "@example.org", Username: name,
					ChannelHandle: name + "_tv", ChannelKind: store.KindVideo, Motivation: "films", TokenHash: "tok-" + name,
					Links: []string{"https://" + name + ".example/"}})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, a.ID)
			}
			var rows []struct {
				ID    int64    `json:"id"`
				State string   `json:"state"`
				Links []string `json:"links"`
			}
			if err := json.Unmarshal([]byte(h.mustRun("", "application", "list", "--json")), &rows); err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 || rows[0].State != "pending" || len(rows[0].Links) != 1 {
				t.Fatalf("list: %+v", rows)
			}
			out := h.mustRun("", "application", "approve", strconv.FormatInt(ids[0], 10), "--message", "Welcome")
			if !strings.Contains(out, "created creator ada and video channel ada_tv") {
				t.Errorf("approve: %s", out)
			}
			if _, errOut, code := h.run("", "application", "decline", strconv.FormatInt(ids[1], 10)); code != 2 || !strings.Contains(errOut, "--message is required") {
				t.Errorf("decline without message: exit %d, %s", code, errOut)
			}
			h.mustRun("", "application", "decline", strconv.FormatInt(ids[1], 10), "--message", "Not for us.")
			if _, errOut, code := h.run("", "application", "approve", strconv.FormatInt(ids[1], 10)); code != 1 || !strings.Contains(errOut, "already been decided") {
				t.Errorf("approve a declined application: exit %d, %s", code, errOut)
			}
			if _, errOut, code := h.run("", "application", "approve", "99"); code != 1 || !strings.Contains(errOut, "no application 99") {
				t.Errorf("approve unknown: exit %d, %s", code, errOut)
			}
			a, _ := s.ApplicationByID(ctx, ids[0])
			if a.State != store.ApplicationApproved || a.DecidedBy != "command line" || a.Message != "Welcome" {
				t.Errorf("approved: %+v", a)
			}
			if _, err := s.LocalChannel(ctx, "ada_tv"); err != nil {
				t.Errorf("channel: %v", err)
			}
			out = h.mustRun("", "application", "list")
			if !strings.Contains(out, "declined") || !strings.Contains(out, "command line") {
				t.Errorf("list:\n%s", out)
			}
		})
	}
}

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/archipel/archipel/store"
	"github.com/archipel/archipel/store/storetest"
)

// generate makes a media file with ffmpeg's lavfi sources.
func generate(t testing.TB, path string, args ...string) string {
	t.Helper()
	cmd := exec.Command("ffmpeg", append(append([]string{"-nostdin", "-hide_banner", "-v", "error", "-y"}, args...), path)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
	return path
}

func (h *hub) setUpChannel(kind, handle string) {
	h.t.Helper()
	h.mustRun("long-enough-pw\n", "user", "create", "maker", "--role", "creator", "--password-stdin")
	h.mustRun("", "channel", "create", "--owner", "maker", "--kind", kind, handle)
}

var itemRE = regexp.MustCompile(`(?m)^item ([a-z0-9]+)$`)

type itemJSON struct {
	State      string `json:"state"`
	Progress   int    `json:"progress"`
	Error      string `json:"error"`
	Renditions []struct {
		Name     string `json:"name"`
		MimeType string `json:"mime_type"`
		URL      string `json:"url"`
		Size     int64  `json:"size"`
		Height   int    `json:"height"`
	} `json:"renditions"`
}

func (h *hub) itemShow(id string) itemJSON {
	h.t.Helper()
	var v itemJSON
	out := h.mustRun("", "item", "show", id, "--json")
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		h.t.Fatalf("item show --json: %v\n%s", err, out)
	}
	return v
}

// TestUploadFromTheCommandLine uploads an episode in a format other than
// mp3/m4a with --publish --wait while serve works the job.
func TestUploadFromTheCommandLine(t *testing.T) {
	h := newHub(t, store.SQLite)
	h.setUpChannel("podcast", "talks")
	src := generate(t, filepath.Join(t.TempDir(), "Episode One.ogg"), "-f", "lavfi", "-i", "sine=frequency=330:duration=3", "-c:a", "libvorbis")
	h.serve()
	out, errOut, code := h.run("", "upload", "--channel", "talks", "--publish", "--wait", src)
	if code != 0 {
		t.Fatalf("upload: exit %d\n%s%s", code, out, errOut)
	}
	m := itemRE.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "/i/"+m[1]) || !strings.Contains(out, "published: 3 renditions") {
		t.Fatalf("upload output:\n%s", out)
	}
	if !strings.Contains(errOut, "upload     [") || !strings.Contains(errOut, "100%") {
		t.Fatalf("no progress bars on stderr:\n%s", errOut)
	}
	v := h.itemShow(m[1])
	names := map[string]string{}
	for _, r := range v.Renditions {
		names[r.Name] = r.MimeType
	}
	if v.State != "published" || names["mp3"] != "audio/mpeg" || names["aac"] != "audio/mp4" || names["waveform"] != "application/json" {
		t.Fatalf("item show: %+v", v)
	}
	// The source was copied, not moved away from the creator.
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("the uploaded file is gone from its place: %v", err)
	}
	// A text file is refused with a reason, and nothing is left behind.
	txt := filepath.Join(t.TempDir(), "notes.mp4")
	os.WriteFile(txt, []byte("this is not a video\n"), 0o600)
	_, errOut, code = h.run("", "upload", "--channel", "talks", txt)
	if code != 1 || !strings.Contains(errOut, "refused:") {
		t.Fatalf("text upload: exit %d\n%s", code, errOut)
	}
	left, _ := os.ReadDir(filepath.Join(h.dataDir, "uploads"))
	if len(left) != 0 {
		t.Fatalf("uploads dir keeps %d files after a refusal", len(left))
	}
}

// TestTranscodeKilledMidwayRestartsCleanly kills serve while ffmpeg works:
// no rendition is recorded until the restarted job completes them all.
func TestTranscodeKilledMidwayRestartsCleanly(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			h := newHub(t, e)
			h.setUpChannel("video", "clips")
			src := generate(t, filepath.Join(t.TempDir(), "clip.mp4"),
				"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=20", "-f", "lavfi", "-i", "sine=duration=20",
				"-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest")
			srv := h.serve("ARCHIPEL_TRANSCODE_THREADS=1")
			out := h.mustRun("", "upload", "--channel", "clips", "--publish", src)
			id := itemRE.FindStringSubmatch(out)[1]
			st := h.store()
			ctx := context.Background()
			waitFor(t, "transcoding to make progress", 60*time.Second, func() bool {
				it, err := st.ItemByPublicID(ctx, id)
				return err == nil && it.Progress > 0 && it.Progress < 100
			})
			srv.cmd.Process.Signal(syscall.SIGKILL)
			srv.wait(t)
			it, _ := st.ItemByPublicID(ctx, id)
			files, _ := st.MediaFiles(ctx, it.ID)
			if it.State != store.StateProcessing || len(files) != 1 || files[0].Rendition != "source" {
				t.Fatalf("after SIGKILL: state %s with %d files; want processing with only the source", it.State, len(files))
			}
			h.serve("ARCHIPEL_TRANSCODE_THREADS=1")
			waitFor(t, "the restarted transcoding to finish", 180*time.Second, func() bool {
				it, _ = st.ItemByPublicID(ctx, id)
				return it.State != store.StateProcessing
			})
			v := h.itemShow(id)
			heights := []int{}
			for _, r := range v.Renditions {
				if r.MimeType == "video/mp4" {
					heights = append(heights, r.Height)
				}
			}
			if v.State != "published" || len(heights) != 4 {
				t.Fatalf("after restart: %+v; want published with 720/480/360/240", v)
			}
			work, _ := os.ReadDir(filepath.Join(h.dataDir, "work"))
			if len(work) != 0 {
				t.Fatalf("work dir keeps %d entries", len(work))
			}
		})
	}
}

package media

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newTestStorage(t *testing.T) *LocalStorage {
	t.Helper()
	st, err := NewLocalStorage(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func readKey(t *testing.T, st Storage, key string) []byte {
	t.Helper()
	f, err := st.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != f.Size() {
		t.Fatalf("Size() = %d, read %d bytes", f.Size(), len(b))
	}
	return b
}

func TestStoragePutOpen(t *testing.T) {
	ctx := context.Background()
	st := newTestStorage(t)
	data := randomBytes(t, 1<<20+123)

	size, sum, err := st.Put(ctx, "items/abc/720p-12345678.mp4", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len(data)) || sum != sha256hex(data) {
		t.Fatalf("Put = %d %s, want %d %s", size, sum, len(data), sha256hex(data))
	}
	if got := readKey(t, st, "items/abc/720p-12345678.mp4"); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
	f, err := st.Open(ctx, "items/abc/720p-12345678.mp4")
	if err != nil {
		t.Fatal(err)
	}
	if f.ModTime().IsZero() {
		t.Error("ModTime is zero")
	}
	f.Close()

	fi, err := os.Stat(filepath.Join(st.Root, "items", "abc", "720p-12345678.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("file mode %v, want 0640", fi.Mode().Perm())
	}
	di, err := os.Stat(filepath.Join(st.Root, "items", "abc"))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o750 {
		t.Errorf("dir mode %v, want 0750", di.Mode().Perm())
	}
	// No temporary files left next to it.
	entries, _ := os.ReadDir(filepath.Join(st.Root, "items", "abc"))
	if len(entries) != 1 {
		t.Errorf("directory has %d entries, want 1", len(entries))
	}

	// Overwrite.
	size, _, err = st.Put(ctx, "items/abc/720p-12345678.mp4", strings.NewReader("short"))
	if err != nil || size != 5 {
		t.Fatalf("overwrite: %d %v", size, err)
	}
	if got := readKey(t, st, "items/abc/720p-12345678.mp4"); string(got) != "short" {
		t.Fatalf("after overwrite: %q", got)
	}

	_, err = st.Open(ctx, "items/abc/missing.mp4")
	if !errors.Is(err, ErrNotExist) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open missing: %v, want ErrNotExist", err)
	}
	_, err = st.Open(ctx, "items/abc") // a directory is not a file
	if !errors.Is(err, ErrNotExist) {
		t.Fatalf("Open directory: %v, want ErrNotExist", err)
	}
}

func TestStoragePutFile(t *testing.T) {
	ctx := context.Background()
	st := newTestStorage(t)
	data := randomBytes(t, 3<<20+7)

	// Same filesystem: renamed.
	src := filepath.Join(t.TempDir(), "upload.bin")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	size, sum, err := st.PutFile(ctx, "items/x/original.bin", src)
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len(data)) || sum != sha256hex(data) {
		t.Fatalf("PutFile = %d %s, want %d %s", size, sum, len(data), sha256hex(data))
	}
	if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("source still there: %v", err)
	}
	if got := readKey(t, st, "items/x/original.bin"); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
	fi, _ := os.Stat(filepath.Join(st.Root, "items", "x", "original.bin"))
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}

	// Another filesystem, when /dev/shm is a different one: copied.
	if shm, err := os.MkdirTemp("/dev/shm", "media-test-"); err == nil {
		defer os.RemoveAll(shm)
		src := filepath.Join(shm, "upload.bin")
		if err := os.WriteFile(src, data, 0o600); err != nil {
			t.Fatal(err)
		}
		size, sum, err := st.PutFile(ctx, "items/y/original.bin", src)
		if err != nil {
			t.Fatal(err)
		}
		if size != int64(len(data)) || sum != sha256hex(data) {
			t.Fatalf("cross-device PutFile = %d %s", size, sum)
		}
		if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("cross-device source still there: %v", err)
		}
		if got := readKey(t, st, "items/y/original.bin"); !bytes.Equal(got, data) {
			t.Fatal("cross-device content differs")
		}
	}

	if _, _, err := st.PutFile(ctx, "items/z/a.bin", filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("PutFile of a missing file succeeded")
	}
}

// failingReader returns data, then an error.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestStoragePutAtomic(t *testing.T) {
	ctx := context.Background()
	st := newTestStorage(t)
	boom := errors.New("boom")

	// A new key: nothing appears.
	_, _, err := st.Put(ctx, "items/a/file.mp4", &failingReader{randomBytes(t, 1<<20), boom})
	if !errors.Is(err, boom) {
		t.Fatalf("Put = %v, want boom", err)
	}
	if _, err := st.Open(ctx, "items/a/file.mp4"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("partial file visible: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(st.Root, "items", "a")); len(entries) != 0 {
		t.Fatalf("leftovers: %v", entries)
	}

	// An existing key: the old content stays.
	if _, _, err := st.Put(ctx, "items/a/file.mp4", strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Put(ctx, "items/a/file.mp4", &failingReader{randomBytes(t, 1<<20), boom}); !errors.Is(err, boom) {
		t.Fatalf("Put = %v, want boom", err)
	}
	if got := readKey(t, st, "items/a/file.mp4"); string(got) != "old" {
		t.Fatalf("after failed overwrite: %d bytes", len(got))
	}

	// A cancelled context stops the copy.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := st.Put(cctx, "items/a/other.mp4", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with cancelled ctx = %v", err)
	}
	if _, err := st.Open(ctx, "items/a/other.mp4"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("cancelled Put left a file: %v", err)
	}
}

func TestStorageDelete(t *testing.T) {
	ctx := context.Background()
	st := newTestStorage(t)
	for _, k := range []string{"items/p1/a.mp4", "items/p1/sub/b.jpg", "items/p10/c.mp4", "items/p1x"} {
		if _, _, err := st.Put(ctx, k, strings.NewReader(k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Delete(ctx, "items/p10/c.mp4"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Open(ctx, "items/p10/c.mp4"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("deleted key opens: %v", err)
	}
	if err := st.Delete(ctx, "items/p10/c.mp4"); err != nil {
		t.Fatalf("Delete missing: %v", err)
	}
	if err := st.Delete(ctx, "nowhere/at/all"); err != nil {
		t.Fatalf("Delete missing dir: %v", err)
	}

	if _, _, err := st.Put(ctx, "items/p10/c.mp4", strings.NewReader("c")); err != nil {
		t.Fatal(err)
	}
	if err := st.DeletePrefix(ctx, "items/p1"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"items/p1/a.mp4", "items/p1/sub/b.jpg"} {
		if _, err := st.Open(ctx, k); !errors.Is(err, ErrNotExist) {
			t.Errorf("%s survived DeletePrefix: %v", k, err)
		}
	}
	for _, k := range []string{"items/p10/c.mp4", "items/p1x"} {
		if _, err := st.Open(ctx, k); err != nil {
			t.Errorf("%s was removed by DeletePrefix(items/p1): %v", k, err)
		}
	}
	if err := st.DeletePrefix(ctx, "items/p1"); err != nil {
		t.Fatalf("DeletePrefix missing: %v", err)
	}
	if err := st.DeletePrefix(ctx, "items/p1x"); err != nil { // a file, not a prefix
		t.Fatal(err)
	}
	if _, err := st.Open(ctx, "items/p1x"); err != nil {
		t.Errorf("file at the prefix itself was removed: %v", err)
	}
}

func TestStorageBadKeys(t *testing.T) {
	ctx := context.Background()
	st := newTestStorage(t)
	src := filepath.Join(t.TempDir(), "f")
	os.WriteFile(src, []byte("x"), 0o600)
	bad := []string{
		"", "/etc/passwd", "../escape", "items/../../x", "items/..", "a/./b", ".",
		`items\x.mp4`, "items//x.mp4", "items/", "items/x\x00.mp4", "..",
	}
	for _, key := range bad {
		if _, _, err := st.Put(ctx, key, strings.NewReader("x")); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, _, err := st.PutFile(ctx, key, src); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("PutFile(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := st.Open(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Open(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := st.Delete(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := st.DeletePrefix(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("DeletePrefix(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("a refused PutFile touched the source: %v", err)
	}
	for _, key := range []string{"a", "items/abc/720p-1a2b3c4d.mp4", "x.y/z_1-2"} {
		if err := CheckKey(key); err != nil {
			t.Errorf("CheckKey(%q) = %v", key, err)
		}
	}
}

// Package media stores media files, serves them over HTTP with byte ranges,
// and receives uploads with the tus 1.0 resumable upload protocol.
//
// Files are always streamed: nothing here holds a whole file in memory.
package media

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Permissions of what LocalStorage and Uploads create.
const (
	dirPerm  = 0o750
	filePerm = 0o640
)

// copyBufferSize is the buffer used when streaming files.
const copyBufferSize = 256 << 10

// ErrNotExist is returned (wrapped) by Storage.Open when a key has no file.
// It wraps fs.ErrNotExist, so errors.Is(err, fs.ErrNotExist) holds too.
var ErrNotExist = fmt.Errorf("media: file does not exist: %w", fs.ErrNotExist)

// ErrInvalidKey is returned (wrapped) for a key that is not a clean relative
// slash-separated path.
var ErrInvalidKey = errors.New("media: invalid key")

// Storage is where media files live. Keys are slash-separated relative paths
// like "items/<publicID>/720p-<sha8>.mp4".
type Storage interface {
	// PutFile moves the local file at path to key atomically and returns its
	// size and hex SHA-256.
	PutFile(ctx context.Context, key, path string) (size int64, sha256hex string, err error)
	// Put streams r to key atomically.
	Put(ctx context.Context, key string, r io.Reader) (size int64, sha256hex string, err error)
	// Open opens key for reading; ErrNotExist when missing.
	Open(ctx context.Context, key string) (File, error)
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// DeletePrefix removes every key under prefix + "/".
	DeletePrefix(ctx context.Context, prefix string) error
}

// File is an open stored file.
type File interface {
	io.ReadSeekCloser
	Size() int64
	ModTime() time.Time
}

// CheckKey reports whether key is a clean relative slash-separated path: not
// empty, no leading "/", no backslash, no empty segment, no "." segment, no
// ".." anywhere, no NUL byte.
func CheckKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	case strings.HasPrefix(key, "/"):
		return fmt.Errorf("%w %q: leading slash", ErrInvalidKey, key)
	case strings.ContainsAny(key, "\\\x00"):
		return fmt.Errorf("%w %q: backslash or NUL", ErrInvalidKey, key)
	case strings.Contains(key, ".."):
		return fmt.Errorf("%w %q: contains \"..\"", ErrInvalidKey, key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." {
			return fmt.Errorf("%w %q: empty or \".\" segment", ErrInvalidKey, key)
		}
	}
	return nil
}

// LocalStorage keeps files under Root on the local filesystem. Directories
// are created as needed (0750), files are 0640.
type LocalStorage struct {
	Root string
}

var _ Storage = (*LocalStorage)(nil)

// NewLocalStorage makes root (and its parents) if needed and returns a
// LocalStorage for it.
func NewLocalStorage(root string) (*LocalStorage, error) {
	if root == "" {
		return nil, errors.New("media: storage root is empty")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("media: storage root: %w", err)
	}
	if err := os.MkdirAll(abs, dirPerm); err != nil {
		return nil, fmt.Errorf("media: storage root: %w", err)
	}
	return &LocalStorage{Root: abs}, nil
}

// path turns a checked key into a filesystem path under Root.
func (s *LocalStorage) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	if s.Root == "" {
		return "", errors.New("media: storage root is empty")
	}
	return filepath.Join(s.Root, filepath.FromSlash(key)), nil
}

// PutFile moves the local file at path to key. When path is on the same
// filesystem the file is hashed, fsynced and renamed into place; otherwise
// it is streamed to a temporary file next to key (hashing as it goes),
// fsynced, renamed into place, and the original is removed. Either way the
// file appears at key whole or not at all.
func (s *LocalStorage) PutFile(ctx context.Context, key, path string) (int64, string, error) {
	dst, err := s.path(key)
	if err != nil {
		return 0, "", err
	}
	if err := ctx.Err(); err != nil {
		return 0, "", err
	}
	src, err := os.Open(path)
	if err != nil {
		return 0, "", fmt.Errorf("media: put %s: %w", key, err)
	}
	defer src.Close()
	if fi, err := src.Stat(); err != nil {
		return 0, "", fmt.Errorf("media: put %s: %w", key, err)
	} else if !fi.Mode().IsRegular() {
		return 0, "", fmt.Errorf("media: put %s: %s is not a regular file", key, path)
	}
	if err := os.MkdirAll(filepath.Dir(dst), dirPerm); err != nil {
		return 0, "", fmt.Errorf("media: put %s: %w", key, err)
	}

	// Same filesystem: hash in place, make it durable, rename.
	h := sha256.New()
	size, err := copyBuffer(h, ctxReader{ctx, src})
	if err != nil {
		return 0, "", fmt.Errorf("media: put %s: hash %s: %w", key, path, err)
	}
	if err := src.Chmod(filePerm); err != nil {
		return 0, "", fmt.Errorf("media: put %s: %w", key, err)
	}
	if err := src.Sync(); err != nil {
		return 0, "", fmt.Errorf("media: put %s: sync: %w", key, err)
	}
	err = os.Rename(path, dst)
	if err == nil {
		syncDir(filepath.Dir(dst))
		syncDir(filepath.Dir(path))
		return size, hex.EncodeToString(h.Sum(nil)), nil
	}
	if !errors.Is(err, syscall.EXDEV) {
		return 0, "", fmt.Errorf("media: put %s: %w", key, err)
	}

	// Another filesystem: stream a copy, then remove the original.
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return 0, "", fmt.Errorf("media: put %s: %w", key, err)
	}
	size, sum, err := writeAtomic(ctx, dst, src)
	if err != nil {
		return 0, "", fmt.Errorf("media: put %s: %w", key, err)
	}
	if err := os.Remove(path); err != nil {
		return 0, "", fmt.Errorf("media: put %s: remove original: %w", key, err)
	}
	return size, sum, nil
}

// Put streams r to key: it writes a temporary file next to key, fsyncs it
// and renames it into place, so a reader never sees a partial file at key.
// If r fails midway, nothing is left behind.
func (s *LocalStorage) Put(ctx context.Context, key string, r io.Reader) (int64, string, error) {
	dst, err := s.path(key)
	if err != nil {
		return 0, "", err
	}
	if err := os.MkdirAll(filepath.Dir(dst), dirPerm); err != nil {
		return 0, "", fmt.Errorf("media: put %s: %w", key, err)
	}
	size, sum, err := writeAtomic(ctx, dst, r)
	if err != nil {
		return 0, "", fmt.Errorf("media: put %s: %w", key, err)
	}
	return size, sum, nil
}

// Open opens key for reading.
func (s *LocalStorage) Open(ctx context.Context, key string) (File, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("media: open %s: %w", key, ErrNotExist)
	} else if err != nil {
		return nil, fmt.Errorf("media: open %s: %w", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("media: open %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("media: open %s: %w", key, ErrNotExist)
	}
	return &localFile{File: f, size: fi.Size(), modTime: fi.ModTime()}, nil
}

// Delete removes key. A missing key is not an error.
func (s *LocalStorage) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("media: delete %s: %w", key, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("media: delete %s: is a directory (use DeletePrefix)", key)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: delete %s: %w", key, err)
	}
	return nil
}

// DeletePrefix removes every key under prefix + "/" (the whole directory).
// A missing prefix is not an error; a file stored at exactly prefix is not
// under it and stays.
func (s *LocalStorage) DeletePrefix(ctx context.Context, prefix string) error {
	p, err := s.path(prefix)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("media: delete prefix %s: %w", prefix, err)
	}
	if !fi.IsDir() {
		return nil
	}
	if err := os.RemoveAll(p); err != nil {
		return fmt.Errorf("media: delete prefix %s: %w", prefix, err)
	}
	return nil
}

// localFile is an open file of LocalStorage. It embeds *os.File, so it has
// SyscallConn: net/http then serves it with sendfile.
type localFile struct {
	*os.File
	size    int64
	modTime time.Time
}

func (f *localFile) Size() int64        { return f.size }
func (f *localFile) ModTime() time.Time { return f.modTime }

// writeAtomic streams r into a temporary file in dst's directory while
// hashing it, fsyncs it and renames it to dst. On any error the temporary
// file is removed and dst is untouched.
func writeAtomic(ctx context.Context, dst string, r io.Reader) (size int64, sum string, err error) {
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return 0, "", err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(filePerm); err != nil {
		return 0, "", err
	}
	h := sha256.New()
	size, err = copyBuffer(hashWriter{tmp, h}, ctxReader{ctx, r})
	if err != nil {
		return 0, "", err
	}
	if err := tmp.Sync(); err != nil {
		return 0, "", err
	}
	if err := tmp.Close(); err != nil {
		return 0, "", err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return 0, "", err
	}
	syncDir(dir)
	return size, hex.EncodeToString(h.Sum(nil)), nil
}

// writeFileAtomic writes small data to path via a temporary file, fsync and
// rename.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(filePerm); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir fsyncs a directory so a rename in it is durable. Errors are
// ignored: some filesystems cannot sync directories.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}

// copyBuffer copies with a fixed-size buffer, hiding io.ReaderFrom and
// io.WriterTo so the buffer size (and the context checks) always apply.
func copyBuffer(w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, copyBufferSize)
	return io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, buf)
}

// hashWriter writes to a file and a hash at once.
type hashWriter struct {
	w io.Writer
	h hash.Hash
}

func (hw hashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	return n, err
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (cr ctxReader) Read(p []byte) (int, error) {
	if err := cr.ctx.Err(); err != nil {
		return 0, err
	}
	return cr.r.Read(p)
}

// randomHex returns n random bytes, hex-encoded.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics on failure)
	return hex.EncodeToString(b)
}

// Path is the file system path of key, for tools such as ffmpeg that read
// files by name. Other storages lack it, and their callers copy the file.
func (s *LocalStorage) Path(key string) (string, error) { return s.path(key) }

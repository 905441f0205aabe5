//go:build !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd

package transcode

import "errors"

// setNice is not supported here; transcoding runs at the server's priority.
func setNice(pid, n int) error {
	return errors.New("niceness is not supported on this system")
}

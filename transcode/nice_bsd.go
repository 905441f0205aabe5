//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package transcode

import "syscall"

// setNice gives process pid niceness n.
func setNice(pid, n int) error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, pid, n)
}

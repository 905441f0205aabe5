package transcode

import (
	"errors"
	"os"
	"strconv"
	"syscall"
)

// setNice gives process pid, and every thread it already has, niceness n.
// On Linux niceness belongs to threads; threads created later inherit it.
func setNice(pid, n int) error {
	err := syscall.Setpriority(syscall.PRIO_PROCESS, pid, n)
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	for _, t := range tasks {
		tid, convErr := strconv.Atoi(t.Name())
		if convErr != nil || tid == pid {
			continue
		}
		if e := syscall.Setpriority(syscall.PRIO_PROCESS, tid, n); e != nil && !errors.Is(e, syscall.ESRCH) {
			err = errors.Join(err, e)
		}
	}
	return err
}

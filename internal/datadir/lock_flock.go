//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package datadir

import (
	"errors"
	"os"
	"syscall"
)

// lockSupported says whether tryLock can lock files on this system.
const lockSupported = true

// errBusy is tryLock's answer when another open file holds the lock.
var errBusy = errors.New("locked by another process")

// tryLock takes an exclusive flock on f without waiting. The lock belongs
// to f's open file description: it holds against every other open of the
// file, in this process too, and ends when f is closed or the process
// exits, however it exits.
func tryLock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lockErr error
	if err := rc.Control(func(fd uintptr) {
		for {
			lockErr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
			if lockErr != syscall.EINTR {
				break
			}
		}
	}); err != nil {
		return err
	}
	if errors.Is(lockErr, syscall.EWOULDBLOCK) {
		return errBusy
	}
	return lockErr
}

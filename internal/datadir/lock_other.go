//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package datadir

import (
	"errors"
	"os"
)

// lockSupported says whether tryLock can lock files on this system.
const lockSupported = false

// errBusy is tryLock's answer when another open file holds the lock.
var errBusy = errors.New("locked by another process")

// tryLock is not available here: Open warns and goes on unlocked.
func tryLock(*os.File) error { return errors.ErrUnsupported }

//go:build !linux

package kit

import (
	"os"
	"syscall"
)

// sysProcAttr is the default elsewhere: process groups are Linux's here.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// killGroup kills p alone.
func killGroup(p *os.Process) error { return p.Kill() }

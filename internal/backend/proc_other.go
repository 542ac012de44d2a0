//go:build !linux

package backend

import (
	"os"
	"syscall"
)

// sysProcAttr has nothing to add outside Linux: there, a moto_server may
// outlive an assumed that is killed (not stopped) before it can stop it.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// terminate asks p to stop.
func terminate(p *os.Process) error {
	if err := p.Signal(os.Interrupt); err != nil {
		return p.Kill()
	}
	return nil
}

// kill kills p.
func kill(p *os.Process) error { return p.Kill() }

package kit

import (
	"os"
	"syscall"
)

// sysProcAttr puts a command in a process group of its own and has the
// kernel kill it if the test binary dies first (Pdeathsig).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup sends SIGKILL to p's process group.
func killGroup(p *os.Process) error {
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil {
		// The group may be gone while the leader is not yet reaped.
		return p.Kill()
	}
	return nil
}

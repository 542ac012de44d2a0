package backend

import (
	"os"
	"syscall"
)

// sysProcAttr puts moto_server in a process group of its own (a Ctrl-C at
// the terminal reaches assumed, which stops it after in-flight requests)
// and has the kernel kill it if assumed dies first (Pdeathsig).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// terminate sends SIGTERM to p's process group.
func terminate(p *os.Process) error { return signalGroup(p, syscall.SIGTERM) }

// kill sends SIGKILL to p's process group.
func kill(p *os.Process) error { return signalGroup(p, syscall.SIGKILL) }

func signalGroup(p *os.Process, sig syscall.Signal) error {
	if err := syscall.Kill(-p.Pid, sig); err != nil {
		// The group may be gone while the leader is not yet reaped.
		return p.Signal(sig)
	}
	return nil
}

// Package testfs has file-system helpers for tests.
package testfs

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// MakeUnwritable makes creating files in dir fail until the test ends: mode
// 0500 for an ordinary user, the immutable attribute (chattr +i) for root,
// whom modes do not stop. The test is skipped when neither can be done.
func MakeUnwritable(t testing.TB, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
	} else {
		if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
			t.Skipf("running as root, where only the immutable attribute makes a dir refuse writes, and chattr +i failed: %v %s", err, out)
		}
		t.Cleanup(func() {
			if out, err := exec.Command("chattr", "-i", dir).CombinedOutput(); err != nil {
				t.Errorf("chattr -i %s: %v %s", dir, err, out)
			}
		})
	}
	probe := filepath.Join(dir, "probe")
	if err := os.WriteFile(probe, nil, 0o600); err == nil {
		os.Remove(probe)
		t.Skipf("%s still accepts new files", dir)
	}
}

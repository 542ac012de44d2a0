package backend

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Started reports whether this process started the backend (--backend
// moto): it is then assumed's to reset along with assumed's own state.
func (b *Backend) Started() bool { return b.proc != nil }

// resetTimeout bounds moto's reset: it drops every backend of every
// account and region in memory.
const resetTimeout = 30 * time.Second

// Reset empties the moto_server this process started: POST
// /moto-api/reset, which drops every resource of every account and
// region. A backend started elsewhere is not assumed's to reset: Reset
// refuses it.
func (b *Backend) Reset(ctx context.Context) error {
	if !b.Started() {
		return fmt.Errorf("the backend %s was not started by assumed: it is not reset", b)
	}
	ctx, cancel := context.WithTimeout(ctx, resetTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.URL.String()+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("reset moto_server: %w", err)
	}
	tr := b.Transport()
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("reset moto_server: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto_server: POST /moto-api/reset answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

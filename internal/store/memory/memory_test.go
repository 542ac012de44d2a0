package memory

import (
	"testing"

	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/internal/store/storetest"
)

// TestConformance runs the store conformance suite (less its durability
// parts: memory keeps nothing).
func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) (store.Store, storetest.Reopen) { return New(nil), nil })
}

package iam

import (
	"context"

	"github.com/assumed-dev/assumed/internal/directory"
)

// txn is one IAM write (see directory.Txn).
type txn = directory.Txn

// update runs fn as one write through the shared writer.
func (s *Service) update(ctx context.Context, fn func(t *txn) error) error {
	return s.writer.Update(ctx, fn)
}

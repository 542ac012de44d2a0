package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Changes returns a channel that receives a value soon after any node
// commits a batch, until ctx ends. It listens on Channel on a connection
// of its own, and listens again after losing it (backing off up to 5 s);
// notifications sent meanwhile are lost, so a follower also checks the
// version periodically. A value waiting unread stands for every
// notification since: the channel holds one.
func (s *Store) Changes(ctx context.Context, log *slog.Logger) <-chan struct{} {
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	go func() {
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			err := s.listen(ctx, signal, func() { backoff = 100 * time.Millisecond })
			if ctx.Err() != nil {
				return
			}
			log.Warn("listen for other nodes' changes; listening again", "store", s.desc, "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			// What was committed while not listening is caught by the
			// follower's next check; signal one now so it comes soon.
			signal()
		}
	}()
	return out
}

// listen holds one connection listening on Channel, calling signal for
// every notification, until an error or ctx ends.
func (s *Store) listen(ctx context.Context, signal, connected func()) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection carries a LISTEN: it is not given back to the pool.
	raw := conn.Hijack()
	defer raw.Close(context.WithoutCancel(ctx))
	if _, err := raw.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	connected()
	for {
		if _, err := raw.WaitForNotification(ctx); err != nil {
			return err
		}
		signal()
	}
}

// writeLock is the advisory lock that serializes the nodes' writes
// ("assumedw").
const writeLock int64 = 0x617373756d656477

// LockWrites takes the store-wide write lock, which nodes hold while they
// catch up with the store, decide a write and apply it: without it, nodes
// writing at once would overtake each other's decisions and retry. It is
// a session advisory lock on a connection held until unlock, so a node
// that dies releases it with its connection.
func (s *Store) LockWrites(ctx context.Context) (unlock func(), err error) {
	leave, err := s.enter()
	if err != nil {
		return nil, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		leave()
		return nil, fmt.Errorf("postgres store %s: take the write lock: %w", s.desc, err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, writeLock); err != nil {
		conn.Release()
		leave()
		return nil, fmt.Errorf("postgres store %s: take the write lock: %w", s.desc, err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, writeLock); err != nil {
			// The lock is the session's: close the connection to drop it.
			conn.Conn().Close(ctx)
		}
		conn.Release()
		leave()
	}, nil
}

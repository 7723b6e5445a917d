// Package etcdstore is store.Store on etcd, so every node of a frontdoor
// cluster shares one center's CDRs, agents, audit, registrations, calls in
// progress and callbacks, and a node's death loses none of them.
//
// Every operation is bounded by a short deadline: without quorum a call fails
// within it, wrapping store.ErrUnavailable, instead of hanging a call flow.
// Layout, transactions and failure behaviour: docs/store-etcd.md.
package etcdstore

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/frontdoor-project/frontdoor/store"
)

// DefaultPrefix is the cluster's key prefix when Config.Prefix is empty.
const DefaultPrefix = "/frontdoor"

// DefaultTimeout bounds each operation when Config.Timeout is zero: long
// enough for a leader election (about a second), short enough that a call
// flow notices lost quorum at once.
const DefaultTimeout = 2 * time.Second

// pageSize bounds one range read, so a long CDR history is read in pieces
// (one revision for all of them) rather than in one huge message.
const pageSize = 1000

// Config says which etcd to use and how.
type Config struct {
	// Client, if set, is used as is and left open by Close. Otherwise
	// Endpoints (with TLS, if set) are dialled and Close closes that client.
	Client    *clientv3.Client
	Endpoints []string
	TLS       *tls.Config
	// Prefix is the cluster's key prefix; the store's keys are under
	// Prefix + "/store/". Default DefaultPrefix.
	Prefix string
	// Timeout bounds each operation (each page of a listing). Default DefaultTimeout.
	Timeout time.Duration
	// Now is the clock for registration leases. Default time.Now.
	Now func() time.Time
}

// Store is the etcd store.
type Store struct {
	cli     *clientv3.Client
	owned   bool
	root    string // Prefix + "/store/"
	timeout time.Duration
	now     func() time.Time
}

var _ store.Store = (*Store)(nil)

// Open makes a store on cfg's etcd. It does not wait for etcd to answer: the
// first operation tells whether it does.
func Open(cfg Config) (*Store, error) {
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !strings.HasPrefix(prefix, "/") {
		return nil, fmt.Errorf("etcdstore: prefix %q does not start with /", prefix)
	}
	s := &Store{cli: cfg.Client, root: strings.TrimRight(prefix, "/") + "/store/", timeout: cfg.Timeout, now: cfg.Now}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cli == nil {
		if len(cfg.Endpoints) == 0 {
			return nil, errors.New("etcdstore: no etcd endpoints")
		}
		cli, err := clientv3.New(clientv3.Config{
			Endpoints:   cfg.Endpoints,
			TLS:         cfg.TLS,
			DialTimeout: s.timeout,
			// Keepalives notice a dead member, so requests move to a live one.
			DialKeepAliveTime:    s.timeout,
			DialKeepAliveTimeout: s.timeout,
			Logger:               zap.NewNop(), // errors are returned, wrapped
		})
		if err != nil {
			return nil, fmt.Errorf("etcdstore: client for %s: %w", strings.Join(cfg.Endpoints, ","), err)
		}
		s.cli, s.owned = cli, true
	}
	return s, nil
}

// Close closes the client if Open dialled it.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	if err := s.cli.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("etcdstore: close: %w", err)
	}
	return nil
}

// do runs one bounded operation and wraps its error with what it was.
func (s *Store) do(ctx context.Context, what string, op func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("etcdstore: %s: %w", what, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := op(ctx); err != nil {
		return wrap(what, err)
	}
	return nil
}

func wrap(what string, err error) error {
	if unavailable(err) {
		return fmt.Errorf("etcdstore: %s: %w: %w", what, store.ErrUnavailable, err)
	}
	return fmt.Errorf("etcdstore: %s: %w", what, err)
}

// unavailable tells etcd not answering (deadline passed, no leader, member
// stopped or unreachable) from a refusal or a cancelled caller.
func unavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var code codes.Code
	var ee rpctypes.EtcdError
	if errors.As(err, &ee) {
		code = ee.Code()
	} else if st, ok := status.FromError(err); ok {
		code = st.Code()
	}
	return code == codes.Unavailable || code == codes.DeadlineExceeded
}

// put writes one JSON value.
func (s *Store) put(ctx context.Context, what, key string, v any, opts ...clientv3.OpOption) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("etcdstore: %s: %w", what, err)
	}
	return s.do(ctx, what, func(ctx context.Context) error {
		_, err := s.cli.Put(ctx, key, string(raw), opts...)
		return err
	})
}

func (s *Store) del(ctx context.Context, what, key string) error {
	return s.do(ctx, what, func(ctx context.Context) error {
		_, err := s.cli.Delete(ctx, key)
		return err
	})
}

// list decodes every value with a key in [from, end), in key order, read at
// one revision page by page.
func list[T any](ctx context.Context, s *Store, what, from, end string) ([]T, error) {
	var out []T
	var rev int64
	for {
		var resp *clientv3.GetResponse
		err := s.do(ctx, what, func(ctx context.Context) error {
			var err error
			resp, err = s.cli.Get(ctx, from, clientv3.WithRange(end), clientv3.WithLimit(pageSize), clientv3.WithRev(rev))
			return err
		})
		if err != nil {
			return nil, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			var item T
			if err := json.Unmarshal(kv.Value, &item); err != nil {
				return nil, fmt.Errorf("etcdstore: %s: record %s: %w", what, kv.Key, err)
			}
			out = append(out, item)
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return out, nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// listPrefix lists every value under root + dir.
func listPrefix[T any](ctx context.Context, s *Store, what, dir string) ([]T, error) {
	p := s.root + dir
	return list[T](ctx, s, what, p, clientv3.GetPrefixRangeEnd(p))
}

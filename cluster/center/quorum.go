// Package center holds what a cluster node runs besides the replicated ACD
// (package cluster) and the etcd store: the quorum watch that refuses new
// calls while etcd cannot decide, the leader's sweeps that write the CDRs of
// a dead node's calls (cut-off) and take over its booked callbacks
// (takeover), and the cluster status report.
package center

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/frontdoor-project/frontdoor/cluster"
)

// Quorum probe pace: a linearizable read needs the etcd leader and a
// quorum, so it fails within probeTimeout of quorum going; new calls are
// refused electionGrace after that, and admitted again one probe after it
// returns.
const (
	probeEvery   = 500 * time.Millisecond
	probeTimeout = time.Second
	// electionGrace is how long etcd may fail to answer before new calls are
	// refused. Killing etcd's raft leader stops every read for one election
	// (election timeout 1 s plus a round): refusing at once made every node
	// 503 the same INVITE, and Kamailio, with no node left, answered 500. An
	// arrival admitted meanwhile waits out the election in Submit (its 2 s
	// deadline), so only a lasting loss of quorum is refused.
	electionGrace = 2 * time.Second
)

// Quorum tells whether etcd answers linearizable reads now.
type Quorum struct {
	cli *clientv3.Client
	key string
	log *slog.Logger
	err atomic.Pointer[error] // nil: answering
	// failingSince is when the current run of failed probes began (only
	// Run's goroutine touches it).
	failingSince time.Time
}

// NewQuorum watches etcd through cli by reading key (any key of the center).
// Until the first probe answers it counts as available.
func NewQuorum(cli *clientv3.Client, key string, log *slog.Logger) *Quorum {
	return &Quorum{cli: cli, key: key, log: log}
}

// Err is nil while etcd answers, else an error wrapping cluster.ErrNoQuorum.
func (q *Quorum) Err() error {
	if p := q.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Run probes until ctx ends.
func (q *Quorum) Run(ctx context.Context) {
	t := time.NewTicker(probeEvery)
	defer t.Stop()
	for {
		q.probe(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (q *Quorum) probe(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	_, err := q.cli.Get(pctx, q.key) // linearizable: needs a quorum
	if ctx.Err() != nil {
		return
	}
	was := q.Err()
	if err == nil {
		if was != nil {
			q.log.Info("cluster: etcd answers again; taking new calls")
		}
		q.failingSince = time.Time{}
		q.err.Store(nil)
		return
	}
	if q.failingSince.IsZero() {
		q.failingSince = time.Now()
	}
	if time.Since(q.failingSince) < electionGrace {
		q.log.Debug("cluster: etcd does not answer (an election?)", "err", err)
		return
	}
	e := fmt.Errorf("%w: %v", cluster.ErrNoQuorum, err)
	if was == nil {
		q.log.Error("cluster: etcd does not answer; refusing new calls, keeping those in progress", "err", err)
	}
	q.err.Store(&e)
}

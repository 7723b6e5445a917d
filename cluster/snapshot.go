package cluster

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Snapshots keep the log short. The leader writes <prefix>/acd/snapshot,
// the replica's whole state after one log record, every SnapshotEvery
// entries (or SnapshotInterval, if entries came at all); a starting node
// restores it and applies only the records after it.
//
// Writing snapshot n, the leader deletes the log records at or below
// snapshot n-1: one snapshot's worth of records stays as a margin, so a
// replica that has applied anything since snapshot n-1 goes on from the
// log without a jump. The snapshot says how far the log was trimmed
// (Trimmed, written before anything is deleted): a replica that has
// applied less than that has lost records and restores the snapshot
// instead. The leader also compacts etcd's history up to the newest
// snapshot written at least CompactAfter ago, so a read pinned to an older
// revision (a replay in progress, a lagging watch) fails with
// ErrCompacted and starts again from the snapshot rather than miss records.

// snapshot is the value of the snapshot key (gzipped JSON).
type snapshot struct {
	Rev     int64 `json:"rev"`     // the last log record applied
	Index   int   `json:"index"`   // the last entry's place in that record
	Entries int64 `json:"entries"` // entries in the log up to here, since the first
	// Trimmed: log records at or below this revision may be gone.
	Trimmed int64             `json:"trimmed"`
	Clock   time.Time         `json:"clock"` // the log clock
	Owner   map[string]string `json:"owner"` // call -> node holding its leg
	Home    map[string]string `json:"home"`  // agent -> node of its last login
	Engine  json.RawMessage   `json:"engine"`
	// Written is the leader's wall clock at writing; Older lists the
	// revisions earlier snapshots were written at, not yet compacted.
	Written time.Time `json:"written"`
	Older   []mark    `json:"older,omitempty"`
}

// mark is where and when a snapshot was written.
type mark struct {
	Rev int64     `json:"rev"`
	At  time.Time `json:"at"`
}

func (a *ACD) snapshotKey() string { return a.key("acd", "snapshot") }

func encodeSnapshot(s *snapshot) ([]byte, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if err := json.NewEncoder(zw).Encode(s); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func decodeSnapshot(val []byte) (*snapshot, error) {
	zr, err := gzip.NewReader(bytes.NewReader(val))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	s := &snapshot{}
	if err := json.Unmarshal(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

// readSnapshot reads the newest snapshot (nil if none), with the revision
// it was read at and the revision it was written at.
func (a *ACD) readSnapshot(ctx context.Context) (snap *snapshot, at, written int64, err error) {
	rctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	resp, err := a.cli.Get(clientv3.WithRequireLeader(rctx), a.snapshotKey())
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read snapshot: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return nil, resp.Header.Revision, 0, nil
	}
	snap, err = decodeSnapshot(resp.Kvs[0].Value)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("decode snapshot %s: %w", a.snapshotKey(), err)
	}
	return snap, resp.Header.Revision, resp.Kvs[0].ModRevision, nil
}

// loadSnapshot restores the newest snapshot when the replica needs it: on
// replay when it is ahead of the replica (faster than the records it
// stands for), later only when records the replica has not applied are
// gone. It returns the revision the log is then read at.
func (a *ACD) loadSnapshot(ctx context.Context, replay bool) (int64, error) {
	snap, at, _, err := a.readSnapshot(ctx)
	if err != nil || snap == nil {
		return at, err
	}
	applied := a.applied.Load()
	if snap.Rev <= applied || (!replay && snap.Trimmed <= applied) {
		return at, nil
	}
	if !replay {
		// The entries in between are lost to this replica's OnApplied:
		// its part in them (offers to its agents, ...) is not replayed.
		a.log.Error("cluster: replica fell behind the trimmed log; jumping to the snapshot",
			"applied", applied, "trimmed", snap.Trimmed, "snapshot", snap.Rev)
	}
	a.cfg.Locker.Lock()
	defer a.cfg.Locker.Unlock()
	if err := a.eng.RestoreState(snap.Engine); err != nil {
		return 0, fmt.Errorf("restore snapshot at revision %d: %w", snap.Rev, err)
	}
	a.owner, a.home = orEmpty(snap.Owner), orEmpty(snap.Home)
	a.clock.now, a.entries, a.lastIndex = snap.Clock, snap.Entries, snap.Index
	a.applied.Store(snap.Rev)
	a.restored.Add(1)
	a.log.Info("cluster: restored snapshot", "rev", snap.Rev, "entries", snap.Entries)
	a.poke()
	a.changed.fire()
	return at, nil
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// noteApplied counts the entries of a record just applied. Locker held.
func (a *ACD) noteApplied(n int) {
	a.entries += int64(n)
	a.lastIndex = n - 1
}

// snapshotter writes snapshots while this node leads (ctx).
func (a *ACD) snapshotter(ctx context.Context, el *concurrency.Election) {
	if a.cfg.SnapshotEvery < 0 {
		return
	}
	var last *snapshot
	tick := time.NewTicker(a.cfg.SnapshotInterval)
	defer tick.Stop()
	for ctx.Err() == nil {
		changed := a.changed.wait()
		if last == nil {
			snap, _, _, err := a.readSnapshot(ctx)
			if err != nil {
				a.log.Warn("cluster: snapshot: read the newest", "err", err)
				if sleepCtx(ctx, retryDelay) != nil {
					return
				}
				continue
			}
			if last = snap; last == nil {
				last = &snapshot{Written: a.cfg.Now()} // the interval counts from now
			}
		}
		a.cfg.Locker.Lock()
		since := a.entries - last.Entries
		a.cfg.Locker.Unlock()
		if since >= int64(a.cfg.SnapshotEvery) || (since > 0 && a.cfg.Now().Sub(last.Written) >= a.cfg.SnapshotInterval) {
			snap, err := a.writeSnapshot(ctx, el)
			switch {
			case err != nil:
				a.log.Warn("cluster: snapshot not written", "err", err)
				last = nil // read it again: another leader may have written one
				if sleepCtx(ctx, retryDelay) != nil {
					return
				}
				continue
			case snap != nil:
				last = snap
			}
		}
		select {
		case <-ctx.Done():
		case <-changed:
		case <-tick.C:
		}
	}
}

func orNone(s *snapshot) *snapshot {
	if s == nil {
		return &snapshot{}
	}
	return s
}

var errDeposed = errors.New("no longer the leader (or another snapshot came first)")

// writeSnapshot writes the replica's state as the newest snapshot, if the
// node still leads, then trims the log and compacts etcd's history.
func (a *ACD) writeSnapshot(ctx context.Context, el *concurrency.Election) (*snapshot, error) {
	a.cfg.Locker.Lock()
	state, err := a.eng.MarshalState()
	snap := &snapshot{Rev: a.applied.Load(), Index: a.lastIndex, Entries: a.entries, Clock: a.clock.now,
		Owner: maps.Clone(a.owner), Home: maps.Clone(a.home), Engine: state, Written: a.cfg.Now()}
	a.cfg.Locker.Unlock()
	if err != nil {
		return nil, err
	}
	prev, _, prevWritten, err := a.readSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	prev = orNone(prev)
	if prev.Rev >= snap.Rev {
		return prev, nil
	}
	snap.Trimmed = prev.Rev
	compactTo := int64(0)
	older := prev.Older
	if a.cfg.CompactAfter < 0 {
		older = nil // never compacted: marks would only pile up in the value
	} else if prevWritten != 0 {
		older = append(older, mark{Rev: prevWritten, At: prev.Written})
	}
	for len(older) > 0 && a.cfg.CompactAfter >= 0 && snap.Written.Sub(older[0].At) >= a.cfg.CompactAfter {
		compactTo, older = older[0].Rev, older[1:]
	}
	snap.Older = older
	val, err := encodeSnapshot(snap)
	if err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	tctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	// Only the leader, and only over the snapshot it read: a deposed
	// leader cannot put an older state over a newer one.
	resp, err := a.cli.Txn(clientv3.WithRequireLeader(tctx)).
		If(clientv3.Compare(clientv3.CreateRevision(el.Key()), "=", el.Rev()),
			clientv3.Compare(clientv3.ModRevision(a.snapshotKey()), "=", prevWritten)).
		Then(clientv3.OpPut(a.snapshotKey(), string(val))).Commit()
	if err != nil {
		return nil, fmt.Errorf("put snapshot: %w", err)
	}
	if !resp.Succeeded {
		return nil, errDeposed
	}
	a.log.Info("cluster: snapshot written", "rev", snap.Rev, "entries", snap.Entries, "bytes", len(val))
	if err := a.trim(ctx, snap.Trimmed); err != nil {
		a.log.Warn("cluster: trim log", "through", snap.Trimmed, "err", err)
	}
	if compactTo > 0 {
		cctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
		defer cancel()
		if _, err := a.cli.Compact(cctx, compactTo); err != nil && !errors.Is(err, rpctypes.ErrCompacted) {
			a.log.Warn("cluster: compact etcd history", "rev", compactTo, "err", err)
		}
	}
	return snap, nil
}

// maxTxnOps is etcd's default limit of operations in one transaction.
const maxTxnOps = 128

// trim deletes the log records at or below revision through. Records are
// keyed by node and counter, not revision, so they are found by a read.
func (a *ACD) trim(ctx context.Context, through int64) error {
	for through > 0 {
		rctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
		resp, err := a.cli.Get(rctx, a.logPrefix(), clientv3.WithPrefix(), clientv3.WithKeysOnly(),
			clientv3.WithMaxModRev(through), clientv3.WithLimit(replayPage))
		cancel()
		if err != nil {
			return fmt.Errorf("list records: %w", err)
		}
		if len(resp.Kvs) == 0 {
			return nil
		}
		for i := 0; i < len(resp.Kvs); i += maxTxnOps {
			var ops []clientv3.Op
			for _, kv := range resp.Kvs[i:min(i+maxTxnOps, len(resp.Kvs))] {
				ops = append(ops, clientv3.OpDelete(string(kv.Key)))
			}
			tctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
			_, err := a.cli.Txn(tctx).Then(ops...).Commit()
			cancel()
			if err != nil {
				return fmt.Errorf("delete records: %w", err)
			}
		}
	}
	return nil
}

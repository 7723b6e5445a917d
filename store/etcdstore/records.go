package etcdstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/frontdoor-project/frontdoor/store"
)

// PutAgent implements store.Store. A single Put is atomic; the agent's home
// node is its only writer, so there is nothing for a transaction to compare.
func (s *Store) PutAgent(ctx context.Context, a store.AgentRecord) error {
	if a.ID == "" {
		return errors.New("etcdstore: agent without id")
	}
	return s.put(ctx, "put agent "+a.ID, s.root+dirAgent+a.ID, a)
}

// Agents implements store.Store.
func (s *Store) Agents(ctx context.Context) ([]store.AgentRecord, error) {
	return listPrefix[store.AgentRecord](ctx, s, "list agents", dirAgent)
}

// AppendAudit implements store.Store. The sequence is a counter key: one
// transaction writes the next number and the record only if the counter is
// unchanged since it was read, so concurrent appenders from any node get
// distinct, gapless numbers (the loser re-reads and tries again).
func (s *Store) AppendAudit(ctx context.Context, r store.AuditRecord) error {
	seqKey := s.root + keyAuditSeq
	return s.do(ctx, "append audit", func(ctx context.Context) error {
		resp, err := s.cli.Get(ctx, seqKey)
		if err != nil {
			return err
		}
		kvs := resp.Kvs
		for {
			var last uint64
			var modRev int64
			if len(kvs) == 1 {
				if last, err = strconv.ParseUint(string(kvs[0].Value), 10, 64); err != nil {
					return fmt.Errorf("counter %s: %w", seqKey, err)
				}
				modRev = kvs[0].ModRevision
			}
			r.Seq = last + 1
			raw, err := json.Marshal(r)
			if err != nil {
				return err
			}
			txn, err := s.cli.Txn(ctx).
				If(clientv3.Compare(clientv3.ModRevision(seqKey), "=", modRev)).
				Then(clientv3.OpPut(seqKey, strconv.FormatUint(r.Seq, 10)),
					clientv3.OpPut(s.root+dirAudit+fmt.Sprintf("%020d", r.Seq), string(raw))).
				Else(clientv3.OpGet(seqKey)).
				Commit()
			if err != nil {
				return err
			}
			if txn.Succeeded {
				return nil
			}
			kvs = txn.Responses[0].GetResponseRange().Kvs
		}
	})
}

// Audit implements store.Store: in sequence order, those at or after since.
func (s *Store) Audit(ctx context.Context, since time.Time) ([]store.AuditRecord, error) {
	all, err := listPrefix[store.AuditRecord](ctx, s, "list audit", dirAudit)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, r := range all {
		if !r.Time.Before(since) {
			out = append(out, r)
		}
	}
	return out, nil
}

// PutRegistration implements store.Store. The key is leased until Expires, so
// etcd deletes it when the phone stops re-registering, even if the node that
// stored it is dead. One that has already expired is removed.
func (s *Store) PutRegistration(ctx context.Context, r store.Registration) error {
	if r.AgentID == "" {
		return errors.New("etcdstore: registration without agent_id")
	}
	what, key := "put registration "+r.AgentID, s.root+dirReg+r.AgentID
	left := r.Expires.Sub(s.now())
	if left <= 0 {
		return s.del(ctx, what, key)
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("etcdstore: %s: %w", what, err)
	}
	ttl := int64(math.Ceil(left.Seconds()))
	return s.do(ctx, what, func(ctx context.Context) error {
		lease, err := s.cli.Grant(ctx, ttl)
		if err != nil {
			return err
		}
		put, err := s.cli.Put(ctx, key, string(raw), clientv3.WithLease(lease.ID), clientv3.WithPrevKV())
		if err != nil {
			return err
		}
		// The key has left its previous lease: revoke it, or every
		// re-REGISTER would leave a lease alive until its old expiry. It
		// holds no key now, so a failure here costs nothing but that.
		if prev := put.PrevKv; prev != nil && prev.Lease != 0 && prev.Lease != int64(lease.ID) {
			_, _ = s.cli.Revoke(ctx, clientv3.LeaseID(prev.Lease))
		}
		return nil
	})
}

// DeleteRegistration implements store.Store.
func (s *Store) DeleteRegistration(ctx context.Context, agentID string) error {
	return s.del(ctx, "delete registration "+agentID, s.root+dirReg+agentID)
}

// Registrations implements store.Store: only those not yet expired. etcd
// expires a lease within about a second, and a new etcd leader extends the
// leases it takes over; Expires is the exact rule.
func (s *Store) Registrations(ctx context.Context) ([]store.Registration, error) {
	all, err := listPrefix[store.Registration](ctx, s, "list registrations", dirReg)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := all[:0]
	for _, r := range all {
		if r.Expires.After(now) {
			out = append(out, r)
		}
	}
	return out, nil
}

// PutActiveCall implements store.Store.
func (s *Store) PutActiveCall(ctx context.Context, c store.ActiveCall) error {
	if c.CallID == "" {
		return errors.New("etcdstore: active call without call_id")
	}
	return s.put(ctx, "put active call "+c.CallID, s.root+dirActive+c.CallID, c)
}

// DeleteActiveCall implements store.Store.
func (s *Store) DeleteActiveCall(ctx context.Context, callID string) error {
	return s.del(ctx, "delete active call "+callID, s.root+dirActive+callID)
}

// ActiveCalls implements store.Store.
func (s *Store) ActiveCalls(ctx context.Context) ([]store.ActiveCall, error) {
	return listPrefix[store.ActiveCall](ctx, s, "list active calls", dirActive)
}

// PutCallback implements store.Store.
func (s *Store) PutCallback(ctx context.Context, c store.Callback) error {
	if c.CallID == "" {
		return errors.New("etcdstore: callback without call_id")
	}
	return s.put(ctx, "put callback "+c.CallID, s.root+dirCallback+c.CallID, c)
}

// DeleteCallback implements store.Store.
func (s *Store) DeleteCallback(ctx context.Context, callID string) error {
	return s.del(ctx, "delete callback "+callID, s.root+dirCallback+callID)
}

// Callbacks implements store.Store.
func (s *Store) Callbacks(ctx context.Context) ([]store.Callback, error) {
	return listPrefix[store.Callback](ctx, s, "list callbacks", dirCallback)
}

// UpdateCallback implements store.Store: as ClaimCallback, the record is
// rewritten only at the mod revision it was read and judged still rec's.
func (s *Store) UpdateCallback(ctx context.Context, rec store.Callback) (bool, error) {
	return s.rewrite(ctx, "update callback "+rec.CallID, s.root+dirCallback+rec.CallID, rec.Updates)
}

// ClaimCallback implements store.Store: the record is rewritten only if its
// mod revision is the one just read and judged claimable, so of two nodes
// claiming at once the second re-reads, finds the first's claim, and fails.
func (s *Store) ClaimCallback(ctx context.Context, rec store.Callback, to string) (store.Callback, bool, error) {
	var claimed store.Callback
	ok, err := s.rewrite(ctx, "claim callback "+rec.CallID, s.root+dirCallback+rec.CallID, func(raw []byte) ([]byte, bool, error) {
		c, enc, fits, err := rec.Claimed(raw, to)
		claimed = c
		return enc, fits, err
	})
	if !ok {
		claimed = store.Callback{}
	}
	return claimed, ok, err
}

// rewrite replaces key's value with what change makes of it, compared on
// the mod revision it read (read again after a lost race); false when the
// key is gone or change declines.
func (s *Store) rewrite(ctx context.Context, what, key string, change func(raw []byte) ([]byte, bool, error)) (bool, error) {
	var ok bool
	err := s.do(ctx, what, func(ctx context.Context) error {
		resp, err := s.cli.Get(ctx, key)
		if err != nil {
			return err
		}
		kvs := resp.Kvs
		for len(kvs) == 1 {
			enc, fits, err := change(kvs[0].Value)
			if err != nil || !fits {
				return err
			}
			txn, err := s.cli.Txn(ctx).
				If(clientv3.Compare(clientv3.ModRevision(key), "=", kvs[0].ModRevision)).
				Then(clientv3.OpPut(key, string(enc))).
				Else(clientv3.OpGet(key)).
				Commit()
			if err != nil {
				return err
			}
			if txn.Succeeded {
				ok = true
				return nil
			}
			kvs = txn.Responses[0].GetResponseRange().Kvs
		}
		return nil // gone
	})
	return ok, err
}

package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/frontdoor-project/frontdoor/store"
)

// Key directories under root.
const (
	dirCDR      = "cdr/"       // <ended_at key>/<call_id> -> CDR
	dirFinal    = "cdr-final/" // <call_id> -> the key of the call's final CDR
	dirAgent    = "agent/"     // <agent id> -> AgentRecord
	dirAudit    = "audit/"     // <seq, 20 digits> -> AuditRecord
	keyAuditSeq = "audit-seq"  // the last audit sequence number, decimal
	dirReg      = "reg/"       // <agent id> -> Registration, leased until Expires
	dirActive   = "active/"    // <call id> -> ActiveCall
	dirCallback = "callback/"  // <call id> -> Callback
)

// timeKey orders by t as text: 16 hex digits of the nanoseconds with the sign
// bit flipped, so times before 1970 sort first (as in the bbolt store).
func timeKey(t time.Time) string {
	return fmt.Sprintf("%016x", uint64(t.UnixNano())^(1<<63))
}

// PutCDR implements store.Store. One transaction writes the CDR only if no
// CDR has this key (ended_at, call_id) and, for a final CDR, the call has no
// final CDR yet; so of two nodes recording one call, exactly one succeeds.
// The same CDR again is accepted: a retry after ErrUnavailable may find its
// first attempt committed.
func (s *Store) PutCDR(ctx context.Context, c store.CDR) error {
	if err := c.Check(); err != nil {
		return fmt.Errorf("etcdstore: %w", err)
	}
	what := "put cdr " + c.CallID
	raw, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("etcdstore: %s: %w", what, err)
	}
	key := s.root + dirCDR + timeKey(c.EndedAt) + "/" + c.CallID
	conds := []clientv3.Cmp{clientv3.Compare(clientv3.Version(key), "=", 0)}
	ops := []clientv3.Op{clientv3.OpPut(key, string(raw))}
	if c.Final() {
		final := s.root + dirFinal + c.CallID
		conds = append(conds, clientv3.Compare(clientv3.Version(final), "=", 0))
		ops = append(ops, clientv3.OpPut(final, key))
	}
	var resp *clientv3.TxnResponse
	err = s.do(ctx, what, func(ctx context.Context) error {
		var err error
		resp, err = s.cli.Txn(ctx).If(conds...).Then(ops...).Else(clientv3.OpGet(key)).Commit()
		return err
	})
	if err != nil {
		return err
	}
	if resp.Succeeded {
		return nil
	}
	if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) == 1 && string(kvs[0].Value) == string(raw) {
		return nil
	}
	return fmt.Errorf("etcdstore: %s: %w", what, store.ErrCDRExists)
}

// CDRs implements store.Store.
func (s *Store) CDRs(ctx context.Context, since time.Time) ([]store.CDR, error) {
	p := s.root + dirCDR
	from := p
	if !since.IsZero() {
		from += timeKey(since)
	}
	return list[store.CDR](ctx, s, "list cdrs", from, clientv3.GetPrefixRangeEnd(p))
}

package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketCDR    = []byte("cdrs")          // key: ended_at (8 bytes, ns, big endian) + call_id
	bucketAgent  = []byte("agents")        // key: agent id
	bucketAudit  = []byte("audit")         // key: sequence (8 bytes)
	bucketReg    = []byte("registrations") // key: agent id
	bucketActive = []byte("active_calls")  // key: call id
	bucketCB     = []byte("callbacks")     // key: call id
	// bucketFinal indexes each call's final CDR: call id -> its bucketCDR key.
	bucketFinal = []byte("cdr_final")
)

// openTimeout bounds waiting for another process's lock on the file.
const openTimeout = 2 * time.Second

// batchDelay is how long a write waits for others to share its commit.
const batchDelay = 2 * time.Millisecond

// Bolt is the embedded bbolt store: one file, fsync'd on every commit.
type Bolt struct{ db *bolt.DB }

var _ Store = (*Bolt)(nil)

// Open opens (or creates) dir/frontdoor.db.
func Open(dir string) (*Bolt, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	path := filepath.Join(dir, "frontdoor.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: openTimeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("store: %s is in use by another process (is frontdoor already running?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketFinal) == nil {
			if err := indexFinalCDRs(tx); err != nil {
				return err
			}
		}
		for _, b := range [][]byte{bucketCDR, bucketAgent, bucketAudit, bucketReg, bucketActive, bucketCB, bucketFinal} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: init %s: %w", path, err)
	}
	// A short batch window: a lone writer waits little, concurrent ones
	// still share one fsync.
	db.MaxBatchDelay = batchDelay
	return &Bolt{db: db}, nil
}

// indexFinalCDRs builds the final-CDR index of a file written before it
// existed (a later CDR of a call wins, as a reader saw it then).
func indexFinalCDRs(tx *bolt.Tx) error {
	idx, err := tx.CreateBucket(bucketFinal)
	if err != nil {
		return err
	}
	cdrs := tx.Bucket(bucketCDR)
	if cdrs == nil {
		return nil
	}
	return cdrs.ForEach(func(k, v []byte) error {
		var c CDR
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("record %x: %w", k, err)
		}
		if !c.Final() {
			return nil
		}
		return idx.Put([]byte(c.CallID), bytes.Clone(k))
	})
}

// Close closes the file.
func (b *Bolt) Close() error { return b.db.Close() }

// timeKey orders by t, then id. The sign bit is flipped so times before
// 1970 still sort before later ones.
func timeKey(t time.Time, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano())^(1<<63))
	return append(k, id...)
}

// put writes one JSON value. Batch coalesces concurrent writers into one fsync,
// which is what keeps CDR writes cheap at high call rates.
func (b *Bolt) put(ctx context.Context, bucket, key []byte, v any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key, raw) })
}

func (b *Bolt) del(ctx context.Context, bucket, key []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete(key) })
}

// scan decodes every value from start (nil = first) in key order.
func scan[T any](ctx context.Context, b *Bolt, bucket, start []byte) ([]T, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []T
	err := b.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		k, v := c.First()
		if start != nil {
			k, v = c.Seek(start)
		}
		for ; k != nil; k, v = c.Next() {
			var item T
			if err := json.Unmarshal(v, &item); err != nil {
				return fmt.Errorf("record %x: %w", k, err)
			}
			out = append(out, item)
		}
		return nil
	})
	return out, err
}

// PutCDR implements Store: a call's final CDR and each transfer leg are
// written once; an identical CDR again is accepted (a retry), a different
// one refused with ErrCDRExists.
func (b *Bolt) PutCDR(ctx context.Context, c CDR) error {
	if err := c.Check(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: CDR %s: %w", c.CallID, err)
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("store: CDR %s: %w", c.CallID, err)
	}
	key := timeKey(c.EndedAt, c.CallID)
	// Batch may run this more than once: it only reads before it writes.
	err = b.db.Batch(func(tx *bolt.Tx) error {
		cdrs, final := tx.Bucket(bucketCDR), tx.Bucket(bucketFinal)
		if old := cdrs.Get(key); old != nil {
			if bytes.Equal(old, raw) {
				return nil
			}
			return ErrCDRExists
		}
		if c.Final() {
			if final.Get([]byte(c.CallID)) != nil {
				return ErrCDRExists
			}
			if err := final.Put([]byte(c.CallID), key); err != nil {
				return err
			}
		}
		return cdrs.Put(key, raw)
	})
	if err != nil {
		return fmt.Errorf("store: CDR %s: %w", c.CallID, err)
	}
	return nil
}

// CDRs implements Store.
func (b *Bolt) CDRs(ctx context.Context, since time.Time) ([]CDR, error) {
	start := timeKey(since, "")
	if since.IsZero() {
		start = nil
	}
	out, err := scan[CDR](ctx, b, bucketCDR, start)
	if err != nil {
		return nil, fmt.Errorf("store: CDRs: %w", err)
	}
	return out, nil
}

// PutAgent implements Store.
func (b *Bolt) PutAgent(ctx context.Context, a AgentRecord) error {
	if a.ID == "" {
		return errors.New("store: agent without id")
	}
	if err := b.put(ctx, bucketAgent, []byte(a.ID), a); err != nil {
		return fmt.Errorf("store: agent %s: %w", a.ID, err)
	}
	return nil
}

// Agents implements Store.
func (b *Bolt) Agents(ctx context.Context) ([]AgentRecord, error) {
	return scan[AgentRecord](ctx, b, bucketAgent, nil)
}

// AppendAudit implements Store: records are never changed or removed.
func (b *Bolt) AppendAudit(ctx context.Context, r AuditRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := b.db.Batch(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketAudit)
		seq, err := bk.NextSequence()
		if err != nil {
			return err
		}
		r.Seq = seq
		raw, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return bk.Put(binary.BigEndian.AppendUint64(nil, seq), raw)
	})
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// Audit implements Store.
func (b *Bolt) Audit(ctx context.Context, since time.Time) ([]AuditRecord, error) {
	all, err := scan[AuditRecord](ctx, b, bucketAudit, nil)
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	out := all[:0]
	for _, r := range all {
		if !r.Time.Before(since) {
			out = append(out, r)
		}
	}
	return out, nil
}

// PutRegistration implements Store.
func (b *Bolt) PutRegistration(ctx context.Context, r Registration) error {
	if r.AgentID == "" {
		return errors.New("store: registration without agent_id")
	}
	return b.put(ctx, bucketReg, []byte(r.AgentID), r)
}

// DeleteRegistration implements Store.
func (b *Bolt) DeleteRegistration(ctx context.Context, agentID string) error {
	return b.del(ctx, bucketReg, []byte(agentID))
}

// Registrations implements Store.
func (b *Bolt) Registrations(ctx context.Context) ([]Registration, error) {
	return scan[Registration](ctx, b, bucketReg, nil)
}

// PutActiveCall implements Store.
func (b *Bolt) PutActiveCall(ctx context.Context, c ActiveCall) error {
	if c.CallID == "" {
		return errors.New("store: active call without call_id")
	}
	return b.put(ctx, bucketActive, []byte(c.CallID), c)
}

// DeleteActiveCall implements Store.
func (b *Bolt) DeleteActiveCall(ctx context.Context, callID string) error {
	return b.del(ctx, bucketActive, []byte(callID))
}

// ActiveCalls implements Store.
func (b *Bolt) ActiveCalls(ctx context.Context) ([]ActiveCall, error) {
	return scan[ActiveCall](ctx, b, bucketActive, nil)
}

// PutCallback implements Store.
func (b *Bolt) PutCallback(ctx context.Context, c Callback) error {
	if c.CallID == "" {
		return errors.New("store: callback without call_id")
	}
	return b.put(ctx, bucketCB, []byte(c.CallID), c)
}

// DeleteCallback implements Store.
func (b *Bolt) DeleteCallback(ctx context.Context, callID string) error {
	return b.del(ctx, bucketCB, []byte(callID))
}

// Callbacks implements Store.
func (b *Bolt) Callbacks(ctx context.Context) ([]Callback, error) {
	return scan[Callback](ctx, b, bucketCB, nil)
}

// UpdateCallback implements Store: one read-modify-write transaction.
func (b *Bolt) UpdateCallback(ctx context.Context, rec Callback) (bool, error) {
	ok, err := b.rewriteCallback(ctx, rec.CallID, rec.Updates)
	if err != nil {
		return false, fmt.Errorf("store: update callback %s: %w", rec.CallID, err)
	}
	return ok, nil
}

// ClaimCallback implements Store: one read-modify-write transaction.
func (b *Bolt) ClaimCallback(ctx context.Context, rec Callback, to string) (Callback, bool, error) {
	var claimed Callback
	ok, err := b.rewriteCallback(ctx, rec.CallID, func(raw []byte) ([]byte, bool, error) {
		c, enc, fits, err := rec.Claimed(raw, to)
		claimed = c
		return enc, fits, err
	})
	if err != nil {
		return Callback{}, false, fmt.Errorf("store: claim callback %s: %w", rec.CallID, err)
	}
	if !ok {
		return Callback{}, false, nil
	}
	return claimed, true, nil
}

// rewriteCallback replaces a stored callback with what change makes of it,
// in one transaction; false when it is gone or change declines.
func (b *Bolt) rewriteCallback(ctx context.Context, callID string, change func(raw []byte) ([]byte, bool, error)) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var ok bool
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketCB)
		raw := bk.Get([]byte(callID))
		if raw == nil {
			return nil
		}
		enc, fits, err := change(raw)
		if err != nil || !fits {
			return err
		}
		ok = true
		return bk.Put([]byte(callID), enc)
	})
	return ok, err
}

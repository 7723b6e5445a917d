package store

import (
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
)

// openTimeout bounds waiting for another process's lock on the file.
const openTimeout = 2 * time.Second

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
		for _, b := range [][]byte{bucketCDR, bucketAgent, bucketAudit, bucketReg, bucketActive} {
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
	return &Bolt{db: db}, nil
}

// Close closes the file.
func (b *Bolt) Close() error { return b.db.Close() }

func timeKey(t time.Time, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano()))
	return append(k, id...)
}

// put writes one JSON value. Batch coalesces concurrent writers into one fsync,
// which is what keeps CDR writes cheap at high call rates.
func (b *Bolt) put(bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key, raw) })
}

func (b *Bolt) del(bucket, key []byte) error {
	return b.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete(key) })
}

// scan decodes every value from start (nil = first) in key order.
func scan[T any](b *Bolt, bucket, start []byte) ([]T, error) {
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

// PutCDR implements Store.
func (b *Bolt) PutCDR(_ context.Context, c CDR) error {
	if c.CallID == "" {
		return errors.New("store: CDR without call_id")
	}
	if err := b.put(bucketCDR, timeKey(c.EndedAt, c.CallID), c); err != nil {
		return fmt.Errorf("store: CDR %s: %w", c.CallID, err)
	}
	return nil
}

// CDRs implements Store.
func (b *Bolt) CDRs(_ context.Context, since time.Time) ([]CDR, error) {
	start := timeKey(since, "")
	if since.IsZero() {
		start = nil
	}
	out, err := scan[CDR](b, bucketCDR, start)
	if err != nil {
		return nil, fmt.Errorf("store: CDRs: %w", err)
	}
	return out, nil
}

// PutAgent implements Store.
func (b *Bolt) PutAgent(_ context.Context, a AgentRecord) error {
	if err := b.put(bucketAgent, []byte(a.ID), a); err != nil {
		return fmt.Errorf("store: agent %s: %w", a.ID, err)
	}
	return nil
}

// Agents implements Store.
func (b *Bolt) Agents(context.Context) ([]AgentRecord, error) { return scan[AgentRecord](b, bucketAgent, nil) }

// AppendAudit implements Store: records are never changed or removed.
func (b *Bolt) AppendAudit(_ context.Context, r AuditRecord) error {
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
func (b *Bolt) Audit(_ context.Context, since time.Time) ([]AuditRecord, error) {
	all, err := scan[AuditRecord](b, bucketAudit, nil)
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
func (b *Bolt) PutRegistration(_ context.Context, r Registration) error {
	return b.put(bucketReg, []byte(r.AgentID), r)
}

// DeleteRegistration implements Store.
func (b *Bolt) DeleteRegistration(_ context.Context, agentID string) error {
	return b.del(bucketReg, []byte(agentID))
}

// Registrations implements Store.
func (b *Bolt) Registrations(context.Context) ([]Registration, error) {
	return scan[Registration](b, bucketReg, nil)
}

// PutActiveCall implements Store.
func (b *Bolt) PutActiveCall(_ context.Context, c ActiveCall) error {
	return b.put(bucketActive, []byte(c.CallID), c)
}

// DeleteActiveCall implements Store.
func (b *Bolt) DeleteActiveCall(_ context.Context, callID string) error {
	return b.del(bucketActive, []byte(callID))
}

// ActiveCalls implements Store.
func (b *Bolt) ActiveCalls(context.Context) ([]ActiveCall, error) {
	return scan[ActiveCall](b, bucketActive, nil)
}


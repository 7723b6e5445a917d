package store_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/frontdoor-project/frontdoor/store"
	"github.com/frontdoor-project/frontdoor/store/storetest"
)

func TestBoltConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		dir := t.TempDir()
		return func(t *testing.T) store.Store {
			s, err := store.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}

// A file written before the final-CDR index existed gets it on open, so the
// one-final-CDR rule holds for calls recorded by the older version too.
func TestOldFileGetsTheFinalCDRIndex(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "frontdoor.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := storetest.CDR("k1", storetest.T0)
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("cdrs"))
		if err != nil {
			return err
		}
		raw, _ := json.Marshal(old)
		key := binary.BigEndian.AppendUint64(nil, uint64(old.EndedAt.UnixNano())^(1<<63))
		return b.Put(append(key, old.CallID...), raw)
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.PutCDR(ctx, old); err != nil {
		t.Errorf("the same CDR again: %v", err)
	}
	if err := s.PutCDR(ctx, storetest.CDR("k1", storetest.T0.Add(time.Hour))); !errors.Is(err, store.ErrCDRExists) {
		t.Errorf("a second final CDR of a call in an old file: %v", err)
	}
	if all, err := s.CDRs(ctx, time.Time{}); err != nil || storetest.IDs(all) != "k1" {
		t.Errorf("CDRs = %v %v", all, err)
	}
}

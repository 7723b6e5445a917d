package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkPutCDR prints CDRs written per second (each durable on return)
// and bytes per CDR: on disk (file size) and in use in the CDR bucket.
func BenchmarkPutCDR(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		s, dir := benchStore(b)
		ctx := context.Background()
		n := 0
		for b.Loop() {
			if err := s.PutCDR(ctx, benchCDR(n)); err != nil {
				b.Fatal(err)
			}
			n++
		}
		reportCDRs(b, s, dir, n)
	})
	b.Run("parallel", func(b *testing.B) {
		// Many calls ending at once: concurrent writers share commits.
		s, dir := benchStore(b)
		ctx := context.Background()
		var next atomic.Int64
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := s.PutCDR(ctx, benchCDR(int(next.Add(1)))); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		reportCDRs(b, s, dir, int(next.Load()))
	})
}

func benchStore(b *testing.B) (*Bolt, string) {
	dir := b.TempDir()
	s, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, dir
}

func benchCDR(i int) CDR {
	end := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	answered := end.Add(-3 * time.Minute)
	return CDR{
		CallID: fmt.Sprintf("6f1c2a3e-%08d@127.0.0.1", i), StartedAt: answered.Add(-40 * time.Second),
		AnsweredAt: &answered, EndedAt: end, Number: "110", Agency: "health-insurance", Agent: "1006",
		Outcome: "answered", WaitSeconds: 31.2, TalkSeconds: 180,
		Identity: map[string]string{"given_name": "Minji", "family_name": "Kim", "birthdate": "1990-04-01"},
	}
}

func reportCDRs(b *testing.B, s *Bolt, dir string, n int) {
	b.Helper()
	if n == 0 {
		return
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "cdrs/s")
	if fi, err := os.Stat(filepath.Join(dir, "frontdoor.db")); err == nil {
		b.ReportMetric(float64(fi.Size())/float64(n), "file-bytes/cdr")
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		st := tx.Bucket(bucketCDR).Stats()
		if st.KeyN > 0 {
			b.ReportMetric(float64(st.LeafInuse+st.BranchInuse)/float64(st.KeyN), "inuse-bytes/cdr")
		}
		return nil
	})
}

package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/cluster/etcdtest"
	"github.com/frontdoor-project/frontdoor/store"
	"github.com/frontdoor-project/frontdoor/store/storetest"
)

// retryPut writes c until it succeeds, as a caller does after ErrUnavailable
// (the identical CDR again is accepted); any other error, or unavailability
// beyond budget, is returned.
func retryPut(s *Store, c store.CDR, budget time.Duration) (retries int, err error) {
	deadline := time.Now().Add(budget)
	for {
		err := s.PutCDR(context.Background(), c)
		if err == nil {
			return retries, nil
		}
		if !errors.Is(err, store.ErrUnavailable) || time.Now().After(deadline) {
			return retries, err
		}
		retries++
	}
}

func putRetrying(t *testing.T, s *Store, c store.CDR, budget time.Duration) (retries int) {
	t.Helper()
	retries, err := retryPut(s, c, budget)
	if err != nil {
		t.Fatalf("put %s: %v", c.CallID, err)
	}
	return retries
}

// Kill -9 of the leader while 8 writers store CDRs: every CDR reported
// written is there, on the restarted member too (read through it alone).
func TestCDRsSurviveMemberKillAndRestart(t *testing.T) {
	c := etcdtest.Start(t, 3)
	s := open(t, c.Endpoints(), "/survive")
	const writers, each = 8, 60
	var mu sync.Mutex
	var written []string
	var retries int
	progress := make(chan struct{}, writers*each)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				cdr := storetest.CDR(fmt.Sprintf("w%d-%d", w, i), storetest.T0.Add(time.Duration(i)*time.Second))
				r, err := retryPut(s, cdr, 20*time.Second)
				mu.Lock()
				retries += r
				if err == nil {
					written = append(written, cdr.CallID)
				}
				mu.Unlock()
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				progress <- struct{}{}
			}
		})
	}
	for range writers * each / 3 { // a third written: writers are mid-stream now
		<-progress
	}
	victim := c.Leader(t)
	c.Kill(victim)
	wg.Wait()
	t.Logf("leader m%d killed under 8 writers: %d retries (ErrUnavailable) in all", victim, retries)
	if t.Failed() {
		return
	}
	c.Restart(victim)

	only := open(t, []string{c.Endpoint(victim)}, "/survive")
	// Reads are linearizable: the member answers only once it has caught up.
	all, err := only.CDRs(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, c := range all {
		stored[c.CallID] = true
	}
	for _, id := range written {
		if !stored[id] {
			t.Errorf("CDR %s reported written but missing on the restarted member", id)
		}
	}
	if len(all) != writers*each || len(written) != writers*each {
		t.Errorf("restarted member holds %d CDRs; %d reported written of %d", len(all), len(written), writers*each)
	}
}

// Without quorum every operation fails within the deadline with
// ErrUnavailable; once a member is back, the same writes succeed.
func TestQuorumLossIsUnavailableThenRecovers(t *testing.T) {
	c := etcdtest.Start(t, 3)
	s := open(t, c.Endpoints(), "/quorum")
	ctx := context.Background()
	putRetrying(t, s, storetest.CDR("k0", storetest.T0), 10*time.Second)
	c.Kill(0)
	c.Kill(1)
	lost := storetest.CDR("k1", storetest.T0.Add(time.Second))
	for what, op := range map[string]func() error{
		"put cdr":      func() error { return s.PutCDR(ctx, lost) },
		"list cdrs":    func() error { _, err := s.CDRs(ctx, time.Time{}); return err },
		"append audit": func() error { return s.AppendAudit(ctx, store.AuditRecord{Time: storetest.T0, Kind: "identity"}) },
		"put registration": func() error {
			return s.PutRegistration(ctx, store.Registration{AgentID: "1001", Expires: time.Now().Add(time.Hour)})
		},
		"list active calls": func() error { _, err := s.ActiveCalls(ctx); return err },
	} {
		began := time.Now()
		err := op()
		took := time.Since(began)
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s without quorum: %v, want ErrUnavailable", what, err)
		}
		if took > DefaultTimeout+time.Second {
			t.Errorf("%s without quorum took %s (deadline %s)", what, took, DefaultTimeout)
		}
		t.Logf("%s without quorum: %v after %s", what, err, took.Round(time.Millisecond))
	}
	c.Restart(1)
	retries := putRetrying(t, s, lost, 15*time.Second)
	t.Logf("quorum back: the refused CDR written after %d more retries", retries)
	all, err := s.CDRs(ctx, time.Time{})
	if err != nil || storetest.IDs(all) != "k0,k1" {
		t.Errorf("after recovery: %s %v", storetest.IDs(all), err)
	}
}

// Two nodes (two clients, each on its own member) record the same call at
// once with different outcomes: exactly one wins, and its CDR is the one kept.
func TestConcurrentFinalCDRExactlyOneWins(t *testing.T) {
	c := etcdtest.Start(t, 3)
	a := open(t, []string{c.Endpoint(0)}, "/race")
	b := open(t, []string{c.Endpoint(1)}, "/race")
	ctx := context.Background()
	for round := range 30 {
		id := fmt.Sprint("call-", round)
		owner := storetest.CDR(id, storetest.T0.Add(time.Duration(round)*time.Second))
		owner.Outcome = "answered"
		survivor := storetest.CDR(id, storetest.T0.Add(time.Hour))
		survivor.Outcome = "cut_off"
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, w := range []struct {
			s   *Store
			cdr store.CDR
		}{{a, owner}, {b, survivor}} {
			wg.Go(func() {
				<-start
				errs[i] = w.s.PutCDR(ctx, w.cdr)
			})
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if won >= 0 {
					t.Fatalf("round %d: both writes succeeded", round)
				}
				won = i
			case !errors.Is(err, store.ErrCDRExists):
				t.Fatalf("round %d: writer %d: %v", round, i, err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: both refused: %v", round, errs)
		}
		all, err := a.CDRs(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var kept []store.CDR
		for _, c := range all {
			if c.CallID == id {
				kept = append(kept, c)
			}
		}
		want := []string{"answered", "cut_off"}[won]
		if len(kept) != 1 || kept[0].Outcome != want {
			t.Fatalf("round %d: writer %d won but stored %+v", round, won, kept)
		}
	}
}

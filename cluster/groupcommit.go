package cluster

import (
	"context"
	"time"
)

// groupWait bounds how long a Submit waits for the Put ahead of it: past
// it the next record goes out anyway, so one slow Put (a member that
// stalls, a forwarded proposal) does not hold every Submit of the node.
const groupWait = 5 * time.Millisecond

// groupCommit feeds the appenders: while a Put of this node is in flight,
// Submits wait and pile up into the next record, which is written when a
// Put returns, the record is full (maxBatch) or its first Submit has
// waited groupWait. At a low rate a Submit
// waits for at most one Put before its own; at a high rate the records are
// full and up to `appenders` of them are in flight. Fewer, fuller Puts cost
// etcd (raft entries, fsyncs, watch events) and every replica's apply loop
// less than one small Put per waiting Submit.
func (a *ACD) groupCommit(ctx context.Context) {
	work := make(chan []*pending)
	done := make(chan struct{}, appenders) // buffered: an appender never waits to report
	for range appenders {
		a.goRun(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case batch := <-work:
					a.append(batch)
					done <- struct{}{}
				}
			}
		})
	}
	inFlight := 0
	for {
		var batch []*pending
		select {
		case <-ctx.Done():
			return
		case <-done:
			inFlight--
			continue
		case p := <-a.queue:
			batch = append(batch, p)
		}
		// Fill the record while a Put is under way; past that, once full
		// or after groupWait, wait only for an appender to be free.
		waited := time.NewTimer(groupWait)
	fill:
		for len(batch) < maxBatch && inFlight > 0 {
			select {
			case <-ctx.Done():
				waited.Stop()
				return
			case <-done:
				inFlight--
			case p := <-a.queue:
				batch = append(batch, p)
			case <-waited.C:
				break fill
			}
		}
		waited.Stop()
	drain:
		for len(batch) < maxBatch {
			select {
			case p := <-a.queue:
				batch = append(batch, p)
			default:
				break drain
			}
		}
		for inFlight >= appenders {
			select {
			case <-ctx.Done():
				return
			case <-done:
				inFlight--
			}
		}
		select {
		case <-ctx.Done():
			return
		case work <- batch:
			inFlight++
		}
	}
}

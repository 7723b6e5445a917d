package dashboard

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/calls"
)

// busyCenter is the scale: 11 agencies, 500 agents (450 on calls),
// 2,000 callers waiting.
type busyCenter struct {
	c     *core
	clock *fakeClock
	seq   int
}

func newBusyCenter() *busyCenter {
	b := &busyCenter{c: newCore(), clock: &fakeClock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}}
	c := b.c
	c.queues, c.agents, c.calls = nil, nil, nil
	for i := range 11 {
		c.queues = append(c.queues, calls.QueueStatus{Agency: fmt.Sprintf("agency-%02d", i), Name: fmt.Sprintf("Agency number %d", i),
			Waiting: 182, OldestWaitSeconds: 600, Offered: 4000, Answered: 3500, Abandoned: 300, ServiceLevel: 0.612,
			ServiceLevelSecs: 20, ServiceLevelGoal: 0.8, ASASeconds: 143.2, Open: true,
			Agents: map[string]int{"logged_out": 2, "not_ready": 3, "ready": 0, "ringing": 1, "busy": 38, "wrap_up": 2}})
	}
	t0 := b.clock.Now().Add(-10 * time.Minute)
	for i := range 500 {
		a := calls.AgentStatus{ID: fmt.Sprint(10000 + i), Name: fmt.Sprintf("Agent %03d", i), State: "busy", Since: t0,
			Agency: fmt.Sprintf("agency-%02d", i%11), CallsToday: 20}
		if i >= 450 {
			a.State, a.Reason, a.Agency = "not_ready", "break", ""
		}
		c.agents = append(c.agents, a)
	}
	for i := range 2450 {
		b.seq++
		q := t0.Add(time.Duration(i) * 200 * time.Millisecond)
		call := calls.CallStatus{ID: fmt.Sprintf("call-%06d", b.seq), From: "0105555" + fmt.Sprintf("%04d", i), Number: "110",
			Agency: fmt.Sprintf("agency-%02d", i%11), State: "queued", StartedAt: q, QueuedAt: &q, Verified: i%3 == 0}
		if i < 450 {
			call.State, call.Agent = "connected", c.agents[i].ID
			c.agents[i].CurrentCall = call.ID
		}
		c.calls = append(c.calls, call)
	}
	return b
}

// second is one second of the busy center: 3 calls end, their agents take
// the 3 longest waiting callers, 3 new callers arrive, 2 agents change
// state, every queue's figures move.
func (b *busyCenter) second() {
	c := b.c
	c.mu.Lock()
	defer c.mu.Unlock()
	b.clock.Advance(time.Second)
	now := b.clock.Now()
	for k := range 3 {
		// The connected calls come first; end the first three and answer the first queued ones.
		ended := c.calls[0]
		c.calls = c.calls[1:]
		var agent *calls.AgentStatus
		for i := range c.agents {
			if c.agents[i].CurrentCall == ended.ID {
				agent = &c.agents[i]
			}
		}
		for i := range c.calls {
			if c.calls[i].State == "queued" {
				c.calls[i].State, c.calls[i].Agent = "connected", agent.ID
				// The first queued call follows the connected ones, which stay in front.
				agent.CurrentCall, agent.Since, agent.CallsToday = c.calls[i].ID, now, agent.CallsToday+1
				break
			}
		}
		b.seq++
		q := now
		c.calls = append(c.calls, calls.CallStatus{ID: fmt.Sprintf("call-%06d", b.seq), From: "01099990000", Number: "110",
			Agency: fmt.Sprintf("agency-%02d", (b.seq+k)%11), State: "queued", StartedAt: q, QueuedAt: &q})
	}
	for k := range 2 {
		a := &c.agents[450+(b.seq+k)%50]
		if a.State == "ready" {
			a.State, a.Reason = "not_ready", "break"
		} else {
			a.State, a.Reason = "ready", ""
		}
		a.Since = now
	}
	for i := range c.queues {
		q := &c.queues[i]
		q.Offered++
		q.Answered++
		q.ASASeconds += 0.1
		q.OldestWaitSeconds++
	}
}

// BenchmarkWallboardSecond is the server's work for one second of updates
// at the scale: sample the core, find what changed, encode the
// delta once for every viewer. It reports the CPU time per second of
// updates and the bytes each viewer receives per update (one a second).
func BenchmarkWallboardSecond(b *testing.B) {
	center := newBusyCenter()
	f := newFeed(center.c, center.clock, time.Hour, discardLogger(), nil)
	_, snap, _ := f.since(0, true)
	var bytes, updates int
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		center.second()
		b.StartTimer()
		f.tick()
		bytes += len("event: delta\ndata: \n\n") + len(f.delta)
		updates++
	}
	b.ReportMetric(float64(bytes)/float64(updates), "bytes/update")
	b.ReportMetric(float64(bytes)/float64(updates)/1024, "KB/s/viewer")
	b.ReportMetric(float64(len(snap)), "snapshot-bytes")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(updates)/1e6, "ms-cpu/s-of-updates")
}

// BenchmarkWallboardFanout50 is one second of updates delivered over HTTP
// to 50 connected wallboards: sampling, encoding and 50 SSE writes.
func BenchmarkWallboardFanout50(b *testing.B) {
	const viewers = 50
	center := newBusyCenter()
	s, err := New(Config{View: center.c, Directory: testDirectory, AdminToken: testAdminToken, Clock: center.clock, LiveInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(s)
	b.Cleanup(func() { s.CloseStreams(); hs.Close() })
	srv := hs.URL
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan int, viewers)
	for range viewers {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv+"/api/v1/events?view=wallboard", nil)
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			defer resp.Body.Close()
			r := bufio.NewReaderSize(resp.Body, 1<<20)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if strings.HasPrefix(line, "data: ") {
					got <- len(line)
				}
			}
		}()
		<-got // the snapshot
	}
	var bytes int
	for b.Loop() {
		b.StopTimer()
		center.second()
		b.StartTimer()
		s.feed.tick()
		for range viewers {
			bytes += <-got
		}
	}
	b.ReportMetric(float64(bytes)/float64(b.N*viewers), "data-bytes/update/viewer")
}

package dashboard

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/frontdoor-project/frontdoor/calls"
)

// benchServer serves a core with the demo's 11 agencies and 40 agents.
func benchServer(b *testing.B) (*httptest.Server, *core) {
	c := newCore()
	c.queues, c.agents = nil, nil
	for i := range 11 {
		c.queues = append(c.queues, calls.QueueStatus{Agency: fmt.Sprintf("agency-%d", i), Waiting: i,
			Agents: map[string]int{"logged_out": 1, "not_ready": 1, "ready": 1, "ringing": 0, "busy": 1, "wrap_up": 0}})
	}
	for i := range 40 {
		c.agents = append(c.agents, calls.AgentStatus{ID: fmt.Sprint(1000 + i), Name: "Agent", State: "ready",
			Skills: map[string]int{"agency-1": 5, "agency-2": 3}})
	}
	s, err := New(Config{View: c, Directory: testDirectory, AdminToken: testAdminToken})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	b.Cleanup(srv.Close)
	return srv, c
}

// BenchmarkQueuesOverHTTP is one dashboard poll of GET /api/v1/queues on a
// kept-alive connection.
func BenchmarkQueuesOverHTTP(b *testing.B) {
	srv, _ := benchServer(b)
	client := srv.Client()
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/queues", nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkEventFanout50 publishes one core event and waits until each of
// 50 connected SSE clients has read it.
func BenchmarkEventFanout50(b *testing.B) {
	const clients = 50
	srv, c := benchServer(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan struct{}, clients)
	for range clients {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			defer resp.Body.Close()
			r := bufio.NewReader(resp.Body)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if strings.HasPrefix(line, "event: agent") {
					got <- struct{}{}
				}
			}
		}()
		<-c.subscribed
	}
	ev := calls.Event{Type: "agent", Data: c.agents[0]}
	for b.Loop() {
		c.publish(ev)
		for range clients {
			<-got
		}
	}
	b.ReportMetric(float64(b.N*clients)/b.Elapsed().Seconds(), "deliveries/s")
}

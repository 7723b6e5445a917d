package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sseEvents streams /api/v1/events as token's principal: each event's type
// and data.
func sseEvents(t *testing.T, ctx context.Context, base, token string) <-chan [2]string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("events: %v %v", res, err)
	}
	out := make(chan [2]string, 256)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<20)
		var typ string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				typ = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				out <- [2]string{typ, v}
			}
		}
	}()
	return out
}

func (n *testNode) callsAs(t *testing.T, token string) []callView {
	t.Helper()
	req, _ := http.NewRequest("GET", n.HTTP+"/api/v1/calls", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var list []callView
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	return list
}

// TestAgentSeesOnlyItsAgenciesCalls: agent 1001 (tax) and agent 1002
// (customs, civil) each see live only their agencies' callers, in
// GET /api/v1/calls and on the SSE feed; the supervisor sees both.
func TestAgentSeesOnlyItsAgenciesCalls(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	taxAgent, customsAgent := n.login(t, "1001"), n.login(t, "1002")
	taxFeed := sseEvents(t, ctx, n.HTTP, taxAgent)
	customsFeed := sseEvents(t, ctx, n.HTTP, customsAgent)
	for _, f := range []<-chan [2]string{taxFeed, customsFeed} {
		if ev := <-f; ev[0] != "snapshot" {
			t.Fatalf("first event %v", ev)
		}
	}

	// Nobody is ready: both calls wait in their queues.
	dial(t, ctx, n, "125", nil, 0, "") // customs
	customsCall := n.waitCallState(t, ctx, "queued")
	dial(t, ctx, n, "126", nil, 0, "") // tax
	supervisor := n.login(t, "2001")
	sub := n.sb.Subscribe(ctx)
	var taxCall callView
	for taxCall.ID == "" {
		for _, c := range n.callsAs(t, supervisor) {
			if c.ID != customsCall.ID && c.State == "queued" {
				taxCall = c
			}
		}
		if taxCall.ID == "" {
			select {
			case <-sub:
			case <-ctx.Done():
				t.Fatal("the tax call never queued")
			}
		}
	}

	for token, want := range map[string]string{taxAgent: taxCall.ID, customsAgent: customsCall.ID} {
		list := n.callsAs(t, token)
		if len(list) != 1 || list[0].ID != want {
			t.Errorf("GET /api/v1/calls: %+v, want only %s", list, want)
		}
	}
	if list := n.callsAs(t, supervisor); len(list) != 2 {
		t.Errorf("supervisor sees %d calls, want 2", len(list))
	}

	// On the feeds: each agent's first queued call event is its own
	// agency's; the other agency's call, placed first for the tax agent,
	// never appeared before it.
	for name, c := range map[string]struct {
		feed      <-chan [2]string
		want, not string
	}{"tax": {taxFeed, taxCall.ID, customsCall.ID}, "customs": {customsFeed, customsCall.ID, taxCall.ID}} {
		for seen := false; !seen; {
			var ev [2]string
			select {
			case ev = <-c.feed:
			case <-ctx.Done():
				t.Fatalf("%s feed: no event for its call", name)
			}
			if ev[0] != "call" {
				continue
			}
			if strings.Contains(ev[1], c.not) {
				t.Fatalf("%s agent's feed carries the other agency's call: %s", name, ev[1])
			}
			seen = strings.Contains(ev[1], c.want) && strings.Contains(ev[1], `"queued"`)
		}
	}
}

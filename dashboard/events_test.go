package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/calls"
)

// sseEvent is one parsed server-sent event, or a comment line.
type sseEvent struct {
	Type, Data, Comment string
}

type sseStream struct {
	t      *testing.T
	resp   *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

// openStream connects like a browser's EventSource would (header names
// aside) and returns once the response headers are in.
func openStream(t *testing.T, url string, header ...string) *sseStream {
	t.Helper()
	return openStreamAt(t, url+"/api/v1/events", header...)
}

// openStreamAt is openStream for a full URL (a query such as ?view=wallboard).
func openStreamAt(t *testing.T, url string, header ...string) *sseStream {
	t.Helper()
	// The deadline only keeps a broken server from hanging the test run.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("open event stream: %v", err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("event stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return &sseStream{t: t, resp: resp, r: bufio.NewReader(resp.Body), cancel: cancel}
}

// next reads up to the next blank line; "retry:" lines are skipped.
func (s *sseStream) next() sseEvent {
	s.t.Helper()
	var ev sseEvent
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("event stream ended: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev != (sseEvent{}) {
				return ev
			}
		case strings.HasPrefix(line, ":"):
			ev.Comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "event: "):
			ev.Type = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			if ev.Data != "" {
				s.t.Fatalf("event with two data lines: %q", line)
			}
			ev.Data = line[len("data: "):]
		case strings.HasPrefix(line, "retry: "):
		default:
			s.t.Fatalf("unexpected line in event stream: %q", line)
		}
	}
}

// nextEvent skips heartbeats.
func (s *sseStream) nextEvent() sseEvent {
	s.t.Helper()
	for {
		if ev := s.next(); ev.Type != "" {
			return ev
		}
	}
}

func TestEventsStartWithASnapshotThenFollowChanges(t *testing.T) {
	e := newEnv(t)
	sup := e.login("2001")
	st := openStream(t, e.srv.URL, "Authorization", "Bearer "+sup)
	ev := st.nextEvent()
	if ev.Type != "snapshot" {
		t.Fatalf("first event %q, want snapshot", ev.Type)
	}
	var snap snapshotEvent
	if err := json.Unmarshal([]byte(ev.Data), &snap); err != nil {
		t.Fatalf("snapshot data: %v: %s", err, ev.Data)
	}
	if len(snap.Queues) != 2 || len(snap.Agents) != 3 || len(snap.Calls) != 2 || snap.Calls[1].Identity == nil {
		t.Errorf("snapshot %s", ev.Data)
	}

	if resp, body := e.do("PUT", "/api/v1/agents/1001/state", sup, `{"state":"ready"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("set state: %d %s", resp.StatusCode, body)
	}
	ev = st.nextEvent()
	var a calls.AgentStatus
	if err := json.Unmarshal([]byte(ev.Data), &a); err != nil || ev.Type != "agent" || a.ID != "1001" || a.State != "ready" {
		t.Errorf("after the change got %q %s (%v)", ev.Type, ev.Data, err)
	}
}

func TestEventsForAgentsHideOthersCallers(t *testing.T) {
	e := newEnv(t)
	st := openStream(t, e.srv.URL, "Authorization", "Bearer "+e.login("1001"))
	var snap snapshotEvent
	if err := json.Unmarshal([]byte(st.nextEvent().Data), &snap); err != nil {
		t.Fatal(err)
	}
	if snap.Calls[1].Identity != nil {
		t.Errorf("agent 1001's snapshot shows the caller of 1002's call")
	}
	e.core.publish(calls.Event{Type: "cdr", Data: CDR{CallID: "c-9", Identity: map[string]string{"given_name": "X"}}})
	e.core.publish(calls.Event{Type: "call", Data: calls.CallStatus{ID: "c-2", Agent: "1002", Verified: true,
		Identity: map[string]string{"given_name": "Minho"}}})
	ev := st.nextEvent()
	if ev.Type != "call" {
		t.Fatalf("agent got %q first; call records are for supervisors", ev.Type)
	}
	if strings.Contains(ev.Data, "Minho") || !strings.Contains(ev.Data, `"verified":true`) {
		t.Errorf("agent sees %s", ev.Data)
	}
}

func TestEventsSendHeartbeats(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Heartbeat = 5 * time.Millisecond })
	st := openStream(t, e.srv.URL, "Authorization", "Bearer "+testAdminToken)
	if ev := st.next(); ev.Type != "snapshot" {
		t.Fatalf("first %+v", ev)
	}
	if ev := st.next(); ev.Comment != "heartbeat" || ev.Type != "" {
		t.Errorf("after the snapshot, with no changes, got %+v; want a heartbeat comment", ev)
	}
}

// EventSource cannot send headers: the login cookie opens the stream.
func TestEventsAcceptTheSessionCookie(t *testing.T) {
	e := newEnv(t)
	st := openStream(t, e.srv.URL, "Cookie", sessionCookie+"="+e.login("1001"))
	if ev := st.nextEvent(); ev.Type != "snapshot" {
		t.Errorf("first event %q", ev.Type)
	}
}

func TestClientDisconnectEndsTheStream(t *testing.T) {
	c := newCore()
	s, err := New(Config{View: c, Directory: testDirectory, AdminToken: testAdminToken})
	if err != nil {
		t.Fatal(err)
	}
	handlerDone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeHTTP(w, r)
		if r.URL.Path == "/api/v1/events" {
			close(handlerDone)
		}
	}))
	defer srv.Close()

	st := openStream(t, srv.URL, "Authorization", "Bearer "+testAdminToken)
	<-c.subscribed
	if ev := st.nextEvent(); ev.Type != "snapshot" {
		t.Fatalf("first event %q", ev.Type)
	}
	st.cancel() // the browser tab closes
	<-handlerDone
	<-c.unsubscribed
	c.mu.Lock()
	n := len(c.subs)
	c.mu.Unlock()
	if n != 0 {
		t.Errorf("%d subscriptions left after the client left", n)
	}
}

func TestCloseStreamsEndsStreamsForShutdown(t *testing.T) {
	e := newEnv(t)
	st := openStream(t, e.srv.URL, "Authorization", "Bearer "+testAdminToken)
	if ev := st.nextEvent(); ev.Type != "snapshot" {
		t.Fatalf("first event %q", ev.Type)
	}
	e.server.CloseStreams()
	// The server ends the stream: the client reads to EOF.
	if _, err := io.Copy(io.Discard, st.r); err != nil {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
	<-e.core.unsubscribed
	resp, body := e.do("GET", "/api/v1/events", testAdminToken, "")
	wantError(t, resp, body, http.StatusServiceUnavailable, "shutting_down")
}

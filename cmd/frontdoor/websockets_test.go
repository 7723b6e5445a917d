package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// dialFrom opens a caller page's socket from local address src (127.0.0.x).
// A refusal returns its status, Retry-After and JSON error code.
func dialFrom(ctx context.Context, base, src string) (c *websocket.Conn, status int, retry, code string, err error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/v1/ws/call", &websocket.DialOptions{HTTPClient: client})
	if err == nil {
		return c, http.StatusSwitchingProtocols, "", "", nil
	}
	if resp == nil {
		return nil, 0, "", "", err
	}
	var e struct{ Error, Detail string }
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &e)
	return nil, resp.StatusCode, resp.Header.Get("Retry-After"), e.Error, nil
}

// TestCallerSocketsCannotLockAgentsOut: one source opens caller sockets
// until it is refused (429, Retry-After, JSON), other sources fill the
// callers' whole budget (503), and an agent's softphone still connects,
// because agents have a budget of their own.
func TestCallerSocketsCannotLockAgentsOut(t *testing.T) {
	const perSource, total = 5, 12
	rtpBase += 100
	yaml := strings.Replace(fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99), `number: "110"`,
		fmt.Sprintf("number: \"110\"\nsecurity: { trusted_sources: [], web_sockets: { callers: %d, callers_per_source: %d } }", total, perSource), 1)
	n := startNode(t, yaml)
	ctx := timeout(t, 30*time.Second)

	var open []*websocket.Conn
	t.Cleanup(func() {
		for _, c := range open {
			c.CloseNow()
		}
	})
	// One source, as many as it is given.
	for i := 0; ; i++ {
		c, status, retry, code, err := dialFrom(ctx, n.HTTP, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if c != nil {
			open = append(open, c)
			if i > perSource {
				t.Fatalf("one source holds %d caller sockets, bound is %d", i+1, perSource)
			}
			continue
		}
		if i != perSource || status != http.StatusTooManyRequests || retry == "" || code != "too_many_sockets" {
			t.Fatalf("socket %d from one source: %d Retry-After %q error %q; want the %dth refused with 429, Retry-After, too_many_sockets",
				i+1, status, retry, code, perSource+1)
		}
		break
	}
	// IPv4 sources count one by one: a second one gets its own share, and
	// more fill the callers' budget until the node answers 503.
	for src := 2; len(open) < total; src++ {
		c, status, _, code, err := dialFrom(ctx, n.HTTP, fmt.Sprintf("127.0.0.%d", src))
		if err != nil || c == nil {
			t.Fatalf("caller socket %d from 127.0.0.%d: %d %s %v", len(open)+1, src, status, code, err)
		}
		open = append(open, c)
	}
	if _, status, retry, code, _ := dialFrom(ctx, n.HTTP, "127.0.0.99"); status != http.StatusServiceUnavailable || retry == "" || code != "overloaded" {
		t.Fatalf("caller socket beyond the budget: %d Retry-After %q %q, want 503 overloaded with Retry-After", status, retry, code)
	}

	// The agent's softphone connects, from the source that was refused.
	page := n.softphone(t, ctx, "1001", 1000)
	if page == nil {
		t.Fatal("no softphone")
	}
	// A closed caller socket gives its room back.
	open[0].Close(websocket.StatusNormalClosure, "")
	open = open[1:]
	for {
		c, status, _, _, err := dialFrom(ctx, n.HTTP, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if c != nil {
			open = append(open, c)
			break
		}
		if status != http.StatusServiceUnavailable && status != http.StatusTooManyRequests {
			t.Fatalf("status %d", status)
		}
		select { // the server notices the close asynchronously
		case <-ctx.Done():
			t.Fatal("a closed socket's room never came back")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestOneAgentCannotHoardSoftphoneSockets: a new softphone page takes over
// from the old one, which is closed; a client that never reads holds each
// old socket through the close handshake. Its sockets are bounded
// (security.web_sockets.per_agent, 4), beyond which 429, and another agent's
// softphone still connects.
func TestOneAgentCannotHoardSoftphoneSockets(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	token := n.login(t, "1001")
	url := "ws" + strings.TrimPrefix(n.HTTP, "http") + "/api/v1/ws/agent"
	opts := &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}}
	for i := 0; i < 4; i++ {
		c, _, err := websocket.Dial(ctx, url, opts) // never read: never answers a close
		if err != nil {
			t.Fatalf("tab %d: %v", i+1, err)
		}
		t.Cleanup(func() { c.CloseNow() })
	}
	_, resp, err := websocket.Dial(ctx, url, opts)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("fifth tab: %v %+v, want 429 with Retry-After", err, resp)
	}
	n.softphone(t, ctx, "1003", 1000)
}

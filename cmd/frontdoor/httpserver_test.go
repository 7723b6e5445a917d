package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startHTTP serves h with lim on 127.0.0.1, as the node does.
func startHTTP(t *testing.T, h http.Handler, lim httpLimits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(h, lim, slog.New(slog.DiscardHandler))
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestSlowlorisIsDisconnected: a client that sends its headers a byte at a
// time, never finishing them, is disconnected once ReadHeaderTimeout passes,
// while it is still sending.
func TestSlowlorisIsDisconnected(t *testing.T) {
	lim := httpLimits{ReadHeader: 300 * time.Millisecond, Read: time.Second, Idle: time.Second, MaxHeaderBytes: 4 << 10}
	addr := startHTTP(t, http.NotFoundHandler(), lim)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	closed := make(chan error, 1)
	go func() { _, err := io.ReadAll(c); closed <- err }()
	start := time.Now()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for sent := 0; ; sent++ {
		select {
		case <-closed:
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("disconnected only after %v", d)
			}
			t.Logf("slowloris disconnected after %v, %d header bytes dribbled", time.Since(start).Round(time.Millisecond), sent)
			return
		case <-tick.C:
			if sent > 200 { // 10 s of dribbling
				t.Fatal("slowloris still connected after 10 s")
			}
			if _, err := io.WriteString(c, "X"); err != nil {
				t.Logf("write refused after %v: %v", time.Since(start), err)
				return
			}
		}
	}
}

// TestHugeHeadersRefused: headers beyond MaxHeaderBytes get 431.
func TestHugeHeadersRefused(t *testing.T) {
	lim := httpLimits{ReadHeader: time.Second, Read: time.Second, Idle: time.Second, MaxHeaderBytes: 4 << 10}
	addr := startHTTP(t, http.NotFoundHandler(), lim)
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
}

// TestReadTimeoutSparesLongLivedRoutes: a hijacked connection (as a
// WebSocket is) still reads after ReadTimeout has passed, and an SSE
// stream's context is not cancelled by it.
func TestReadTimeoutSparesLongLivedRoutes(t *testing.T) {
	lim := httpLimits{ReadHeader: 200 * time.Millisecond, Read: 300 * time.Millisecond, Idle: time.Second, MaxHeaderBytes: 4 << 10}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\n\r\n")
		brw.Flush()
		line, err := brw.ReadString('\n') // the client writes after 4 × ReadTimeout
		if err != nil {
			line = "read failed\n"
		}
		c.Write([]byte(line))
	})
	addr := startHTTP(t, h, lim)
	for path, want := range map[string]string{"/api/v1/ws/agent": "ping\n"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
		br := bufio.NewReader(c)
		if st, err := br.ReadString('\n'); err != nil || !strings.Contains(st, "101") {
			t.Fatalf("%s: %q %v", path, st, err)
		}
		br.ReadString('\n')
		time.Sleep(4 * lim.Read) // the attack is time passing: let ReadTimeout expire
		io.WriteString(c, "ping\n")
		got, _ := br.ReadString('\n')
		if got != want {
			t.Errorf("%s: got %q, want %q", path, got, want)
		}
		c.Close()
	}

	sse := make(chan string, 1)
	addr = startHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: hello\n\n")
		http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
			sse <- "cancelled"
		case <-time.After(4 * lim.Read): // well past ReadTimeout
			sse <- "alive"
		}
	}), lim)
	resp, err := http.Get("http://" + addr + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := <-sse; got != "alive" {
		t.Errorf("SSE stream %s by ReadTimeout", got)
	}
}

// TestNodeHTTPServerHasTimeouts: the server the node builds carries the limits.
func TestNodeHTTPServerHasTimeouts(t *testing.T) {
	srv := startNode(t, "").http
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Fatalf("limits missing: %+v", srv)
	}
	if srv.WriteTimeout != 0 {
		t.Fatal("a WriteTimeout would cut SSE streams and WebSockets")
	}
}

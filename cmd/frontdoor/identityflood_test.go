package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// pageVerify asks a caller page's socket for a verification and returns
// the code, or the error the page was sent instead.
func pageVerify(ctx context.Context, t *testing.T, c *websocket.Conn) (code, errCode string) {
	t.Helper()
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"verify"}`)); err != nil {
		t.Fatal(err)
	}
	for {
		_, raw, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var m struct{ Type, Code, Error string }
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		switch m.Type {
		case "verification":
			return m.Code, ""
		case "error":
			return "", m.Error
		}
	}
}

// TestIdentitySessionFloodLeavesPhoneCallers: an attacker's caller pages
// ask for verifications until refused; only its source is refused (the
// default 10 live sessions a source), a phone caller still gets a code read
// out, and closing the pages gives their sessions back at once.
func TestIdentitySessionFloodLeavesPhoneCallers(t *testing.T) {
	n := startNode(t, strings.Replace(identityConfig(t, "offer"), `number: "110"`,
		"number: \"110\"\nsecurity: { trusted_sources: [] }", 1))
	ctx := timeout(t, 45*time.Second)

	var pages []*websocket.Conn
	t.Cleanup(func() {
		for _, c := range pages {
			c.CloseNow()
		}
	})
	// A page's new code replaces (and closes) its previous one, so the
	// attacker needs a page per live session: one source gets ten.
	first, _, _, _, err := dialFrom(ctx, n.HTTP, "127.0.0.1")
	if err != nil || first == nil {
		t.Fatalf("first page: %v", err)
	}
	pages = append(pages, first)
	for i := 0; i < 5; i++ {
		if code, e := pageVerify(ctx, t, first); len(code) != 6 {
			t.Fatalf("verification %d on one page: %q %s", i+1, code, e)
		}
	}
	sessions, refused := 1, ""
	for refused == "" {
		c, status, _, code, err := dialFrom(ctx, n.HTTP, "127.0.0.1")
		if err != nil || c == nil {
			t.Fatalf("caller page %d: %d %s %v", len(pages)+1, status, code, err)
		}
		pages = append(pages, c)
		if code, e := pageVerify(ctx, t, c); e != "" {
			refused = e
		} else if len(code) == 6 {
			sessions++
		}
	}
	if refused != "identity_unavailable" || sessions != 10 {
		t.Fatalf("one source got %d live sessions, then %q; want 10, then identity_unavailable", sessions, refused)
	}
	// Another source is not refused.
	other, _, _, _, err := dialFrom(ctx, n.HTTP, "127.0.0.2")
	if err != nil || other == nil {
		t.Fatalf("second source: %v", err)
	}
	pages = append(pages, other)
	if code, e := pageVerify(ctx, t, other); code == "" {
		t.Fatalf("a second source was refused too: %s", e)
	}
	// A phone caller still hears a code.
	dial(t, ctx, n, "110", nil, 1000, "1")
	if code := n.waitCode(t, ctx); len(code) != 6 {
		t.Fatalf("phone code %q", code)
	}
	// Closing the attacker's pages frees their sessions: a fresh page from
	// the same source is served again.
	for _, c := range pages[:len(pages)-1] {
		c.Close(websocket.StatusNormalClosure, "")
	}
	pages = pages[len(pages)-1:]
	for {
		c, _, _, _, err := dialFrom(ctx, n.HTTP, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if c != nil {
			pages = append(pages, c)
			if code, _ := pageVerify(ctx, t, c); code != "" {
				return
			}
		}
		select { // the server notices the closes asynchronously
		case <-ctx.Done():
			t.Fatal("closed pages' sessions were never given back")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

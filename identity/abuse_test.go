package identity

import (
	"context"
	"errors"
	"testing"
)

// TestWebSessionsCannotExhaustPhoneCapacity: sessions opened for web pages
// are bounded per source and as a share of the node's, only live sessions
// count, and the rest stays for phone calls (issue 13).
func TestWebSessionsCannotExhaustPhoneCapacity(t *testing.T) {
	f := newFixture(t, "ES256", func(c *ServiceConfig) {
		c.MaxSessions, c.WebSessions, c.SessionsPerSource = 10, 6, 3
	})
	// One source: three live sessions, the fourth refused.
	var mine []Session
	for i := 0; i < 3; i++ {
		s, err := f.svc.NewSession("", WithSource("203.0.113.7"))
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		mine = append(mine, s)
	}
	if _, err := f.svc.NewSession("", WithSource("203.0.113.7")); !errors.Is(err, ErrSessionLimit) {
		t.Fatalf("4th session from one source: %v; want ErrSessionLimit", err)
	}
	// An IPv6 /64 is one source (the key is netaddr.SourceKey's).
	for i := 0; i < 3; i++ {
		if _, err := f.svc.NewSession("", WithSource("2001:db8:1:2::/64")); err != nil {
			t.Fatal(err)
		}
	}
	// The web share (6) is full: another source is refused too...
	if _, err := f.svc.NewSession("", WithSource("198.51.100.9")); !errors.Is(err, ErrSessionLimit) {
		t.Fatalf("web share full: %v", err)
	}
	// ...but a phone call still gets its session.
	if _, err := f.svc.NewSession("call-1"); err != nil {
		t.Fatalf("IVR session refused while the web share is full: %v", err)
	}
	// Closing a page's session frees its room at once.
	f.svc.Close(mine[0].ID)
	if _, err := f.svc.NewSession("", WithSource("203.0.113.7")); err != nil {
		t.Fatalf("after Close: %v", err)
	}
	// A closed session takes no presentation.
	_, err := f.svc.Present(context.Background(), mine[0].ID, []byte(f.valid(mine[0]).encode(t)), MethodWeb)
	wantRefusal(t, err, CodeSessionExpired)
	// Expired sessions stop counting at once (they used to count for a
	// second TTL): the node takes its full load again.
	f.clock.Advance(DefaultTTL)
	for i := 0; i < 3; i++ {
		if _, err := f.svc.NewSession("", WithSource("203.0.113.7")); err != nil {
			t.Fatalf("after expiry, session %d: %v", i, err)
		}
	}
	// A trusted proxy ("" source) has no per-source share but stays in the web share.
	for i := 0; i < 3; i++ {
		if _, err := f.svc.NewSession("", WithSource("")); err != nil {
			t.Fatalf("proxied session %d: %v", i, err)
		}
	}
	if _, err := f.svc.NewSession("", WithSource("")); !errors.Is(err, ErrSessionLimit) {
		t.Fatalf("proxied sessions past the web share: %v", err)
	}
}

// TestGarbageDoesNotCloseAVictimsSession: whoever learns a session's id or
// code may post to it, but only a presentation a trusted issuer signed
// counts against the citizen's attempts.
func TestGarbageDoesNotCloseAVictimsSession(t *testing.T) {
	f := newFixture(t, "ES256", func(c *ServiceConfig) { c.MaxAttempts = 2 })
	sess, _ := f.svc.NewSession("c")
	forged := f.valid(sess)
	forged.issuerKey = mustKey(t, "ES256").Key // signed by someone else
	for _, body := range []string{"garbage", "a.b.c~", forged.encode(t), "x~y~", forged.encode(t)} {
		if _, err := f.svc.Present(context.Background(), sess.ID, []byte(body), MethodWeb); err == nil {
			t.Fatalf("%q accepted", body)
		}
	}
	claims, err := f.svc.Present(context.Background(), sess.ID, []byte(f.valid(sess).encode(t)), MethodWeb)
	if err != nil || claims["family_name"] != "Kim" {
		t.Fatalf("the citizen's presentation after 5 garbage posts: %v %v", claims, err)
	}
}

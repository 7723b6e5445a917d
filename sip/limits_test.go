package sip

import (
	"net"
	"net/netip"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func udpFrom(ip string) sipmsg.TransportReadProps {
	return sipmsg.TransportReadProps{Transport: "UDP", RemoteAddr: &net.UDPAddr{IP: net.ParseIP(ip), Port: 5060}}
}

func requestFrom(src string) *sipmsg.Request {
	req := sipmsg.NewRequest(sipmsg.REGISTER, sipmsg.Uri{Scheme: "sip", Host: "127.0.0.1"})
	req.SetSource(src)
	return req
}

// A source over its rate has the excess dropped unread; it gets its budget back
// with time; a trusted source and other sources are not touched.
func TestGuardRatePerSource(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	g := NewGuard(Limits{RequestsPerSecond: 10, Burst: 20, Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, nil, nil, clk.now)
	passed := 0
	for range 100 {
		if out, err := g.Filter(udpFrom("127.0.0.2"), []byte("x")); err == nil && len(out) > 0 {
			passed++
		}
	}
	if passed != 20 {
		t.Fatalf("flooding source: %d of 100 passed at once, want the burst of 20", passed)
	}
	if out, _ := g.Filter(udpFrom("127.0.0.3"), []byte("x")); len(out) == 0 {
		t.Fatal("another source was dropped")
	}
	for range 1000 {
		if out, _ := g.Filter(udpFrom("127.0.0.1"), []byte("x")); len(out) == 0 {
			t.Fatal("trusted source dropped")
		}
	}
	clk.t = clk.t.Add(500 * time.Millisecond) // 5 tokens back
	passed = 0
	for range 10 {
		if out, _ := g.Filter(udpFrom("127.0.0.2"), []byte("x")); len(out) > 0 {
			passed++
		}
	}
	if passed != 5 {
		t.Fatalf("after 0.5 s at 10/s: %d passed, want 5", passed)
	}
	if st := g.Stats(); st.Dropped != 80+5 {
		t.Fatalf("dropped %d, want 85", st.Dropped)
	}
}

// Enough failures within the window block a source for BlockFor: UDP is dropped,
// a TCP connection is closed (the filter's error); then the block expires.
func TestGuardBlocksAfterFailures(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	g := NewGuard(Limits{AuthFailures: 3, FailureWindow: time.Minute, BlockFor: 10 * time.Minute}, nil, nil, clk.now)
	req := requestFrom("127.0.0.9:5070")
	g.Failure(req, "test")
	clk.t = clk.t.Add(2 * time.Minute) // outside the window: counting starts again
	g.Failure(req, "test")
	g.Failure(req, "test")
	if g.Blocked("127.0.0.9") {
		t.Fatal("blocked after 2 failures in the window")
	}
	g.Failure(req, "test")
	if !g.Blocked("127.0.0.9") {
		t.Fatal("not blocked after 3 failures in the window")
	}
	if out, err := g.Filter(udpFrom("127.0.0.9"), []byte("x")); len(out) != 0 || err != nil {
		t.Fatalf("blocked UDP: %q %v, want dropped", out, err)
	}
	tcp := sipmsg.TransportReadProps{Transport: "TCP", RemoteAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.9"), Port: 4000}}
	if _, err := g.Filter(tcp, []byte("x")); err == nil {
		t.Fatal("blocked TCP source's connection kept")
	}
	clk.t = clk.t.Add(10*time.Minute + time.Second)
	if g.Blocked("127.0.0.9") {
		t.Fatal("block did not expire")
	}
	if st := g.Stats(); st.Blocked != 1 || st.AuthFailures != 4 {
		t.Fatalf("stats %+v", st)
	}
}

// The source table stays bounded under a spoofed-source flood.
func TestGuardSourceTableBounded(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	g := NewGuard(Limits{RequestsPerSecond: 1, Burst: 1}, nil, nil, clk.now)
	var a [4]byte
	for i := range maxSources + 500 {
		a = [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}
		g.Filter(sipmsg.TransportReadProps{Transport: "UDP", RemoteAddr: &net.UDPAddr{IP: a[:], Port: 1}}, []byte("x"))
	}
	if n := len(g.sources); n > maxSources {
		t.Fatalf("%d sources kept, bound is %d", n, maxSources)
	}
	clk.t = clk.t.Add(2 * time.Minute)
	g.Filter(udpFrom("10.255.255.255"), []byte("x"))
	if n := len(g.sources); n > 10 {
		t.Fatalf("idle sources not swept: %d left", n)
	}
}

package media

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rawPhone is a benchmark peer that sends pre-built packets and counts what
// it receives, without allocating, so the figures are the relay's.
type rawPhone struct {
	conn *net.UDPConn
	to   netip.AddrPort
	pkt  [172]byte // 12-byte RTP header + 160 bytes of G.711
	got  atomic.Uint64
}

func newRawPhone(tb testing.TB, ssrc uint32) *rawPhone {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	p := &rawPhone{conn: conn}
	p.pkt[0] = 0x80 // V=2, PT 0 (PCMU)
	binary.BigEndian.PutUint32(p.pkt[8:], ssrc)
	for i := 12; i < len(p.pkt); i++ {
		p.pkt[i] = 0xFF
	}
	return p
}

func (p *rawPhone) addr() *net.UDPAddr { return p.conn.LocalAddr().(*net.UDPAddr) }

func (p *rawPhone) send() error {
	seq := binary.BigEndian.Uint16(p.pkt[2:]) + 1
	binary.BigEndian.PutUint16(p.pkt[2:], seq)
	binary.BigEndian.PutUint32(p.pkt[4:], binary.BigEndian.Uint32(p.pkt[4:])+160)
	_, err := p.conn.WriteToUDPAddrPort(p.pkt[:], p.to)
	return err
}

func (p *rawPhone) receive() {
	buf := make([]byte, 1500)
	for {
		if _, _, err := p.conn.ReadFromUDPAddrPort(buf); err != nil {
			return
		}
		p.got.Add(1)
	}
}

// call is one bridged call: caller phone -> leg A = leg B -> agent phone.
type call struct {
	caller, agent *rawPhone
	closers       []func()
}

func (c *call) close() {
	for _, f := range c.closers {
		f()
	}
	c.caller.conn.Close()
	c.agent.conn.Close()
}

// How a benchmark call carries its packets.
const (
	viaBridge = "bridge" // two RTPLegs and Bridge
	viaBare   = "bare"   // a minimal hand-written Go UDP relay, the reference
	viaDirect = "direct" // phone to phone, no relay: the harness's own cost
)

func newCall(tb testing.TB, pool *PortPool, stats *Stats, via string, i int) *call {
	c := &call{caller: newRawPhone(tb, uint32(2*i+1)), agent: newRawPhone(tb, uint32(2*i+2))}
	go c.caller.receive()
	go c.agent.receive()
	if via == viaDirect {
		c.caller.to, c.agent.to = c.agent.addr().AddrPort(), c.caller.addr().AddrPort()
		return c
	}
	ca, err := pool.Listen()
	if err != nil {
		tb.Fatal(err)
	}
	cb, err := pool.Listen()
	if err != nil {
		tb.Fatal(err)
	}
	c.caller.to = ca.LocalAddr().(*net.UDPAddr).AddrPort()
	c.agent.to = cb.LocalAddr().(*net.UDPAddr).AddrPort()
	if via == viaBare {
		go bareRelay(ca, cb, c.agent.addr().AddrPort())
		go bareRelay(cb, ca, c.caller.addr().AddrPort())
		c.closers = append(c.closers, func() { ca.Close(); cb.Close() })
	} else {
		// As in production: inactivity timeout armed, shared counters.
		a := NewRTPLeg(ca, LegConfig{Remote: c.caller.addr(), Codec: PCMU, Timeout: 30 * time.Second, Stats: stats})
		b := NewRTPLeg(cb, LegConfig{Remote: c.agent.addr(), Codec: PCMU, Timeout: 30 * time.Second, Stats: stats})
		ctx, cancel := context.WithCancel(context.Background())
		a.Start(ctx)
		b.Start(ctx)
		stop := Bridge(a, b)
		c.closers = append(c.closers, stop, cancel, func() { a.Close(); b.Close() })
	}
	return c
}

// bareRelay is the reference: read a datagram, write it out the other socket.
func bareRelay(in, out *net.UDPConn, to netip.AddrPort) {
	buf := make([]byte, 1500)
	for {
		n, _, err := in.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		out.WriteToUDPAddrPort(buf[:n], to)
	}
}

// BenchmarkBridgeRelay measures one relayed packet over real loopback
// sockets: phone -> leg A -> Bridge -> leg B -> phone, keeping a small
// window in flight. cpu-µs/pkt is the whole process's CPU (both phones'
// send and receive included) per relayed packet; allocs/op is global.
func BenchmarkBridgeRelay(b *testing.B) {
	pool := NewPortPool("127.0.0.1", 40000, 49999)
	c := newCall(b, pool, &Stats{}, viaBridge, 0)
	defer c.close()
	const window = 32
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for i := range b.N {
		for uint64(i)-c.agent.got.Load() >= window {
			// Back off until the relay catches up: no loss from overrun.
			time.Sleep(10 * time.Microsecond)
		}
		if err := c.caller.send(); err != nil {
			b.Fatal(err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); c.agent.got.Load() < uint64(b.N) && time.Now().Before(deadline); {
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	got := c.agent.got.Load()
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(time.Microsecond)/float64(max(got, 1)), "cpu-µs/pkt")
	b.ReportMetric(100*float64(uint64(b.N)-got)/float64(b.N), "loss%")
}

// BenchmarkLoad runs N concurrent bridged calls at real telephony rate
// (50 packets/s each way per call, 172-byte packets) for a few seconds and
// reports loss and CPU per relayed packet, for our legs ("bridge"), a bare
// Go UDP relay ("bare") and no relay at all ("direct", what the phones
// themselves cost: subtract it to get the relay's share).
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{100, 500, 1000} {
		for _, via := range []string{viaBridge, viaBare, viaDirect} {
			b.Run(fmt.Sprintf("calls=%d/%s", n, via), func(b *testing.B) {
				loadRun(b, n, via, 3*time.Second)
			})
		}
	}
}

func loadRun(b *testing.B, n int, via string, dur time.Duration) {
	pool := NewPortPool("127.0.0.1", 40000, 49999)
	calls := make([]*call, n)
	var stats Stats
	for i := range calls {
		calls[i] = newCall(b, pool, &stats, via, i)
	}
	defer func() {
		for _, c := range calls {
			c.close()
		}
	}()

	// A few sender goroutines, each owning a slice of the calls, send one
	// packet per direction per call every 20 ms, scheduled from a start
	// time so they do not drift.
	const senders = 4
	var (
		sent atomic.Uint64
		wg   sync.WaitGroup
		stop = make(chan struct{})
	)
	start := time.Now()
	for s := range senders {
		mine := calls[s*n/senders : (s+1)*n/senders]
		wg.Go(func() {
			t := time.NewTimer(0)
			defer t.Stop()
			for tick := 0; ; tick++ {
				t.Reset(time.Until(start.Add(time.Duration(tick) * 20 * time.Millisecond)))
				select {
				case <-stop:
					return
				case <-t.C:
				}
				for _, c := range mine {
					if c.caller.send() == nil {
						sent.Add(1)
					}
					if c.agent.send() == nil {
						sent.Add(1)
					}
				}
			}
		})
	}
	received := func() uint64 {
		var r uint64
		for _, c := range calls {
			r += c.caller.got.Load() + c.agent.got.Load()
		}
		return r
	}
	b.ResetTimer()
	time.Sleep(500 * time.Millisecond) // warm up: goroutines started, buffers sized
	cpu0, sent0, recv0 := cpuTime(b), sent.Load(), received()
	time.Sleep(dur)
	cpu1, sent1, recv1 := cpuTime(b), sent.Load(), received()
	close(stop)
	wg.Wait()
	// Drain: wait until nothing more arrives.
	for last := uint64(0); ; {
		time.Sleep(100 * time.Millisecond)
		r := received()
		if r == last || r >= sent.Load() {
			break
		}
		last = r
	}
	b.StopTimer()
	total, got := sent.Load(), received()
	relayed := recv1 - recv0
	b.ReportMetric(100*float64(total-min(got, total))/float64(max(total, 1)), "loss%")
	b.ReportMetric(float64(cpu1-cpu0)/float64(time.Microsecond)/float64(max(relayed, 1)), "cpu-µs/pkt")
	b.ReportMetric(float64(sent1-sent0)/dur.Seconds(), "pkt/s")
}

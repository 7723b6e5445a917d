package mix

import (
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/g711"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// BenchmarkTick measures one 20 ms mixing tick for 3 and 10 participants
// on real RTP legs: take each participant's queued frame, sum, subtract
// each one's own voice, encode (half PCMU, half PCMA) and send over
// loopback to phones that drain their sockets. Before each tick every
// participant's sink is fed one frame, as its leg's reader would.
// cpu-µs/tick is the whole process's CPU (phones' reads included);
// µs-per-call-second is what one second of mixing costs.
func BenchmarkTick(b *testing.B) {
	for _, n := range []int{3, 10} {
		b.Run(fmt.Sprintf("participants=%d", n), func(b *testing.B) {
			m := New(Config{})
			frame := make([]byte, tones.FrameSamples)
			g711.EncodeULaw(frame, tones.Sine(1000, 6000, tones.FrameSamples))
			in := &rtp.Packet{Header: rtp.Header{PayloadType: media.PCMU.PayloadType}, Payload: frame}
			for i := range n {
				codec := media.PCMU
				if i%2 == 1 {
					codec = media.PCMA
				}
				leg := benchLeg(b, codec)
				role := Agent
				if i == 0 {
					role = Caller
				}
				if err := m.Add(fmt.Sprint(i), leg, role); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime(b)
			for b.Loop() {
				for _, p := range m.parts {
					p.in.push(in)
				}
				m.tick(0)
			}
			cpu := cpuTime(b) - cpu0
			perTick := float64(cpu.Microseconds()) / float64(b.N)
			b.ReportMetric(perTick, "cpu-µs/tick")
			b.ReportMetric(perTick*float64(time.Second/Interval), "cpu-µs/call-second")
		})
	}
}

// benchLeg is an RTP leg towards a phone socket whose reader discards.
func benchLeg(b testing.TB, c media.Codec) *media.RTPLeg {
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	leg := media.NewRTPLeg(conn, media.LegConfig{Remote: peer.LocalAddr().(*net.UDPAddr), Codec: c})
	b.Cleanup(func() { leg.Close(); peer.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, err := peer.Read(buf); err != nil {
				return
			}
		}
	}()
	return leg
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestTickDoesNotAllocate: a tick (queues, sums, encoding, sends over real
// legs) and the sinks feeding it allocate nothing.
func TestTickDoesNotAllocate(t *testing.T) {
	m := New(Config{})
	for i, c := range []media.Codec{media.PCMU, media.PCMA, media.PCMU} {
		if err := m.Add(fmt.Sprint(i), benchLeg(t, c), Role(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	in := &rtp.Packet{Header: rtp.Header{PayloadType: media.PCMA.PayloadType}, Payload: make([]byte, tones.FrameSamples)}
	if n := testing.AllocsPerRun(200, func() {
		for _, p := range m.parts {
			p.in.push(in)
		}
		m.tick(0)
	}); n != 0 {
		t.Fatalf("%.1f allocations per tick", n)
	}
}

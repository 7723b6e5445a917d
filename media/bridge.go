package media

import (
	"sync"

	"github.com/pion/rtp"
)

// Bridge relays audio both ways between a and b: each side's inbound audio
// is written to the other, which rewrites it into its own stream and
// transcodes PCMU<->PCMA by table when the codecs differ. The relay runs
// on the legs' reader goroutines and allocates nothing per packet. stop
// detaches both sinks; it is safe to call more than once. DTMF is not
// relayed: key presses stay with whoever set OnDTMF.
func Bridge(a, b Endpoint) (stop func()) {
	a.SetSink(relayTo(b))
	b.SetSink(relayTo(a))
	var once sync.Once
	return func() {
		once.Do(func() {
			a.SetSink(nil)
			b.SetSink(nil)
		})
	}
}

func relayTo(dst Endpoint) func(*rtp.Packet) {
	return func(p *rtp.Packet) {
		// A failed send (peer gone, foreign payload type) loses one packet;
		// the leg's Done reports a dead peer to whoever owns the call.
		_ = dst.WriteRTP(p)
	}
}

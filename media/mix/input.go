package mix

import (
	"sync"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/g711"
)

// frameSamples is one 20 ms tick at 8 kHz.
const frameSamples = 160

// inputFrames bounds how much a participant's audio may queue up before
// the oldest is dropped: three frames absorb the jitter of a phone's
// packets against our ticker (a packet a little late, then two at once)
// while adding at most 60 ms of delay. A phone whose clock runs fast fills
// it and loses a few samples now and then; one running slow leaves a
// silent tick now and then.
const inputFrames = 3

// input is a participant's inbound audio: decoded samples waiting for the
// next tick, fed by the endpoint's reader goroutine and drained by the
// mixer's. Whatever the packetisation (10, 20, 30 ms...), samples are
// queued and each tick takes 160 of them.
type input struct {
	mu   sync.Mutex
	ring [inputFrames * frameSamples]int16
	head int // index of the oldest queued sample
	n    int // queued samples
}

// push decodes a G.711 packet into the queue, dropping the oldest samples
// when it overflows. It is the endpoint's sink: it must not allocate.
func (in *input) push(p *rtp.Packet) {
	var decode func(byte) int16
	switch p.PayloadType {
	case media.PCMU.PayloadType:
		decode = g711.DecodeULawSample
	case media.PCMA.PayloadType:
		decode = g711.DecodeALawSample
	default:
		return
	}
	payload := p.Payload
	if len(payload) > len(in.ring) {
		payload = payload[len(payload)-len(in.ring):]
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, b := range payload {
		if in.n == len(in.ring) {
			in.head = (in.head + 1) % len(in.ring)
			in.n--
		}
		in.ring[(in.head+in.n)%len(in.ring)] = decode(b)
		in.n++
	}
}

// pull takes the next frame into dst (silence where nothing arrived) and
// reports whether any audio was there.
func (in *input) pull(dst *[frameSamples]int16) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	k := min(in.n, frameSamples)
	for i := range k {
		dst[i] = in.ring[(in.head+i)%len(in.ring)]
	}
	clear(dst[k:])
	in.head = (in.head + k) % len(in.ring)
	in.n -= k
	return k > 0
}

package dtmf

// Receiver turns a stream of telephone-event packets into exactly one digit
// per key press. RFC 4733 senders repeat each event many times (the same
// RTP timestamp, growing duration) and send the end packet three times; a
// lost start packet must still yield the digit, and the redundant end
// packets must not yield it again.
//
// A digit is reported on the first packet of an event, not on its end, so
// a caller's key stops a prompt (barge-in) as soon as it is pressed.
//
// The zero value is ready to use. A Receiver is not safe for concurrent
// use; each leg's reader goroutine owns one.
type Receiver struct {
	seen  bool
	ts    uint32 // RTP timestamp of the current event
	code  uint8
	ended bool // an end packet was seen for the current event
}

// Feed takes one telephone-event packet's RTP timestamp, marker bit and
// payload. It returns the digit when this packet begins a new key press.
// Malformed payloads and non-key events are ignored.
func (r *Receiver) Feed(timestamp uint32, marker bool, payload []byte) (digit rune, ok bool) {
	ev, err := ParseEvent(payload)
	if err != nil {
		return 0, false
	}
	if r.seen && timestamp == r.ts && ev.Code == r.code {
		// A repeat (or a redundant end) of the event already reported.
		r.ended = r.ended || ev.End
		return 0, false
	}
	if r.seen && int32(timestamp-r.ts) < 0 {
		// A late (reordered or redundant) packet of an earlier event.
		return 0, false
	}
	// RFC 4733 2.5.1.3: an event longer than the 16-bit duration field is
	// sent as segments with new timestamps but no marker. Such a
	// continuation of a still-running event is the same key press.
	continuation := r.seen && !marker && !r.ended && ev.Code == r.code
	r.seen, r.ts, r.code, r.ended = true, timestamp, ev.Code, ev.End
	if continuation {
		return 0, false
	}
	return Digit(ev.Code)
}

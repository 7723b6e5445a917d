package dtmf

import (
	"fmt"
	"time"
)

// Sender describes how digits are sent as RFC 4733 events.
type Sender struct {
	ClockRate uint32        // RTP clock of the telephone-event format; 0 means 8000
	Interval  time.Duration // time between event packets; 0 means 20 ms
	Volume    uint8         // -dBm0; 0 means 10
}

// Packet is one telephone-event RTP packet to send. All packets of one
// digit share the RTP timestamp of the event's start.
type Packet struct {
	Marker  bool // set on the first packet of the event only
	Event   Event
	Payload [PayloadSize]byte
}

// Packets returns the packet sequence for digit held for d: a first packet
// with the marker bit, one packet per interval with growing duration, and
// the end packet sent three times with the final duration (RFC 4733 2.5.1.4).
// The caller sends them one interval apart, the three end packets
// back-to-back or one interval apart.
func (s Sender) Packets(digit rune, d time.Duration) ([]Packet, error) {
	code, err := Code(digit)
	if err != nil {
		return nil, err
	}
	rate := s.ClockRate
	if rate == 0 {
		rate = 8000
	}
	interval := s.Interval
	if interval <= 0 {
		interval = 20 * time.Millisecond
	}
	vol := s.Volume
	if vol == 0 {
		vol = 10
	}
	step := uint64(rate) * uint64(interval) / uint64(time.Second)
	total := uint64(rate) * uint64(d) / uint64(time.Second)
	if total < step {
		return nil, fmt.Errorf("dtmf: duration %v shorter than one packet interval %v", d, interval)
	}
	if total > 0xFFFF {
		return nil, fmt.Errorf("dtmf: duration %v exceeds one event segment (%d timestamp units)", d, 0xFFFF)
	}
	var out []Packet
	add := func(marker, end bool, dur uint64) {
		ev := Event{Code: code, End: end, Volume: vol, Duration: uint16(dur)}
		out = append(out, Packet{Marker: marker, Event: ev, Payload: ev.Marshal()})
	}
	for dur := step; dur < total; dur += step {
		add(dur == step, false, dur)
	}
	for i := range 3 {
		add(len(out) == 0 && i == 0, true, total)
	}
	return out, nil
}

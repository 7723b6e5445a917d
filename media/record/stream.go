package record

import "math"

// Placement tolerances, in samples.
const (
	// maxSkew: a stream whose RTP clock strays further than this from
	// arrival time has jumped (a new talkspurt with a fresh timestamp
	// base, a phone that restarted its clock) and is re-anchored on
	// arrival at once.
	maxSkew = sampleRate // one second
	// slack: within this, the RTP clock is trusted over arrival times,
	// which jitter; beyond it the placement is corrected, at the cost of
	// a few samples of gap or overlap, so a phone whose clock runs slow or
	// fast never drifts more than about this from the other channel.
	slack = frameSamples / 2 // 10 ms
	// window is how much RTP time the lowest network delay is tracked
	// over before a late-running placement is corrected.
	window = sampleRate // one second
)

// frameSamples is one 20 ms packet at 8 kHz.
const frameSamples = 160

// stream places one direction's packets on the timeline: by RTP
// timestamp, so jitter never moves audio, with an offset to timeline time
// taken from arrival times. The offset follows the packets that arrived
// fastest (least network delay): the first packet sets it; a packet
// arriving more than slack earlier than its predicted place pulls it
// earlier at once; when a whole window's packets all arrived more than
// slack later, it moves later to the earliest of them.
type stream struct {
	anchored bool
	ssrc     uint32
	lastTS   uint32
	ext      int64 // RTP time since the anchor, unwrapped
	offset   int64 // timeline sample = offset + ext
	winMin   int64 // lowest arrival-ext in the current window
	winEnd   int64 // ext at which the window closes
}

// place returns the timeline sample for a packet from ssrc with timestamp
// ts, arriving at timeline sample arrival.
func (s *stream) place(ssrc, ts uint32, arrival int64) int64 {
	if !s.anchored || ssrc != s.ssrc {
		return s.anchor(ssrc, ts, arrival)
	}
	ext := s.ext + int64(int32(ts-s.lastTS))
	est := arrival - ext
	switch d := est - s.offset; {
	case d > maxSkew || d < -maxSkew:
		return s.anchor(ssrc, ts, arrival)
	case d < -slack:
		s.offset = est
	}
	s.ext, s.lastTS = ext, ts
	s.winMin = min(s.winMin, est)
	if ext >= s.winEnd {
		if s.winMin-s.offset > slack {
			s.offset = s.winMin
		}
		s.winMin, s.winEnd = math.MaxInt64, ext+window
	}
	return s.offset + ext
}

func (s *stream) anchor(ssrc, ts uint32, arrival int64) int64 {
	*s = stream{anchored: true, ssrc: ssrc, lastTS: ts, offset: arrival, winMin: math.MaxInt64, winEnd: window}
	return arrival
}

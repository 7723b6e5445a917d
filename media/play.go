package media

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/pion/rtp"
)

// frameInterval is the packetisation time of everything we send.
const frameInterval = frameDuration * time.Millisecond

// Player plays prompts into an endpoint as one RTP source: one SSRC and a
// continuous timestamp across successive Play and Loop calls, each frame
// of 160 samples sent at start + n*20 ms, so pacing never drifts however
// late a single wake-up is. A Player is used by one goroutine at a time.
type Player struct {
	ep     Endpoint
	pkt    rtp.Packet
	frame  [frameSamples]byte
	timer  *time.Timer
	lastAt time.Time // when the last frame ended, for timestamp gaps between calls
}

// NewPlayer returns a player writing to ep.
func NewPlayer(ep Endpoint) *Player {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Player{
		ep:    ep,
		timer: t,
		pkt: rtp.Packet{Header: rtp.Header{
			Version: 2, SSRC: rand.Uint32(), SequenceNumber: uint16(rand.Uint32()), Timestamp: rand.Uint32(),
		}},
	}
}

// Play plays the prompts one after another with a fresh Player. It returns
// nil when all were played, ctx.Err() when ctx ended first (barge-in), or
// ErrClosed when the endpoint died.
func Play(ctx context.Context, ep Endpoint, prompts ...Prompt) error {
	return NewPlayer(ep).Play(ctx, prompts...)
}

// Loop plays p again and again until ctx ends (hold music); it returns
// ctx.Err(), or ErrClosed when the endpoint died.
func Loop(ctx context.Context, ep Endpoint, p Prompt) error {
	return NewPlayer(ep).Loop(ctx, p)
}

// Play plays the prompts in order; see the package function Play.
func (pl *Player) Play(ctx context.Context, prompts ...Prompt) error {
	c := pl.ep.Codec()
	s := pl.schedule()
	for _, p := range prompts {
		if err := s.clip(ctx, p.Encoded(c), silence(c)); err != nil {
			return err
		}
	}
	return s.finish(ctx)
}

// Loop repeats p until ctx ends.
func (pl *Player) Loop(ctx context.Context, p Prompt) error {
	c := pl.ep.Codec()
	audio := p.Encoded(c)
	if len(audio) == 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-pl.ep.Done():
			return ErrClosed
		}
	}
	s := pl.schedule()
	for {
		if err := s.clip(ctx, audio, silence(c)); err != nil {
			return err
		}
	}
}

// run is one Play or Loop call's pacing state.
type run struct {
	pl    *Player
	start time.Time
	sent  int // frames sent in this run
}

func (pl *Player) schedule() *run {
	now := time.Now()
	if !pl.lastAt.IsZero() {
		// Time passed since the previous call: advance the media clock by
		// it, so the receiver's clock and ours agree.
		if gap := now.Sub(pl.lastAt); gap > 0 {
			pl.pkt.Timestamp += uint32(gap * sampleRate / time.Second)
		}
	}
	pl.pkt.Marker = true
	return &run{pl: pl, start: now}
}

// clip sends audio in 20 ms frames, padding the last with silence.
func (r *run) clip(ctx context.Context, audio []byte, fill byte) error {
	pl := r.pl
	for off := 0; off < len(audio); off += frameSamples {
		n := copy(pl.frame[:], audio[off:])
		for i := n; i < frameSamples; i++ {
			pl.frame[i] = fill
		}
		if err := r.waitUntil(ctx, r.sent); err != nil {
			return err
		}
		pl.pkt.PayloadType = pl.ep.Codec().PayloadType
		pl.pkt.Payload = pl.frame[:]
		if err := pl.ep.WriteRTP(&pl.pkt); err != nil {
			select {
			case <-pl.ep.Done():
				return ErrClosed
			default: // one lost frame: keep time
			}
		}
		pl.pkt.Marker = false
		pl.pkt.SequenceNumber++
		pl.pkt.Timestamp += frameSamples
		r.sent++
		pl.lastAt = r.start.Add(time.Duration(r.sent) * frameInterval)
	}
	return nil
}

// finish waits until the last frame has played out, so the next Play
// starts after it rather than on top of it.
func (r *run) finish(ctx context.Context) error { return r.waitUntil(ctx, r.sent) }

// waitUntil sleeps until frame n is due, relative to the run's start.
func (r *run) waitUntil(ctx context.Context, n int) error {
	pl := r.pl
	wait := time.Until(r.start.Add(time.Duration(n) * frameInterval))
	if wait <= 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-pl.ep.Done():
			return ErrClosed
		default:
			return nil
		}
	}
	pl.timer.Reset(wait)
	select {
	case <-ctx.Done():
		pl.timer.Stop()
		return ctx.Err()
	case <-pl.ep.Done():
		pl.timer.Stop()
		return ErrClosed
	case <-pl.timer.C:
		return nil
	}
}

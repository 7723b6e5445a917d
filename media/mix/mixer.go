// Package mix is a conference mixer for G.711 endpoints, built for
// supervisor coaching: a supervisor listens to a live call, whispers to the
// agent, or barges in.
//
// Every 20 ms the Mixer takes the audio each participant sent since the
// last tick (a small jitter queue per participant; silence if nothing
// arrived), sums what each participant may hear according to the roles
// (N-1: never their own voice), clips to 16 bits and sends each participant
// its own mix in its own codec (PCMU or PCMA) through media.Endpoint's
// WriteRTP. Each participant's output is one RTP source for the mixer's
// whole life, so changing roles (listen -> whisper -> barge) changes only
// what is summed, never the stream: no marker, no timestamp jump.
//
// Handing a call over. A Mixer takes each endpoint's sink (SetSink), so
// whatever fed the endpoint before must let go first:
//
//	stop()                       // the media.Bridge between caller and agent
//	m := mix.New(mix.Config{})
//	m.Add("caller", c, mix.Caller)
//	m.Add("agent", a, mix.Agent)
//	m.Add("sup", s, mix.Listen)
//	go m.Run(ctx)                // until coaching ends
//	m.SetRole("sup", mix.Whisper)
//	...
//	cancel()                     // Run detaches every sink and returns
//	<-runDone
//	stop = media.Bridge(c, a)    // the mixer restores nothing itself
//
// Calling media.Bridge's stop after Add would detach the mixer's sinks
// instead (Bridge's stop sets them to nil): stop the bridge first.
//
// The mixer leaves key presses alone (OnDTMF stays with whoever set it).
// A participant whose endpoint dies stays in the mix, its frames lost,
// until Remove: the call's owner watches Done, as it does for a bridge.
// When the call is recorded, give the mixer the recorder's taps
// (media/record), not the bare legs, so the recording goes on.
package mix

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/g711"
)

// Errors returned by the Mixer; each is wrapped with the participant id.
var (
	ErrRole      = errors.New("mix: not a role")
	ErrDuplicate = errors.New("mix: participant already present")
	ErrUnknown   = errors.New("mix: no such participant")
	ErrStopped   = errors.New("mix: mixer has stopped")
	ErrRunning   = errors.New("mix: mixer is already running")
)

// Interval is the mixing period: one 20 ms G.711 frame.
const Interval = 20 * time.Millisecond

// maxLate is how far behind schedule the mixer may fall before it skips
// ticks instead of sending a burst to catch up (after a long stall the
// participants' queues hold at most 60 ms anyway).
const maxLate = 5 * Interval

// Config configures a Mixer. The zero value is ready to use.
type Config struct {
	Logger *slog.Logger
}

// Mixer mixes the audio of its participants; see the package comment.
// Its methods are safe for concurrent use.
type Mixer struct {
	log *slog.Logger

	mu      sync.Mutex
	parts   map[string]*participant
	running bool
	stopped bool

	// Used by the Run goroutine only.
	active  []*participant
	base    [frameSamples]int32 // sum of everyone heard by all
	whisper [frameSamples]int32 // sum of whisperers, heard by all but callers
}

// participant is one endpoint in the mix. role is guarded by Mixer.mu;
// the rest after Add belongs to the Run goroutine.
type participant struct {
	id   string
	ep   media.Endpoint
	role Role
	in   input

	now   Role                // role for this tick
	pcm   [frameSamples]int16 // this tick's inbound audio
	heard bool                // pcm holds audio this tick
	pkt   rtp.Packet
	out   [frameSamples]byte
}

// New returns a mixer with no participants.
func New(cfg Config) *Mixer {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mixer{log: log, parts: make(map[string]*participant)}
}

// Add puts ep in the mix as id with role, taking over ep's sink. It may be
// called before or during Run.
func (m *Mixer) Add(id string, ep media.Endpoint, role Role) error {
	if !role.valid() {
		return fmt.Errorf("add %s: %w: %d", id, ErrRole, role)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return fmt.Errorf("add %s: %w", id, ErrStopped)
	}
	if _, ok := m.parts[id]; ok {
		return fmt.Errorf("add %s: %w", id, ErrDuplicate)
	}
	p := &participant{id: id, ep: ep, role: role}
	p.pkt.Header = rtp.Header{
		Version: 2, SSRC: rand.Uint32(), SequenceNumber: uint16(rand.Uint32()),
		Timestamp: rand.Uint32(), Marker: true,
	}
	m.parts[id] = p
	ep.SetSink(p.in.push)
	m.log.Debug("mix: participant added", "participant", id, "role", role)
	return nil
}

// SetRole changes what id hears and who hears it, from the next tick on.
func (m *Mixer) SetRole(id string, role Role) error {
	if !role.valid() {
		return fmt.Errorf("set role of %s: %w: %d", id, ErrRole, role)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.parts[id]
	if !ok {
		return fmt.Errorf("set role of %s: %w", id, ErrUnknown)
	}
	if p.role != role {
		m.log.Debug("mix: role changed", "participant", id, "from", p.role, "to", role)
	}
	p.role = role
	return nil
}

// Role returns id's current role.
func (m *Mixer) Role(id string) (Role, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.parts[id]
	if !ok {
		return 0, false
	}
	return p.role, true
}

// Remove takes id out of the mix and detaches its sink (SetSink(nil)); the
// endpoint itself stays open.
func (m *Mixer) Remove(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.parts[id]
	if !ok {
		return fmt.Errorf("remove %s: %w", id, ErrUnknown)
	}
	delete(m.parts, id)
	p.ep.SetSink(nil)
	return nil
}

// Run mixes every 20 ms until ctx ends, then detaches every participant's
// sink (the endpoints stay open) and returns ctx.Err(). Tick n is due at
// start + n*20 ms, so late wake-ups do not accumulate into drift. A
// Mixer runs once: afterwards Add returns ErrStopped.
func (m *Mixer) Run(ctx context.Context) error {
	m.mu.Lock()
	switch {
	case m.stopped:
		m.mu.Unlock()
		return ErrStopped
	case m.running:
		m.mu.Unlock()
		return ErrRunning
	}
	m.running = true
	m.mu.Unlock()
	defer m.stop()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	start := time.Now()
	for n := 0; ; n++ {
		due := start.Add(time.Duration(n) * Interval)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
		var gap uint32 // samples of skipped ticks
		if late := time.Since(due); late > maxLate {
			k := int(late / Interval)
			n += k
			gap = uint32(k) * frameSamples
		}
		m.tick(gap)
	}
}

func (m *Mixer) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopped = true
	for _, p := range m.parts {
		p.ep.SetSink(nil)
	}
}

// tick mixes and sends one frame to every participant. gap is how many
// samples of skipped ticks the outbound timestamps must jump over.
func (m *Mixer) tick(gap uint32) {
	// The whole tick holds the lock: a SetRole never applies to half a
	// frame's listeners, and after Remove returns the removed endpoint
	// gets no further frame (the lead may re-bridge it at once). Sinks
	// never take this lock, so inbound audio does not wait on a tick.
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active = m.active[:0]
	for _, p := range m.parts {
		p.now = p.role
		m.active = append(m.active, p)
	}

	clear(m.base[:])
	clear(m.whisper[:])
	for _, p := range m.active {
		p.heard = p.in.pull(&p.pcm)
		if !p.heard {
			continue
		}
		switch p.now {
		case Listen:
		case Whisper:
			addTo(&m.whisper, &p.pcm)
		default:
			addTo(&m.base, &p.pcm)
		}
	}
	for _, p := range m.active {
		m.send(p, gap)
	}
}

// send writes p's own mix: everyone p hears, minus p itself.
func (m *Mixer) send(p *participant, gap uint32) {
	withWhisper := Hears(p.now, Whisper)
	ownIn := p.heard && p.now != Listen // p's voice is in one of the sums
	alaw := p.ep.Codec().PayloadType == media.PCMA.PayloadType
	for i := range frameSamples {
		s := m.base[i]
		if withWhisper {
			s += m.whisper[i]
		}
		if ownIn {
			s -= int32(p.pcm[i])
		}
		s = max(min(s, 32767), -32768)
		if alaw {
			p.out[i] = g711.EncodeALawSample(int16(s))
		} else {
			p.out[i] = g711.EncodeULawSample(int16(s))
		}
	}
	p.pkt.Timestamp += gap
	p.pkt.PayloadType = p.ep.Codec().PayloadType
	p.pkt.Payload = p.out[:]
	// A failed send (peer gone) loses one frame; the endpoint's Done tells
	// whoever owns the call.
	_ = p.ep.WriteRTP(&p.pkt)
	p.pkt.Marker = false
	p.pkt.SequenceNumber++
	p.pkt.Timestamp += frameSamples
}

func addTo(sum *[frameSamples]int32, pcm *[frameSamples]int16) {
	for i, v := range pcm {
		sum[i] += int32(v)
	}
}

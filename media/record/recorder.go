// Package record writes a call's two directions to a stereo WAV file: the
// caller in the left channel, the agent in the right, 8 kHz 16-bit PCM,
// aligned in time with silence where nobody sent anything. It also sweeps
// old recordings away after their retention period.
//
// Feeding a Recorder. The recorder is a tap on the audio each endpoint
// receives (what the caller says, what the agent says). Either wrap the
// endpoints before bridging them, which keeps media.Bridge as it is:
//
//	rec, err := record.Create(path, record.Config{})
//	stop := media.Bridge(rec.Caller(callerLeg), rec.Agent(agentLeg))
//	...
//	stop()
//	err = rec.Close()
//
// or call FromCaller and FromAgent from a relay of your own. Both are
// allocation-free and never block: they copy the payload into a bounded
// queue that a writer goroutine drains; a full queue (a stalled disk)
// drops the packet and counts it in Dropped rather than delaying the
// call's audio. Decoding, alignment and file writes happen on the writer
// goroutine only.
//
// Alignment. Each packet is placed on one sample clock starting when the
// recording began: by its RTP timestamp, so network jitter never moves
// audio, plus an offset taken from the arrival times of the packets that
// came fastest. A new SSRC, or a timestamp more than a second off arrival
// time, re-anchors the stream on arrival. A phone whose clock runs slow
// or fast is pulled back whenever it drifts 10 ms from arrival time (a
// few milliseconds of gap or overlap: every 100 s at 100 ppm). Gaps
// (silence suppression, hold, loss) are silence of the right length, and
// the two channels stay within a frame of each other however long the
// call. Packets up to 200 ms late still land in their place; later ones
// are dropped.
//
// Memory: about 100 KB per recording (the packet queue, one second of
// timeline, a 16 KB write buffer).
//
// Crashes. The header is written first with the sizes unknown
// (0xFFFFFFFF, the streaming-WAV convention ffmpeg and sox honour) and
// buffered audio reaches the file at least every Config.FlushEvery, so
// the process dying mid-call leaves a playable file missing at most that
// much audio plus the 300 ms the timeline holds open. Close writes the real sizes; Repair does it for a file left
// behind by a crash. A WAV file holds at most 4 GiB: 37 hours of call.
package record

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media"
)

// ErrClosed is returned by Sync on a closed recorder.
var ErrClosed = errors.New("record: recorder closed")

// Config configures a Recorder. The zero value is ready to use.
type Config struct {
	// Now is the clock packets are timed by on arrival; nil is time.Now.
	Now func() time.Time
	// FlushEvery bounds how much audio a crash can lose; 0 is one second.
	FlushEvery time.Duration
	// Queue is how many packets may wait for the writer; 0 is 256 (about
	// 2.5 s of both directions at 20 ms packets, 66 KB).
	Queue  int
	Logger *slog.Logger
}

// The channels.
const (
	left  = 0 // the caller
	right = 1 // the agent
)

// maxChunk is the largest payload carried in one queue entry (30 ms of
// G.711, the longest common packetisation); longer packets are split.
const maxChunk = 240

// chunk is one packet's audio on its way to the writer, by value: the
// queue is a channel of these, so feeding it allocates nothing.
type chunk struct {
	ch   uint8
	pt   uint8
	n    uint16
	ssrc uint32
	ts   uint32
	at   time.Duration // arrival, since the recording began
	data [maxChunk]byte
}

// Recorder records one call; see the package comment. Its methods are
// safe for concurrent use.
type Recorder struct {
	path  string
	now   func() time.Time
	start time.Time
	log   *slog.Logger

	in      chan chunk
	syncReq chan chan error
	quit    chan struct{}
	done    chan struct{}
	closed  atomic.Bool
	dropped atomic.Uint64

	closeOnce sync.Once
	err       error // set by the writer before done closes
}

// Create starts a recording in a new file at path (an existing file is
// never overwritten) and writes its header. The recording's time zero is
// now.
func Create(path string, cfg Config) (*Recorder, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("create recording: %w", err)
	}
	h := header(unknownSize)
	if _, err := f.Write(h[:]); err != nil {
		f.Close()
		return nil, fmt.Errorf("create recording %s: %w", path, err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = time.Second
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 256
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{
		path: path, now: cfg.Now, start: cfg.Now(), log: log.With("recording", path),
		in:      make(chan chunk, cfg.Queue),
		syncReq: make(chan chan error),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	w := &writer{rec: r, f: f, buf: bufio.NewWriterSize(f, 16<<10)}
	go w.run(cfg.FlushEvery)
	return r, nil
}

// Path is the file being written.
func (r *Recorder) Path() string { return r.path }

// FromCaller records a packet the caller sent (left channel). It copies
// what it needs: p may be reused as soon as it returns.
func (r *Recorder) FromCaller(p *rtp.Packet) { r.feed(left, p) }

// FromAgent records a packet the agent sent (right channel).
func (r *Recorder) FromAgent(p *rtp.Packet) { r.feed(right, p) }

func (r *Recorder) feed(ch uint8, p *rtp.Packet) {
	if r.closed.Load() || !isG711(p.PayloadType) {
		return
	}
	at := r.now().Sub(r.start)
	ts := p.Timestamp
	for payload := p.Payload; len(payload) > 0; {
		var c chunk
		c.ch, c.pt, c.ssrc, c.ts, c.at = ch, p.PayloadType, p.SSRC, ts, at
		n := copy(c.data[:], payload)
		c.n = uint16(n)
		payload = payload[n:]
		ts += uint32(n)
		at += time.Duration(n) * time.Second / sampleRate
		select {
		case r.in <- c:
		default:
			r.dropped.Add(1)
		}
	}
}

// Dropped counts packets (or parts of long ones) lost because the writer
// fell behind.
func (r *Recorder) Dropped() uint64 { return r.dropped.Load() }

// Sync writes everything placed so far, except the last 200 ms held open
// for late packets, through to the file: a download of a recording in
// progress then gets all but that.
func (r *Recorder) Sync() error {
	reply := make(chan error, 1)
	select {
	case r.syncReq <- reply:
		return <-reply
	case <-r.done:
		return ErrClosed
	}
}

// Close stops recording, writes the rest of the audio and the final
// header, and closes the file. Packets fed afterwards are ignored. It
// returns the first write error of the recording, if any; calling it
// again returns the same.
func (r *Recorder) Close() error {
	r.closeOnce.Do(func() {
		r.closed.Store(true)
		close(r.quit)
	})
	<-r.done
	return r.err
}

// Caller wraps the caller's endpoint so that what it receives is recorded
// in the left channel as well as passed on to its sink; see Tap.
func (r *Recorder) Caller(ep media.Endpoint) media.Endpoint {
	return &Tap{Endpoint: ep, record: r.FromCaller}
}

// Agent wraps the agent's endpoint for the right channel; see Tap.
func (r *Recorder) Agent(ep media.Endpoint) media.Endpoint {
	return &Tap{Endpoint: ep, record: r.FromAgent}
}

// Tap is an endpoint whose inbound audio is recorded on its way to the
// sink. Everything else passes straight to the wrapped endpoint. The tap
// records for as long as its recorder is open, even with no sink set (a
// bridge stopped while the call is handed to a mixer); hand the Tap, not
// the bare endpoint, to the next consumer (media.Bridge, mix.Mixer) so the
// recording keeps going, since SetSink on the bare endpoint replaces the
// tap.
type Tap struct {
	media.Endpoint
	record func(*rtp.Packet)
}

// SetSink sets the wrapped endpoint's sink to record, then call f.
func (t *Tap) SetSink(f func(*rtp.Packet)) {
	if f == nil {
		t.Endpoint.SetSink(t.record)
		return
	}
	rec := t.record
	t.Endpoint.SetSink(func(p *rtp.Packet) {
		rec(p)
		f(p)
	})
}

func isG711(pt uint8) bool {
	return pt == media.PCMU.PayloadType || pt == media.PCMA.PayloadType
}

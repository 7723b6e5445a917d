package record

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/g711"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

const (
	callerHz = 1000
	agentHz  = 2000
	frame    = tones.FrameSamples
)

// fakeClock is advanced by the test; the recorder reads it on the test's
// goroutine (FromCaller/FromAgent), so it needs no lock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// talker makes a phone's RTP stream: a tone in 20 ms packets with a
// random SSRC and starting timestamp, as a real phone sends.
type talker struct {
	gen   *tones.Generator
	codec media.Codec
	pkt   rtp.Packet // the stream's header state
	out   rtp.Packet // the packet next returns, reused
	pcm   [frame]int16
	buf   [frame]byte
}

func newTalker(freq float64, c media.Codec) *talker {
	tk := &talker{gen: tones.NewGenerator(freq, 8000), codec: c}
	tk.pkt.Header = rtp.Header{Version: 2, PayloadType: c.PayloadType, SSRC: rand.Uint32(), Timestamp: rand.Uint32()}
	return tk
}

// next returns the next packet, valid until the next call (like a leg's
// sink, which must not keep it); skip advances the stream's clock without
// a packet (a packet lost, or silence suppressed).
func (tk *talker) next() *rtp.Packet {
	tk.gen.Fill(tk.pcm[:])
	if tk.codec == media.PCMA {
		g711.EncodeALaw(tk.buf[:], tk.pcm[:])
	} else {
		g711.EncodeULaw(tk.buf[:], tk.pcm[:])
	}
	tk.out = tk.pkt
	tk.out.Payload = tk.buf[:]
	tk.skip()
	return &tk.out
}

func (tk *talker) skip() {
	tk.gen.Fill(tk.pcm[:])
	tk.pkt.SequenceNumber++
	tk.pkt.Timestamp += frame
}

func newRecorder(t *testing.T, clock *fakeClock) (*Recorder, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "call.wav")
	cfg := Config{Queue: 4096}
	if clock != nil {
		cfg.Now = clock.now
	}
	r, err := Create(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, path
}

func readBack(t *testing.T, path string) (left, right []int16) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	left, right, err = ReadWAV(data)
	if err != nil {
		t.Fatal(err)
	}
	if riff, size := binary.LittleEndian.Uint32(data[4:]), binary.LittleEndian.Uint32(data[40:]); int(size) != len(data)-headerBytes || int(riff) != len(data)-8 {
		t.Fatalf("header sizes RIFF %d, data %d for a %d-byte file", riff, size, len(data))
	}
	return left, right
}

// frameAt is the 20 ms frame of samples starting at sample pos.
func frameAt(samples []int16, pos int) []int16 {
	if pos+frame > len(samples) {
		return nil
	}
	return samples[pos : pos+frame]
}

// TestChannelsHoldTheirSideInTime feeds a PCMU caller (1 kHz) and a PCMA
// agent (2 kHz) for three seconds of call; the caller goes quiet for one
// second in the middle (silence suppression: no packets, its RTP clock
// runs on) and its packets arrive with up to 15 ms of jitter. Left must be
// exactly the caller's audio, sample for sample, with that second of
// silence; right 2 kHz throughout; each frame where its timestamp puts it.
func TestChannelsHoldTheirSideInTime(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	r, path := newRecorder(t, clock)
	caller, agent := newTalker(callerHz, media.PCMU), newTalker(agentHz, media.PCMA)
	const (
		frames             = 150
		quietFrom, quietTo = 40, 90
		agentLag           = 5 * time.Millisecond // the agent's packets arrive a little later
	)
	jitter := rand.New(rand.NewPCG(7, 7))
	var sent []int16 // what the caller said, silence included
	for i := range frames {
		clock.advance(20*time.Millisecond - agentLag)
		if i >= quietFrom && i < quietTo {
			caller.skip()
			sent = append(sent, make([]int16, frame)...)
		} else {
			p := caller.next()
			sent = append(sent, g711.DecodeULaw(make([]int16, frame), p.Payload)...)
			late := time.Duration(0)
			if i > 0 {
				late = time.Duration(jitter.IntN(15)) * time.Millisecond
			}
			clock.advance(late)
			r.FromCaller(p)
			clock.advance(-late)
		}
		clock.advance(agentLag)
		r.FromAgent(agent.next())
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	left, right := readBack(t, path)

	// The first packets were anchored at their arrival; everything after
	// follows by timestamp.
	leftAt := int((20*time.Millisecond - agentLag) * sampleRate / time.Second)
	rightAt := int(20 * time.Millisecond * sampleRate / time.Second)
	for i := range frames {
		l, rt := frameAt(left, leftAt+i*frame), frameAt(right, rightAt+i*frame)
		for k, v := range l {
			if want := sent[i*frame+k]; v != want {
				t.Fatalf("left frame %d sample %d is %d, the caller sent %d", i, k, v, want)
			}
		}
		if quiet := i >= quietFrom && i < quietTo; !quiet && !tones.Dominates(l, callerHz) {
			t.Fatalf("left frame %d is not the caller's 1 kHz", i)
		}
		if !tones.Dominates(rt, agentHz) {
			t.Fatalf("right frame %d is not the agent's 2 kHz", i)
		}
	}
	if tones.Energy(left[:leftAt]) > 0 || tones.Energy(right[:rightAt]) > 0 {
		t.Fatal("audio before the first packet arrived")
	}
	// Both channels' audio spans the same time, within one frame.
	ls, le := extent(left)
	rs, re := extent(right)
	if d := abs(ls - rs); d > frame {
		t.Errorf("channels start %d samples apart", d)
	}
	if d := abs(le - re); d > frame {
		t.Errorf("channels end %d samples apart", d)
	}
	if want := rightAt + frames*frame; len(left) != want {
		t.Errorf("recording holds %d samples per channel, want %d (to the last packet's end)", len(left), want)
	}
}

// extent is the first and last+1 sample of non-silent audio.
func extent(s []int16) (from, to int) {
	from, to = -1, 0
	for i, v := range s {
		if v != 0 {
			if from < 0 {
				from = i
			}
			to = i + 1
		}
	}
	return from, to
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TestLateLostAndRestartedStreams: a packet overtaken by the next lands in
// its place; one arriving after the 200 ms hold is lost (its frame stays
// silent); a phone restarting its stream (new SSRC, new random timestamp)
// is re-anchored on arrival, without a gap or overlap.
func TestLateLostAndRestartedStreams(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	r, path := newRecorder(t, clock)
	caller := newTalker(callerHz, media.PCMU)
	var reordered, tooLate *rtp.Packet
	const frames = 60
	for i := range frames {
		clock.advance(20 * time.Millisecond)
		p := caller.next()
		held := func() *rtp.Packet {
			c := *p
			c.Payload = append([]byte(nil), p.Payload...)
			return &c
		}
		switch i {
		case 5:
			reordered = held() // held back one frame
			continue
		case 10:
			tooLate = held() // held back 30 frames
			continue
		case 30:
			caller.pkt.SSRC, caller.pkt.Timestamp = rand.Uint32(), rand.Uint32() // restart from next packet on
		}
		r.FromCaller(p)
		if i == 6 {
			r.FromCaller(reordered)
		}
		if i == 40 {
			r.FromCaller(tooLate)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	left, right := readBack(t, path)
	for i := range frames {
		f := frameAt(left, frame+i*frame) // first packet arrived at 20 ms
		if i == 10 {
			if tones.Energy(f) != 0 {
				t.Fatalf("the packet 600 ms late was written over frame 10")
			}
			continue
		}
		if !tones.Dominates(f, callerHz) {
			t.Fatalf("left frame %d lacks the caller's tone", i)
		}
	}
	if tones.Energy(right) != 0 {
		t.Fatal("the agent's channel has audio nobody sent")
	}
}

// TestACrashLeavesAPlayableFile: before Close the file already carries the
// audio under the unknown-size header; Repair finalises a copy as Close
// would, cutting a torn trailing frame.
func TestACrashLeavesAPlayableFile(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	r, path := newRecorder(t, clock)
	caller, agent := newTalker(callerHz, media.PCMU), newTalker(agentHz, media.PCMU)
	for range 50 {
		clock.advance(20 * time.Millisecond)
		r.FromCaller(caller.next())
		r.FromAgent(agent.next())
	}
	if err := r.Sync(); err != nil {
		t.Fatal(err)
	}
	live, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if size := binary.LittleEndian.Uint32(live[40:]); size != unknownSize {
		t.Fatalf("open recording's data size is %d, want unknown (0xFFFFFFFF)", size)
	}
	left, right, err := ReadWAV(live)
	if err != nil {
		t.Fatal(err)
	}
	// All but the 200 ms held for late packets is on disk.
	if want := 51*frame - hold; len(left) != want || len(right) != want {
		t.Fatalf("synced %d/%d samples, want %d", len(left), len(right), want)
	}
	if !tones.Dominates(left[len(left)-frame:], callerHz) || !tones.Dominates(right[len(right)-frame:], agentHz) {
		t.Fatal("synced audio is not the two tones")
	}

	crashed := filepath.Join(t.TempDir(), "crashed.wav")
	if err := os.WriteFile(crashed, append(live, 1, 2, 3), 0o600); err != nil { // a torn last write
		t.Fatal(err)
	}
	if err := Repair(crashed); err != nil {
		t.Fatal(err)
	}
	fixedL, fixedR := readBack(t, crashed)
	if len(fixedL) != len(left) || len(fixedR) != len(right) {
		t.Fatalf("repaired file has %d samples, the crashed one %d", len(fixedL), len(left))
	}
	if err := Repair(crashed); err != nil { // a final file stays as it is
		t.Fatalf("second Repair: %v", err)
	}
	readBack(t, crashed)

	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Sync(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Sync after Close: %v, want ErrClosed", err)
	}
	r.FromCaller(caller.next()) // ignored, not a panic
	if l, _ := readBack(t, path); len(l) != 51*frame {
		t.Fatalf("closed recording has %d samples, want %d", len(l), 51*frame)
	}
}

func TestRefusals(t *testing.T) {
	r, path := newRecorder(t, nil)
	if _, err := Create(path, Config{}); !errors.Is(err, os.ErrExist) {
		t.Errorf("Create over an existing recording: %v, want os.ErrExist", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	other := filepath.Join(t.TempDir(), "notes.wav")
	os.WriteFile(other, []byte("RIFF....WAVEnot a recording at all, just words to fill the header"), 0o600)
	if err := Repair(other); !errors.Is(err, ErrNotRecording) {
		t.Errorf("Repair of a foreign file: %v, want ErrNotRecording", err)
	}
	short := filepath.Join(t.TempDir(), "short.wav")
	os.WriteFile(short, []byte("RIFF"), 0o600)
	if err := Repair(short); !errors.Is(err, ErrNotRecording) {
		t.Errorf("Repair of a 4-byte file: %v, want ErrNotRecording", err)
	}
	if err := Repair(filepath.Join(t.TempDir(), "missing.wav")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Repair of a missing file: %v, want os.ErrNotExist", err)
	}
}

// TestChannelsStayAlignedWhenAPhoneClockDrifts: the agent's phone clock
// runs 0.2% slow or fast (160-sample packets every 20.04 or 19.96 ms of
// real time) for a minute of call, 120 ms of drift by RTP time alone. Both
// phones talk over the same minute; their channels must still start and
// end within a frame of each other.
func TestChannelsStayAlignedWhenAPhoneClockDrifts(t *testing.T) {
	for name, period := range map[string]time.Duration{"slow": 20040 * time.Microsecond, "fast": 19960 * time.Microsecond} {
		t.Run(name, func(t *testing.T) {
			start := time.Unix(1_800_000_000, 0)
			clock := &fakeClock{t: start}
			r, path := newRecorder(t, clock)
			caller, agent := newTalker(callerHz, media.PCMU), newTalker(agentHz, media.PCMU)
			const call = time.Minute
			nextC, nextA := 20*time.Millisecond, period
			for {
				at := min(nextC, nextA)
				if at > call {
					break
				}
				clock.t = start.Add(at)
				if at == nextC {
					r.FromCaller(caller.next())
					nextC += 20 * time.Millisecond
				} else {
					r.FromAgent(agent.next())
					nextA += period
				}
				for len(r.in) > cap(r.in)/2 {
					runtime.Gosched()
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			left, right := readBack(t, path)
			ls, le := extent(left)
			rs, re := extent(right)
			if d := abs(ls - rs); d > frame {
				t.Errorf("channels start %d samples apart", d)
			}
			if d := abs(le - re); d > frame {
				t.Errorf("channels end %d samples apart (the agent's clock drifted %d)", d, int(call/period)*frame-int(call*sampleRate/time.Second))
			}
			// Each correction costs a few milliseconds of gap or overlap: a
			// frame or two that is not a clean tone, every few seconds.
			bad, frames := 0, (re-rs)/frame
			for i := range frames {
				if !tones.Dominates(right[rs+i*frame:rs+(i+1)*frame], agentHz) {
					bad++
				}
			}
			if bad > frames/100 {
				t.Errorf("%d of %d frames of the agent's channel are not its tone", bad, frames)
			}
		})
	}
}

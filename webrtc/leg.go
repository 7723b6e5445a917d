package webrtc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/dtmf"
)

// ErrLegClosed is returned by writes on a closed browser leg.
var ErrLegClosed = errors.New("webrtc: leg closed")

// Leg is one browser's audio: a PeerConnection with one PCMU track each way.
// It implements media.Endpoint, so the call path bridges it to a SIP leg or
// another browser like any RTP leg. We always make the offer; the browser
// answers and trickles its ICE candidates.
type Leg struct {
	pc    *pion.PeerConnection
	track *pion.TrackLocalStaticRTP
	log   *slog.Logger
	stats *media.Stats

	sink   atomic.Pointer[func(*rtp.Packet)]
	onDTMF atomic.Pointer[func(rune)]
	dtmfPT atomic.Int32 // negotiated telephone-event PT; -1 none
	held   atomic.Bool
	tx     outStream
	// writeOut is sendOut, bound once.
	writeOut func(*rtp.Packet) error

	holdMu   sync.Mutex
	holdStop context.CancelFunc

	connected chan struct{}
	connOnce  sync.Once
	done      chan struct{}
	closeOnce sync.Once
}

var _ media.Endpoint = (*Leg)(nil)

// newLeg makes a PeerConnection with a send-receive PCMU transceiver.
func newLeg(api *pion.API, log *slog.Logger, stats *media.Stats) (*Leg, error) {
	pc, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("webrtc: new peer connection: %w", err)
	}
	track, err := pion.NewTrackLocalStaticRTP(pcmu, "audio", "frontdoor")
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("webrtc: local track: %w", err)
	}
	if _, err := pc.AddTransceiverFromTrack(track, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionSendrecv}); err != nil {
		pc.Close()
		return nil, fmt.Errorf("webrtc: add transceiver: %w", err)
	}
	l := &Leg{pc: pc, track: track, log: log, stats: stats, connected: make(chan struct{}), done: make(chan struct{})}
	l.dtmfPT.Store(-1)
	l.tx.init()
	l.writeOut = l.sendOut
	pc.OnTrack(func(remote *pion.TrackRemote, _ *pion.RTPReceiver) {
		if remote.Kind() == pion.RTPCodecTypeAudio {
			go l.readLoop(remote)
		}
	})
	pc.OnConnectionStateChange(func(s pion.PeerConnectionState) {
		switch s {
		case pion.PeerConnectionStateConnected:
			l.connOnce.Do(func() { close(l.connected) })
		case pion.PeerConnectionStateFailed, pion.PeerConnectionStateClosed:
			l.Close()
		}
	})
	return l, nil
}

// Offer makes our SDP offer with every ICE candidate in it (no trickle from
// our side: gathering on one address takes a millisecond).
func (l *Leg) Offer(ctx context.Context) (string, error) {
	offer, err := l.pc.CreateOffer(nil)
	if err != nil {
		return "", fmt.Errorf("webrtc: create offer: %w", err)
	}
	gathered := pion.GatheringCompletePromise(l.pc)
	if err := l.pc.SetLocalDescription(offer); err != nil {
		return "", fmt.Errorf("webrtc: set local description: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return l.pc.LocalDescription().SDP, nil
}

// Answer applies the browser's answer and learns its telephone-event PT.
func (l *Leg) Answer(sdp string) error {
	if err := l.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("webrtc: answer: %w", err)
	}
	for _, tr := range l.pc.GetTransceivers() {
		for _, c := range tr.Receiver().GetParameters().Codecs {
			if c.MimeType == mimeTelephoneEvent && c.ClockRate == 8000 {
				l.dtmfPT.Store(int32(c.PayloadType))
			}
		}
	}
	return nil
}

// AddCandidate adds one of the browser's trickled ICE candidates.
func (l *Leg) AddCandidate(c pion.ICECandidateInit) error {
	if err := l.pc.AddICECandidate(c); err != nil {
		return fmt.Errorf("webrtc: ice candidate: %w", err)
	}
	return nil
}

// Connected is closed once ICE and DTLS are up.
func (l *Leg) Connected() <-chan struct{} { return l.connected }

// Codec implements media.Endpoint: always PCMU.
func (l *Leg) Codec() media.Codec { return media.PCMU }

// SetSink implements media.Endpoint.
func (l *Leg) SetSink(f func(*rtp.Packet)) {
	if f == nil {
		l.sink.Store(nil)
		return
	}
	l.sink.Store(&f)
}

// OnDTMF implements media.Endpoint.
func (l *Leg) OnDTMF(f func(rune)) {
	if f == nil {
		l.onDTMF.Store(nil)
		return
	}
	l.onDTMF.Store(&f)
}

// Done implements media.Endpoint.
func (l *Leg) Done() <-chan struct{} { return l.done }

// Close implements media.Endpoint; safe to call more than once.
func (l *Leg) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.tx.close()
		l.SetHold(false, nil)
		err = l.pc.Close()
		close(l.done)
	})
	return err
}

// WriteRTP implements media.Endpoint: any source's G.711 goes out as one
// continuous PCMU stream. While held nothing is sent: the agent who put the
// caller on hold does not hear them.
func (l *Leg) WriteRTP(p *rtp.Packet) error {
	if l.held.Load() {
		return nil
	}
	return l.tx.send(p, l.writeOut)
}

// sendOut sends one packet of our stream.
func (l *Leg) sendOut(out *rtp.Packet) error {
	if err := l.track.WriteRTP(out); err != nil {
		return fmt.Errorf("webrtc: send rtp: %w", err)
	}
	if l.stats != nil {
		l.stats.TxPackets.Add(1)
	}
	return nil
}

// readLoop hands the browser's audio to the sink and its key presses
// (RTCDTMFSender's RFC 4733 events) to the DTMF handler.
func (l *Leg) readLoop(remote *pion.TrackRemote) {
	var keys dtmf.Receiver
	buf := make([]byte, 1500)
	var p rtp.Packet
	for {
		n, _, err := remote.Read(buf)
		if err != nil {
			return
		}
		if err := p.Unmarshal(buf[:n]); err != nil {
			continue
		}
		if l.stats != nil {
			l.stats.RxPackets.Add(1)
		}
		if pt := l.dtmfPT.Load(); pt >= 0 && int32(p.PayloadType) == pt {
			if d, ok := keys.Feed(p.Timestamp, p.Marker, p.Payload); ok {
				if f := l.onDTMF.Load(); f != nil {
					(*f)(d)
				}
			}
			continue
		}
		if p.PayloadType != media.PCMU.PayloadType || l.held.Load() {
			continue
		}
		if f := l.sink.Load(); f != nil {
			(*f)(&p)
		}
	}
}

// SetHold puts the other party on hold (on) or takes them off. While held
// the browser's audio is not passed on and nothing is sent to it; music, if
// given, plays into the sink in its place, so the other party hears hold
// music rather than silence.
func (l *Leg) SetHold(on bool, music func(ctx context.Context, ep media.Endpoint) error) {
	l.holdMu.Lock()
	defer l.holdMu.Unlock()
	if l.holdStop != nil {
		l.holdStop()
		l.holdStop = nil
	}
	l.held.Store(on)
	if !on || music == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.holdStop = cancel
	go music(ctx, sinkEndpoint{l})
}

// Held tells whether the leg is on hold.
func (l *Leg) Held() bool { return l.held.Load() }

// sinkEndpoint is an Endpoint whose writes go to the leg's sink, i.e. to the
// party bridged to the leg: how hold music reaches the caller.
type sinkEndpoint struct{ l *Leg }

func (e sinkEndpoint) Codec() media.Codec { return media.PCMU }
func (e sinkEndpoint) WriteRTP(p *rtp.Packet) error {
	if f := e.l.sink.Load(); f != nil {
		(*f)(p)
	}
	return nil
}
func (e sinkEndpoint) SetSink(func(*rtp.Packet)) {}
func (e sinkEndpoint) OnDTMF(func(rune))         {}
func (e sinkEndpoint) Done() <-chan struct{}     { return e.l.done }
func (e sinkEndpoint) Close() error              { return nil }

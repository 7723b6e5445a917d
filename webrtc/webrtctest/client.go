// Package webrtctest is a browser page's signalling and media in Go, for
// tests and benchmarks: it speaks the pages' WebSocket protocol, answers
// frontdoor's offers with a pion PeerConnection (DTLS-SRTP, PCMU), sends a
// tone as its microphone and listens for the other side's.
package webrtctest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"

	"github.com/frontdoor-project/frontdoor/media/dtmf"
	"github.com/frontdoor-project/frontdoor/media/g711"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// Msg is a signalling message as a page sees it (the fields tests read).
type Msg struct {
	Type   string `json:"type"`
	SDP    string `json:"sdp,omitempty"`
	Error  string `json:"error,omitempty"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code,omitempty"`
	// OpenID4VP on the caller page's verification message.
	WalletURL  string            `json:"wallet_url,omitempty"`
	RequestURI string            `json:"request_uri,omitempty"`
	QR         string            `json:"qr,omitempty"`
	DCRequest  string            `json:"dc_request,omitempty"`
	DCResponse string            `json:"dc_response,omitempty"`
	Claims     map[string]string `json:"claims,omitempty"`
	CallID     string            `json:"call_id,omitempty"`
	State      string            `json:"state,omitempty"`
	Agency     string            `json:"agency,omitempty"`
	Position   int               `json:"position,omitempty"`
	Verified   *bool             `json:"verified,omitempty"`
	Caller     map[string]string `json:"caller,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	On         *bool             `json:"on,omitempty"`
	Waited     *float64          `json:"waited_seconds,omitempty"`
	Agent      *struct {
		ID, State, Reason string
		Since             time.Time
	} `json:"agent,omitempty"`
	WrapupEndsAt *time.Time `json:"wrapup_ends_at,omitempty"`
}

// Page is one page's socket and, once offered, its media (Peer).
type Page struct {
	ws    *websocket.Conn
	Tone  float64 // Hz sent as the microphone; set before the offer arrives
	Watch float64 // Hz whose first arrival the Peer notes (ToneAt)
	msgs  chan Msg
	stop  context.CancelFunc
	*Peer
}

// Peer is a browser's media: a PeerConnection answering frontdoor's offer,
// sending a tone as the microphone and keeping what it hears.
type Peer struct {
	mu     sync.Mutex
	pc     *pion.PeerConnection
	track  *rawTrack
	tone   float64
	watch  float64
	heard  []int16
	hdrs   []rtp.Header // the first audio headers received (up to 2000)
	pkts   int
	notify chan struct{}
	// FirstAudio is when the first audio packet arrived; ToneAt when the
	// first 20 ms frame dominated by the watched frequency did.
	FirstAudio, ToneAt time.Time
	connected          chan struct{}
	seq                uint16
	ts                 uint32
}

// Dial opens a page's socket: path is /api/v1/ws/call or /api/v1/ws/agent;
// cookie (fd_session) signs an agent in.
func Dial(ctx context.Context, base, path, token string) (*Page, error) {
	opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
	if token != "" {
		opts.HTTPHeader.Set("Authorization", "Bearer "+token)
	}
	url := "ws" + strings.TrimPrefix(base, "http") + path
	ws, resp, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: HTTP %d: %w", path, resp.StatusCode, err)
		}
		return nil, fmt.Errorf("dial %s: %w", path, err)
	}
	p := &Page{ws: ws, msgs: make(chan Msg, 64)}
	rctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	go p.readLoop(rctx)
	return p, nil
}

// Close closes the socket and the media, as closing the tab does.
func (p *Page) Close() {
	p.stop()
	p.ws.CloseNow()
	if p.Peer != nil {
		p.Peer.Close()
	}
}

// Send writes a message.
func (p *Page) Send(ctx context.Context, m any) error {
	b, _ := json.Marshal(m)
	return p.ws.Write(ctx, websocket.MessageText, b)
}

func (p *Page) readLoop(ctx context.Context) {
	defer close(p.msgs)
	for {
		_, b, err := p.ws.Read(ctx)
		if err != nil {
			return
		}
		var m Msg
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		if m.SDP != "" && (m.Type == "offer" || m.Type == "incoming") {
			peer, answer, err := Answer(ctx, m.SDP, p.Tone, p.Watch)
			if err == nil {
				p.Peer = peer
				err = p.Send(ctx, map[string]string{"type": "answer", "sdp": answer})
			}
			if err != nil {
				m = Msg{Type: "error", Error: "client", Detail: err.Error()}
			}
		}
		p.msgs <- m
	}
}

// Next waits for the next message of type typ, skipping others; an error
// message fails unless typ is "error".
func (p *Page) Next(ctx context.Context, typ string) (Msg, error) {
	for {
		select {
		case m, ok := <-p.msgs:
			if !ok {
				return Msg{}, fmt.Errorf("socket closed waiting for %q", typ)
			}
			if m.Type == typ {
				return m, nil
			}
			if m.Type == "error" {
				return m, fmt.Errorf("waiting for %q: error %s: %s", typ, m.Error, m.Detail)
			}
		case <-ctx.Done():
			return Msg{}, fmt.Errorf("waiting for %q: %w", typ, ctx.Err())
		}
	}
}

// Answer makes a Peer for frontdoor's offer; it returns the answer SDP
// (every candidate in it). The Peer sends tone Hz (0: silence) until ctx ends.
func Answer(ctx context.Context, sdp string, tone, watch float64) (*Peer, string, error) {
	p := &Peer{tone: tone, watch: watch, notify: make(chan struct{}, 1), connected: make(chan struct{}), seq: uint16(rand.Uint32())}
	var s pion.SettingEngine
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	m := &pion.MediaEngine{}
	m.RegisterCodec(pion.RTPCodecParameters{RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0}, pion.RTPCodecTypeAudio)
	m.RegisterCodec(pion.RTPCodecParameters{RTPCodecCapability: pion.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000, SDPFmtpLine: "0-16"}, PayloadType: 101}, pion.RTPCodecTypeAudio)
	api := pion.NewAPI(pion.WithMediaEngine(m), pion.WithSettingEngine(s))
	pc, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		return nil, "", err
	}
	p.pc = pc
	track := &rawTrack{}
	if _, err := pc.AddTrack(track); err != nil {
		pc.Close()
		return nil, "", err
	}
	pc.OnTrack(func(t *pion.TrackRemote, _ *pion.RTPReceiver) { go p.listen(t) })
	var once sync.Once
	pc.OnConnectionStateChange(func(s pion.PeerConnectionState) {
		if s == pion.PeerConnectionStateConnected {
			once.Do(func() { close(p.connected) })
		}
	})
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: sdp}); err != nil {
		pc.Close()
		return nil, "", err
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		pc.Close()
		return nil, "", err
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		pc.Close()
		return nil, "", err
	}
	<-gathered
	p.track = track
	go p.speak(ctx, track)
	return p, pc.LocalDescription().SDP, nil
}

// Connected is closed once ICE and DTLS are up.
func (p *Peer) Connected() <-chan struct{} { return p.connected }

// Close ends the media.
func (p *Peer) Close() { p.pc.Close() }

func (p *Peer) speak(ctx context.Context, track *rawTrack) {
	gen := tones.NewGenerator(p.tone, 8000)
	frame := make([]int16, 160)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if p.tone > 0 {
			gen.Fill(frame)
		}
		p.write(track, 0, false, g711.EncodeULaw(make([]byte, 0, 160), frame), 160)
	}
}

func (p *Peer) write(track *rawTrack, pt uint8, marker bool, payload []byte, advance uint32) {
	p.mu.Lock()
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, Marker: marker, SequenceNumber: p.seq, Timestamp: p.ts}, Payload: payload}
	p.seq++
	p.ts += advance
	p.mu.Unlock()
	track.WriteRTP(pkt)
}

// PressKey sends a key as RFC 4733 events, as RTCDTMFSender does.
func (p *Peer) PressKey(k rune) error {
	p.mu.Lock()
	track, start := p.track, p.ts
	p.mu.Unlock()
	if track == nil {
		return fmt.Errorf("no media yet")
	}
	pkts, err := dtmf.Sender{}.Packets(k, 100*time.Millisecond)
	if err != nil {
		return err
	}
	for _, pk := range pkts {
		p.mu.Lock()
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, Marker: pk.Marker, SequenceNumber: p.seq, Timestamp: start}, Payload: pk.Payload[:]}
		p.seq++
		p.mu.Unlock()
		track.WriteRTP(pkt)
		time.Sleep(20 * time.Millisecond) // RFC 4733 pacing, not synchronisation
	}
	return nil
}

func (p *Peer) listen(t *pion.TrackRemote) {
	pcm := make([]int16, 0, 160)
	for {
		pkt, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		if pkt.PayloadType != 0 {
			continue
		}
		pcm = g711.DecodeULaw(pcm[:0], pkt.Payload)
		p.mu.Lock()
		if len(p.hdrs) < 2000 {
			p.hdrs = append(p.hdrs, pkt.Header)
		}
		if p.pkts == 0 {
			p.FirstAudio = time.Now()
		}
		if p.watch > 0 && p.ToneAt.IsZero() && tones.Dominates(pcm, p.watch) {
			p.ToneAt = time.Now()
		}
		p.pkts++
		p.heard = append(p.heard, pcm...)
		if len(p.heard) > 8000 {
			p.heard = p.heard[len(p.heard)-8000:]
		}
		p.mu.Unlock()
		select {
		case p.notify <- struct{}{}:
		default:
		}
	}
}

// Packets is how many audio packets arrived.
func (p *Peer) Packets() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pkts
}

// WaitTone waits, packet by packet, until the last 200 ms of audio are
// dominated by freq (0: any audio at all) or ctx ends.
func (p *Peer) WaitTone(ctx context.Context, freq float64) bool {
	for {
		p.mu.Lock()
		ok := len(p.heard) >= 1600 && (freq == 0 || tones.Dominates(p.heard[len(p.heard)-1600:], freq))
		p.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-p.notify:
		}
	}
}

// rawTrack sends packets with the payload type they carry, as a browser's
// sender does for audio and telephone-events alike (pion's static track
// would stamp every packet with the audio PT).
type rawTrack struct {
	mu   sync.Mutex
	out  pion.TrackLocalWriter
	ssrc uint32
}

func (t *rawTrack) Bind(c pion.TrackLocalContext) (pion.RTPCodecParameters, error) {
	for _, p := range c.CodecParameters() {
		if p.MimeType == pion.MimeTypePCMU {
			t.mu.Lock()
			t.out, t.ssrc = c.WriteStream(), uint32(c.SSRC())
			t.mu.Unlock()
			return p, nil
		}
	}
	return pion.RTPCodecParameters{}, fmt.Errorf("no PCMU negotiated")
}

func (t *rawTrack) Unbind(pion.TrackLocalContext) error { return nil }
func (t *rawTrack) ID() string                          { return "mic" }
func (t *rawTrack) RID() string                         { return "" }
func (t *rawTrack) StreamID() string                    { return "page" }
func (t *rawTrack) Kind() pion.RTPCodecType             { return pion.RTPCodecTypeAudio }

// WriteRTP sends p as it is but for the SSRC.
func (t *rawTrack) WriteRTP(p *rtp.Packet) {
	t.mu.Lock()
	out, ssrc := t.out, t.ssrc
	t.mu.Unlock()
	if out == nil {
		return
	}
	p.SSRC = ssrc
	out.WriteRTP(&p.Header, p.Payload)
}

// SendRaw writes text as it is (for malformed-message tests).
func (p *Page) SendRaw(ctx context.Context, text string) error {
	return p.ws.Write(ctx, websocket.MessageText, []byte(text))
}

// Heard returns when the first audio and the first frame of the watched
// tone arrived, waiting packet by packet until both have (or ctx ends).
func (p *Peer) Heard(ctx context.Context) (firstAudio, tone time.Time, ok bool) {
	for {
		p.mu.Lock()
		firstAudio, tone = p.FirstAudio, p.ToneAt
		p.mu.Unlock()
		if !firstAudio.IsZero() && (p.watch == 0 || !tone.IsZero()) {
			return firstAudio, tone, true
		}
		select {
		case <-ctx.Done():
			return firstAudio, tone, false
		case <-p.notify:
		}
	}
}

// Headers returns the RTP headers of the audio received so far (the first 2000).
func (p *Peer) Headers() []rtp.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]rtp.Header(nil), p.hdrs...)
}

// WaitPackets waits until n audio packets have arrived or ctx ends.
func (p *Peer) WaitPackets(ctx context.Context, n int) bool {
	for {
		if p.Packets() >= n {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-p.notify:
		}
	}
}

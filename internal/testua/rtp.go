// Package testua holds SIP user agents for tests: a citizen's phone and an agent's
// desk phone, on real sockets, sending a tone and listening for the other side's.
package testua

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media/dtmf"
	"github.com/frontdoor-project/frontdoor/media/g711"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// RTPPeer sends a tone as G.711 every 20 ms and keeps the audio it receives.
type RTPPeer struct {
	Conn   *net.UDPConn
	remote *net.UDPAddr
	pt     uint8 // 0 PCMU, 8 PCMA
	dtmfPT uint8

	mu       sync.Mutex
	heard    []int16 // last second of received audio
	raw      []byte  // every received G.711 payload byte, in order (bounded)
	received int
	notify   chan struct{}
	paused   atomic.Bool // sending nothing (a phone with the other side on hold)
	seq      uint16
	ts       uint32
	ssrc     uint32
	sendMu   sync.Mutex
}

// NewRTPPeer binds a socket on 127.0.0.1.
func NewRTPPeer() (*RTPPeer, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	return &RTPPeer{Conn: c, notify: make(chan struct{}, 1), ssrc: rand.Uint32(), seq: uint16(rand.Uint32())}, nil
}

// Port is the local RTP port.
func (p *RTPPeer) Port() int { return p.Conn.LocalAddr().(*net.UDPAddr).Port }

// Start begins sending freq (0 = silence) to remote and reading what arrives.
func (p *RTPPeer) Start(ctx context.Context, remote *net.UDPAddr, pt, dtmfPT uint8, freq float64) {
	p.remote, p.pt, p.dtmfPT = remote, pt, dtmfPT
	go p.read(ctx)
	go p.send(ctx, freq)
}

func (p *RTPPeer) send(ctx context.Context, freq float64) {
	gen := tones.NewGenerator(freq, 8000)
	frame := make([]int16, 160)
	payload := make([]byte, 0, 160)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if p.paused.Load() {
			continue
		}
		if freq > 0 {
			gen.Fill(frame)
		}
		if p.pt == 8 {
			payload = g711.EncodeALaw(payload[:0], frame)
		} else {
			payload = g711.EncodeULaw(payload[:0], frame)
		}
		p.write(p.pt, false, payload, 160)
	}
}

func (p *RTPPeer) write(pt uint8, marker bool, payload []byte, advance uint32) {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: p.seq, Timestamp: p.ts, SSRC: p.ssrc, Marker: marker}, Payload: payload}
	p.seq++
	p.ts += advance
	b, _ := pkt.Marshal()
	p.Conn.WriteToUDP(b, p.remote)
}

// Pause stops (true) or resumes (false) sending audio.
func (p *RTPPeer) Pause(on bool) { p.paused.Store(on) }

// SendDTMF sends one key as RFC 4733 events (the audio stream's clock goes on).
func (p *RTPPeer) SendDTMF(digit rune) error {
	pkts, err := dtmf.Sender{}.Packets(digit, 100*time.Millisecond)
	if err != nil {
		return err
	}
	p.sendMu.Lock()
	start := p.ts
	p.sendMu.Unlock()
	for _, pk := range pkts {
		p.sendMu.Lock()
		raw := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: p.dtmfPT, SequenceNumber: p.seq, Timestamp: start, SSRC: p.ssrc, Marker: pk.Marker}, Payload: pk.Payload[:]}
		p.seq++
		b, _ := raw.Marshal()
		p.Conn.WriteToUDP(b, p.remote)
		p.sendMu.Unlock()
		time.Sleep(20 * time.Millisecond) // RFC 4733 pacing, not synchronisation
	}
	return nil
}

func (p *RTPPeer) read(ctx context.Context) {
	go func() { <-ctx.Done(); p.Conn.Close() }()
	buf := make([]byte, 1500)
	pcm := make([]int16, 0, 160)
	for {
		n, _, err := p.Conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		switch pkt.PayloadType {
		case 0:
			pcm = g711.DecodeULaw(pcm[:0], pkt.Payload)
		case 8:
			pcm = g711.DecodeALaw(pcm[:0], pkt.Payload)
		default:
			continue
		}
		p.mu.Lock()
		if len(p.raw) < maxRaw {
			p.raw = append(p.raw, pkt.Payload...)
		}
		p.heard = append(p.heard, pcm...)
		if len(p.heard) > 8000 {
			p.heard = p.heard[len(p.heard)-8000:]
		}
		p.received++
		p.mu.Unlock()
		select {
		case p.notify <- struct{}{}:
		default:
		}
	}
}

// maxRaw bounds the raw capture (about 2 minutes of G.711).
const maxRaw = 8000 * 120

// Received tells whether frame (G.711 bytes as sent, e.g. a prompt's first 20 ms)
// occurs in the audio received so far: proof that this exact audio was played.
func (p *RTPPeer) Received(frame []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Contains(p.raw, frame)
}

// WaitReceived waits, packet by packet, until frame has been received or ctx ends.
func (p *RTPPeer) WaitReceived(ctx context.Context, frame []byte) bool {
	return p.WaitCount(ctx, frame, 1)
}

// Packets is how many audio packets arrived.
func (p *RTPPeer) Packets() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.received
}

// Hears tells whether the last 200 ms of received audio is dominated by freq.
func (p *RTPPeer) Hears(freq float64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.heard) < 1600 {
		return false
	}
	return tones.Dominates(p.heard[len(p.heard)-1600:], freq)
}

// WaitTone waits, packet by packet, until freq is heard or ctx ends.
func (p *RTPPeer) WaitTone(ctx context.Context, freq float64) bool {
	for {
		if p.Hears(freq) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-p.notify:
		}
	}
}

// WaitAudio waits until at least n audio packets have arrived.
func (p *RTPPeer) WaitAudio(ctx context.Context, n int) bool {
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

// Share is the part of the last 200 ms of received audio's power that lies at
// freq (0..1); 0 for silence. For mixes, where no single tone dominates.
func (p *RTPPeer) Share(freq float64) float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.heard) < 1600 {
		return 0
	}
	w := p.heard[len(p.heard)-1600:]
	e := tones.Energy(w)
	if e < tones.MinEnergy {
		return 0
	}
	return tones.Detect(w, freq) / e
}

// WaitShare waits, packet by packet, until freq holds at least share of what is heard.
func (p *RTPPeer) WaitShare(ctx context.Context, freq, share float64) bool {
	for {
		if p.Share(freq) >= share {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-p.notify:
		}
	}
}

// Count is how many times frame occurs in the audio received so far (a
// prompt said twice counts 2).
func (p *RTPPeer) Count(frame []byte) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Count(p.raw, frame)
}

// WaitCount waits, packet by packet, until frame has been received n times or ctx ends.
func (p *RTPPeer) WaitCount(ctx context.Context, frame []byte, n int) bool {
	for {
		if p.Count(frame) >= n {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-p.notify:
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media/dtmf"
	"github.com/frontdoor-project/frontdoor/media/g711"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// needTool skips a test when a real peer is not installed, saying which Debian
// package brings it, and fails instead in CI, where .ci/run installs everything.
func needTool(t *testing.T, tool, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("needs %s (Debian package %s): not installed", tool, pkg)
	}
	t.Skipf("SKIP: needs %s", pkg)
	return ""
}

// freeUDPPort finds a port on 127.0.0.1 that is free now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// scenario copies a sipp scenario from test/sipp into dir with @TONE@ replaced by
// tone and @DTMF@ by dir/dtmf.pcap (sipp's rtp_stream and play_pcap_audio take no
// variables) and returns the copy's path.
func scenario(t *testing.T, dir, name, tone string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "test", "sipp", name))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	raw = bytes.ReplaceAll(raw, []byte("@TONE@"), []byte(tone))
	raw = bytes.ReplaceAll(raw, []byte("@DTMF@"), []byte(filepath.Join(dir, "dtmf.pcap")))
	if err := os.WriteFile(out, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// peer is a real SIP peer process (sipp, baresip) that the test waits on.
type peer struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
}

// startPeer runs a peer in its own temp dir (sipp writes logs there); the
// process is killed when the test ends.
func startPeer(t *testing.T, ctx context.Context, dir string, name string, args ...string) *peer {
	t.Helper()
	p := &peer{cmd: exec.CommandContext(ctx, name, args...), done: make(chan error, 1)}
	p.cmd.Dir = dir
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
		}
	})
	return p
}

// wait returns the peer's exit error (nil = exit 0, i.e. sipp saw every message it expected).
func (p *peer) wait(ctx context.Context) error {
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		p.cmd.Process.Kill()
		return ctx.Err()
	}
}

// sippArgs are the options every sipp run here shares: loopback only, no terminal.
func sippArgs(extra ...string) []string {
	return append([]string{"-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin", "-trace_err", "-timeout", "40s", "-timeout_error"}, extra...)
}

// writeToneWAV writes a µ-law 8 kHz WAV of a tone, for sipp's rtp_stream.
func writeToneWAV(t *testing.T, dir string, freq float64, seconds int) string {
	t.Helper()
	pcm := tones.Sine(freq, 8000, 8000*seconds)
	data := g711.EncodeULaw(make([]byte, len(pcm)), pcm)
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(4 + 8 + 18 + 8 + len(data)))
	b.WriteString("WAVEfmt ")
	w(uint32(18))
	w(uint16(7)) // µ-law
	w(uint16(1))
	w(uint32(8000))
	w(uint32(8000))
	w(uint16(1))
	w(uint16(8))
	w(uint16(0))
	b.WriteString("data")
	w(uint32(len(data)))
	b.Write(data)
	path := filepath.Join(dir, "tone"+strconv.Itoa(int(freq))+".wav")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeDTMFPcap writes keys as RFC 4733 telephone-events (PT 101) in a pcap for
// sipp's play_pcap_audio, which replays the RTP payloads to our media port with
// the pcap's timing. Frames are Ethernet/IPv4/UDP; sipp rewrites the addresses.
func writeDTMFPcap(t *testing.T, dir, keys string) string {
	t.Helper()
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	w(uint32(0xa1b2c3d4))
	w(uint16(2))
	w(uint16(4))
	w(int32(0))
	w(uint32(0))
	w(uint32(65535))
	w(uint32(1)) // Ethernet
	var (
		at  = 200 * time.Millisecond // let the call settle first
		seq = uint16(1000)
		ts  = uint32(8000)
	)
	for _, k := range keys {
		pkts, err := dtmf.Sender{}.Packets(k, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			rtpPkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, Timestamp: ts, SSRC: 0x5eed, Marker: p.Marker}, Payload: p.Payload[:]}
			seq++
			raw, _ := rtpPkt.Marshal()
			udpLen := 8 + len(raw)
			frame := make([]byte, 0, 14+20+udpLen)
			frame = append(frame, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00)
			ip := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1}
			binary.BigEndian.PutUint16(ip[2:], uint16(20+udpLen))
			frame = append(frame, ip...)
			frame = binary.BigEndian.AppendUint16(frame, 40000)
			frame = binary.BigEndian.AppendUint16(frame, 40002)
			frame = binary.BigEndian.AppendUint16(frame, uint16(udpLen))
			frame = binary.BigEndian.AppendUint16(frame, 0)
			frame = append(frame, raw...)
			w(uint32(at / time.Second))
			w(uint32(at % time.Second / time.Microsecond))
			w(uint32(len(frame)))
			w(uint32(len(frame)))
			b.Write(frame)
			at += 20 * time.Millisecond
		}
		ts += 8000 // the next key is a new event
		at += 100 * time.Millisecond
	}
	path := filepath.Join(dir, "dtmf.pcap")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// portFree tells whether a port is free for both UDP and TCP on 127.0.0.1.
func portFree(p int) bool {
	u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	defer u.Close()
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

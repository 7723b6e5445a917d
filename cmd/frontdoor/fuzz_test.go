package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// fuzzNode is one node per fuzzing process, shared by every input.
var fuzzNode struct {
	once sync.Once
	sip  string
	err  error
}

func sharedNode() (string, error) {
	fuzzNode.once.Do(func() {
		dir, err := os.MkdirTemp("", "frontdoor-fuzz-")
		if err != nil {
			fuzzNode.err = err
			return
		}
		rtpBase += 100
		port, err := freePort()
		if err != nil {
			fuzzNode.err = err
			return
		}
		// Fuzz inputs come from 127.0.0.78, held to the guard's checks but with
		// limits no fuzzer reaches (the flood and block paths have their own tests).
		yaml := strings.Replace(fmt.Sprintf(testConfig, port, rtpBase, rtpBase+99), `number: "110"`,
			"number: \"110\"\nsecurity: { trusted_sources: [], requests_per_second: 1000000, request_burst: 1000000, "+
				"max_pending_invites: 1000000, node_pending_invites: 1000000, auth_failures: 1000000000 }", 1)
		cfg, err := config.Parse(filepath.Join(dir, "fuzz.yaml"), []byte(yaml))
		if err != nil {
			fuzzNode.err = err
			return
		}
		n, err := build(context.Background(), cfg, filepath.Join(dir, "data"), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			fuzzNode.err = err
			return
		}
		go n.Run(context.Background()) // lives as long as the fuzzing process
		fuzzNode.sip = n.edge.Addr()
	})
	return fuzzNode.sip, fuzzNode.err
}

func udpAddr(s string) *net.UDPAddr {
	a, _ := net.ResolveUDPAddr("udp", s)
	return a
}

// freePort finds a port free for UDP and TCP on 127.0.0.1 (freeSIPPort without a T).
func freePort() (int, error) {
	for range 50 {
		u, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		u.Close()
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free SIP port")
}

// FuzzSIPNode sends each input to a running node's SIP port over UDP and TCP,
// then checks the node still answers OPTIONS: whatever a peer sends, the SIP
// handling paths (parser, guard, sanity checks, INVITE/REGISTER/INFO/BYE
// handlers, SDP and DTMF parsing) neither crash nor wedge the node. Seeds: the
// RFC 4475 torture corpus and well-formed requests of every method we handle.
func FuzzSIPNode(f *testing.F) {
	files, _ := filepath.Glob(repoPath("sip", "testdata", "torture", "*", "*.dat"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(invite("127.0.0.1:5060", "seed", testua.Offer(40000)))
	f.Add(options("127.0.0.1:5060", 1))
	f.Add([]byte("INFO sip:110@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-i;rport\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n" +
		"To: <sip:110@127.0.0.1>;tag=2\r\nCall-ID: info\r\nCSeq: 2 INFO\r\nContent-Type: application/dtmf-relay\r\nContent-Length: 24\r\n\r\nSignal=5\r\nDuration=160\r\n"))
	f.Add([]byte("REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-r;rport\r\nFrom: <sip:1001@127.0.0.1>;tag=1\r\n" +
		"To: <sip:1001@127.0.0.1>\r\nCall-ID: reg\r\nCSeq: 1 REGISTER\r\nAuthorization: Digest username=\"1001\", nonce=\"x\", uri=\"sip:x\", response=\"y\"\r\nContent-Length: 0\r\n\r\n"))
	addr, err := sharedNode()
	if err != nil {
		f.Fatal(err)
	}
	probe := 0
	f.Fuzz(func(t *testing.T, msg []byte) {
		src := &net.UDPAddr{IP: net.ParseIP("127.0.0.78")}
		if u, err := net.DialUDP("udp", src, udpAddr(addr)); err == nil {
			u.Write(msg)
			u.Close()
		}
		d := net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.78")}}
		if c, err := d.Dial("tcp", addr); err == nil {
			c.SetWriteDeadline(time.Now().Add(time.Second))
			c.Write(msg)
			// Reset, not FIN: thousands of inputs a second must not leave
			// TIME_WAIT sockets behind until the ephemeral ports run out.
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
		probe++
		if got := probeUDPFrom(t, "127.0.0.77:0", addr, options(addr, 1_000_000+probe)); got != 200 {
			// One lost datagram is not a wedge: ask again before failing.
			if got = probeUDPFrom(t, "127.0.0.77:0", addr, options(addr, 2_000_000+probe)); got != 200 {
				t.Fatalf("after %q the node no longer answers OPTIONS (%d)", msg, got)
			}
		}
	})
}

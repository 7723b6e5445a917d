package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// answerWait is how long a probe waits for an answer before counting the
// message as dropped (a refusal by silence, as RFC 3261 allows for garbage).
const answerWait = 700 * time.Millisecond

// A server answers a request without rport at the packet's source address and
// the port in its Via (RFC 3261 §18.2.2), which in the torture messages is 5060
// or absent; and over the transport its Via names, which may differ from the one
// it came on. So probes listen at src:5060 over UDP as well as on their TCP
// connection, and take the first final answer from either.

// probeUDP sends msg from src:5060 and returns the status code of the first final
// answer (0: dropped).
func probeUDP(t *testing.T, src, dst string, msg []byte) int {
	t.Helper()
	return probeUDPFrom(t, src+":5060", dst, msg)
}

// probeUDPFrom is probeUDP from any local address (port 0: for requests with rport).
func probeUDPFrom(t *testing.T, laddr, dst string, msg []byte) int {
	t.Helper()
	c, err := net.ListenPacket("udp", laddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr, _ := net.ResolveUDPAddr("udp", dst)
	if _, err := c.WriteTo(msg, addr); err != nil {
		return 0 // too big for a datagram: never sent
	}
	return firstFinal(c, nil, "")
}

// probeTCP sends msg on a new connection from src and returns the first final
// answer's status, on that connection or at src:5060 over UDP (0: none).
func probeTCP(t *testing.T, src, dst string, msg []byte) int {
	t.Helper()
	u, err := net.ListenPacket("udp", src+":5060")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", dst)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(msg); err != nil {
		return 0
	}
	// A stream may carry more than one request (valid/dblreq's INVITE after
	// its REGISTER): the answer is the one to the first request's method,
	// whichever the server sends first.
	method, _, _ := strings.Cut(string(msg), " ")
	return firstFinal(u, c, method)
}

// firstFinal waits answerWait for a final answer on u or stream (there, to
// a request of method, when given).
func firstFinal(u net.PacketConn, stream net.Conn, method string) int {
	deadline := time.Now().Add(answerWait)
	got := make(chan int, 2)
	go func() {
		u.SetReadDeadline(deadline)
		buf := make([]byte, 65536)
		for {
			n, _, err := u.ReadFrom(buf)
			if err != nil {
				got <- 0
				return
			}
			if code := statusOf(buf[:n]); code < 100 || code >= 200 {
				got <- code
				return
			}
		}
	}()
	if stream == nil {
		return <-got
	}
	go func() {
		stream.SetReadDeadline(deadline)
		rd := bufio.NewReader(stream)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				got <- 0
				return
			}
			if !strings.HasPrefix(line, "SIP/2.0 ") {
				continue // headers, or a provisional answer's
			}
			code := statusOf([]byte(line))
			if code < 200 {
				continue
			}
			if method == "" || answersMethod(rd, method) {
				got <- code
				return
			}
		}
	}()
	a, b := <-got, <-got
	return max(a, b)
}

func statusOf(res []byte) int {
	f := strings.Fields(string(res))
	if len(f) < 2 || f[0] != "SIP/2.0" {
		return -1 // an answer that is not a SIP response
	}
	code, _ := strconv.Atoi(f[1])
	return code
}

// options is a well-formed OPTIONS from src: the liveness probe.
func options(dst string, n int) []byte {
	return []byte(fmt.Sprintf("OPTIONS sip:110@%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-alive%d;rport\r\n"+
		"From: <sip:probe@127.0.0.1>;tag=p%d\r\nTo: <sip:110@%s>\r\nCall-ID: alive-%d\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		dst, n, n, dst, n))
}

// invite is an INVITE to 110 with body as its SDP.
func invite(dst, tag string, body []byte) []byte {
	return []byte(fmt.Sprintf("INVITE sip:110@%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-%s;rport\r\n"+
		"From: <sip:t@127.0.0.1>;tag=%s\r\nTo: <sip:110@%s>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"+
		"Contact: <sip:t@127.0.0.1:5999>\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		dst, tag, tag, dst, tag, len(body), body))
}

// The RFC 4475 torture messages (sipgo's corpus, in sip/testdata/torture), sent
// over UDP and TCP, each get an answer that is not a server error, or are dropped;
// the node answers OPTIONS after every one of them and still connects a call.
func TestTortureMessagesOverUDPAndTCP(t *testing.T) {
	n := securityNode(t, "auth_failures: 100000, requests_per_second: 1000, request_burst: 2000")
	ctx := timeout(t, 120*time.Second)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	files, _ := filepath.Glob(repoPath("sip", "testdata", "torture", "*", "*.dat"))
	if len(files) < 40 {
		t.Fatalf("torture corpus: %d files", len(files))
	}
	sort.Strings(files)
	// RFC 4475's expected answers where frontdoor, a UAS, must give one.
	want := map[string]int{"invalid/badvers": 505, "invalid/unkscm": 416, "invalid/bext01": 420, "invalid/mcl01": 400,
		"valid/dblreq": 401, "valid/intmeth": 405, "invalid/regaut01": 400}
	seen := map[string]int{}
	probes := 0
	for _, f := range files {
		msg, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The corpus has bare LF line ends in places; a wire message has CRLF.
		msg = bytes.ReplaceAll(bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		name := filepath.Base(filepath.Dir(f)) + "/" + strings.TrimSuffix(filepath.Base(f), ".dat")
		for _, tr := range []string{"udp", "tcp"} {
			var code int
			if tr == "udp" {
				code = probeUDP(t, "127.0.0.6", n.SIP, msg)
			} else {
				code = probeTCP(t, "127.0.0.6", n.SIP, msg)
			}
			seen[fmt.Sprintf("%s:%d", tr, code)]++
			t.Logf("%-22s %s -> %d", name, tr, code)
			if code >= 500 && code != 503 && code != 505 || code == -1 {
				t.Errorf("%s over %s: answered %d", name, tr, code)
			}
			if w, ok := want[name]; ok && code != w {
				t.Errorf("%s over %s: answered %d, want %d", name, tr, code, w)
			}
			probes++
			if got := probeUDP(t, "127.0.0.7", n.SIP, options(n.SIP, probes)); got != 200 {
				t.Fatalf("after %s over %s the node no longer answers OPTIONS (%d)", name, tr, got)
			}
		}
	}
	t.Logf("answers by transport:code (0 = dropped): %v", seen)
	legitCall(t, ctx, n, agent)
}

// Truncated, oversized and garbage SIP and SDP: each refused with the fitting
// answer or dropped, and the node keeps serving.
func TestMalformedSIPAndSDP(t *testing.T) {
	n := securityNode(t, "auth_failures: 100000")
	ctx := timeout(t, 60*time.Second)
	sdp := testua.Offer(40100)
	full := invite(n.SIP, "full", sdp)
	pad := []byte("a=x-padding:0123456789abcdef0123456789abcdef\r\n")
	big := bytes.Repeat(pad, 1300)  // ~60 KB of SDP: fits a datagram and sipgo's 64 KB limit
	huge := bytes.Repeat(pad, 1500) // ~69 KB: beyond the limit
	cases := []struct {
		name string
		msg  []byte
		tcp  bool
		want []int // any of these; 0 = dropped
	}{
		{"cut in the start line", full[:12], false, []int{0}},
		{"cut in the headers", full[:len(full)/3], false, []int{0, 400}},
		{"body shorter than Content-Length", full[:len(full)-20], false, []int{0, 400}},
		{"body shorter than Content-Length (TCP)", full[:len(full)-20], true, []int{0, 400}},
		{"SDP without m= line", invite(n.SIP, "nom", []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n")), false, []int{400, 488}},
		{"SDP garbage", invite(n.SIP, "garb", []byte("\x00\x01\x02 not sdp at all \xff\xfe")), false, []int{400, 488}},
		{"60 KB SDP (UDP)", invite(n.SIP, "big", append(append([]byte{}, sdp...), big...)), false, []int{0, 200, 400, 413, 513}},
		{"oversized SDP (TCP, 69 KB)", invite(n.SIP, "huget", append(append([]byte{}, sdp...), huge...)), true, []int{0, 400, 413, 513}},
		{"oversized message (TCP, 1 MB Content-Length)", []byte(strings.Replace(string(full), "Content-Length: "+strconv.Itoa(len(sdp)), "Content-Length: 1048576", 1)), true, []int{0, 400, 413, 513}},
		{"binary garbage", randomBytes(1200), false, []int{0, 400}},
		{"binary garbage (TCP)", randomBytes(1200), true, []int{0, 400}},
		{"only CRLFs (keep-alive)", []byte("\r\n\r\n"), false, []int{0}},
	}
	for i, c := range cases {
		// Each case from its own address, so no late answer to one is taken for the next's.
		src := "127.0.0." + strconv.Itoa(20+i)
		var code int
		if c.tcp {
			code = probeTCP(t, src, n.SIP, c.msg)
		} else {
			code = probeUDP(t, src, n.SIP, c.msg)
		}
		ok := false
		for _, w := range c.want {
			ok = ok || code == w
		}
		if !ok {
			t.Errorf("%s: got %d, want one of %v", c.name, code, c.want)
		}
		if got := probeUDP(t, "127.0.0.7", n.SIP, options(n.SIP, 1000+i)); got != 200 {
			t.Fatalf("after %q the node no longer answers OPTIONS (%d)", c.name, got)
		}
	}
	// And a whole call still works.
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	legitCall(t, ctx, n, agent)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// Garbage and RTP from a foreign address at a call's RTP port (RTP bleed): the
// leg keeps sending to the caller's SDP address only, the foreign sender hears
// nothing, and the caller still reaches the agent with audio.
func TestRTPBleedAndGarbageOnRTPPort(t *testing.T) {
	n := securityNode(t, "")
	ctx := timeout(t, 60*time.Second)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	out := dial(t, ctx, n, "126", nil, 1000, "")
	ours, _, _, err := testua.ParseAnswer(out.Dialog.InviteResponse.Body())
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := net.ListenPacket("udp", "127.0.0.9:0")
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Close()
	for i := range 200 {
		var pkt []byte
		if i%2 == 0 {
			pkt = randomBytes(1 + i%300)
		} else {
			p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(i), Timestamp: uint32(i * 160), SSRC: 0xbad}, Payload: make([]byte, 160)}
			pkt, _ = p.Marshal()
		}
		if _, err := foreign.WriteTo(pkt, ours); err != nil {
			t.Fatal(err)
		}
	}
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !in.RTP.WaitTone(ctx, 1000) {
		t.Fatal("agent never heard the caller after the garbage")
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("caller never heard the agent after the garbage")
	}
	foreign.SetReadDeadline(time.Now().Add(answerWait))
	if n, _, err := foreign.ReadFrom(make([]byte, 2000)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the foreign sender received %d bytes from the call (RTP bleed)", n)
	}
	out.Hangup(ctx)
	if cdr := n.waitCDR(t, ctx, in.Req.GetHeader("X-Frontdoor-Call").Value()); cdr.Outcome != "answered" {
		t.Fatalf("CDR %+v", cdr)
	}
}

// answersMethod reads a response's headers and reports whether its CSeq
// names method (true too when it has none: nothing to tell it by).
func answersMethod(rd *bufio.Reader, method string) bool {
	matches := true
	for {
		line, err := rd.ReadString('\n')
		line = strings.TrimSpace(line)
		if err != nil || line == "" {
			return matches
		}
		name, value, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "CSeq") {
			f := strings.Fields(value)
			matches = len(f) == 2 && strings.EqualFold(f[1], method)
		}
	}
}

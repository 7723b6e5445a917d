package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// sipp registers an agent (digest auth) and answers as that agent; a sipp citizen
// calls 110 and picks customs by SIP INFO. Both sipp runs must exit 0 (every
// message as scripted, the agent's INVITE carrying X-Frontdoor-Agency: customs),
// and the CDR must show the answered call.
func TestSippCallerReachesSippAgent(t *testing.T) {
	needTool(t, "sipp", "sip-tester")
	n := startNode(t, "")
	ctx := timeout(t, 90*time.Second)
	dir := t.TempDir()
	tone := writeToneWAV(t, dir, 1000, 2)

	uasPort := freeUDPPort(t)
	uas := startPeer(t, ctx, dir, "sipp", sippArgs("-sf", scenario(t, dir, "agent_uas.xml", tone), "-p", strconv.Itoa(uasPort),
		"-m", "1", "-set", "agency", "customs")...)
	reg := startPeer(t, ctx, dir, "sipp", sippArgs("-sf", scenario(t, dir, "agent_register.xml", tone), "-s", "1002",
		"-au", "1002", "-ap", "pw1002", "-set", "contact_port", strconv.Itoa(uasPort), "-m", "1", n.SIP)...)
	if err := reg.wait(ctx); err != nil {
		t.Fatalf("sipp REGISTER: %v\n%s", err, reg.out.String())
	}
	n.waitAgent(t, ctx, "1002", "not_ready")
	n.setReady(t, "1002")

	caller := startPeer(t, ctx, dir, "sipp", sippArgs("-sf", scenario(t, dir, "caller.xml", tone), "-s", "110", "-m", "1",
		"-set", "key", "2", "-d", "3000", n.SIP)...)
	if err := caller.wait(ctx); err != nil {
		t.Fatalf("sipp caller: %v\n%s", err, caller.out.String())
	}
	if err := uas.wait(ctx); err != nil {
		t.Fatalf("sipp agent: %v\n%s", err, uas.out.String())
	}
	cdr := n.waitCDR(t, ctx, "")
	if cdr.Outcome != "answered" || cdr.Agency != "customs" || cdr.Agent != "1002" {
		t.Fatalf("CDR %+v", cdr)
	}
}

// A sipp citizen streams a 1 kHz tone; a Go agent phone detects it after the
// bridge: sipp's real RTP crossed frontdoor.
func TestSippCallerAudioReachesAgent(t *testing.T) { sippCallerToGoAgent(t) }

// The same call over TCP: frontdoor listens for SIP on TCP at the UDP port.
func TestSippCallerOverTCP(t *testing.T) { sippCallerToGoAgent(t, "-t", "t1") }

// sippCallerToGoAgent runs caller.xml (extra: more sipp options) picking tax by
// INFO, and checks the agent hears sipp's tone and the CDR says answered.
func sippCallerToGoAgent(t *testing.T, extra ...string) {
	needTool(t, "sipp", "sip-tester")
	n := startNode(t, "")
	ctx := timeout(t, 60*time.Second)
	dir := t.TempDir()
	tone := writeToneWAV(t, dir, 1000, 2)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	args := append([]string{"-sf", scenario(t, dir, "caller.xml", tone), "-s", "110", "-m", "1", "-set", "key", "1", "-d", "3000"}, extra...)
	caller := startPeer(t, ctx, dir, "sipp", sippArgs(append(args, n.SIP)...)...)
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatalf("%v\n%s", err, caller.out.String())
	}
	if !in.RTP.WaitTone(ctx, 1000) {
		t.Fatal("agent never heard sipp's 1 kHz tone")
	}
	if err := caller.wait(ctx); err != nil {
		t.Fatalf("sipp caller: %v\n%s", err, caller.out.String())
	}
	if cdr := n.waitCDR(t, ctx, ""); cdr.Outcome != "answered" || cdr.Agency != "tax" {
		t.Fatalf("CDR %+v", cdr)
	}
}

// A sipp citizen picks customs with RFC 4733 telephone-events ("2", then "#").
func TestSippCallerRFC4733Keys(t *testing.T) {
	needTool(t, "sipp", "sip-tester")
	n := startNode(t, "")
	ctx := timeout(t, 60*time.Second)
	dir := t.TempDir()
	writeDTMFPcap(t, dir, "2#")
	agent := n.readyAgent(t, ctx, "1002", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	caller := startPeer(t, ctx, dir, "sipp", sippArgs("-sf", scenario(t, dir, "caller_rfc4733.xml", ""), "-s", "110", "-m", "1",
		"-d", "3000", n.SIP)...)
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatalf("%v\n%s", err, caller.out.String())
	}
	if got := in.Req.GetHeader("X-Frontdoor-Agency"); got == nil || got.Value() != "customs" {
		t.Fatalf("agency %v, want customs", got)
	}
	if err := caller.wait(ctx); err != nil {
		t.Fatalf("sipp caller: %v\n%s", err, caller.out.String())
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/config"
)

// `frontdoor serve` without -config runs the embedded demo from any directory,
// as the README says: with an empty data directory it makes the demo OpenID4VP
// verifier certificate there (as `make run` does), so sessions carry a wallet link.
func TestEmbeddedDemoServesFromAnEmptyDataDir(t *testing.T) {
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	n := startNodeWith(t, demoOnFreePorts(t, cfg), data)
	for _, f := range []string{"verifier.pem", "verifier.key", "verifier-root.pem"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("the demo verifier file: %v", err)
		}
	}
	var sess struct {
		WalletURL string `json:"wallet_url"`
	}
	if code := n.api(t, "POST", "/api/v1/identity/sessions", map[string]string{}, &sess); code != 201 || sess.WalletURL == "" {
		t.Fatalf("session: HTTP %d, wallet_url %q", code, sess.WalletURL)
	}
}

// demoOnFreePorts moves the demo config off 5060 and 8080 (and its RTP range) so
// tests do not collide with a running demo or each other.
func demoOnFreePorts(t *testing.T, cfg *config.Config) *config.Config {
	t.Helper()
	rtpBase += 100
	cfg.Listen.SIP = "127.0.0.1:" + strconv.Itoa(freeSIPPort(t))
	cfg.Listen.HTTP = "127.0.0.1:0"
	cfg.Media.RTPPorts = strconv.Itoa(rtpBase) + "-" + strconv.Itoa(rtpBase+99)
	cfg.API.AdminToken = "test-admin-token"
	return cfg
}

// The test call the README gives for `make run`: sipp runs test/sipp/demo_call.xml
// as written, from a directory laid out like the repository (it streams
// media/prompts/audio/hold.wav), against config/demo.yaml with identity offer:
// 2 skips the digital ID, 1 and # pick tax. Agent 1001 registers with the demo
// password, takes the call and hears the caller's hold music.
func TestDemoCallScenario(t *testing.T) {
	needTool(t, "sipp", "sip-tester")
	cfg, err := config.Demo() // config/demo.yaml, embedded
	if err != nil {
		t.Fatal(err)
	}
	n := startNodeWith(t, demoOnFreePorts(t, cfg), t.TempDir())
	ctx := timeout(t, 60*time.Second)

	agent := newPhone(t, "1001")
	agent.AutoAnswer = 2000
	if code, err := agent.Register(ctx, n.SIP, "demo1001", 300); err != nil || code != 200 {
		t.Fatalf("register 1001 with the demo password: %d %v", code, err)
	}
	n.waitAgent(t, ctx, "1001", "not_ready")
	n.setReady(t, "1001")

	hold, err := os.ReadFile(repoPath("media", "prompts", "audio", "hold.wav"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "media", "prompts", "audio"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "media", "prompts", "audio", "hold.wav"), hold, 0o644); err != nil {
		t.Fatal(err)
	}
	caller := startPeer(t, ctx, dir, "sipp", sippArgs("-sf", repoPath("test", "sipp", "demo_call.xml"), "-s", "110",
		"-set", "k1", "2", "-set", "k2", "1", "-m", "1", "-d", "3000", n.SIP)...)
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatalf("%v\n%s", err, caller.out.String())
	}
	if got := in.Req.GetHeader("X-Frontdoor-Agency"); got == nil || got.Value() != "tax" {
		t.Fatalf("agency %v, want tax", got)
	}
	if !in.RTP.WaitAudio(ctx, 50) || !heardFrameOf(in.RTP.Received, hold[bytes.Index(hold, []byte("data"))+8:]) {
		t.Fatal("the agent never heard the caller's hold music")
	}
	if err := caller.wait(ctx); err != nil {
		t.Fatalf("sipp caller: %v\n%s", err, caller.out.String())
	}
	if cdr := n.waitCDR(t, ctx, ""); cdr.Outcome != "answered" || cdr.Agency != "tax" || cdr.Agent != "1001" {
		t.Fatalf("CDR %+v", cdr)
	}
}

// heardFrameOf tells whether any 20 ms µ-law frame of audio (as sipp's
// rtp_stream cuts it, from the start) was received; silent frames do not count.
func heardFrameOf(received func([]byte) bool, audio []byte) bool {
	for i := 0; i+160 <= len(audio); i += 160 {
		frame := audio[i : i+160]
		if bytes.Count(frame, frame[:1]) < len(frame) && received(frame) {
			return true
		}
	}
	return false
}

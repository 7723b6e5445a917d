package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// baresip is a real desk phone: it registers as agent 1001 with digest auth and
// auto-answers. It sends a 2 kHz sine (ausine) and records what it decodes
// (sndfile); the caller hears the sine and baresip's recording holds the caller's
// 1 kHz tone.
func TestBaresipAgentAnswers(t *testing.T) {
	needTool(t, "baresip", "baresip")
	n := startNode(t, "")
	ctx := timeout(t, 60*time.Second)
	dir := t.TempDir()
	port := freeUDPPort(t)
	writeBaresip(t, dir, port, n.SIP, "module sndfile.so\nsnd_path "+dir+"\n")
	// -n 127.0.0.1: baresip must use loopback only (it would pick the machine's address).
	phone := startPeer(t, ctx, dir, "baresip", "-f", dir, "-n", "127.0.0.1")
	n.waitAgent(t, ctx, "1001", "not_ready")
	n.setReady(t, "1001")

	out := dial(t, ctx, n, "126", nil, 1000, "")
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatalf("caller never heard baresip's 2 kHz sine\n%s", phone.out.String())
	}
	n.waitAgent(t, ctx, "1001", "busy")
	time.Sleep(time.Second) // a second of talk for baresip to record (not synchronisation)
	out.Hangup(ctx)
	cdr := n.waitCDR(t, ctx, "")
	if cdr.Outcome != "answered" || cdr.Agent != "1001" || cdr.Agency != "tax" {
		t.Fatalf("CDR %+v", cdr)
	}
	n.waitAgent(t, ctx, "1001", "ready")
	// baresip writes its recordings when the call ends.
	var heard bool
	for deadline := time.Now().Add(10 * time.Second); !heard && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "*dec*.wav"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			pcm, err := media.DecodeWAV(raw)
			if err != nil || len(pcm) < 8000 {
				continue
			}
			heard = tones.Dominates(pcm[len(pcm)-4000:len(pcm)-2400], 1000)
		}
	}
	if !heard {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		t.Fatalf("baresip's recording lacks the caller's 1 kHz tone; files: %s\n%s", strings.Join(files, " "), phone.out.String())
	}
}

// baresip as a desk phone transfers the caller to customs by REFER (its
// "transfer" command, sent over its ctrl_tcp control socket); the customs agent
// gets the call with where it came from.
func TestBaresipAgentTransfersByREFER(t *testing.T) {
	needTool(t, "baresip", "baresip")
	n := startNode(t, "")
	ctx := timeout(t, 60*time.Second)
	dir := t.TempDir()
	port, ctrl := freeUDPPort(t), freeTCPPort(t)
	writeBaresip(t, dir, port, n.SIP, fmt.Sprintf("module_app menu.so\nmodule_app ctrl_tcp.so\nctrl_tcp_listen 127.0.0.1:%d\n", ctrl))
	phone := startPeer(t, ctx, dir, "baresip", "-f", dir, "-n", "127.0.0.1")
	n.waitAgent(t, ctx, "1001", "not_ready")
	n.setReady(t, "1001")
	customs := n.readyAgent(t, ctx, "1002", func(p *testua.Phone) { p.AutoAnswer = 3000 })

	out := dial(t, ctx, n, "126", nil, 1000, "")
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatalf("caller never reached baresip\n%s", phone.out.String())
	}
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", ctrl))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cmd := fmt.Sprintf(`{"command":"transfer","params":"sip:customs@%s","token":"t1"}`, n.SIP)
	fmt.Fprintf(conn, "%d:%s,", len(cmd), cmd)
	in, err := customs.NextIncoming(ctx)
	if err != nil {
		t.Fatalf("%v\n%s", err, phone.out.String())
	}
	if got := in.Req.GetHeader("X-Frontdoor-Transferred-From"); got == nil || got.Value() != "tax/1001" {
		t.Errorf("X-Frontdoor-Transferred-From = %v", got)
	}
	if !out.RTP.WaitTone(ctx, 3000) {
		t.Fatal("caller not connected to customs after baresip's transfer")
	}
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeBaresip writes a baresip config for agent 1001 of the node at sipAddr:
// loopback only, auto-answer, G.711, a 2 kHz sine as the microphone; extra adds
// modules and settings.
func writeBaresip(t *testing.T, dir string, port int, sipAddr, extra string) {
	t.Helper()
	conf := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
audio_source ausine,2000
ausrc_srate 48000
ausrc_channels 2
audio_player aufile,/dev/null
audio_alert aufile,/dev/null
module_path /usr/lib/baresip/modules
module g711.so
module ausine.so
module aufile.so
module_app account.so
%s`, port, extra)
	account := fmt.Sprintf("<sip:1001@%s>;auth_pass=pw1001;answermode=auto;regint=300;audio_codecs=PCMU\n", sipAddr)
	for name, text := range map[string]string{"config": conf, "accounts": account} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

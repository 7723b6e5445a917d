package main

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// A supervisor coaches a call: caller 1 kHz, agent 2 kHz, supervisor 3 kHz.
// listen: the supervisor hears both, nobody hears the supervisor; whisper: the
// agent hears the supervisor, the caller does not; barge: the caller does too.
func TestSupervisorListenWhisperBarge(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 60*time.Second)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	sup := newPhone(t, "2001")
	sup.AutoAnswer = 3000
	if code, err := sup.Register(ctx, n.SIP, "pw2001", 300); err != nil || code != 200 {
		t.Fatalf("supervisor phone: %d %v", code, err)
	}
	out := dial(t, ctx, n, "126", []uint8{0}, 1000, "")
	a, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("not connected")
	}
	callID := a.Req.GetHeader("X-Frontdoor-Call").Value()

	token := n.login(t, "2001")
	coach := func(mode string, want int) {
		t.Helper()
		req, _ := http.NewRequest("POST", n.HTTP+"/api/v1/calls/"+callID+"/coach", bytes.NewReader([]byte(`{"mode":"`+mode+`"}`)))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("coach %s: HTTP %d, want %d", mode, res.StatusCode, want)
		}
	}
	coach("shout", 400)
	coach("listen", 202)
	s, err := sup.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !s.RTP.WaitShare(ctx, 1000, 0.2) || !s.RTP.WaitShare(ctx, 2000, 0.2) {
		t.Fatalf("listening supervisor hears 1 kHz %.2f, 2 kHz %.2f", s.RTP.Share(1000), s.RTP.Share(2000))
	}
	if a.RTP.Share(3000) > 0.02 || out.RTP.Share(3000) > 0.02 {
		t.Fatal("someone hears a listening supervisor")
	}
	coach("whisper", 202)
	if !a.RTP.WaitShare(ctx, 3000, 0.2) {
		t.Fatal("the agent does not hear the whisper")
	}
	for i := 0; i < 25; i++ { // a second of the caller's audio, packet by packet
		if out.RTP.Share(3000) > 0.02 {
			t.Fatal("the caller hears the whisper")
		}
		before := out.RTP.Packets()
		out.RTP.WaitAudio(ctx, before+2)
	}
	coach("barge", 202)
	if !out.RTP.WaitShare(ctx, 3000, 0.2) {
		t.Fatal("the caller does not hear the supervisor barging in")
	}
	// The supervisor hangs up: caller and agent talk on their own again.
	s.Dialog.Bye(ctx)
	if !out.RTP.WaitTone(ctx, 2000) || !a.RTP.WaitTone(ctx, 1000) {
		t.Fatal("caller and agent not re-bridged after the supervisor left")
	}
	// Every request, the refused one too, is in the audit log.
	recs, err := n.store.Audit(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var modes []string
	for _, r := range recs {
		if r.Kind == "supervisor.coach" && r.Actor == "2001" {
			modes = append(modes, r.Result)
		}
	}
	if len(modes) != 4 || modes[0] != "bad_mode" {
		t.Fatalf("coaching audit results %v, want bad_mode and three ok", modes)
	}
}

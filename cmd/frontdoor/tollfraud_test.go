package main

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Toll fraud through callbacks: a caller whose From is an international
// premium number (+882…) accepts the callback offer; the number is not read
// back for confirmation (the policy refuses it, so it must be keyed in). A
// call from a trusted trunk asserting the caller's real national number
// (P-Asserted-Identity) is offered and booked on that number, not on its From.
// (One booking per number per period: calls TestCallbackBookingsPerNumber.)
func TestCallbackTollFraudRefused(t *testing.T) {
	ctx := timeout(t, 60*time.Second)
	trunk := newPhone(t, "trunk")
	n := startNode(t, callbackConfig(t, trunk.Addr(), 0))
	offer := func(user string, hdrs ...sip.Header) (readBack bool, hungUp func() bool) {
		p := newPhone(t, user)
		p.Headers = hdrs
		out, err := p.Call(ctx, n.SIP, "126", []uint8{0}, 0)
		if err != nil {
			t.Fatalf("call from %s: %v", user, err)
		}
		t.Cleanup(func() { out.Hangup(ctx) })
		if !out.RTP.WaitReceived(ctx, promptFrame(t, "callback-offer")) {
			t.Fatal("no callback offer")
		}
		out.RTP.SendDTMF('1')
		if !out.RTP.WaitReceived(ctx, promptFrame(t, "callback-confirm")) {
			t.Fatal("no confirmation question")
		}
		// callback-number comes before callback-confirm when a number is read back.
		return out.RTP.Received(promptFrame(t, "callback-number")), func() bool {
			out.RTP.SendDTMF('1')
			select {
			case <-out.Done():
				return out.RTP.Received(promptFrame(t, "callback-booked"))
			case <-ctx.Done():
				return false
			}
		}
	}
	if readBack, _ := offer("+88212345678"); readBack {
		t.Fatal("+882 premium From read back as the callback number")
	}
	if readBack, _ := offer("00900123456"); readBack {
		t.Fatal("00900 premium From read back as the callback number")
	}
	// From a trusted source (127.0.0.1 by default), the trunk's PAI wins over From.
	pai := sip.NewHeader("P-Asserted-Identity", "<sip:01077778888@127.0.0.1>")
	readBack, confirm := offer("+88212345678", pai)
	if !readBack {
		t.Fatal("the asserted national number was not offered")
	}
	if !confirm() {
		t.Fatal("callback on the asserted number not booked")
	}
}

// A P-Asserted-Identity from a source that is not a trusted trunk is as
// spoofable as From: ignored, so a +882 From stays refused.
func TestCallbackUntrustedPAIIgnored(t *testing.T) {
	ctx := timeout(t, 30*time.Second)
	trunk := newPhone(t, "trunk")
	n := startNode(t, strings.Replace(callbackConfig(t, trunk.Addr(), 0), `number: "110"`,
		"number: \"110\"\nsecurity: { trusted_sources: [] }", 1))
	p := newPhone(t, "+88212345678")
	p.Headers = []sip.Header{sip.NewHeader("P-Asserted-Identity", "<sip:01077778888@127.0.0.1>")}
	out, err := p.Call(ctx, n.SIP, "126", []uint8{0}, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Hangup(ctx) })
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "callback-offer")) {
		t.Fatal("no callback offer")
	}
	out.RTP.SendDTMF('1')
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "callback-confirm")) {
		t.Fatal("no confirmation question")
	}
	if out.RTP.Received(promptFrame(t, "callback-number")) {
		t.Fatal("an untrusted source's P-Asserted-Identity was offered as the callback number")
	}
}

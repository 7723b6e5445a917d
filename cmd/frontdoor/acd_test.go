package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/prompts"
)

// promptFrame is the first 20 ms of a prompt as a PCMU phone receives it.
func promptFrame(t *testing.T, name string) []byte {
	t.Helper()
	set, err := prompts.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	clip, ok := set.Get(name)
	if !ok {
		t.Fatalf("no prompt %q", name)
	}
	enc := clip.Encoded(media.PCMU)
	// Skip leading silence: the first frame with sound identifies the prompt.
	for off := 0; off+160 <= len(enc); off += 160 {
		for _, b := range enc[off : off+160] {
			if b != 0xff && b != 0x7f {
				return enc[off : off+160]
			}
		}
	}
	t.Fatalf("prompt %q is silent", name)
	return nil
}

// acdConfig is testConfig with extra keys in customs' queue.
func acdConfig(t *testing.T, customsQueue string) string {
	rtpBase += 100
	return strings.Replace(fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99),
		`numbers: ["125"], queue: { ring_timeout_seconds: 3, wrapup_seconds: 0 }`,
		`numbers: ["125"], queue: { ring_timeout_seconds: 3, wrapup_seconds: 0, `+customsQueue+` }`, 1)
}

// A closed agency: the caller hears the closed message and the call ends "closed".
func TestClosedAgencyPlaysClosedMessage(t *testing.T) {
	n := startNode(t, acdConfig(t, `hours: { timezone: UTC, weekly: { mon-sun: closed } }`))
	ctx := timeout(t, 30*time.Second)
	out := dial(t, ctx, n, "125", []uint8{0}, 0, "")
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "closed")) {
		t.Fatal("the closed message was not played")
	}
	waitDone(t, ctx, out.Done(), "call not ended after the closed message")
	if cdr := n.waitCDR(t, ctx, ""); cdr.Outcome != "closed" || cdr.Agency != "customs" {
		t.Fatalf("CDR %+v", cdr)
	}
	if m := n.scrape(t); !strings.Contains(m, `frontdoor_calls_total{agency="customs",outcome="closed"} 1`) {
		t.Error("closed call not counted")
	}
}

// max_wait: nobody answers in time, the caller hears the timeout message, outcome timeout.
func TestMaxWaitEndsCallWithTimeout(t *testing.T) {
	n := startNode(t, acdConfig(t, `max_wait_seconds: 2`))
	ctx := timeout(t, 30*time.Second)
	out := dial(t, ctx, n, "125", []uint8{0}, 0, "")
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "timeout")) {
		t.Fatal("the timeout message was not played")
	}
	waitDone(t, ctx, out.Done(), "call not ended after max wait")
	if cdr := n.waitCDR(t, ctx, ""); cdr.Outcome != "timeout" || cdr.WaitSeconds < 2 {
		t.Fatalf("CDR %+v", cdr)
	}
}

// Announcements: a waiting caller hears its position ("you are caller number ...")
// and the hold music goes on.
func TestQueuedCallerHearsPosition(t *testing.T) {
	n := startNode(t, acdConfig(t, `announce_every_seconds: 2, join_empty: always`))
	ctx := timeout(t, 40*time.Second)
	out := dial(t, ctx, n, "125", []uint8{0}, 0, "")
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "position")) {
		t.Fatal("no position announcement")
	}
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "hold")) {
		t.Fatal("no hold music after the announcement")
	}
	out.Hangup(context.Background())
}

// Overflow: customs sends calls waiting over 1 s to tax, where an agent answers;
// the CDR is under tax and customs counts an overflowed call.
func TestOverflowToAnotherAgency(t *testing.T) {
	n := startNode(t, acdConfig(t, `overflow: { to: tax, after_seconds: 1 }`))
	ctx := timeout(t, 30*time.Second)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 }) // tax only
	out := dial(t, ctx, n, "125", nil, 1000, "")
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Req.GetHeader("X-Frontdoor-Agency"); got == nil || got.Value() != "tax" {
		t.Fatalf("agency %v, want tax after overflow", got)
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("caller not connected after overflow")
	}
	out.Hangup(ctx)
	if cdr := n.waitCDR(t, ctx, ""); cdr.Outcome != "answered" || cdr.Agency != "tax" {
		t.Fatalf("CDR %+v", cdr)
	}
	if m := n.scrape(t); !strings.Contains(m, `frontdoor_calls_total{agency="customs",outcome="overflowed"} 1`) {
		t.Error("overflow not counted against customs")
	}
}

package agents

import (
	"errors"
	"strings"
	"testing"
)

// expected is the state machine written out independently of the table in
// state.go: one row per state, one column per event, "-" for a refusal.
var expected = `
state       login     logout     ready  not_ready  offer    answer  ring_timeout  decline    hangup   wrapup_done
logged_out  not_ready -          -      -          -        -       -             -          -        -
not_ready   -         logged_out ready  not_ready  -        -       -             -          -        -
ready       -         logged_out ready  not_ready  ringing  -       -             -          -        -
ringing     -         logged_out -      -          -        busy    not_ready     not_ready  ready    -
busy        -         -          -      -          -        -       -             -          wrap_up  -
wrap_up     -         logged_out ready  not_ready  -        -       -             -          -        ready
`

func TestEveryTransitionAndRefusal(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(expected), "\n")
	events := strings.Fields(lines[0])[1:]
	if len(lines)-1 != len(States) {
		t.Fatalf("grid has %d states, package has %d", len(lines)-1, len(States))
	}
	allowed := 0
	for _, row := range lines[1:] {
		f := strings.Fields(row)
		from := State(f[0])
		if !from.Valid() {
			t.Fatalf("grid state %q unknown", from)
		}
		for i, ev := range events {
			want := f[i+1]
			got, err := Next(from, Event(ev))
			if want == "-" {
				var te *TransitionError
				if !errors.As(err, &te) || !errors.Is(err, ErrTransition) {
					t.Errorf("%s + %s: got %s, %v; want refusal", from, ev, got, err)
					continue
				}
				wantMsg := "agent state " + string(from) + ": event " + ev + " not allowed"
				if err.Error() != wantMsg || te.From != from || te.Event != Event(ev) || got != from {
					t.Errorf("%s + %s: refusal %q (state %s), want %q", from, ev, err, got, wantMsg)
				}
				continue
			}
			allowed++
			if err != nil || got != State(want) {
				t.Errorf("%s + %s = %s, %v; want %s", from, ev, got, err, want)
			}
		}
	}
	if allowed != len(transitions) {
		t.Errorf("grid allows %d transitions, table has %d", allowed, len(transitions))
	}
}

func TestUnknownStateAndEventRefused(t *testing.T) {
	if _, err := Next("napping", Login); !errors.Is(err, ErrTransition) {
		t.Errorf("unknown state: %v", err)
	}
	if _, err := Next(Ready, "dance"); err == nil || err.Error() != "agent state ready: event dance not allowed" {
		t.Errorf("unknown event: %v", err)
	}
}

func TestParseState(t *testing.T) {
	for _, s := range States {
		if got, err := ParseState(string(s)); err != nil || got != s {
			t.Errorf("ParseState(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := ParseState("Ready"); err == nil || err.Error() != `unknown agent state "Ready"` {
		t.Errorf("ParseState(Ready): %v", err)
	}
}

// A call's life from the agent's side, as the routing engine drives it.
func TestWorkingDay(t *testing.T) {
	s := LoggedOut
	for _, ev := range []Event{Login, SetReady, Offer, RingTimeout, SetReady, Offer, Answer, Hangup, WrapupDone, SetNotReady, Logout} {
		next, err := Next(s, ev)
		if err != nil {
			t.Fatalf("%s + %s: %v", s, ev, err)
		}
		s = next
	}
	if s != LoggedOut {
		t.Fatalf("ended the day in %s", s)
	}
}

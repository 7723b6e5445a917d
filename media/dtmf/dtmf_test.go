package dtmf

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEventRoundTrip(t *testing.T) {
	ev := Event{Code: 11, End: true, Volume: 10, Duration: 1280}
	b := ev.Marshal()
	if b != [4]byte{11, 0x8A, 0x05, 0x00} {
		t.Fatalf("Marshal = % x", b)
	}
	got, err := ParseEvent(b[:])
	if err != nil || got != ev {
		t.Fatalf("ParseEvent = %+v, %v", got, err)
	}
	if _, err := ParseEvent([]byte{1, 2, 3}); !errors.Is(err, ErrShortPayload) {
		t.Fatalf("3-byte payload: err = %v, want ErrShortPayload", err)
	}
}

func TestDigitCodes(t *testing.T) {
	for i, want := range "0123456789*#ABCD!" {
		d, ok := Digit(uint8(i))
		if !ok || d != want {
			t.Errorf("Digit(%d) = %q %v", i, d, ok)
		}
		c, err := Code(want)
		if err != nil || int(c) != i {
			t.Errorf("Code(%q) = %d %v", want, c, err)
		}
	}
	if _, ok := Digit(17); ok {
		t.Error("code 17 (not a key) accepted")
	}
	if c, err := Code('b'); err != nil || c != 13 {
		t.Errorf("Code('b') = %d %v", c, err)
	}
	if _, err := Code('x'); !errors.Is(err, ErrUnknownDigit) {
		t.Errorf("Code('x') err = %v", err)
	}
}

// feed sends a sender-produced sequence through a receiver and collects digits.
func feed(r *Receiver, ts uint32, pkts []Packet) []rune {
	var got []rune
	for _, p := range pkts {
		if d, ok := r.Feed(ts, p.Marker, p.Payload[:]); ok {
			got = append(got, d)
		}
	}
	return got
}

func TestSenderSequence(t *testing.T) {
	pkts, err := Sender{}.Packets('5', 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	// 160, 320, 480, 640 then three ends at 800.
	if len(pkts) != 7 {
		t.Fatalf("%d packets, want 7", len(pkts))
	}
	for i, p := range pkts {
		if p.Marker != (i == 0) {
			t.Errorf("packet %d marker %v", i, p.Marker)
		}
		if p.Event.Code != 5 {
			t.Errorf("packet %d code %d", i, p.Event.Code)
		}
	}
	for i := range 4 {
		if pkts[i].Event.End || pkts[i].Event.Duration != uint16(160*(i+1)) {
			t.Errorf("packet %d: %+v", i, pkts[i].Event)
		}
	}
	for i := 4; i < 7; i++ {
		if !pkts[i].Event.End || pkts[i].Event.Duration != 800 {
			t.Errorf("end packet %d: %+v", i, pkts[i].Event)
		}
	}
	if _, err := (Sender{}).Packets('x', time.Second); !errors.Is(err, ErrUnknownDigit) {
		t.Errorf("digit x: %v", err)
	}
	if _, err := (Sender{}).Packets('1', 5*time.Millisecond); err == nil {
		t.Error("5 ms digit accepted")
	}
	if _, err := (Sender{}).Packets('1', 10*time.Second); err == nil {
		t.Error("10 s digit (beyond 16-bit duration) accepted")
	}
}

func TestReceiverOneDigitPerEvent(t *testing.T) {
	var r Receiver
	var got []rune
	ts := uint32(1000)
	for _, d := range "1*#11" {
		pkts, err := Sender{}.Packets(d, 120*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, feed(&r, ts, pkts)...)
		ts += 8000
	}
	if string(got) != "1*#11" {
		t.Fatalf("digits %q, want %q", string(got), "1*#11")
	}
}

func TestReceiverLostStartAndOnlyEnds(t *testing.T) {
	var r Receiver
	pkts, _ := Sender{}.Packets('7', 100*time.Millisecond)
	// Start packet (with marker) lost: the digit still comes, once.
	if got := feed(&r, 500, pkts[1:]); string(got) != "7" {
		t.Fatalf("without start packet: %q", string(got))
	}
	// Next press of the same key, only its end packets arrive.
	if got := feed(&r, 2100, pkts[4:]); string(got) != "7" {
		t.Fatalf("only end packets: %q", string(got))
	}
	// A stray late end packet of the first event (old timestamp).
	if d, ok := r.Feed(500, false, pkts[6].Payload[:]); ok {
		t.Fatalf("late end of old event reported %q", d)
	}
}

func TestReceiverLongEventContinuation(t *testing.T) {
	var r Receiver
	start := Event{Code: 3, Duration: 0xFFFF}.Marshal()
	cont := Event{Code: 3, Duration: 800}.Marshal()
	end := Event{Code: 3, End: true, Duration: 1600}.Marshal()
	if d, ok := r.Feed(0, true, start[:]); !ok || d != '3' {
		t.Fatal("first segment not reported")
	}
	// Continuation segment: new timestamp, no marker, same code.
	if _, ok := r.Feed(0xFFFF, false, cont[:]); ok {
		t.Fatal("continuation segment reported as a new press")
	}
	if _, ok := r.Feed(0xFFFF, false, end[:]); ok {
		t.Fatal("end of continuation reported")
	}
	// A new press (marker) of the same key after the end is a new digit.
	if d, ok := r.Feed(0x20000, true, start[:]); !ok || d != '3' {
		t.Fatal("new press after end not reported")
	}
}

func TestReceiverIgnoresJunk(t *testing.T) {
	var r Receiver
	if _, ok := r.Feed(1, true, []byte{1}); ok {
		t.Fatal("short payload produced a digit")
	}
	tone := Event{Code: 40}.Marshal() // a tone event, not a key
	if _, ok := r.Feed(2, true, tone[:]); ok {
		t.Fatal("non-key event produced a digit")
	}
}

func TestParseRelay(t *testing.T) {
	good := map[string]Relay{
		"Signal=5\r\nDuration=160\r\n":  {'5', 160 * time.Millisecond},
		"Signal=5\r\nDuration=160":      {'5', 160 * time.Millisecond},
		"signal = * \nduration= 250\n":  {'*', 250 * time.Millisecond},
		"Signal=#":                      {'#', 0},
		"Signal=11\r\nDuration=100\r\n": {'#', 100 * time.Millisecond},
		"Signal=a\r\nVolume=10\r\n":     {'A', 0},
		"\r\nSignal=9\r\n\r\n":          {'9', 0},
	}
	for body, want := range good {
		got, err := ParseRelay([]byte(body))
		if err != nil || got != want {
			t.Errorf("ParseRelay(%q) = %+v, %v; want %+v", body, got, err, want)
		}
	}
	bad := map[string]string{
		"":                         "no Signal line",
		"Duration=160":             "no Signal line",
		"Signal=":                  "empty signal",
		"Signal=x":                 `signal "x" is not a DTMF key`,
		"Signal=17":                `signal "17" is not a DTMF key`,
		"Signal=5\r\nDuration=abc": `Duration "abc" is not a number`,
		"Signal=5\r\nDuration=-1":  `Duration "-1" is not a number`,
		"Signal 5":                 `has no '='`,
		"Signal=5\r\nSignal=6":     "Signal given twice",
	}
	for body, want := range bad {
		_, err := ParseRelay([]byte(body))
		if !errors.Is(err, ErrBadBody) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRelay(%q) err = %v; want ErrBadBody mentioning %q", body, err, want)
		}
	}
}

func TestParseDTMF(t *testing.T) {
	good := map[string]rune{"5": '5', "5\r\n": '5', " # ": '#', "10": '*', "d": 'D'}
	for body, want := range good {
		got, err := ParseDTMF([]byte(body))
		if err != nil || got != want {
			t.Errorf("ParseDTMF(%q) = %q, %v", body, got, err)
		}
	}
	for _, body := range []string{"", "  ", "55", "x", "Signal=5", "-1"} {
		if _, err := ParseDTMF([]byte(body)); !errors.Is(err, ErrBadBody) {
			t.Errorf("ParseDTMF(%q) err = %v, want ErrBadBody", body, err)
		}
	}
}

func TestParseInfo(t *testing.T) {
	if d, err := ParseInfo("application/dtmf-relay", []byte("Signal=3\r\n")); err != nil || d != '3' {
		t.Errorf("dtmf-relay: %q %v", d, err)
	}
	if d, err := ParseInfo("Application/DTMF; charset=utf-8", []byte("4")); err != nil || d != '4' {
		t.Errorf("dtmf with params: %q %v", d, err)
	}
	if _, err := ParseInfo("application/media_control+xml", []byte("<x/>")); !errors.Is(err, ErrUnsupportedContentType) {
		t.Errorf("other type: %v", err)
	}
	if _, err := ParseInfo("", []byte("4")); !errors.Is(err, ErrUnsupportedContentType) {
		t.Errorf("empty type: %v", err)
	}
}

package sim

import (
	"reflect"
	"strings"
	"testing"

	"github.com/frontdoor-project/frontdoor/routing"
)

func TestParseTrafficRefusals(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"empty", "", "empty file"},
		{"unknown key", "agencies:\n  tax: {calls_per_hour: 5, handel_seconds: 3}\n", `line 2: unknown key "handel_seconds"`},
		{"unknown top key", "agencys: {}\n", `line 1: unknown key "agencys"`},
		{"no agencies", "agencies: {}\n", "at least one agency"},
		{"no rate", "agencies:\n  tax: {handle_seconds: 3}\n", "agencies.tax.calls_per_hour: must be more than 0"},
		{"no handle", "agencies:\n  tax: {calls_per_hour: 3}\n", "agencies.tax.handle_seconds: must be more than 0"},
		{"negative", "agencies:\n  tax: {calls_per_hour: 3, handle_seconds: 3, patience_seconds: -1}\n", "must not be negative"},
		{"start", "start: monday\nagencies:\n  tax: {calls_per_hour: 3, handle_seconds: 3}\n", `start: "monday" is not RFC 3339`},
		{"not a number", "agencies:\n  tax: {calls_per_hour: lots, handle_seconds: 3}\n", "line 2"},
	}
	for _, tc := range cases {
		_, err := ParseTraffic([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to say %q", tc.name, err, tc.want)
		}
	}
	tr, err := ParseTraffic([]byte("agencies:\n  tax: {calls_per_hour: 600, handle_seconds: 180, patience_seconds: 60, wrapup_seconds: 5}\nabsent: [a1]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := tr.Agencies["tax"]; d != (Demand{CallsPerHour: 600, HandleSeconds: 180, PatienceSeconds: 60, WrapupSeconds: 5}) || tr.Absent[0] != "a1" {
		t.Fatalf("parsed %+v", tr)
	}
}

func twoAgencies() routing.Config {
	return routing.Config{
		Queues: []routing.QueueConfig{{ID: "tax", OverflowTo: "civil", OverflowAfter: 60e9}, {ID: "civil"}},
		Agents: []routing.AgentConfig{
			{ID: "t1", Skills: map[string]int{"tax": 5}},
			{ID: "t2", Skills: map[string]int{"tax": 5}},
			{ID: "c1", Skills: map[string]int{"civil": 5}},
			{ID: "c2", Skills: map[string]int{"civil": 5}},
		},
	}
}

func TestRunIsDeterministicAndCountsEveryCall(t *testing.T) {
	tr := Traffic{Agencies: map[string]Demand{
		"tax":   {CallsPerHour: 60, HandleSeconds: 150, PatienceSeconds: 90, WrapupSeconds: 10},
		"civil": {CallsPerHour: 20, HandleSeconds: 100},
	}}
	a, err := Run(twoAgencies(), tr, Options{Hours: 20, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Run(twoAgencies(), tr, Options{Hours: 20, Seed: 4})
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different results:\n%+v\n%+v", a, b)
	}
	c, _ := Run(twoAgencies(), tr, Options{Hours: 20, Seed: 5})
	if reflect.DeepEqual(a, c) {
		t.Fatal("seeds 4 and 5 gave identical results")
	}
	tax, civil := a[0], a[1]
	// 2.5 Erlangs on two agents: overloaded, so callers abandon and
	// overflow to civil after a minute.
	if tax.Abandoned == 0 || tax.Overflowed == 0 || tax.Answered == 0 {
		t.Fatalf("tax %+v: want answered, abandoned and overflowed calls", tax)
	}
	if tax.Offered != tax.Answered+tax.Abandoned+tax.Overflowed+tax.TimedOut+tax.Rejected+tax.Closed {
		t.Fatalf("tax %+v: offered is not the sum of outcomes", tax)
	}
	if civil.Offered != civil.Answered+civil.Abandoned || civil.Offered <= int(20*20*0.8) {
		t.Fatalf("civil %+v: want its own ~400 calls plus tax's overflow, all ending", civil)
	}
	// Occupancy: the answered calls' mean handle (150s talk + 10s wrap-up)
	// over two agents' 20 hours.
	if want := float64(tax.Answered) * 160 / (2 * 20 * 3600); tax.Occupancy > 1 || tax.Occupancy < want*0.95 || tax.Occupancy > want*1.05 {
		t.Fatalf("tax occupancy %.3f, want about %.3f", tax.Occupancy, want)
	}
	if tax.Waited > tax.Answered || tax.ServiceLevel >= 1 || tax.ServiceLevel <= 0 {
		t.Fatalf("tax figures out of range: %+v", tax)
	}
}

func TestRunRefusesUnknownNames(t *testing.T) {
	_, err := Run(twoAgencies(), Traffic{Agencies: map[string]Demand{"police": {CallsPerHour: 1, HandleSeconds: 1}}}, Options{Hours: 1})
	if err == nil || !strings.Contains(err.Error(), `agency "police"`) {
		t.Fatalf("unknown agency: %v", err)
	}
	_, err = Run(twoAgencies(), Traffic{Agencies: map[string]Demand{"tax": {CallsPerHour: 1, HandleSeconds: 1}}, Absent: []string{"x9"}}, Options{Hours: 1})
	if err == nil || !strings.Contains(err.Error(), `absent agent "x9"`) {
		t.Fatalf("unknown absent agent: %v", err)
	}
}

func TestAbsentAgentsLeaveCallsUnserved(t *testing.T) {
	tr := Traffic{Agencies: map[string]Demand{"civil": {CallsPerHour: 30, HandleSeconds: 60}}, Absent: []string{"c1", "c2"}}
	res, err := Run(twoAgencies(), tr, Options{Hours: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Agency != "civil" || r.Answered != 0 || r.Abandoned != r.Offered || r.Offered == 0 {
		t.Fatalf("nobody staffs civil: %+v, want every call unanswered (hung up at the end)", r)
	}
}

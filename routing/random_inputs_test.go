package routing_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	. "github.com/frontdoor-project/frontdoor/routing"
	"github.com/frontdoor-project/frontdoor/routing/routingtest"
)

// The tests fed by routingtest's random inputs. They are in package
// routing_test because routingtest imports routing (the dot import keeps
// them reading as they did inside); export_test.go lends them what they
// need of the inside.

// restoreInputs draws from the engine's own state, so offers get answered
// and connected calls hung up, with time moving on between them and every
// deadline fired as it comes due.
func restoreInputs(rng *rand.Rand, start time.Time) *routingtest.Inputs {
	return routingtest.New(routingtest.Config{
		Rng:    rng,
		Agents: []string{"a1", "a2", "a3", "a4", "a5", "a6", "l1", "l2", "l3"},
		Queues: []string{"tax", "civil", "customs", "lottery", "nowhere"},
		Weights: map[InputKind]int{InputArrive: 15, InputCallerHangup: 7, InputAgentHangup: 10, InputUnreached: 2,
			InputAnswered: 16, InputDeclined: 3, InputLogin: 10, InputLogout: 2, InputSetReady: 31, InputSetNotReady: 4},
		Stray:  4,
		Caller: true, VIP: 4,
		Start: start, Tick: 8, MaxTick: 15 * time.Second,
	})
}

// view is everything the engine shows the outside between inputs.
func view(e *Engine) string {
	at, ok := e.NextDeadline()
	return fmt.Sprintf("queues %+v\nagents %+v\ncalls %+v\nnext %v %v", e.Queues(), e.Agents(), e.Calls(), at, ok)
}

// TestPropertyRestoreContinuesAlike: at random points of a random input
// sequence engine A is snapshot and restored into B, with every heap
// rebuilt in a random push order; fed the rest, both make the same actions
// and show the same queues, agents, calls and next deadline. The random
// push order is what shows the heaps' layout does not matter.
func TestPropertyRestoreContinuesAlike(t *testing.T) {
	seeds, steps := 60, 400
	if testing.Short() {
		seeds = 10
	}
	cfg := LotteryConfig()
	for seed := range uint64(seeds) {
		rng := rand.New(rand.NewPCG(seed, 5))
		start := time.Date(2026, 3, 6, 19, 50, 0, 0, time.UTC) // customs closes at 20:00
		clk := NewTestClock(start)
		a, err := NewEngine(cfg, clk, int64(seed))
		if err != nil {
			t.Fatal(err)
		}
		var b *Engine
		g := restoreInputs(rng, start)
		restores, offers := 0, 0
		for step := range steps {
			if rng.IntN(40) == 0 {
				state, err := a.MarshalState()
				if err != nil {
					t.Fatal(err)
				}
				if b, err = RestoreShuffled(cfg, clk, state, rng); err != nil {
					t.Fatalf("seed %d step %d: restore: %v", seed, step, err)
				}
				again, err := b.MarshalState()
				if err != nil || !bytes.Equal(again, state) {
					t.Fatalf("seed %d step %d: the restored engine snapshots differently (%v)", seed, step, err)
				}
				restores++
			}
			in := g.Next(a)
			clk.Set(in.At)
			wantActs, wantErr := a.Apply(in)
			for _, act := range wantActs {
				if act.Kind == Offer {
					offers++
				}
			}
			if b == nil {
				continue
			}
			gotActs, gotErr := b.Apply(in)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(gotActs, wantActs) {
				t.Fatalf("seed %d step %d %s: restored engine did\n%+v (%v)\nthe original\n%+v (%v)", seed, step, in.Kind, gotActs, gotErr, wantActs, wantErr)
			}
			if got, want := view(b), view(a); got != want {
				t.Fatalf("seed %d step %d %s: restored engine shows\n%s\nthe original\n%s", seed, step, in.Kind, got, want)
			}
		}
		if restores == 0 || offers < 10 {
			t.Fatalf("seed %d: %d restores, %d offers: the sequence proves little", seed, restores, offers)
		}
	}
}

// FuzzRestoreEngine: no input makes RestoreEngine panic, and an engine it
// accepts takes inputs without panicking. Each input is tried as a whole
// snapshot and, wrapped with a correct checksum, as an engine body, so the
// fuzzer reaches the checks behind the checksum.
func FuzzRestoreEngine(f *testing.F) {
	cfg := PropertyConfig()
	clk := NewTestClock(time.Date(2026, 3, 6, 19, 50, 0, 0, time.UTC))
	e, err := NewEngine(cfg, clk, 1)
	if err != nil {
		f.Fatal(err)
	}
	g := restoreInputs(rand.New(rand.NewPCG(1, 2)), clk.Now())
	for i := range 300 {
		in := g.Next(e)
		_, _ = e.Apply(in)
		if i%60 == 0 {
			state, err := e.MarshalState()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(state)
			f.Add([]byte(BodyOf(f, state)))
		}
	}
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, state := range [][]byte{data, Envelope(cfg, string(data))} {
			r, err := RestoreEngine(cfg, clk, state)
			if err != nil {
				continue
			}
			g := restoreInputs(rand.New(rand.NewPCG(3, 4)), clk.Now())
			for range 20 {
				_, _ = r.Apply(g.Next(r))
			}
		}
	})
}

// applyInputs draws from the reference engine's state, with time moving on
// at every input and the timers left to come due until an advance is
// drawn (as a leader would write it), so inputs meet overdue timers.
func applyInputs(rng *rand.Rand, start time.Time) *routingtest.Inputs {
	return routingtest.New(routingtest.Config{
		Rng:    rng,
		Agents: []string{"a1", "a2", "a3", "a4", "a5", "a6"},
		Queues: []string{"tax", "civil", "customs", "nowhere"},
		Weights: map[InputKind]int{InputArrive: 20, InputCallerHangup: 7, InputAgentHangup: 7, InputUnreached: 2,
			InputAnswered: 14, InputDeclined: 4, InputLogin: 7, InputLogout: 3, InputSetReady: 10, InputSetNotReady: 4,
			InputAdvance: 22},
		Stray:  4,
		Caller: true,
		Start:  start, Tick: 1, MaxTick: 3 * time.Second, Overdue: true, Wake: 30 * time.Second,
	})
}

// callMethod feeds in to e through the method it names, the way the call
// path does today: the clock set to in.At.
func callMethod(e *Engine, clk *TestClock, in Input) ([]Action, error) {
	clk.Set(in.At)
	noErr := func(acts []Action) ([]Action, error) { return acts, nil }
	methods := map[InputKind]func() ([]Action, error){
		InputArrive:       func() ([]Action, error) { return noErr(e.Arrive(*in.Call)) },
		InputCallerHangup: func() ([]Action, error) { return noErr(e.CallerHangup(in.CallID)) },
		InputAgentHangup:  func() ([]Action, error) { return noErr(e.AgentHangup(in.CallID)) },
		InputUnreached:    func() ([]Action, error) { return noErr(e.Unreached(in.CallID)) },
		InputAnswered:     func() ([]Action, error) { return noErr(e.Answered(in.CallID, in.AgentID)) },
		InputDeclined:     func() ([]Action, error) { return noErr(e.Declined(in.CallID, in.AgentID)) },
		InputLogin:        func() ([]Action, error) { return noErr(e.Login(in.AgentID)) },
		InputLogout:       func() ([]Action, error) { return noErr(e.Logout(in.AgentID)) },
		InputSetReady:     func() ([]Action, error) { return e.SetReady(in.AgentID) },
		InputSetNotReady:  func() ([]Action, error) { return e.SetNotReady(in.AgentID, in.Reason) },
		InputAdvance:      func() ([]Action, error) { return noErr(e.Advance()) },
	}
	return methods[in.Kind]()
}

// TestApplyMatchesMethods: Apply of (JSON round-tripped) inputs makes the
// same decisions as calling the methods with the clock at In.At, and Apply
// never reads the engine's clock (it is stuck a year early here).
func TestApplyMatchesMethods(t *testing.T) {
	start := time.Date(2026, 3, 6, 19, 50, 0, 0, time.UTC) // customs closes at 20:00
	for seed := range uint64(30) {
		cfg := PropertyConfig()
		clk := NewTestClock(start)
		ref, err := NewEngine(cfg, clk, int64(seed))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := NewEngine(cfg, NewTestClock(start.AddDate(-1, 0, 0)), int64(seed))
		if err != nil {
			t.Fatal(err)
		}
		g := applyInputs(rand.New(rand.NewPCG(seed, 9)), start)
		kinds := map[InputKind]int{}
		for step := range 400 {
			in := g.Next(ref)
			raw, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			var back Input
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatalf("decode %s: %v", raw, err)
			}
			want, wantErr := callMethod(ref, clk, in)
			got, gotErr := rep.Apply(back)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("seed %d step %d %s: Apply error %v, method error %v", seed, step, raw, gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d step %d %s:\nApply  %+v\nmethod %+v", seed, step, raw, got, want)
			}
			kinds[in.Kind] += len(got)
			if err := rep.CheckInvariants(); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
		}
		if !reflect.DeepEqual(ref.Agents(), rep.Agents()) || !reflect.DeepEqual(ref.Calls(), rep.Calls()) ||
			!reflect.DeepEqual(ref.Queues(), rep.Queues()) {
			t.Fatalf("seed %d: snapshots differ after the same inputs", seed)
		}
		// The sequence must have exercised the inputs, or the test proves little.
		for _, k := range []InputKind{InputArrive, InputAnswered, InputAdvance, InputSetReady, InputLogin} {
			if kinds[k] == 0 {
				t.Fatalf("seed %d: no %s produced an action", seed, k)
			}
		}
	}
}

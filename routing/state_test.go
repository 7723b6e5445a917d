package routing

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// inputs draws random Inputs from the engine's own state, so offers get
// answered and connected calls hung up, with time moving on between them
// and every deadline fired as it comes due.
type inputs struct {
	rng   *rand.Rand
	now   time.Time
	calls int
}

func (g *inputs) next(e *Engine) Input {
	if at, ok := e.NextDeadline(); ok && !at.After(g.now) {
		return Input{Kind: InputAdvance, At: at}
	}
	if g.rng.IntN(8) == 0 {
		g.now = g.now.Add(time.Duration(g.rng.IntN(15_000)) * time.Millisecond)
		if at, ok := e.NextDeadline(); ok && !at.After(g.now) {
			return Input{Kind: InputAdvance, At: at}
		}
	}
	ids := []string{"a1", "a2", "a3", "a4", "a5", "a6", "l1", "l2", "l3"}
	agent := ids[g.rng.IntN(len(ids))]
	call := fmt.Sprintf("c%d", 1+g.rng.IntN(g.calls+1))
	var busy []AgentSnapshot
	for _, a := range e.Agents() {
		if a.CallID != "" {
			busy = append(busy, a)
		}
	}
	if len(busy) > 0 && g.rng.IntN(4) != 0 {
		a := busy[g.rng.IntN(len(busy))]
		agent, call = a.ID, a.CallID
	}
	in := Input{At: g.now}
	switch op := g.rng.IntN(100); {
	case op < 15:
		g.calls++
		attrs := map[string]string{"caller": fmt.Sprint("+4930", g.calls)}
		if g.rng.IntN(4) == 0 {
			attrs["vip"] = "yes"
		}
		in.Kind, in.Call = InputArrive, &Call{ID: fmt.Sprintf("c%d", g.calls), Queue: []string{"tax", "civil", "customs", "lottery", "nowhere"}[g.rng.IntN(5)], Attrs: attrs}
	case op < 22:
		in.Kind, in.CallID = InputCallerHangup, call
	case op < 32:
		in.Kind, in.CallID = InputAgentHangup, call
	case op < 34:
		in.Kind, in.CallID = InputUnreached, call
	case op < 50:
		in.Kind, in.CallID, in.AgentID = InputAnswered, call, agent
	case op < 53:
		in.Kind, in.CallID, in.AgentID = InputDeclined, call, agent
	case op < 63:
		in.Kind, in.AgentID = InputLogin, agent
	case op < 65:
		in.Kind, in.AgentID = InputLogout, agent
	case op < 96:
		in.Kind, in.AgentID = InputSetReady, agent
	default:
		in.Kind, in.AgentID, in.Reason = InputSetNotReady, agent, "break"
	}
	return in
}

// view is everything the engine shows the outside between inputs.
func view(e *Engine) string {
	at, ok := e.NextDeadline()
	return fmt.Sprintf("queues %+v\nagents %+v\ncalls %+v\nnext %v %v", e.Queues(), e.Agents(), e.Calls(), at, ok)
}

// lotteryConfig is propertyConfig with a queue of the random strategy
// whose own agents are alike, so the rng decides who gets its calls.
func lotteryConfig() Config {
	cfg := propertyConfig()
	cfg.Queues = append(cfg.Queues, QueueConfig{ID: "lottery", Strategy: StrategyRandom, RingTimeout: 30 * time.Second, RonaMisses: 1000})
	for _, id := range []string{"l1", "l2", "l3"} {
		cfg.Agents = append(cfg.Agents, AgentConfig{ID: id, Skills: map[string]int{"lottery": 5}})
	}
	return cfg
}

func shuffler(rng *rand.Rand) func(int, func(i, j int)) { return rng.Shuffle }

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
	cfg := lotteryConfig()
	for seed := range uint64(seeds) {
		rng := rand.New(rand.NewPCG(seed, 5))
		start := time.Date(2026, 3, 6, 19, 50, 0, 0, time.UTC) // customs closes at 20:00
		clk := &fakeClock{t: start}
		a, err := NewEngine(cfg, clk, int64(seed))
		if err != nil {
			t.Fatal(err)
		}
		var b *Engine
		g := &inputs{rng: rng, now: start}
		restores, offers := 0, 0
		for step := range steps {
			if rng.IntN(40) == 0 {
				state, err := a.MarshalState()
				if err != nil {
					t.Fatal(err)
				}
				if b, err = restoreEngine(cfg, clk, state, shuffler(rng)); err != nil {
					t.Fatalf("seed %d step %d: restore: %v", seed, step, err)
				}
				again, err := b.MarshalState()
				if err != nil || !bytes.Equal(again, state) {
					t.Fatalf("seed %d step %d: the restored engine snapshots differently (%v)", seed, step, err)
				}
				restores++
			}
			in := g.next(a)
			clk.t = in.At
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

func TestRestoreRefuses(t *testing.T) {
	cfg := propertyConfig()
	clk := &fakeClock{t: epoch}
	e, err := NewEngine(cfg, clk, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a1", "a2"} {
		e.Login(id)
		if _, err := e.SetReady(id); err != nil {
			t.Fatal(err)
		}
	}
	e.Arrive(Call{ID: "c1", Queue: "tax"}) // rings a1
	e.Arrive(Call{ID: "c2", Queue: "tax"}) // waits, announced
	state, err := e.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	other := propertyConfig()
	other.Queues[0].RingTimeout++
	zone := propertyConfig()
	zone.Queues[2].Hours.Location = time.FixedZone("CET", 3600)
	flipped := bytes.Clone(state)
	flipped[len(flipped)-20] ^= 1
	cases := []struct {
		name  string
		cfg   Config
		state []byte
		want  error
	}{
		{"empty", cfg, nil, ErrStateCorrupt},
		{"not json", cfg, []byte("snapshot"), ErrStateCorrupt},
		{"truncated", cfg, state[:len(state)/2], ErrStateCorrupt},
		{"a bit flipped", cfg, flipped, ErrStateCorrupt},
		{"future version", cfg, bytes.Replace(state, []byte(`"version":1`), []byte(`"version":2`), 1), ErrStateVersion},
		{"no version", cfg, []byte(`{"engine":{}}`), ErrStateVersion},
		{"another config", other, state, ErrStateConfig},
		{"another time zone", zone, state, ErrStateConfig},
	}
	for _, tc := range cases {
		_, err := RestoreEngine(tc.cfg, clk, tc.state)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	// A well-formed snapshot that contradicts itself: the checksum is
	// right, the content is not.
	for _, lie := range []struct{ old, new, why string }{
		{`"state":"ringing"`, `"state":"ready"`, "ready in a ready bucket"},
		{`"queue":"tax"`, `"queue":"nowhere"`, "queue \"nowhere\" unknown"},
		{`"ringing":["a1"]`, `"ringing":["a1","a1"]`, "twice"},
		// customs announces nothing: the timer would fire for ever.
		{`"id":"c2","queue":"tax"`, `"id":"c2","queue":"customs"`, "announcement due"},
	} {
		body := bodyOf(t, state)
		if !strings.Contains(body, lie.old) {
			t.Fatalf("snapshot has no %s: %s", lie.old, body)
		}
		_, err := RestoreEngine(cfg, clk, envelope(cfg, strings.Replace(body, lie.old, lie.new, 1)))
		if !errors.Is(err, ErrStateCorrupt) {
			t.Errorf("%s -> %s (%s): got %v, want %v", lie.old, lie.new, lie.why, err, ErrStateCorrupt)
		}
	}
	if err := e.RestoreState([]byte("{}")); err == nil {
		t.Fatal("RestoreState took garbage")
	}
	if _, ok := e.Call("c1"); !ok {
		t.Fatal("a refused RestoreState changed the engine")
	}
}

// bodyOf is the engine part of a snapshot.
func bodyOf(t testing.TB, state []byte) string {
	i := bytes.Index(state, []byte(`"engine":`))
	if i < 0 {
		t.Fatalf("no engine in %s", state)
	}
	return string(state[i+len(`"engine":`) : len(state)-1])
}

// envelope wraps body as MarshalState would, with a correct checksum.
func envelope(cfg Config, body string) []byte {
	return fmt.Appendf(nil, `{"version":%d,"config":%q,"sum":%q,"engine":%s}`, StateVersion, ConfigFingerprint(cfg), sum([]byte(body)), body)
}

// FuzzRestoreEngine: no input makes RestoreEngine panic, and an engine it
// accepts takes inputs without panicking. Each input is tried as a whole
// snapshot and, wrapped with a correct checksum, as an engine body, so the
// fuzzer reaches the checks behind the checksum.
func FuzzRestoreEngine(f *testing.F) {
	cfg := propertyConfig()
	clk := &fakeClock{t: time.Date(2026, 3, 6, 19, 50, 0, 0, time.UTC)}
	e, err := NewEngine(cfg, clk, 1)
	if err != nil {
		f.Fatal(err)
	}
	g := &inputs{rng: rand.New(rand.NewPCG(1, 2)), now: clk.t}
	for i := range 300 {
		in := g.next(e)
		_, _ = e.Apply(in)
		if i%60 == 0 {
			state, err := e.MarshalState()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(state)
			f.Add([]byte(bodyOf(f, state)))
		}
	}
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, state := range [][]byte{data, envelope(cfg, string(data))} {
			r, err := RestoreEngine(cfg, clk, state)
			if err != nil {
				continue
			}
			g := &inputs{rng: rand.New(rand.NewPCG(3, 4)), now: clk.t}
			for range 20 {
				_, _ = r.Apply(g.next(r))
			}
		}
	})
}

// BenchmarkState: snapshot size and the time to take and restore one, for
// an engine holding 1,000 waiting calls (with caller attributes).
func BenchmarkState(b *testing.B) {
	cfg := lotteryConfig()
	clk := &fakeClock{t: epoch}
	e, err := NewEngine(cfg, clk, 1)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		clk.t = clk.t.Add(time.Second)
		e.Arrive(Call{ID: fmt.Sprintf("call-%06d", i), Queue: "lottery", Attrs: map[string]string{"caller": fmt.Sprint("+49301234", i), "lang": "de"}})
	}
	state, err := e.MarshalState()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("marshal", func(b *testing.B) {
		for range b.N {
			if _, err := e.MarshalState(); err != nil {
				b.Fatal(err)
			}
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(state)
		zw.Close()
		b.ReportMetric(float64(len(state)), "bytes/state")
		b.ReportMetric(float64(gz.Len()), "gzip-bytes/state")
	})
	b.Run("restore", func(b *testing.B) {
		for range b.N {
			if _, err := RestoreEngine(cfg, clk, state); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package routing

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

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
		body := BodyOf(t, state)
		if !strings.Contains(body, lie.old) {
			t.Fatalf("snapshot has no %s: %s", lie.old, body)
		}
		_, err := RestoreEngine(cfg, clk, Envelope(cfg, strings.Replace(body, lie.old, lie.new, 1)))
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

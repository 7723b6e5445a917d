package calls

import (
	"context"
	"log/slog"
	"sync"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/store"
)

// agentSaver persists agents' states for a restart, off the switchboard's lock
// and in order: one writer, the latest state per agent. Only what recovery uses
// is written (logged out, not ready with its reason, or taking calls): the
// ringing/busy/wrap-up steps of every call would cost an fsync each and mean,
// for a restart, the same as ready.
type agentSaver struct {
	st  store.Store
	log *slog.Logger

	mu      sync.Mutex
	pending map[string]store.AgentRecord
	last    map[string]agents.State // what the store holds, as written
	kick    chan struct{}
}

func newAgentSaver(st store.Store, log *slog.Logger) *agentSaver {
	return &agentSaver{st: st, log: log, pending: map[string]store.AgentRecord{},
		last: map[string]agents.State{}, kick: make(chan struct{}, 1)}
}

// save queues rec; a transient state (ringing, busy, wrap-up) counts as ready.
func (w *agentSaver) save(rec store.AgentRecord) {
	switch agents.State(rec.State) {
	case agents.Ringing, agents.Busy, agents.WrapUp:
		rec.State, rec.Reason = string(agents.Ready), ""
	}
	w.mu.Lock()
	if w.last[rec.ID] == agents.State(rec.State) && rec.State != string(agents.NotReady) {
		w.mu.Unlock()
		return // nothing new for a restart
	}
	w.last[rec.ID] = agents.State(rec.State)
	w.pending[rec.ID] = rec
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// run writes queued states until ctx ends, then writes what is left.
func (w *agentSaver) run(ctx context.Context) {
	for {
		select {
		case <-w.kick:
			w.flush()
		case <-ctx.Done():
			w.flush()
			return
		}
	}
}

func (w *agentSaver) flush() {
	w.mu.Lock()
	batch := w.pending
	w.pending = map[string]store.AgentRecord{}
	w.mu.Unlock()
	for _, rec := range batch {
		if err := w.st.PutAgent(context.Background(), rec); err != nil {
			w.log.Error("store agent state", "agent", rec.ID, "err", err)
		}
	}
}

package calls

import (
	"context"
	"sync"
)

// hub fans live events out to subscribers (the dashboard's SSE streams).
// A slow subscriber loses events rather than slowing calls down.
type hub struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

func newHub() *hub { return &hub{subs: map[chan Event]struct{}{}} }

func (h *hub) subscribe(ctx context.Context) <-chan Event {
	ch := make(chan Event, 256)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
		close(ch)
	}()
	return ch
}

func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

func (s *Switchboard) publish(typ string, data any) { s.events.publish(Event{Type: typ, Data: data}) }

// Subscribe implements View.
func (s *Switchboard) Subscribe(ctx context.Context) <-chan Event { return s.events.subscribe(ctx) }

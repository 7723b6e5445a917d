package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/frontdoor-project/frontdoor/calls"
)

// snapshotEvent is the first event of every stream: the whole picture, so a
// page needs no separate fetch before the changes start arriving.
type snapshotEvent struct {
	Queues []calls.QueueStatus `json:"queues"`
	Agents []calls.AgentStatus `json:"agents"`
	Calls  []calls.CallStatus  `json:"calls"`
}

// events streams the core's live updates as server-sent events:
//
//	event: <type>\ndata: <json>\n\n
//
// starting with a "snapshot" event, with a comment line as heartbeat every
// Heartbeat so proxies keep the connection open, until the client leaves.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := principalFrom(ctx)
	select {
	case <-s.closing:
		writeError(w, http.StatusServiceUnavailable, "shutting_down", "the server is stopping")
		return
	default:
	}
	rc := http.NewResponseController(w)
	// The stream outlives any server write timeout meant for plain requests.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.log.Debug("sse: clearing write deadline", "err", err)
	}
	switch view := r.URL.Query().Get("view"); view {
	case "":
	case "wallboard":
		if !p.atLeast(roleSupervisor) {
			writeError(w, http.StatusForbidden, "forbidden", "the wallboard needs the supervisor role or higher")
			return
		}
		s.wallboard(w, r, rc)
		return
	default:
		writeError(w, http.StatusBadRequest, "bad_view", `view must be "wallboard" or absent, not "`+view+`"`)
		return
	}
	// Subscribe before taking the snapshot so no change falls between them.
	ch := s.cfg.View.Subscribe(ctx)

	startStream(w)

	list := s.visibleCalls(p, s.cfg.View.Calls())
	sc := s.newStreamScope(p, list)
	snap := snapshotEvent{Queues: nonNil(s.cfg.View.Queues()), Agents: nonNil(s.cfg.View.Agents()), Calls: nonNil(list)}
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return
	}
	if !s.sendEvent(w, rc, "snapshot", snap) {
		return
	}

	heartbeat := time.NewTicker(s.cfg.Heartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			return
		case ev, ok := <-ch:
			if !ok {
				return
			}
			data, keep := filterEvent(p, sc, ev)
			if keep && !s.sendEvent(w, rc, ev.Type, data) {
				return
			}
		case <-heartbeat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
	}
}

func startStream(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
}

// wallboard streams the coalesced supervisor feed: a "snapshot", then at
// most one "delta" per LiveInterval while anything changes (see feed).
func (s *Server) wallboard(w http.ResponseWriter, r *http.Request, rc *http.ResponseController) {
	ctx := r.Context()
	startStream(w)
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return
	}
	heartbeat := time.NewTicker(s.cfg.Heartbeat)
	defer heartbeat.Stop()
	var at uint64
	fresh := true
	for {
		typ, body, v := s.feed.since(at, fresh)
		if fresh || v != at {
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, body); err != nil || rc.Flush() != nil {
				return
			}
		}
		at, fresh = v, false
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			return
		case <-s.feed.next(at):
		case <-heartbeat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// sendEvent writes one event; false means the client is gone.
func (s *Server) sendEvent(w http.ResponseWriter, rc *http.ResponseController, typ string, data any) bool {
	if typ == "" || strings.ContainsAny(typ, "\r\n") {
		s.log.Warn("sse: event type unfit for the wire", "type", typ)
		return true
	}
	// json.Marshal never emits a raw newline, so data fits one data: line.
	body, err := json.Marshal(data)
	if err != nil {
		s.log.Error("sse: encode event", "type", typ, "err", err)
		return true
	}
	if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, body); err != nil {
		return false
	}
	return rc.Flush() == nil
}

// filterEvent applies the same view rules as the JSON API: call records
// are for supervisors, and a caller's identity only for the call's agent.
func filterEvent(p principal, sc *streamScope, ev calls.Event) (any, bool) {
	if p.atLeast(roleSupervisor) {
		return ev.Data, true
	}
	if ev.Type == "cdr" {
		return nil, false
	}
	switch c := ev.Data.(type) {
	case calls.CallStatus:
		return scopedCall(p, sc, c)
	case *calls.CallStatus:
		if c == nil {
			return nil, true
		}
		return scopedCall(p, sc, *c)
	}
	return ev.Data, true
}

func scopedCall(p principal, sc *streamScope, c calls.CallStatus) (any, bool) {
	c, ok := sc.call(c)
	if !ok {
		return nil, false
	}
	return redactCall(p, c), true
}

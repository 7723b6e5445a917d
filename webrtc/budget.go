package webrtc

import (
	"net/http"
	"net/netip"
	"strconv"

	"github.com/frontdoor-project/frontdoor/internal/netaddr"
)

// Socket budget defaults (Config).
const (
	DefaultMaxCallerSockets = 2000
	DefaultCallerSocketsPer = 20
	DefaultMaxAgentSockets  = 1000
	DefaultAgentSocketsPer  = 4
)

// budget counts open sockets of one kind: in all (max) and per key (perKey;
// 0: no per-key bound). It is guarded by Server.mu.
type budget struct {
	max, perKey int
	total       int
	byKey       map[string]int
}

func newBudget(max, perKey int) *budget {
	return &budget{max: max, perKey: perKey, byKey: map[string]int{}}
}

// refusal says why a socket is refused: "" (taken), "full" (the whole
// budget) or "key" (this key's share).
func (b *budget) take(key string) string {
	if b.total >= b.max {
		return "full"
	}
	if key != "" && b.perKey > 0 && b.byKey[key] >= b.perKey {
		return "key"
	}
	b.total++
	if key != "" {
		b.byKey[key]++
	}
	return ""
}

func (b *budget) give(key string) {
	b.total--
	if key == "" {
		return
	}
	if b.byKey[key] <= 1 {
		delete(b.byKey, key)
	} else {
		b.byKey[key]--
	}
}

// slot is what accept asks of a socket's budget: which budget, and the key
// its per-key share is counted against ("" for none).
type slot struct {
	b   *budget
	key string
	// who names the key in the refusal: "source" or "agent".
	who string
}

// callerSlot: caller pages count against the callers' budget, per source
// (IPv4 address, IPv6 /64); trusted sources (a proxy passing everyone) have
// no per-source share.
func (s *Server) callerSlot(r *http.Request) slot {
	key := netaddr.SourceKeyOf(r.RemoteAddr)
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		ip := ap.Addr().Unmap()
		for _, p := range s.cfg.Trusted {
			if p.Contains(ip) {
				key = ""
			}
		}
	}
	return slot{b: s.callers, key: key, who: "source"}
}

// agentSlot: softphones of signed-in agents have their own budget, which
// no number of caller pages can use up, with a share per agent.
func (s *Server) agentSlot(id string) slot {
	return slot{b: s.agentBudget, key: id, who: "agent"}
}

// refuse answers a socket the budget has no room for: the whole budget
// full is 503 (the node is busy), one source's or agent's share 429.
func refuse(w http.ResponseWriter, why string, sl slot) {
	if why == "key" {
		w.Header().Set("Retry-After", strconv.Itoa(30))
		writeError(w, http.StatusTooManyRequests, "too_many_sockets",
			"too many pages connected from this "+sl.who+"; close one and try again")
		return
	}
	w.Header().Set("Retry-After", "5")
	writeError(w, http.StatusServiceUnavailable, "overloaded", "too many pages connected; please try again shortly")
}

package center

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/frontdoor-project/frontdoor/cluster"
	"github.com/frontdoor-project/frontdoor/store"
)

// Status is what `frontdoor cluster status` prints: etcd's members and their
// health, the ACD leader, and each frontdoor node with the calls it holds.
type Status struct {
	Members []Member
	Leader  string // "" while no node leads
	Nodes   []Node
	// Orphans are calls in progress of nodes that are not present (the
	// leader's next sweep records them as cut off).
	Orphans []store.ActiveCall
}

// Member is one etcd member.
type Member struct {
	Name       string
	ID         uint64
	ClientURLs []string
	Healthy    bool
	RaftLeader bool
	Err        string // why it is not healthy
}

// Node is one frontdoor node present in the cluster.
type Node struct {
	cluster.NodeInfo
	Calls []store.ActiveCall
}

// memberTimeout bounds one member's status request.
const memberTimeout = 2 * time.Second

// ReadStatus reads the cluster's status through cli; prefix is cluster.prefix.
func ReadStatus(ctx context.Context, cli *clientv3.Client, prefix string, st store.Store) (Status, error) {
	var s Status
	mctx, cancel := context.WithTimeout(ctx, memberTimeout)
	members, err := cli.MemberList(mctx)
	cancel()
	if err != nil {
		return s, fmt.Errorf("etcd member list: %w", err)
	}
	for _, m := range members.Members {
		mem := Member{Name: m.Name, ID: m.ID, ClientURLs: m.ClientURLs}
		if len(m.ClientURLs) > 0 {
			sctx, cancel := context.WithTimeout(ctx, memberTimeout)
			resp, err := cli.Status(sctx, m.ClientURLs[0])
			cancel()
			if err != nil {
				mem.Err = err.Error()
			} else {
				mem.Healthy = len(resp.Errors) == 0 && resp.Leader != 0
				mem.RaftLeader = resp.Leader == m.ID
				switch {
				case len(resp.Errors) > 0:
					mem.Err = strings.Join(resp.Errors, "; ")
				case resp.Leader == 0:
					mem.Err = "no raft leader"
				}
			}
		}
		s.Members = append(s.Members, mem)
	}
	rctx, cancel := context.WithTimeout(ctx, memberTimeout)
	defer cancel()
	lead, err := cli.Get(rctx, prefix+"/acd/leader/", clientv3.WithFirstCreate()...)
	if err != nil {
		return s, fmt.Errorf("read the ACD leader: %w", err)
	}
	if len(lead.Kvs) > 0 {
		s.Leader = string(lead.Kvs[0].Value)
	}
	nodes, err := cli.Get(rctx, prefix+"/nodes/", clientv3.WithPrefix())
	if err != nil {
		return s, fmt.Errorf("read nodes: %w", err)
	}
	byID := map[string]int{}
	for _, kv := range nodes.Kvs {
		var info cluster.NodeInfo
		if err := json.Unmarshal(kv.Value, &info); err != nil {
			return s, fmt.Errorf("node key %s: %w", kv.Key, err)
		}
		info.NodeID = strings.TrimPrefix(string(kv.Key), prefix+"/nodes/")
		byID[info.NodeID] = len(s.Nodes)
		s.Nodes = append(s.Nodes, Node{NodeInfo: info})
	}
	active, err := st.ActiveCalls(ctx)
	if err != nil {
		return s, fmt.Errorf("read calls in progress: %w", err)
	}
	for _, a := range active {
		if i, ok := byID[a.Node]; ok {
			s.Nodes[i].Calls = append(s.Nodes[i].Calls, a)
		} else {
			s.Orphans = append(s.Orphans, a)
		}
	}
	slices.SortFunc(s.Nodes, func(a, b Node) int { return strings.Compare(a.NodeID, b.NodeID) })
	return s, nil
}

// Print writes the status for a person.
func (s Status) Print(w io.Writer) {
	fmt.Fprintf(w, "etcd members (%d):\n", len(s.Members))
	for _, m := range s.Members {
		health := "healthy"
		if !m.Healthy {
			health = "UNHEALTHY: " + m.Err
		}
		role := ""
		if m.RaftLeader {
			role = " (raft leader)"
		}
		fmt.Fprintf(w, "  %-10s %x  %s  %s%s\n", m.Name, m.ID, strings.Join(m.ClientURLs, ","), health, role)
	}
	leader := s.Leader
	if leader == "" {
		leader = "(none: no node leads now)"
	}
	fmt.Fprintf(w, "ACD leader: %s\n", leader)
	fmt.Fprintf(w, "nodes (%d):\n", len(s.Nodes))
	for _, n := range s.Nodes {
		mark := ""
		if n.NodeID == s.Leader {
			mark = "  [leader]"
		}
		fmt.Fprintf(w, "  %s  sip %s  http %s  up since %s  calls %d%s\n", n.NodeID, n.AdvertiseSIP, n.AdvertiseHTTP,
			n.StartedAt.UTC().Format(time.RFC3339), len(n.Calls), mark)
		for _, c := range n.Calls {
			fmt.Fprintf(w, "    call %s  from %s  agency %s  since %s\n", c.CallID, c.From, c.Agency, c.StartedAt.UTC().Format(time.RFC3339))
		}
	}
	if len(s.Orphans) > 0 {
		fmt.Fprintf(w, "calls of lost nodes, to be recorded as cut off (%d):\n", len(s.Orphans))
		for _, c := range s.Orphans {
			fmt.Fprintf(w, "    call %s  node %s  since %s\n", c.CallID, c.Node, c.StartedAt.UTC().Format(time.RFC3339))
		}
	}
}

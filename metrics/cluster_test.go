package metrics

import (
	"strings"
	"testing"
)

// In a cluster only the ACD leader exports the center-wide series, so a
// Prometheus sum over the nodes counts the center once; every node exports
// its own legs and frontdoor_cluster_leader.
func TestClusterLeaderAloneExportsTheCenter(t *testing.T) {
	for _, leader := range []bool{true, false} {
		m := New([]string{"tax"})
		m.SetSource(func() Snapshot {
			return Snapshot{ActiveCalls: 3, Agents: map[string]int{"ready": 2},
				Queues:  []QueueGauge{{Agency: "tax", Waiting: 4, AgentsByState: map[string]int{"ready": 2}}},
				Cluster: &ClusterRole{Node: "node-a", Leader: leader}}
		})
		body := string(scrape(t, m))
		want := map[bool]string{true: `frontdoor_cluster_leader{node="node-a"} 1`, false: `frontdoor_cluster_leader{node="node-a"} 0`}[leader]
		if !strings.Contains(body, want) || !strings.Contains(body, "frontdoor_active_calls 3") {
			t.Fatalf("leader=%v: want %q and the node's own calls in:\n%s", leader, want, body)
		}
		for _, series := range []string{`frontdoor_queue_waiting{agency="tax"} 4`, `frontdoor_center_agents{state="ready"} 2`, `frontdoor_agents{agency="tax",state="ready"} 2`} {
			if strings.Contains(body, series) != leader {
				t.Errorf("leader=%v: %s present=%v", leader, series, !leader)
			}
		}
	}
}

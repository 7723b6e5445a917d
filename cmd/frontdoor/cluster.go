package main

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/cluster"
	"github.com/frontdoor-project/frontdoor/cluster/center"
	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/metrics"
	"github.com/frontdoor-project/frontdoor/routing"
	"github.com/frontdoor-project/frontdoor/sip"
	"github.com/frontdoor-project/frontdoor/store"
	"github.com/frontdoor-project/frontdoor/store/etcdstore"
)

// etcdDialTimeout bounds connecting to etcd at start-up and each client dial.
const etcdDialTimeout = 5 * time.Second

// clusterNode is what cluster mode adds to a node: the etcd client, the
// replicated ACD, the quorum watch and the leader's sweeps (cut-off calls,
// callbacks of lost nodes).
type clusterNode struct {
	cfg     *config.Cluster
	cli     *clientv3.Client
	acd     *cluster.ACD
	quorum  *center.Quorum
	cutoffs *center.CutOffs
	cmds    *cluster.Commands                 // actions on calls, to and from the nodes holding them
	mu      sync.Mutex                        // the switchboard's lock, which the replica applies under
	sb      atomic.Pointer[calls.Switchboard] // nil until built: entries before it concern no call of ours
	edge    atomic.Pointer[sip.Edge]          // nil until built, like sb
}

// newEtcdClient dials the configured etcd members (TLS if configured) and
// returns once one of them answers; if none does within etcdDialTimeout, the
// error says why for each (a wrong CA, no client certificate, http against
// a TLS member...).
func newEtcdClient(ctx context.Context, cfg *config.Config) (*clientv3.Client, error) {
	tlsConf, err := cfg.EtcdTLS()
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: cfg.Cluster.Etcd, TLS: tlsConf, DialTimeout: etcdDialTimeout,
		DialKeepAliveTime: 2 * time.Second, DialKeepAliveTimeout: 2 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return nil, fmt.Errorf("cluster: etcd client: %w", err)
	}
	// Serializable: any one member answers, with or without a quorum.
	mctx, cancel := context.WithTimeout(ctx, etcdDialTimeout)
	defer cancel()
	if _, err := cli.MemberList(mctx, clientv3.WithSerializable()); err != nil {
		cli.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("cluster: etcd: %w", ctx.Err())
		}
		return nil, explainEtcd(ctx, cfg, tlsConf, err)
	}
	return cli, nil
}

// openCluster connects to etcd and replays the center's log. The returned
// store is the center's, in etcd.
func openCluster(ctx context.Context, cfg *config.Config, rcfg routing.Config, log *slog.Logger) (*clusterNode, store.Store, error) {
	cn := &clusterNode{cfg: cfg.Cluster}
	var err error
	if cn.cli, err = newEtcdClient(ctx, cfg); err != nil {
		return nil, nil, err
	}
	st, err := etcdstore.Open(etcdstore.Config{Client: cn.cli, Prefix: cfg.Cluster.Prefix})
	if err != nil {
		cn.cli.Close()
		return nil, nil, err
	}
	cn.acd, err = cluster.New(ctx, cluster.Config{
		NodeID: cfg.Cluster.NodeID, Client: cn.cli, Prefix: cfg.Cluster.Prefix, Engine: rcfg,
		Seed: sharedSeed(cfg.Cluster.Prefix), Locker: &cn.mu, OnApplied: cn.onApplied,
		AdvertiseSIP: cfg.Cluster.Advertise.SIP, AdvertiseHTTP: cfg.Cluster.Advertise.HTTP, Logger: log,
		LeaseTTL:         time.Duration(cfg.Cluster.LeaseTTLSeconds) * time.Second,
		SnapshotEvery:    cfg.Cluster.Snapshot.EveryEntries,
		SnapshotInterval: time.Duration(cfg.Cluster.Snapshot.IntervalSeconds) * time.Second,
	})
	if err != nil {
		cn.cli.Close()
		return nil, nil, err
	}
	cn.quorum = center.NewQuorum(cn.cli, cfg.Cluster.Prefix+"/nodes/"+cfg.Cluster.NodeID, log)
	cn.cutoffs = &center.CutOffs{ACD: cn.acd, Store: st, Log: log, Now: time.Now}
	cn.cmds = cluster.NewCommands(cn.cli, cfg.Cluster.Prefix, cfg.Cluster.NodeID, log)
	return cn, st, nil
}

// sharedSeed seeds every replica's engine alike (ties broken at random must
// break the same on every node): the center's prefix names the center.
func sharedSeed(prefix string) int64 {
	h := fnv.New64a()
	io.WriteString(h, prefix)
	return int64(h.Sum64() >> 1)
}

// onApplied hands one log entry's actions to the switchboard (the replica
// holds cn.mu). Replayed entries happened before this node took part.
func (cn *clusterNode) onApplied(e cluster.Entry, acts []routing.Action, _ error) {
	if sb := cn.sb.Load(); sb != nil && !e.Replayed {
		sb.Applied(e.Node, acts)
		if e.DeclaresLost(cn.cfg.NodeID) {
			cn.declaredLost(sb, acts)
		}
	}
	// The lost node's calls that this node relays to a softphone end here:
	// their owner is gone and will not hang them up.
	if edge := cn.edge.Load(); edge != nil && e.Input.Kind == cluster.NodeLost {
		for _, act := range acts {
			if act.Kind == routing.Finished {
				edge.EndDelivered(act.CallID)
			}
		}
	}
}

// wire gives the switchboard its cluster side.
func (cn *clusterNode) wire(scfg *calls.Config) {
	scfg.Engine, scfg.ACD, scfg.Node, scfg.Locker = cn.acd.Engine(), cn.acd, cn.cfg.NodeID, &cn.mu
	scfg.Available = cn.quorum.Err
	scfg.Forward = commandForwarder{cn.cmds}
}

// remoteHome is the advertised SIP address of the node agentID is homed on
// when that is another live node, else "".
func (cn *clusterNode) remoteHome(ctx context.Context, agentID string) string {
	cn.mu.Lock()
	home := cn.acd.AgentHome(agentID)
	cn.mu.Unlock()
	if home == "" || home == cn.cfg.NodeID {
		return ""
	}
	nodes, err := cn.acd.Nodes(ctx)
	if err != nil {
		return ""
	}
	for _, n := range nodes {
		if n.NodeID == home {
			return n.AdvertiseSIP
		}
	}
	return ""
}

// nodeAddrs lists the live nodes' advertised SIP addresses: the sources a
// delivery INVITE may come from.
func (cn *clusterNode) nodeAddrs(ctx context.Context) ([]string, error) {
	nodes, err := cn.acd.Nodes(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster nodes: %w", err)
	}
	addrs := make([]string, 0, len(nodes))
	for _, n := range nodes {
		addrs = append(addrs, n.AdvertiseSIP)
	}
	return addrs, nil
}

// run keeps the quorum watch, the leader's sweeps and the command inbox
// going until ctx ends; callbacks are taken over only by a node that can
// call citizens back.
func (cn *clusterNode) run(ctx context.Context, callbacks bool) {
	go cn.quorum.Run(ctx)
	go cn.cutoffs.Run(ctx)
	go cn.cmds.Serve(ctx, cn.execute)
	if callbacks {
		t := &center.Takeovers{ACD: cn.acd, Store: cn.cutoffs.Store, Node: cn.cfg.NodeID,
			Resumer: cn.sb.Load(), Log: cn.cutoffs.Log}
		go t.Run(ctx)
	}
}

// role is this node's place for /metrics.
func (cn *clusterNode) role() *metrics.ClusterRole {
	return &metrics.ClusterRole{Node: cn.cfg.NodeID, Leader: cn.acd.IsLeader()}
}

// Close withdraws the node (its presence key goes: the leader ends its calls
// elsewhere) and closes the etcd client.
func (cn *clusterNode) Close() {
	cn.acd.Close()
	cn.cli.Close()
}

// statusTimeout bounds `frontdoor cluster status`.
const statusTimeout = 15 * time.Second

// runCluster is `frontdoor cluster status [-config FILE]`.
func runCluster(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "status" {
		fmt.Fprintln(stderr, "usage: frontdoor cluster status [-config FILE]")
		return 2
	}
	fs := flag.NewFlagSet("cluster status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "a cluster node's config file")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if cfg.Cluster == nil {
		fmt.Fprintf(stderr, "cluster status: %s has no cluster: section (one node, no cluster)\n", cfg.Path)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	cli, err := newEtcdClient(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "cluster status: %v\n", err)
		return 1
	}
	defer cli.Close()
	st, err := etcdstore.Open(etcdstore.Config{Client: cli, Prefix: cfg.Cluster.Prefix})
	if err != nil {
		fmt.Fprintf(stderr, "cluster status: %v\n", err)
		return 1
	}
	status, err := center.ReadStatus(ctx, cli, cfg.Cluster.Prefix, st)
	if err != nil {
		status.Print(stdout) // what was read before the failure (the members, say)
		fmt.Fprintf(stderr, "cluster status: %v\n", err)
		return 1
	}
	status.Print(stdout)
	return 0
}

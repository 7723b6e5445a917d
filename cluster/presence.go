package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Each node keeps <prefix>/nodes/<id> alive with its own lease; when the
// node dies the lease expires, the key vanishes and the leader ends the
// node's calls.

func (a *ACD) nodeKey() string { return a.key("nodes", a.cfg.NodeID) }

func (a *ACD) info() NodeInfo {
	return NodeInfo{NodeID: a.cfg.NodeID, AdvertiseSIP: a.cfg.AdvertiseSIP, AdvertiseHTTP: a.cfg.AdvertiseHTTP,
		Calls: a.callCount(), StartedAt: a.started}
}

func (a *ACD) callCount() int {
	a.cfg.Locker.Lock()
	defer a.cfg.Locker.Unlock()
	n := 0
	for _, node := range a.owner {
		if node == a.cfg.NodeID {
			n++
		}
	}
	return n
}

// register puts the presence key on a fresh lease.
func (a *ACD) register(ctx context.Context) (clientv3.LeaseID, error) {
	tctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	lease, err := a.cli.Grant(tctx, a.ttlSeconds())
	if err != nil {
		return 0, a.etcdErr("grant presence lease", ctx, err)
	}
	if err := a.putInfo(ctx, tctx, lease.ID, a.info()); err != nil {
		return 0, err
	}
	a.lease.Store(int64(lease.ID))
	return lease.ID, nil
}

func (a *ACD) putInfo(parent, ctx context.Context, lease clientv3.LeaseID, info NodeInfo) error {
	val, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("cluster: encode presence: %w", err)
	}
	if _, err := a.cli.Put(ctx, a.nodeKey(), string(val), clientv3.WithLease(lease)); err != nil {
		return a.etcdErr("put presence", parent, err)
	}
	return nil
}

// presence keeps the lease alive, refreshes the call count in the key,
// and registers again if the lease is lost.
func (a *ACD) presence(ctx context.Context, lease clientv3.LeaseID) {
	for ctx.Err() == nil {
		err := a.keepAlive(ctx, lease)
		if ctx.Err() != nil {
			return
		}
		a.log.Warn("cluster: presence lease lost; registering again", "err", err)
		if sleepCtx(ctx, retryDelay) != nil {
			return
		}
		if lease, err = a.register(ctx); err != nil {
			a.log.Warn("cluster: register presence", "err", err)
		}
	}
}

func (a *ACD) keepAlive(ctx context.Context, lease clientv3.LeaseID) error {
	if lease == 0 {
		return errors.New("no lease")
	}
	ka, err := a.cli.KeepAlive(ctx, lease)
	if err != nil {
		return fmt.Errorf("keep presence alive: %w", err)
	}
	tick := time.NewTicker(a.cfg.LeaseTTL)
	defer tick.Stop()
	last := a.callCount()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, open := <-ka:
			if !open {
				return errors.New("keepalive ended")
			}
		case <-tick.C:
			if info := a.info(); info.Calls != last {
				tctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
				err := a.putInfo(ctx, tctx, lease, info)
				cancel()
				if err != nil {
					a.log.Warn("cluster: refresh presence", "err", err)
					continue
				}
				last = info.Calls
			}
		}
	}
}

// presentNodes reads every presence key, and the revision it read at.
func (a *ACD) presentNodes(ctx context.Context) (map[string]NodeInfo, int64, error) {
	tctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	resp, err := a.cli.Get(tctx, a.key("nodes")+"/", clientv3.WithPrefix())
	if err != nil {
		return nil, 0, a.etcdErr("read nodes", ctx, err)
	}
	out := make(map[string]NodeInfo, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		var info NodeInfo
		if err := json.Unmarshal(kv.Value, &info); err != nil {
			a.log.Warn("cluster: unreadable presence key", "key", string(kv.Key), "err", err)
		}
		out[strings.TrimPrefix(string(kv.Key), a.key("nodes")+"/")] = info
	}
	return out, resp.Header.Revision, nil
}

// Nodes lists the nodes present now, by id, with the calls each holds as
// this replica knows them.
func (a *ACD) Nodes(ctx context.Context) ([]NodeInfo, error) {
	present, _, err := a.presentNodes(ctx)
	if err != nil {
		return nil, err
	}
	a.cfg.Locker.Lock()
	calls := map[string]int{}
	for _, node := range a.owner {
		calls[node]++
	}
	a.cfg.Locker.Unlock()
	out := make([]NodeInfo, 0, len(present))
	for id, info := range present {
		info.NodeID, info.Calls = id, calls[id]
		out = append(out, info)
	}
	slices.SortFunc(out, func(x, y NodeInfo) int { return strings.Compare(x.NodeID, y.NodeID) })
	return out, nil
}

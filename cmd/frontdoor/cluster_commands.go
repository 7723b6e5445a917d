package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/cluster"
)

// commandForwarder is the switchboard's way to the node holding a call: the
// cluster's command channel in etcd.
type commandForwarder struct{ cmds *cluster.Commands }

func (f commandForwarder) Forward(ctx context.Context, node string, a calls.Action) error {
	reply, err := f.cmds.Send(ctx, node, cluster.Command{Kind: a.Kind, CallID: a.CallID, Arg: a.Arg, Principal: a.Principal})
	switch {
	case errors.Is(err, cluster.ErrOwnerGone), errors.Is(err, cluster.ErrNoQuorum):
		// Either way the call's node cannot be reached from here now.
		return fmt.Errorf("%w: %w", calls.ErrOwnerGone, err)
	case errors.Is(err, cluster.ErrCommandTimeout):
		return fmt.Errorf("%w: %w", calls.ErrOwnerTimeout, err)
	case err != nil:
		return fmt.Errorf("forward %s: %w", a.Kind, err)
	}
	return calls.ErrorFromCode(reply.Code, reply.Message)
}

// execute carries out a command another node forwarded, on this node's
// switchboard. The requesting node checked the user's right to it.
func (cn *clusterNode) execute(ctx context.Context, cmd cluster.Command) cluster.Reply {
	sb := cn.sb.Load()
	if sb == nil {
		return cluster.Reply{Code: calls.ErrorCode(calls.ErrUnknownCall), Message: "node " + cn.cfg.NodeID + " is starting"}
	}
	err := sb.Execute(ctx, calls.Action{Kind: cmd.Kind, CallID: cmd.CallID, Arg: cmd.Arg, Principal: cmd.Principal})
	if err != nil {
		return cluster.Reply{Code: calls.ErrorCode(err), Message: err.Error()}
	}
	return cluster.Reply{}
}

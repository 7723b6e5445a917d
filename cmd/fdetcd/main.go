// Command fdetcd runs one etcd member (go.etcd.io/etcd/server/v3/embed) for
// frontdoor's cluster tests and demo, so neither needs a system etcd package.
// It prints "ready" on stdout once the member serves clients (it has joined a
// cluster with a leader) and stops cleanly on SIGTERM or SIGINT. Logs go to
// stderr. The TLS flags are etcd's own (-cert-file, -peer-cert-file, ...);
// `fdetcd certs` makes a throwaway CA and certificates for them.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	var err error
	if len(os.Args) > 1 && os.Args[1] == "certs" {
		err = runCerts(os.Args[2:], os.Stdout)
	} else {
		err = run(os.Args[1:], os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fdetcd:", err)
		os.Exit(1)
	}
}

// startTimeout bounds waiting for the member to join a cluster with a leader;
// a member started alone in a three-member cluster waits for its peers.
const startTimeout = 5 * time.Minute

func run(args []string, stdout io.Writer) error {
	cfg, err := parse(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("start %s: %w", cfg.Name, err)
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
		fmt.Fprintln(stdout, "ready")
	case err := <-e.Err():
		return fmt.Errorf("member %s: %w", cfg.Name, err)
	case <-ctx.Done():
		return nil
	case <-time.After(startTimeout):
		return fmt.Errorf("member %s not ready after %s (are its peers running?)", cfg.Name, startTimeout)
	}
	select {
	case err := <-e.Err():
		return fmt.Errorf("member %s: %w", cfg.Name, err)
	case <-e.Server.StopNotify():
		return fmt.Errorf("member %s stopped (removed from the cluster?)", cfg.Name)
	case <-ctx.Done():
		return nil // deferred Close stops the server and its listeners
	}
}

// parse turns the flags into an embed config. Each URL is both listened on and
// advertised: fdetcd is for loopback tests and demos, not for NAT.
func parse(args []string) (*embed.Config, error) {
	fs := flag.NewFlagSet("fdetcd", flag.ContinueOnError)
	name := fs.String("name", "", "member name (required)")
	data := fs.String("data", "", "data directory (required)")
	client := fs.String("listen-client", "", "client URL, e.g. http://127.0.0.1:2379 (required)")
	peer := fs.String("listen-peer", "", "peer URL, e.g. http://127.0.0.1:2380 (required)")
	initial := fs.String("initial-cluster", "", "every member as name=peerURL,... (default: this member alone)")
	state := fs.String("initial-state", "new", "new (bootstrap) or existing (restart or join)")
	token := fs.String("initial-cluster-token", "frontdoor", "keeps separate clusters from joining each other")
	level := fs.String("log-level", "warn", "debug, info, warn or error")
	// Records frontdoor rewrites (agents, calls, registrations) would grow
	// etcd's history to its space quota, where etcd refuses every write.
	clientTLS := addTLSFlags(fs, "", "listen-client", "clients")
	peerTLS := addTLSFlags(fs, "peer-", "listen-peer", "peers")
	retention := fs.Duration("compaction-retention", time.Hour, "keep this much key history (periodic compaction; 0: never compact)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, req := range []struct{ flag, v string }{{"name", *name}, {"data", *data}, {"listen-client", *client}, {"listen-peer", *peer}} {
		if req.v == "" {
			return nil, fmt.Errorf("-%s is required", req.flag)
		}
	}
	if *state != embed.ClusterStateFlagNew && *state != embed.ClusterStateFlagExisting {
		return nil, fmt.Errorf("-initial-state %q: want new or existing", *state)
	}
	switch *level {
	case "debug", "info", "warn", "error":
	default:
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", *level)
	}
	cu, err := parseURL("listen-client", *client)
	if err != nil {
		return nil, err
	}
	pu, err := parseURL("listen-peer", *peer)
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	if cfg.ClientTLSInfo, err = clientTLS.info(cu); err != nil {
		return nil, err
	}
	if cfg.PeerTLSInfo, err = peerTLS.info(pu); err != nil {
		return nil, err
	}
	cfg.Name = *name
	cfg.Dir = *data
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = *initial
	if cfg.InitialCluster == "" {
		cfg.InitialCluster = *name + "=" + pu.String()
	}
	if !strings.Contains(","+cfg.InitialCluster, ","+*name+"=") {
		return nil, fmt.Errorf("-initial-cluster %q does not name this member %q", cfg.InitialCluster, *name)
	}
	cfg.ClusterState = *state
	cfg.InitialClusterToken = *token
	cfg.LogLevel = *level
	cfg.LogOutputs = []string{"stderr"}
	if *retention < 0 {
		return nil, fmt.Errorf("-compaction-retention %s: want 0 or more", *retention)
	}
	cfg.AutoCompactionMode = embed.CompactorModePeriodic
	cfg.AutoCompactionRetention = retention.String()
	return cfg, nil // embed.StartEtcd validates the rest
}

func parseURL(flagName, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Port() == "" {
		return nil, fmt.Errorf("-%s %q: want http://HOST:PORT or https://HOST:PORT", flagName, raw)
	}
	return u, nil
}

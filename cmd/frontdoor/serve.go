package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/dashboard"
	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/sms"
	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/prompts"
	"github.com/frontdoor-project/frontdoor/media/record"
	"github.com/frontdoor-project/frontdoor/metrics"
	"github.com/frontdoor-project/frontdoor/routing"
	"github.com/frontdoor-project/frontdoor/sip"
	"github.com/frontdoor-project/frontdoor/store"
	"github.com/frontdoor-project/frontdoor/webrtc"
)

// drainTimeout bounds how long SIGTERM waits for calls in progress.
const drainTimeout = 30 * time.Second

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (default: the embedded demo config)")
	dataDir := fs.String("data", "./data", "directory of the embedded store")
	logLevel := fs.String("log-level", "info", "debug | info | warn | error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "serve: bad -log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	node, err := build(ctx, cfg, *dataDir, log)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	defer node.Close()
	node.PrintWelcome(stdout)
	if err := node.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	return 0
}

// portTaken says what to do when a listen address is already held: most
// often by a second `make run`, or by sipp started first on port 5060.
func portTaken(err error, key string) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w: another process holds it (a running frontdoor, a SIP phone, sipp): stop it or change %s", err, key)
	}
	return err
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Demo()
	}
	return config.Load(path)
}

// Node is one running frontdoor: every part wired together.
type Node struct {
	cfg     *config.Config
	log     *slog.Logger
	store   store.Store
	cluster *clusterNode // nil: one node (no cluster: section)
	qlog    *os.File
	sb      *calls.Switchboard
	edge    *sip.Edge
	web     *webrtc.Server // browser edge: web caller and softphone
	http    *http.Server
	httpLn  net.Listener
	sipTLS  net.Listener // SIP over TLS (tls.go); nil: none
	metrics *metrics.Metrics
	// recordings is where call recordings go (data dir + recording.dir).
	recordings string
}

// build wires a node; the listeners are bound when it returns.
func build(ctx context.Context, cfg *config.Config, dataDir string, log *slog.Logger) (*Node, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	rcfg, err := routingConfig(cfg)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: log}
	ok := false
	defer func() {
		if !ok {
			n.Close()
		}
	}()
	var st store.Store
	if cfg.Cluster != nil {
		// The center's store and ACD are in etcd; the data dir keeps this
		// node's own files (queue_log, recordings, identity keys).
		if n.cluster, st, err = openCluster(ctx, cfg, rcfg, log); err != nil {
			return nil, err
		}
	} else if st, err = store.Open(dataDir); err != nil {
		return nil, err
	}
	n.store = st
	if n.qlog, err = os.OpenFile(filepath.Join(dataDir, "queue_log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640); err != nil {
		return nil, fmt.Errorf("queue_log: %w", err)
	}
	agencyIDs := make([]string, 0, len(cfg.Agencies))
	for _, a := range cfg.Agencies {
		agencyIDs = append(agencyIDs, a.ID)
	}
	n.metrics = metrics.New(agencyIDs)
	n.metrics.IdentitySeries(identity.Methods, identityResults())
	n.metrics.SMSSeries(sms.Channels, sms.Results)
	dir := directoryOf(cfg)

	var eng *routing.Engine
	if n.cluster == nil {
		if eng, err = routing.NewEngine(rcfg, wallClock{}, time.Now().UnixNano()); err != nil {
			return nil, fmt.Errorf("routing: %w", err)
		}
	}
	audio, err := newAudio(cfg, log)
	if err != nil {
		return nil, err
	}
	idsvc, err := newIdentity(cfg, st, n.metrics, log)
	if err != nil {
		return nil, err
	}
	oid4vp, err := newOpenID4VP(cfg, dataDir, idsvc)
	if err != nil {
		return nil, err
	}
	lo, hi := cfg.RTPPortRange()
	// RTP binds where SIP listens; advertise_ip is only what the SDP says (it may
	// be a NAT's public address, not one of ours).
	rtpIP, _, _ := net.SplitHostPort(cfg.Listen.SIP)
	ports := media.NewPortPool(rtpIP, lo, hi)
	rtpStats := &media.Stats{}
	n.metrics.SetRTPSource(rtpStats.Packets)

	dialer := &agentDialers{}
	scfg := calls.Config{
		Engine: eng, Dialer: dialer, Audio: audio, Store: st, Metrics: n.metrics, QueueLog: n.qlog,
		Directory: dir, Logger: log, IdentityMode: cfg.Identity.Mode,
		IdentityWait: time.Duration(cfg.Identity.WaitSeconds) * time.Second,
		InterDigit:   time.Duration(cfg.IVR.InterdigitTimeoutMS) * time.Millisecond,
		MenuTimeout:  time.Duration(cfg.IVR.MenuTimeoutSeconds) * time.Second,
		MenuRetries:  cfg.IVR.MenuRetries, MaxCalls: cfg.SIP.MaxCalls,
	}
	if n.cluster != nil {
		n.cluster.wire(&scfg)
	}
	var idb *identityBridge
	citizens := &citizenRef{}
	if cfg.Callback.Trunk != "" {
		scfg.Callback = calls.CallbackConfig{Dialer: citizens,
			OfferWhen:  time.Duration(cfg.Callback.OfferWhenWaitSeconds) * time.Second,
			Retries:    cfg.Callback.Retries,
			RetryAfter: time.Duration(cfg.Callback.RetryAfterSeconds) * time.Second,
			Ring:       time.Duration(cfg.Callback.RingSeconds) * time.Second,
			Allowed:    cfg.Callback.CallbackAllowed,
			PerNumber:  time.Duration(cfg.Callback.PerNumberSeconds) * time.Second}
	}
	if idsvc != nil {
		idb = &identityBridge{s: idsvc, oid4vp: oid4vp}
		scfg.Identity = idb
	}
	for _, a := range cfg.Agencies {
		scfg.Agencies = append(scfg.Agencies, calls.Agency{ID: a.ID, Name: a.Name, Digit: a.Digit, Numbers: a.Numbers, Record: a.Record})
	}
	n.recordings = filepath.Join(dataDir, cfg.Recording.Dir)
	scfg.Recordings, scfg.AnnounceRecording = n.recordings, *cfg.Recording.Announce
	if err := os.MkdirAll(n.recordings, 0o750); err != nil {
		return nil, fmt.Errorf("recordings dir: %w", err)
	}
	repairRecordings(n.recordings, log)
	if n.sb, err = calls.New(scfg); err != nil {
		return nil, err
	}
	if n.cluster != nil {
		n.cluster.sb.Store(n.sb)
	}
	n.metrics.SetSource(n.metricsSnapshot)

	numbers := map[string]string{}
	for _, a := range cfg.Agencies {
		for _, num := range a.Numbers {
			numbers[num] = a.ID
		}
	}
	var nodeAddrs func(context.Context) ([]string, error)
	if n.cluster != nil {
		nodeAddrs = n.cluster.nodeAddrs
	}
	n.edge, err = sip.New(sip.Config{
		Addr: cfg.Listen.SIP, AdvertiseIP: cfg.Media.AdvertiseIP, Number: cfg.Number, Numbers: numbers,
		Realm: cfg.SIP.Realm, DigestAlgorithms: cfg.SIP.DigestAlgorithms, Credentials: dir, Switchboard: n.sb, Presence: n.sb, Transfers: n.sb, Ports: ports,
		RTPTimeout: time.Duration(cfg.Media.RTPTimeoutSeconds) * time.Second, RTPStats: rtpStats,
		HoldTimeout: time.Duration(cfg.Media.HoldTimeoutSeconds) * time.Second,
		Store:       st, SharedRegistrations: n.cluster != nil, Metrics: n.metrics, Logger: log, Limits: securityLimits(cfg),
		Trunk: sip.Trunk{Addr: cfg.Callback.Trunk, Transport: cfg.Callback.Transport,
			Username: cfg.Callback.Username, Password: cfg.Callback.Password},
		Texts:   textTrunk(cfg.Identity.SMS.Trunk),
		Deliver: localBrowsers{dialer}, Nodes: nodeAddrs,
	})
	if err != nil {
		return nil, portTaken(err, "listen.sip")
	}
	if n.cluster != nil {
		n.cluster.edge.Store(n.edge)
	}
	if idb != nil {
		// Set before anything is served: the IVR reads it without a lock.
		if idb.texts, err = newSMS(cfg.Identity.SMS, n.edge, n.metrics, log); err != nil {
			return nil, err
		}
	}
	// The browser edge (WebRTC) asks the dashboard who a request is; the
	// dashboard mounts the browser edge's sockets.
	var dash *dashboard.Server
	principal := func(r *http.Request) (string, string, bool) { return dash.Principal(r) }
	if n.web, err = newBrowserEdge(cfg, n.sb, principal, idb, oid4vp, audio, rtpStats, log); err != nil {
		return nil, err
	}
	dialer.set(n.web, n.edge)
	if n.cluster != nil {
		dialer.setNodes(n.cluster.remoteHome, n.edge)
	}
	citizens.set(n.edge)

	dash, err = dashboard.New(dashboard.Config{
		View: n.sb, Directory: httpDirectory{dir}, CDRs: st, Identity: dashIdentity(idb), OpenID4VP: dashOpenID4VP(oid4vp),
		Metrics: n.metrics, AdminToken: cfg.API.AdminToken, Logger: log, Mount: n.web.Routes(),
		Audit: supervisorAudit(st), QueueLogPath: n.qlog.Name(), RecordingsDir: n.recordings, Coach: n.sb.CoachCall,
		Transfer: n.sb.TransferCall,
		Ready: func() error {
			if n.sb.Draining() {
				return errors.New("draining: finishing calls in progress, refusing new ones")
			}
			if n.cluster == nil {
				return nil
			}
			if err := n.sb.Lapsed(); err != nil {
				return err
			}
			return n.cluster.quorum.Err()
		},
	})
	if err != nil {
		return nil, err
	}
	if n.httpLn, err = net.Listen("tcp", cfg.Listen.HTTP); err != nil {
		return nil, portTaken(fmt.Errorf("http listen %s: %w", cfg.Listen.HTTP, err), "listen.http")
	}
	if n.httpLn, err = httpsListener(cfg, n.httpLn); err != nil {
		return nil, err
	}
	if n.sipTLS, err = listenSIPTLS(cfg); err != nil {
		return nil, err
	}
	n.http = newHTTPServer(dash, defaultHTTPLimits, log)
	// Live dashboards hold SSE streams open; end them so Shutdown need not wait.
	n.http.RegisterOnShutdown(dash.CloseStreams)
	n.http.RegisterOnShutdown(n.web.Close) // hijacked WebSockets are not Shutdown's to close
	ok = true
	return n, nil
}

// Run serves until ctx ends, then drains: new calls get 503, calls in progress
// finish (up to drainTimeout), then everything closes.
func (n *Node) Run(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(context.Background())
	sbDone := make(chan struct{})
	// The switchboard's last agent-state writes must land before the store closes.
	defer func() { cancel(); <-sbDone }()
	go func() { n.sb.Run(runCtx); close(sbDone) }()
	if n.cluster != nil {
		n.cluster.run(runCtx, n.cfg.Callback.Trunk != "")
	}
	if days := n.cfg.Recording.RetentionDays; days > 0 {
		sw := &record.Sweeper{Dir: n.recordings, MaxAge: time.Duration(days) * 24 * time.Hour, Logger: n.log}
		go sw.Run(runCtx, time.Hour)
	}
	if err := n.sb.ResumeCallbacks(runCtx); err != nil {
		n.log.Error("callbacks not resumed", "err", err)
	}
	errc := make(chan error, 3)
	if n.sipTLS != nil {
		go func() { errc <- n.edge.ServeTLS(runCtx, n.sipTLS) }()
	}
	go func() { errc <- n.edge.Serve(runCtx) }()
	go func() {
		if err := n.http.Serve(n.httpLn); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	n.log.Info("draining: new calls refused, waiting for calls in progress")
	dctx, dcancel := context.WithTimeout(context.Background(), drainTimeout)
	defer dcancel()
	if err := n.sb.Close(dctx); err != nil {
		n.log.Warn("drain timed out", "err", err)
	}
	n.http.Shutdown(dctx)
	return nil
}

// Close releases the store and files, and leaves the cluster.
func (n *Node) Close() {
	if n.store != nil {
		n.store.Close()
	}
	if n.cluster != nil {
		n.cluster.Close()
	}
	if n.qlog != nil {
		n.qlog.Close()
	}
}

// PrintWelcome tells the operator where everything is.
func (n *Node) PrintWelcome(w io.Writer) {
	host := httpScheme(n.cfg) + "://" + n.httpLn.Addr().String()
	fmt.Fprintf(w, "frontdoor %s\n", version)
	fmt.Fprintf(w, "  SIP (UDP+TCP):   sip:%s@%s\n", n.cfg.Number, n.edge.Addr())
	if n.sipTLS != nil {
		fmt.Fprintf(w, "  SIP (TLS):       sip:%s@%s;transport=tls\n", n.cfg.Number, n.sipTLS.Addr())
	}
	for _, a := range n.cfg.Agencies {
		if len(a.Numbers) > 0 {
			fmt.Fprintf(w, "                   sip:%s@%s  (%s, direct)\n", a.Numbers[0], n.edge.Addr(), a.Name)
		}
	}
	fmt.Fprintf(w, "  Dashboard:       %s/\n", host)
	fmt.Fprintf(w, "  Agent softphone: %s/agent\n", host)
	fmt.Fprintf(w, "  Web caller:      %s/call\n", host)
	fmt.Fprintf(w, "  Metrics:         %s/metrics\n", host)
	fmt.Fprintf(w, "  API:             %s/api/v1/queues\n", host)
	fmt.Fprintf(w, "  Agents' phones register as sip:<agent-id>@%s (realm %q)\n", n.edge.Addr(), n.cfg.SIP.Realm)
	if n.cfg.Identity.Mode != config.ModeOff {
		fmt.Fprintf(w, "  Digital ID: call 110, press 1, then answer the code you hear with the demo wallet:\n")
		fmt.Fprintf(w, "    bin/fdwallet present -wallet data/demo-wallet.json -server %s -code <code>\n", host)
		if n.cfg.Identity.OpenID4VPEnabled() {
			fmt.Fprintf(w, "  OpenID4VP: POST %s/api/v1/identity/sessions gives a wallet_url; answer it with\n", host)
			fmt.Fprintf(w, "    bin/fdwallet present -wallet data/demo-wallet.json -link '<wallet_url>' -trust-root data/verifier-root.pem\n")
		}
	}
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// newAudio loads the prompts: the embedded set, or ivr.prompts_dir over it.
func newAudio(cfg *config.Config, log *slog.Logger) (calls.Audio, error) {
	var set *prompts.Set
	var err error
	if cfg.IVR.PromptsDir != "" {
		set, err = prompts.Load(cfg.Resolve(cfg.IVR.PromptsDir))
	} else {
		set, err = prompts.Embedded()
	}
	if err != nil {
		return nil, fmt.Errorf("prompts: %w", err)
	}
	return calls.NewAudio(set, log), nil
}

// repairRecordings finalises the WAV headers of recordings a crash left open
// (before any call can be writing one).
func repairRecordings(dir string, log *slog.Logger) {
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".wav" {
			return nil
		}
		if err := record.Repair(path); err != nil {
			log.Warn("recording repair", "path", path, "err", err)
		}
		return nil
	})
}

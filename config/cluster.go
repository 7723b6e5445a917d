package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// Cluster makes this node one of several sharing one center through etcd
// (docs/config.md#cluster). Absent: one node with the embedded store, as always.
type Cluster struct {
	NodeID    string           `yaml:"node_id"`   // unique among the nodes; names this node's calls
	Etcd      []string         `yaml:"etcd"`      // client URLs of the etcd members
	Advertise ClusterAdvertise `yaml:"advertise"` // where the other nodes reach this one
	TLS       ClusterTLS       `yaml:"tls"`       // client TLS to etcd; empty: plain
	Prefix    string           `yaml:"prefix"`    // the key prefix of this center in etcd
	// LeaseTTLSeconds is the presence and election lease: a node silent
	// this long is declared lost (default 2).
	LeaseTTLSeconds int `yaml:"lease_ttl_seconds"`
	// Snapshot says how often the leader snapshots the ACD and trims the log.
	Snapshot ClusterSnapshot `yaml:"snapshot"`
}

// ClusterSnapshot: the leader writes the ACD's state after EveryEntries log
// entries, or after IntervalSeconds if any came, and trims the log below the
// snapshot before it (docs/architecture-cluster.md).
type ClusterSnapshot struct {
	EveryEntries    int `yaml:"every_entries"`
	IntervalSeconds int `yaml:"interval_seconds"`
}

// Cluster defaults and bounds (docs/config.md#cluster).
const (
	DefaultLeaseTTLSeconds         = 2
	DefaultSnapshotEveryEntries    = 10_000
	DefaultSnapshotIntervalSeconds = 600
	maxLeaseTTLSeconds             = 60
	minSnapshotEveryEntries        = 100
	minSnapshotIntervalSeconds     = 10
)

// ClusterAdvertise is how other nodes (and `frontdoor cluster status`) reach
// this one: its SIP address (host:port) and its HTTP base URL's host:port.
type ClusterAdvertise struct {
	SIP  string `yaml:"sip"`
	HTTP string `yaml:"http"`
}

// ClusterTLS is the client side of TLS to etcd: the CA that signed the
// members' certificates, and this node's client certificate (both or neither).
type ClusterTLS struct {
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// DefaultClusterPrefix is cluster.prefix when the file leaves it out.
const DefaultClusterPrefix = "/frontdoor"

var (
	nodeIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	prefixRE = regexp.MustCompile(`^(/[A-Za-z0-9._-]+)+$`)
)

// Enabled tells whether the TLS section asks for TLS.
func (t ClusterTLS) Enabled() bool { return t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" }

func (c *Config) applyClusterDefaults() {
	cl := c.Cluster
	if cl == nil {
		return
	}
	setString(&cl.Prefix, DefaultClusterPrefix)
	setInt(&cl.LeaseTTLSeconds, DefaultLeaseTTLSeconds)
	setInt(&cl.Snapshot.EveryEntries, DefaultSnapshotEveryEntries)
	setInt(&cl.Snapshot.IntervalSeconds, DefaultSnapshotIntervalSeconds)
	// The listen addresses are what other nodes reach when they are not wildcards.
	if cl.Advertise.SIP == "" && !wildcard(c.Listen.SIP) {
		cl.Advertise.SIP = c.Listen.SIP
	}
	if cl.Advertise.HTTP == "" && !wildcard(c.Listen.HTTP) {
		cl.Advertise.HTTP = c.Listen.HTTP
	}
}

func wildcard(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "" || ip != nil && ip.IsUnspecified()
}

func (c *Config) validateCluster(v *validator) {
	cl := c.Cluster
	if cl == nil {
		return
	}
	if !nodeIDRE.MatchString(cl.NodeID) {
		if cl.NodeID == "" {
			v.errf("cluster.node_id", "required: a name unique among the nodes (lower-case letters, digits, -)")
		} else {
			v.errf("cluster.node_id", "%q must be lower-case letters, digits and - (at most 63, not starting with -)", cl.NodeID)
		}
	}
	if len(cl.Etcd) == 0 {
		v.errf("cluster.etcd", "give the client URLs of the etcd members (http://host:2379, or https:// with cluster.tls)")
	}
	seen := map[string]bool{}
	for i, e := range cl.Etcd {
		p := fmt.Sprintf("cluster.etcd[%d]", i)
		u, err := url.Parse(e)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Port() == "" || (u.Path != "" && u.Path != "/"):
			v.errf(p, "%q is not an etcd client URL (http://host:port or https://host:port)", e)
		case seen[e]:
			v.errf(p, "%q is listed twice", e)
		case u.Scheme == "http" && cl.TLS.Enabled():
			v.errf(p, "%q is plain http but cluster.tls is set: use https://", e)
		case u.Scheme == "https" && !cl.TLS.Enabled():
			// etcd members' certificates come from a private CA nearly always;
			// the system's roots would fail every handshake.
			v.errf(p, "%q is https but cluster.tls is empty: set cluster.tls.ca_file to the CA of the members' certificates", e)
		}
		seen[e] = true
	}
	for _, a := range []struct{ path, addr string }{{"cluster.advertise.sip", cl.Advertise.SIP}, {"cluster.advertise.http", cl.Advertise.HTTP}} {
		switch {
		case a.addr == "":
			v.errf(a.path, "required when the listen address is a wildcard: the address other nodes reach")
		case wildcard(a.addr):
			v.errf(a.path, "%q is a wildcard: give the address other nodes reach", a.addr)
		default:
			checkHostPort(v, a.path, a.addr)
		}
	}
	if !prefixRE.MatchString(cl.Prefix) {
		v.errf("cluster.prefix", "%q must be a key path like /frontdoor (segments of letters, digits, . _ -; no trailing /)", cl.Prefix)
	}
	if cl.LeaseTTLSeconds < 1 || cl.LeaseTTLSeconds > maxLeaseTTLSeconds {
		// etcd grants leases in whole seconds; past a minute a dead node's
		// agents would be offered calls for that long.
		v.errf("cluster.lease_ttl_seconds", "%d must be 1..%d (seconds a silent node stays a member)", cl.LeaseTTLSeconds, maxLeaseTTLSeconds)
	}
	// -1 (never) is for a rolling upgrade from a build without snapshots,
	// which cannot start on a trimmed log.
	if e := cl.Snapshot.EveryEntries; e != -1 && e < minSnapshotEveryEntries {
		v.errf("cluster.snapshot.every_entries", "%d must be at least %d (each snapshot copies the whole ACD), or -1 for never", e, minSnapshotEveryEntries)
	}
	if cl.Snapshot.IntervalSeconds < minSnapshotIntervalSeconds {
		v.errf("cluster.snapshot.interval_seconds", "%d must be at least %d", cl.Snapshot.IntervalSeconds, minSnapshotIntervalSeconds)
	}
	c.validateClusterTLS(v)
}

func (c *Config) validateClusterTLS(v *validator) {
	t := c.Cluster.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		v.errf("cluster.tls", "cert_file and key_file go together (the client certificate and its key)")
		return
	}
	if !t.Enabled() {
		return
	}
	if _, err := c.EtcdTLS(); err != nil {
		path := "cluster.tls.ca_file"
		if t.CAFile == "" || strings.Contains(err.Error(), "client certificate") {
			path = "cluster.tls.cert_file"
		}
		v.errf(path, "%v", err)
	}
}

// EtcdTLS is the client TLS configuration for etcd; nil when cluster.tls is empty.
func (c *Config) EtcdTLS() (*tls.Config, error) {
	if c.Cluster == nil || !c.Cluster.TLS.Enabled() {
		return nil, nil
	}
	t := c.Cluster.TLS
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pem, err := os.ReadFile(c.Resolve(t.CAFile))
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %v", c.Resolve(t.CAFile), unwrapPathError(err))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", c.Resolve(t.CAFile))
		}
		conf.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.Resolve(t.CertFile), c.Resolve(t.KeyFile))
		if err != nil {
			return nil, fmt.Errorf("client certificate %s with %s: %v", c.Resolve(t.CertFile), c.Resolve(t.KeyFile), unwrapPathError(err))
		}
		// etcd would refuse it with a bare "bad certificate" alert.
		if now := time.Now(); now.After(cert.Leaf.NotAfter) || now.Before(cert.Leaf.NotBefore) {
			return nil, fmt.Errorf("client certificate %s is valid only from %s to %s", c.Resolve(t.CertFile),
				cert.Leaf.NotBefore.UTC().Format(time.RFC3339), cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}

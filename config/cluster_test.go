package config

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/etcdcert"
)

// A file without cluster: stays one node; a good cluster: section gets its defaults.
func TestClusterSection(t *testing.T) {
	base := "number: \"110\"\nagencies: [{ id: tax, name: Tax }]\nidentity: { mode: off }\nlisten: { sip: \"127.0.0.2:5060\", http: \"127.0.0.2:8080\" }\n"
	cfg, err := Parse("f.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Cluster != nil {
		t.Fatalf("no cluster: section gave %+v", cfg.Cluster)
	}
	cfg, err = Parse("f.yaml", []byte(base+"cluster: { node_id: node-a, etcd: [\"http://127.0.0.1:2379\", \"http://127.0.0.1:2479\"] }\n"))
	if err != nil {
		t.Fatal(err)
	}
	cl := cfg.Cluster
	if cl.Prefix != DefaultClusterPrefix || cl.Advertise.SIP != "127.0.0.2:5060" || cl.Advertise.HTTP != "127.0.0.2:8080" ||
		cl.LeaseTTLSeconds != 2 || cl.Snapshot.EveryEntries != 10_000 || cl.Snapshot.IntervalSeconds != 600 {
		t.Fatalf("defaults: %+v", cl)
	}
	if tc, err := cfg.EtcdTLS(); tc != nil || err != nil {
		t.Fatalf("no tls: got %v, %v", tc, err)
	}
}

// What a broken cluster: section looks like to check-config.
func TestClusterRefusals(t *testing.T) {
	base := "number: \"110\"\nagencies: [{ id: tax, name: Tax }]\nidentity: { mode: off }\n"
	cases := []struct{ yaml, want string }{
		{"cluster: { etcd: [\"http://127.0.0.1:2379\"] }\n",
			"f.yaml:4: cluster.node_id: required: a name unique among the nodes"},
		{"cluster: { node_id: Node_A, etcd: [\"http://127.0.0.1:2379\"] }\n",
			`f.yaml:4: cluster.node_id: "Node_A" must be lower-case letters, digits and -`},
		{"cluster:\n  node_id: a\n",
			"f.yaml:4: cluster.etcd: give the client URLs of the etcd members"},
		{"cluster:\n  node_id: a\n  etcd:\n    - 127.0.0.1:2379\n    - http://127.0.0.1:2379\n    - http://127.0.0.1:2379\n",
			"f.yaml:7: cluster.etcd[0]: \"127.0.0.1:2379\" is not an etcd client URL (http://host:port or https://host:port)\nf.yaml:9: cluster.etcd[2]: \"http://127.0.0.1:2379\" is listed twice"},
		{"cluster: { node_id: a, etcd: [\"http://127.0.0.1:2379\"], tls: { ca_file: ca.pem } }\n",
			`cluster.etcd[0]: "http://127.0.0.1:2379" is plain http but cluster.tls is set: use https://`},
		{"cluster: { node_id: a, etcd: [\"https://127.0.0.1:2379\"] }\n",
			`f.yaml:4: cluster.etcd[0]: "https://127.0.0.1:2379" is https but cluster.tls is empty: set cluster.tls.ca_file to the CA of the members' certificates`},
		{"cluster: { node_id: a, etcd: [\"https://127.0.0.1:2379\"], tls: { ca_file: nope.pem } }\n",
			"f.yaml:4: cluster.tls.ca_file: cannot read nope.pem: no such file or directory"},
		{"cluster: { node_id: a, etcd: [\"https://127.0.0.1:2379\"], tls: { cert_file: c.pem } }\n",
			"f.yaml:4: cluster.tls: cert_file and key_file go together"},
		{"cluster: { node_id: a, etcd: [\"https://127.0.0.1:2379\"], tls: { cert_file: c.pem, key_file: c.key } }\n",
			"f.yaml:4: cluster.tls.cert_file: client certificate c.pem with c.key: no such file or directory"},
		{"listen: { sip: \"0.0.0.0:5060\" }\ncluster: { node_id: a, etcd: [\"http://127.0.0.1:2379\"] }\n",
			"f.yaml:5: cluster.advertise.sip: required when the listen address is a wildcard"},
		{"cluster: { node_id: a, etcd: [\"http://127.0.0.1:2379\"], advertise: { sip: \"0.0.0.0:5060\", http: nope } }\n",
			"f.yaml:4: cluster.advertise.sip: \"0.0.0.0:5060\" is a wildcard: give the address other nodes reach\nf.yaml:4: cluster.advertise.http: \"nope\" is not host:port"},
		{"cluster: { node_id: a, etcd: [\"http://127.0.0.1:2379\"], prefix: \"frontdoor/\" }\n",
			`f.yaml:4: cluster.prefix: "frontdoor/" must be a key path like /frontdoor`},
		{"cluster: { node_id: a, etcd: [\"http://127.0.0.1:2379\"], lease_ttl_seconds: 61 }\n",
			"f.yaml:4: cluster.lease_ttl_seconds: 61 must be 1..60 (seconds a silent node stays a member)"},
		{"cluster:\n  node_id: a\n  etcd: [\"http://127.0.0.1:2379\"]\n  lease_ttl_seconds: -1\n  snapshot:\n    every_entries: 50\n    interval_seconds: 5\n",
			"f.yaml:7: cluster.lease_ttl_seconds: -1 must be 1..60 (seconds a silent node stays a member)\nf.yaml:9: cluster.snapshot.every_entries: 50 must be at least 100 (each snapshot copies the whole ACD), or -1 for never\nf.yaml:10: cluster.snapshot.interval_seconds: 5 must be at least 10"},
		{"cluster: { node_id: a, etcd: [\"http://127.0.0.1:2379\"], snapshot: { every: 5 } }\n",
			`f.yaml:4: cluster.snapshot: unknown key "every" (known: every_entries, interval_seconds)`},
		{"cluster: { node_id: a, etcd: [\"http://127.0.0.1:2379\"], leader: x }\n",
			`f.yaml:4: cluster: unknown key "leader" (known: advertise, etcd, lease_ttl_seconds, node_id, prefix, snapshot, tls)`},
	}
	for _, c := range cases {
		_, err := Parse("f.yaml", []byte(base+c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v\nwant %q", strings.TrimSpace(c.yaml), err, c.want)
		}
	}
}

// cluster.tls with real files: a good set gives a TLS config with the CA and
// the client certificate; an expired client certificate is refused by name.
func TestClusterTLSFiles(t *testing.T) {
	dir := t.TempDir()
	ca, files, err := etcdcert.WriteSet(dir, []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"node-a"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	old, err := ca.Client("old", time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	oldCert, oldKey, err := old.Write(dir, "old")
	if err != nil {
		t.Fatal(err)
	}
	base := "number: \"110\"\nagencies: [{ id: tax, name: Tax }]\nidentity: { mode: off }\n"
	section := func(cert, key string) string {
		return fmt.Sprintf("cluster: { node_id: a, etcd: [\"https://127.0.0.1:2379\"], tls: { ca_file: %q, cert_file: %q, key_file: %q } }\n", files.CA, cert, key)
	}
	cfg, err := Parse("f.yaml", []byte(base+section(files.ClientCert["node-a"], files.ClientKey["node-a"])))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := cfg.EtcdTLS()
	if err != nil || tc.RootCAs == nil || len(tc.Certificates) != 1 {
		t.Fatalf("TLS config %+v, %v", tc, err)
	}
	_, err = Parse("f.yaml", []byte(base+section(oldCert, oldKey)))
	if want := "f.yaml:4: cluster.tls.cert_file: client certificate " + oldCert + " is valid only from "; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("expired client certificate: %v\nwant %s", err, want)
	}
}

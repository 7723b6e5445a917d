#!/usr/bin/env bash
# make cluster-demo: a three-node frontdoor cluster on one machine. Three etcd
# members (cmd/fdetcd) on 127.0.0.1 and three frontdoor nodes on 127.0.0.2-4
# (config/cluster-demo/node-*.yaml), each node's logs and data in
# data/cluster-demo/. Ctrl-C stops everything.
#
# CLUSTER_DEMO_TLS=1 (make cluster-demo-tls): etcd speaks only TLS, on client
# and peer URLs, and requires client certificates; `fdetcd certs` makes a CA
# and the certificates, and the node configs are config/cluster-demo/'s with
# https:// and a cluster.tls section, all in data/cluster-demo-tls/.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
TLS=${CLUSTER_DEMO_TLS:-}
DEMO=${DEMO_DIR:-data/cluster-demo${TLS:+-tls}}

# The nodes' SIP addresses, for whatever is put in front of them (the Kamailio
# dispatcher in deploy/ reads this list). Keep it in step with
# config/cluster-demo/node-*.yaml.
FRONTDOOR_NODES_SIP="127.0.0.2:5060 127.0.0.3:5060 127.0.0.4:5060"
NODES="a b c"
ETCD_NAMES="etcd0 etcd1 etcd2"
ETCD_CLIENT_PORTS="23790 23791 23792"
ETCD_PEER_PORTS="23800 23801 23802"

mkdir -p bin "$DEMO"
# The same version stamp as make build, so bin/frontdoor version stays true.
ldflags="-X main.version=${VERSION:-$(git describe --always --dirty 2>/dev/null || echo dev)}"
$GO build -ldflags "$ldflags" -o bin/frontdoor ./cmd/frontdoor
$GO build -o bin/fdetcd ./cmd/fdetcd

scheme=http
etcd_tls=()
cfgdir=config/cluster-demo
if [ -n "$TLS" ]; then
	scheme=https
	certs="$DEMO/tls"
	[ -f "$certs/ca.pem" ] || ./bin/fdetcd certs -dir "$certs" -clients node-a,node-b,node-c
	certs=$(cd "$certs" && pwd)
	etcd_tls=(-cert-file "$certs/server.pem" -key-file "$certs/server-key.pem"
		-trusted-ca-file "$certs/ca.pem" -client-cert-auth
		-peer-cert-file "$certs/server.pem" -peer-key-file "$certs/server-key.pem"
		-peer-trusted-ca-file "$certs/ca.pem" -peer-client-cert-auth)
	cfgdir="$DEMO/config"
	mkdir -p "$cfgdir"
	for n in $NODES; do
		sed 's#http://127.0.0.1:#https://127.0.0.1:#g' "config/cluster-demo/node-$n.yaml" >"$cfgdir/node-$n.yaml"
		echo "  tls: { ca_file: \"$certs/ca.pem\", cert_file: \"$certs/node-$n.pem\", key_file: \"$certs/node-$n-key.pem\" }" >>"$cfgdir/node-$n.yaml"
	done
fi

pids=()
stop() {
	trap - INT TERM EXIT
	echo
	echo "stopping..."
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "stopped; logs and data in $DEMO/"
}
trap stop INT TERM EXIT

initial=""
set -- $ETCD_PEER_PORTS
for name in $ETCD_NAMES; do
	initial="${initial:+$initial,}$name=$scheme://127.0.0.1:$1"
	shift
done
state=new
[ -d "$DEMO/etcd0" ] && state=existing
i=0
cports=($ETCD_CLIENT_PORTS)
pports=($ETCD_PEER_PORTS)
for name in $ETCD_NAMES; do
	./bin/fdetcd -name "$name" -data "$DEMO/$name" -listen-client "$scheme://127.0.0.1:${cports[$i]}" \
		-listen-peer "$scheme://127.0.0.1:${pports[$i]}" -initial-cluster "$initial" -initial-state "$state" "${etcd_tls[@]}" \
		>"$DEMO/$name.out" 2>"$DEMO/$name.log" &
	pids+=($!)
	i=$((i + 1))
done
for name in $ETCD_NAMES; do
	until grep -qx ready "$DEMO/$name.out" 2>/dev/null; do
		sleep 0.2 # polling a file the member writes; nothing else to wait on from a shell
		jobs -r >/dev/null
		[ -s "$DEMO/$name.log" ] && grep -q -i "fatal\|panic" "$DEMO/$name.log" && { echo "etcd failed: see $DEMO/$name.log"; exit 1; }
	done
done
echo "etcd: $scheme://127.0.0.1:${cports[0]}, :${cports[1]}, :${cports[2]}${TLS:+ (certificates in $certs)}"

declare -A node_pid
for n in $NODES; do
	./bin/frontdoor serve -config "$cfgdir/node-$n.yaml" -data "$DEMO/node-$n" \
		>"$DEMO/node-$n.out" 2>"$DEMO/node-$n.log" &
	pids+=($!)
	node_pid[$n]=$!
done
for n in $NODES; do
	until grep -q "Dashboard:" "$DEMO/node-$n.out" 2>/dev/null; do
		sleep 0.2
		kill -0 "${node_pid[$n]}" 2>/dev/null || { echo "node-$n failed: see $DEMO/node-$n.log"; exit 1; }
	done
done

echo
echo "frontdoor nodes (SIP): $FRONTDOOR_NODES_SIP"
for n in $NODES; do
	echo "--- node-$n"
	grep -E "SIP \(UDP|Dashboard|Agents' phones" "$DEMO/node-$n.out"
done
echo
echo "Call any node: sip:110@127.0.0.2:5060 (or .3, .4); register agents (1001..1004, password demo<id>) on any node."
echo "Admin API token: cluster-demo-admin-token"
echo
./bin/frontdoor cluster status -config "$cfgdir/node-a.yaml" || true
echo
echo "Try: kill -9 one node (node-a ${node_pid[a]}, node-b ${node_pid[b]}, node-c ${node_pid[c]}) and run"
echo "  ./bin/frontdoor cluster status -config $cfgdir/node-a.yaml"
echo "Ctrl-C stops everything."
wait

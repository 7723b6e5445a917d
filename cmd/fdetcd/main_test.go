package main

import (
	"strings"
	"testing"
)

func TestFlagRefusals(t *testing.T) {
	ok := []string{"-name", "a", "-data", "/tmp/x", "-listen-client", "http://127.0.0.1:2379", "-listen-peer", "http://127.0.0.1:2380"}
	with := func(extra ...string) []string { return append(append([]string{}, ok...), extra...) }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-data", "d", "-listen-client", "http://127.0.0.1:1", "-listen-peer", "http://127.0.0.1:2"}, "-name is required"},
		{[]string{"-name", "a", "-listen-client", "http://127.0.0.1:1", "-listen-peer", "http://127.0.0.1:2"}, "-data is required"},
		{[]string{"-name", "a", "-data", "d", "-listen-peer", "http://127.0.0.1:2"}, "-listen-client is required"},
		{with("-initial-state", "fresh"), `-initial-state "fresh": want new or existing`},
		{with("-log-level", "loud"), `-log-level "loud": want debug, info, warn or error`},
		{with("-initial-cluster", "b=http://127.0.0.1:2380"), `-initial-cluster "b=http://127.0.0.1:2380" does not name this member "a"`},
		{with("extra"), `unexpected argument "extra"`},
		{with("-compaction-retention", "-1m"), `-compaction-retention -1m0s: want 0 or more`},
		{[]string{"-name", "a", "-data", "d", "-listen-client", "127.0.0.1:2379", "-listen-peer", "http://127.0.0.1:2380"}, `-listen-client "127.0.0.1:2379": want http://HOST:PORT`},
		{[]string{"-name", "a", "-data", "d", "-listen-client", "http://127.0.0.1:2379", "-listen-peer", "https://127.0.0.1"}, `-listen-peer "https://127.0.0.1": want http://HOST:PORT`},
	} {
		_, err := parse(tc.args)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %s", strings.Join(tc.args, " "), err, tc.want)
		}
	}
	cfg, err := parse(with("-initial-cluster", "a=http://127.0.0.1:2380,b=http://127.0.0.1:2382", "-initial-state", "existing"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "a" || cfg.ClusterState != "existing" || cfg.ListenClientUrls[0].String() != "http://127.0.0.1:2379" ||
		cfg.AdvertisePeerUrls[0].String() != "http://127.0.0.1:2380" || cfg.AutoCompactionRetention != "1h0m0s" {
		t.Errorf("config %+v", cfg)
	}
	if cfg, err := parse(ok); err != nil || cfg.InitialCluster != "a=http://127.0.0.1:2380" {
		t.Errorf("alone: %v %v", cfg.InitialCluster, err)
	}
}

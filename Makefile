# frontdoor — quick start: `make run`, `make test`. See README.md.
GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all build run test bench fuzz prompts clean cluster-demo cluster-demo-tls

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/frontdoor ./cmd/frontdoor
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/fdwallet ./cmd/fdwallet

# Runs the platform on the demo config with the store in ./data, after making a
# demo citizen's wallet (data/demo-wallet.json) to verify calls with and the
# demo OpenID4VP verifier certificate (data/verifier.pem, .key, -root.pem).
run: build
	@mkdir -p data
	@[ -f data/demo-wallet.json ] || ./bin/fdwallet issue -issuer-key config/keys/issuer.DEMO-ONLY.private.jwk.json \
		-iss https://id.example -claims '{"given_name":"Minji","family_name":"Kim","birthdate":"1958-03-02"}' \
		-out data/demo-wallet.json
	@[ -f data/verifier.pem ] && [ -f data/verifier.key ] && [ -f data/verifier-root.pem ] || ./bin/fdwallet verifier-cert \
		-out-cert data/verifier.pem -out-key data/verifier.key -out-root data/verifier-root.pem >/dev/null
	@[ -f data/mdoc/ds.pem ] && [ -f data/mdoc/ds.key ] || ./bin/fdwallet mdoc-keygen \
		-iaca-cert config/keys/mdoc-iaca.DEMO-ONLY.pem -iaca-key config/keys/mdoc-iaca.DEMO-ONLY.private.key \
		-out data/mdoc >/dev/null
	@[ -f data/demo-mdl-wallet.json ] || ./bin/fdwallet issue -format mso_mdoc -issuer-key data/mdoc/ds.key \
		-issuer-cert data/mdoc/ds.pem -claims '{"given_name":"Minji","family_name":"Kim","birthdate":"1958-03-02"}' \
		-out data/demo-mdl-wallet.json >/dev/null
	./bin/frontdoor serve -config config/demo.yaml -data ./data

# Three etcd members and three frontdoor nodes on 127.0.0.2-4 sharing one
# center (config/cluster-demo/); prints the addresses and the cluster status.
cluster-demo:
	./scripts/cluster-demo.sh

# The same with etcd on TLS only (client certificates required), certificates made by fdetcd certs.
cluster-demo-tls:
	CLUSTER_DEMO_TLS=1 ./scripts/cluster-demo.sh

# Every test: unit, integration, real SIP peers (sipp, baresip), interop, fuzz smoke.
test:
	./scripts/test.sh

# Benchmarks, printing their figures.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./...

# Longer fuzzing of every parser of outside input (FUZZTIME per target).
fuzz:
	FUZZTIME=$${FUZZTIME:-60s} ./scripts/fuzz.sh

# Regenerates the prompt audio (needs espeak-ng and sox); the results are committed.
prompts:
	./media/prompts/gen.sh

clean:
	rm -rf bin

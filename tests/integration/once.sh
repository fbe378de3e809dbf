#!/usr/bin/env bash
# peerscope --once against peerscope-sim: the JSON document, the table, the
# exit statuses, CR-based peering facts, a stopped cluster and a deadline.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
plan 34

ps=$(ps_bin peerscope)
sim_start -n 3 --speed 20
cfg=$SIM_CFG
j() { jq -r "$1" "$PS_TMP/once.json"; }
once_json() { "$ps" --config "$cfg" --once -o json "$@" >"$PS_TMP/once.json" 2>"$PS_TMP/once.err"; }

# ---- a peering made by the simulator, both sides ACTIVE
sim_ctl peer cluster-01 cluster-02 >/dev/null
once_json
is "$?" 0 "--once -o json exits 0 when every cluster was read"
is "$(j '.clusters | length')" 3 "one entry per configured cluster"
is "$(j '[.clusters[].name] | join(",")')" "cluster-01,cluster-02,cluster-03" "in configuration order"
is "$(j '.clusters[1].consul.datacenter')" dc2 "consul.datacenter from the agent"
like "$(j '.clusters[0].consul.version')" '^1\.[0-9]+' "consul.version"
like "$(j '.clusters[0].consul.leader')" ':8300$' "consul.leader"
is "$(j '.clusters[0].kube.reachable and .clusters[0].kube.crds.served')" true "kube reachable, CRDs served"
is "$(j '[.clusters[].sources[] | select(.ok | not)] | length')" 0 "every source is ok"
is "$(j '.pairs | map(select(.id == "cluster-01|cluster-02")) | length')" 1 "the pair is joined by id"
# Just connected: no heartbeat yet (Consul sends the first after 15 s), yet
# healthy on the first messages received (doc/api-contract.md §2.6).
is "$(j '.pairs[0].state_a + " " + .pairs[0].state_b + " " + (.pairs[0].healthy | tostring)')" \
	"ACTIVE ACTIVE true" "both ends ACTIVE, healthy"
is "$(j '.clusters[0].peerings[0].remote.datacenter')" dc2 "peerings[].remote.datacenter"
sim_ctl advance 20 >/dev/null
once_json
like "$(j '.clusters[0].peerings[0].last_heartbeat')" '^20[0-9-]+T[0-9:]+Z$' "heartbeat as RFC 3339"
is "$(j '.clusters[0].gateways[0].status')" passing "gateways[].status"
is "$(j '.clusters[0].helm | "\(.release) \(.peering_enabled) \(.tls_enabled)"')" "consul true true" \
	"the Helm release's values"
is "$(j '.summary.exit_status')" 0 "summary repeats the exit status"

# ---- table output
run "$ps" --config "$cfg" --once
is "$rc" 0 "--once prints a table by default"
like "$out" '^cluster-01 +cluster-02 +ACTIVE +ACTIVE +yes' "the table shows the pair"

# ---- usage errors
run "$ps" --config "$cfg" --once -o yaml
is "$rc" 2 "an unknown output format exits 2"
like "$err" "--output: .*(json or table|table, json).*'yaml'" "and says what is expected"

# ---- CRs: an acceptor with its token Secret, and a dialer whose Secret is missing
cr() { # cluster kind plural name: status of the create
	sim_kube POST "$1" "/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/$3" \
		"{\"apiVersion\":\"consul.hashicorp.com/v1alpha1\",\"kind\":\"$2\",\"metadata\":{\"name\":\"$4\",\"namespace\":\"consul\"},\"spec\":{\"peer\":{\"secret\":{\"name\":\"tok-$4\",\"key\":\"data\",\"backend\":\"kubernetes\"}}}}" |
		tail -1
}
is "$(cr cluster-03 PeeringAcceptor peeringacceptors cluster-01)" 201 "an acceptor on cluster-03"
is "$(cr cluster-01 PeeringDialer peeringdialers cluster-03)" 201 "a dialer on cluster-01 without its Secret"
secret_ready() {
	once_json
	[ "$(j '.clusters[2].token_secrets[0].present')" = true ]
}
wait_until 10 secret_ready
once_json
is "$(j '.clusters[2].acceptors[0].name + " " + .clusters[2].acceptors[0].secret.name')" \
	"cluster-01 tok-cluster-01" "acceptors[] with their secret reference"
is "$(j '.clusters[2].token_secrets[0] | "\(.name) \(.present) \(.key_present)"')" \
	"tok-cluster-01 true true" "the acceptor's token Secret is present"
is "$(j '.clusters[0].token_secrets[0] | "\(.name) \(.present)"')" "tok-cluster-03 false" \
	"the dialer's token Secret is reported missing"
is "$(j '.pairs[] | select(.id == "cluster-01|cluster-03") | .flags | index("token_missing") != null')" \
	true "the pair carries token_missing"
peering_token=$(sim_kube GET cluster-03 /api/v1/namespaces/consul/secrets/tok-cluster-01 |
	sed '$d' | jq -r '.data.data // empty')
if [ -n "$peering_token" ]; then
	unlike "$(cat "$PS_TMP/once.json")" "${peering_token:0:40}" "the peering token never appears"
else
	fail "the peering token never appears" "could not read the token Secret"
fi

# ---- a stopped cluster: its sources fail or time out, the others are read
sim_ctl stop cluster-03 >/dev/null
once_json --timeout 2s
is "$?" 1 "exit 1 when a cluster cannot be read"
is "$(j '[.clusters[0,1].sources[] | select(.ok | not)] | length')" 0 "the other clusters are read"
is "$(j '[.clusters[2].sources[] | select(.ok)] | length')" 0 "no source of the stopped cluster is ok"
is "$(j '[.clusters[2].sources[] | select((.timed_out or (.last_error | startswith("cluster-03: "))) | not)] | length')" \
	0 "each is timed out, or its error names the cluster"
sim_ctl start cluster-03 >/dev/null

# ---- a failing Consul: the error names the cluster and URL
sim_ctl fault cluster-02 error_rate=1 error_code=500 >/dev/null
once_json
is "$?" 1 "exit 1 when a source fails"
like "$(j '.clusters[1].sources[] | select(.name == "peerings") | .last_error')" \
	'^cluster-02: GET http://127\.0\.0\.1:[0-9]+/v1/peerings: HTTP 500' \
	"the error names the cluster, URL and status"
sim_ctl clear-faults cluster-02 >/dev/null

# ---- a deadline: a slow cluster is reported as timed out, per source
sim_ctl fault cluster-02 latency_ms=4000 >/dev/null
once_json --timeout 1s
is "$?" 1 "exit 1 when the deadline passes first"
is "$(j '[.clusters[1].sources[] | select(.timed_out)] | length > 0')" true \
	"the slow cluster's sources are timed out"
sim_ctl clear-faults cluster-02 >/dev/null

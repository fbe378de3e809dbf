#!/usr/bin/env bash
# The peering operations in Consul Enterprise admin partitions, against
# peerscope-sim --enterprise (cluster-03 on Consul CE), judged with curl and
# kubectl: the Helm values' admin partitions check passing, then failing
# once the release lacks global.enableConsulNamespaces; on Kubernetes, a
# partition other than the one consul-k8s runs in refused with nothing
# created, its own partition peered; Consul CE refusing a partition; on
# Consul-only clusters a peering made, run again, regenerated from the
# dashboard and deleted in partitions team-a and ops beside a peering of
# the same names in default, which stays; the dashboard's dialogs and
# command line taking the partitions, and the activity log naming them.
#
# consul-k8s: control-plane/connect-inject/controllers/peering/
# peering_acceptor_controller.go and peering_dialer_controller.go (the
# controller's own Consul client makes the peering: the CRs have no
# partition field), charts/consul/templates/connect-inject-deployment.yaml
# (-partition from global.adminPartitions.name; enableConsulNamespaces
# required with admin partitions). Consul: agent/peering_endpoint.go (token
# and establish take the body's Partition, else ?partition=; read and
# delete ?partition=), api/peering.go (PeeringGenerateTokenRequest and
# PeeringEstablishRequest.Partition), agent/http_ce.go (CE refuses
# partitions).
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
. "$top_srcdir/tests/e2e/ops_lib.sh"
need_kubectl
need_tmux
command -v jq >/dev/null || skip_all "jq is not installed"
plan 46

start_sim -n 3 --enterprise --speed 10 --set cluster-01:partitions=team-a:team-b \
	--set cluster-02:partitions=ops --set cluster-03:enterprise=false
sim() { sim_ctl "$@" >/dev/null; }
J=$PS_TMP/check.json
v() { jq -r --arg c "$1" --arg w "$2" '.results[] | select(.check == $c and .cluster == $w) | .'"${3:-verdict}" "$J"; }
# peering CLUSTER NAME PARTITION [JQ]: the peering as Consul has it, by curl.
peering() { ccurl "$1" "/v1/peering/$2?partition=$3" | jq -r "${4:-.State}"; }
code() { ccurl "$1" "/v1/peering/$2?partition=$3" -o /dev/null -w '%{http_code}'; }

# ---- the Helm values of an Enterprise install (global.adminPartitions.enabled
# with global.enableConsulNamespaces, which the chart requires)
psc check cluster-01 -o json >"$J" 2>/dev/null
is "$(v helm-admin-partitions cluster-01)" ok "helm-admin-partitions passes on peerscope-sim --enterprise"
sim install cluster-01 consul_namespaces=false
psc check cluster-01 -o json >"$J" 2>/dev/null
is "$(v helm-admin-partitions cluster-01)" fail "… and fails on a release without global.enableConsulNamespaces"
like "$(v helm-admin-partitions cluster-01 fix)" '--set global.enableConsulNamespaces=true' "… with the helm upgrade that sets it"
sim install cluster-01 consul_namespaces=true

# ---- Kubernetes: consul-k8s runs in the default partition (a release with
# servers must), so its CRs cannot make a peering in team-a
run psc peer cluster-01 cluster-02 --partition team-a --wait 20s
is "$rc" 1 "peer --partition team-a on Kubernetes is refused (exit 1)"
like "$err" 'consul-k8s on cluster-01 runs in admin partition default \(Helm global.adminPartitions.name\)' "the reason names consul-k8s's partition"
like "$err" 'fix: no configured Kubernetes cluster runs consul-k8s in partition team-a of this Consul' "the fix: no cluster runs consul-k8s there"
like "$err" 'Consul-only entry' "… or act through a Consul-only entry"
run k cluster-01 -n consul get peeringacceptor cluster-02
like "$err" NotFound "kubectl: no PeeringAcceptor was created"
is "$(code cluster-01 cluster-02 team-a)" 404 "curl: no peering in team-a"

# ---- Consul CE has the default partition only
run psc peer cluster-01 cluster-03 --dialer-partition team-a
is "$rc" 1 "a partition on Consul CE is refused"
like "$err" 'cluster-03 runs Consul CE, which has no admin partitions: it cannot act in partition team-a' "… saying why"
run psc peer cluster-01 cluster-03 --partition Team_A
is "$rc" 2 "a partition name Consul refuses is a usage error"

# ---- Kubernetes in consul-k8s's own partition
run psc peer cluster-01 cluster-02 --partition default --dialer-partition default --wait 30s -o json
is "$rc" 0 "peer in consul-k8s's partition (default) goes"
is "$(jq -r '[.partition, .dialer_partition, (.ends | map(.partition) | join(","))] | join(" ")' <<<"$out")" \
	"default default default,default" "-o json: the partitions of the plan and of both ends"
is "$(synced cluster-01 peeringacceptor cluster-02) $(synced cluster-02 peeringdialer cluster-01)" "True True" \
	"kubectl: both CRs Synced"
is "$(peering cluster-01 cluster-02 default) $(peering cluster-02 cluster-01 default)" "ACTIVE ACTIVE" \
	"curl: ACTIVE in the default partitions"
default_id=$(peering cluster-01 cluster-02 default .ID)

# ---- Consul-only clusters reading every partition: a peering between
# team-a and ops with the same peer names as the default one
consul_only cluster-01 cluster-02
sed -i -e '/^  - name: cluster-0[12]$/a\    partitions: all' "$SIM_DIR/consul-only.yaml"
pso() { "$(ps_bin peerscope)" --config "$SIM_DIR/consul-only.yaml" "$@"; }
run pso peer cluster-01 cluster-02 --partition team-a --dialer-partition ops --wait 30s -o json
is "$rc" 0 "Consul-only: peer --partition team-a --dialer-partition ops"
is "$(jq -r '[.partition, .dialer_partition, .outcome] | join(" ")' <<<"$out")" "team-a ops ok" "-o json: the partitions"
like "$err" 'peering token for cluster-02 on cluster-01/team-a: done' "the steps name the partitions"
is "$(peering cluster-01 cluster-02 team-a '[.Partition, .State, .Remote.Partition] | join(" ")')" "team-a ACTIVE ops" \
	"curl: the acceptor in team-a, ACTIVE, its remote in ops"
is "$(peering cluster-02 cluster-01 ops '[.Partition, .State, .Remote.Partition] | join(" ")')" "ops ACTIVE team-a" \
	"curl: the dialer in ops, ACTIVE, its remote in team-a"
is "$(peering cluster-01 cluster-02 default .ID)" "$default_id" "curl: the default partition's peering of the same name is another"
like "$(grep '"verb":"POST","kind":"peering"' "$AUDIT" | tail -2)" '"partition":"team-a".*
.*"partition":"ops"' "the audit log names the partition of each Consul request"
# (The default partition's pair of the same names, ACTIVE, did not stop it:
# the check read team-a and ops.) Again, it is the pair in team-a and ops
# that is there already.
run pso peer cluster-01 cluster-02 --partition team-a --dialer-partition ops --wait 30s
is "$rc" 1 "run again: refused, ACTIVE already"
like "$err" 'cluster-01/team-a and cluster-02/ops are peered already: ACTIVE on both ends' "… in team-a and ops"
like "$err" 'peerscope regenerate cluster-01 cluster-02 --partition team-a --dialer-partition ops makes a new token' \
	"… the fix keeps the partitions"

# ---- the dashboard on the same configuration
ps=$(ps_bin peerscope)
tmux_start 200 50 "$ps" --config "$SIM_DIR/consul-only.yaml"
tmux_expect '│[> ]cluster-01 +cluster-02 +team-a ↔ ops +ACTIVE' 15 "the peerings pane shows the partitions' pair"
tmux_keys 2 / t e a m - a Enter
tmux_expect '│>cluster-01 +cluster-02 +team-a ↔ ops' 5 "the filter selects it"
tmux_keys R
tmux_expect 'New token for cluster-01/team-a and cluster-02/ops' 10 "R plans a new token for the pair in its partitions"
tmux_keys Enter
tmux_expect 'New token for cluster-01/team-a and cluster-02/ops: done' 30 "the regeneration is done"
tmux_keys Enter
is "$(peering cluster-01 cluster-02 team-a) $(peering cluster-02 cluster-01 ops)" "ACTIVE ACTIVE" "curl: ACTIVE in team-a and ops after it"
is "$(peering cluster-01 cluster-02 default .ID) $(peering cluster-01 cluster-02 default)" "$default_id ACTIVE" \
	"curl: the default partition's peering untouched"
# A gateway's row gives the dialog its partition.
sim raw POST /v1/clusters/cluster-01/gateway '{"status":"add","partition":"team-b"}'
tmux_keys Escape 3 / t e a m - b Enter
tmux_expect '│>cluster-01 +team-b ' 15 "the gateways pane shows team-b's gateway"
tmux_keys p
tmux_expect 'Partition on cluster-01 +team-b' 5 "p: the dialog takes the row's partition"
tmux_expect 'Partition on cluster-02 +\[its own\]' 5 "… and leaves the other side's to its own"
tmux_keys Enter
tmux_expect 'Peer cluster-01/team-b with cluster-02' 10 "the plan is in partition team-b"
tmux_keys Escape Escape
# The command line takes the flags.
tmux_keys : p e e r Space c l u s t e r - 0 2 Space c l u s t e r - 0 1 Space - - p a r t i t i o n Space o p s Enter
tmux_expect 'Peer cluster-02/ops with cluster-01' 10 ":peer A B --partition P"
tmux_keys Escape

# ---- unpeer in the partitions; the default partition's peering stays, and
# the activity log names the partition
run pso unpeer cluster-01 cluster-02 --partition team-a --dialer-partition ops --yes --wait 30s
is "$rc" 0 "unpeer --partition team-a --dialer-partition ops"
like "$err" 'accepting peering cluster-02 deleted on cluster-01/team-a: done' "… deleted through Consul in team-a"
is "$(code cluster-01 cluster-02 team-a) $(code cluster-02 cluster-01 ops)" "404 404" "curl: gone from team-a and ops"
is "$(peering cluster-01 cluster-02 default) $(peering cluster-02 cluster-01 default)" "ACTIVE ACTIVE" \
	"curl: the default partition's peering of the same names stays"
tmux_keys F9
tmux_expect 'peering cluster-02 in partition team-a removed' 20 "the activity log: the removal, in team-a"
unlike "$(tmux_capture)" 'peering cluster-02 in partition default' "… and nothing about default's"
tmux_keys Escape q
tmux_stop

# ---- the mesh operations resolve the partition the same way
# (tests/integration/partitions_mesh.sh has them in partitions)
run psc gateway-mode cluster-01 local --partition team-a
is "$rc" 1 "gateway-mode --partition team-a on Kubernetes is refused"
like "$err" 'consul-k8s on cluster-01 runs in admin partition default' "… for the same reason"
run psc peer cluster-01 cluster-02 --partition team-a --dry-run
is "$rc" 1 "a dry run is refused the same way"
done_testing

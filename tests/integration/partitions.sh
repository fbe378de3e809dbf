#!/usr/bin/env bash
# peerscope partition-aware against peerscope-sim's Consul Enterprise: a
# Consul-only peering between two admin partitions made with the Consul
# API and judged with curl, then read by peerscope --once (JSON and table)
# with the ends joined by cluster AND partition; a Consul CE cluster that
# names partitions and gets no partition parameter; the specification's
# Enterprise rule (the mesh gateway registered in the partition of the
# exported services and their exported-services entry) broken, shown in
# --once, peerscope check and the panes in tmux, then fixed.
#
# Consul sources: agent/http_ce.go (parseEntMetaPartition: CE refuses any
# ?partition=), api/api.go (QueryOptions.Partition sent as ?partition=),
# api/peering.go (Peering.Partition, PeeringRemoteInfo.Partition),
# api/partition.go (GET /v1/partitions), agent/structs/config_entry_exports.go
# (a partition's exported-services entry is named after it), api/agent.go
# (AgentService.Partition). consul-k8s: control-plane/connect-inject/
# controllers/peering/peering_acceptor_controller.go (the controller's Consul
# client, in global.adminPartitions.name, makes the peering).
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
need_tmux
plan 32

sim_start --clusters 3 --speed 10 \
	--set cluster-01:enterprise=true,partitions=team-a:team-b \
	--set cluster-02:enterprise=true,partitions=ops
ps=$(ps_bin peerscope)

# Consul-only clusters: no Kubernetes context; cluster-01 reads every
# partition, cluster-02 two named ones, cluster-03 (CE) names partitions
# that must never be sent.
cfg=$PS_TMP/partitions.yaml
cat >"$cfg" <<YAML
clusters:
  - name: cluster-01
    partitions: all
    consul: {address: "$C1"}
  - name: cluster-02
    partitions: [default, ops]
    consul: {address: "$C2"}
  - name: cluster-03
    partitions: [default, team-a]
    consul: {address: "$C3"}
YAML
once() { "$ps" --config "$cfg" --once -o "$1" --timeout 20s >"$PS_TMP/once.$1" 2>"$PS_TMP/once.err"; }
j() { jq -r "$1" "$PS_TMP/once.json"; }

# ---- a Consul-only peering between partition team-a of cluster-01 and
# partition ops of cluster-02, by the Consul API alone
tok=$(curl -s -X POST "$C1/v1/peering/token?partition=team-a" -d '{"PeerName":"c2-ops"}' | jq -r .PeeringToken)
http POST "$C2/v1/peering/establish?partition=ops" "{\"PeerName\":\"c1-team-a\",\"PeeringToken\":\"$tok\"}"
is "$code" 200 "establish from partition ops"
st() { curl -s "$1/v1/peering/$2?partition=$3" | jq -r .State; }
active() { [ "$(st "$C1" c2-ops team-a)" = ACTIVE ] && [ "$(st "$C2" c1-team-a ops)" = ACTIVE ]; }
ok "wait_until 10 active" "curl: both ends ACTIVE in their partitions"
# And a default <-> default peering with the same kind of names, which must
# not be joined with the partitions' one.
sim_ctl peer cluster-01 cluster-02 >/dev/null
# And one between Enterprise cluster-02 and CE cluster-03, whose CE end
# has no partition.
sim_ctl peer cluster-02 cluster-03 >/dev/null

once json
is "$?" 0 "--once exits 0: every source of every partition answered"
is "$(j '.clusters[0].partitions | join(",")')" "default,team-a,team-b" "partitions: all read /v1/partitions"
is "$(j '.clusters[1].partitions | join(",")')" "default,ops" "the configured list"
is "$(j '[.pairs[].id] | sort | join(" ")')" "cluster-01/team-a|cluster-02/ops cluster-01|cluster-02 cluster-02|cluster-03" \
	"three pairs: ends joined by cluster and partition"
pair='.pairs[] | select(.id == "cluster-01/team-a|cluster-02/ops")'
is "$(j "$pair | [.end_a.peer_name, .end_a.partition, .end_b.peer_name, .end_b.partition, .state_a, .state_b] | join(\" \")")" \
	"c2-ops team-a c1-team-a ops ACTIVE ACTIVE" "the partitions' pair: names, partitions, states"
is "$(j '.clusters[0].peerings[] | select(.name == "c2-ops") | [.partition, .remote.partition] | join(" ")')" \
	"team-a ops" "peerings[].partition and remote.partition"
is "$(j '[.clusters[0].gateways[].partition] | join(",")')" "default" "the install's gateway is the default partition's"

# ---- Consul CE names partitions: nothing is sent (a CE server answers 400
# to any partition parameter), everything is read as before
is "$(j '.clusters[2].partitions | length')" 0 "CE: no partition read"
is "$(j '[.clusters[2].sources[] | select(.ok | not)] | length')" 0 "CE: every source ok, no partition parameter sent"

# ---- the Enterprise rule broken: ledger exported from team-a, whose
# partition has no mesh gateway
sim_ctl raw POST /v1/clusters/cluster-01/services '{"name":"ledger","partition":"team-a"}' >/dev/null
http PUT "$C1/v1/config?partition=team-a" \
	'{"Kind":"exported-services","Name":"team-a","Services":[{"Name":"ledger","Consumers":[{"Peer":"c2-ops"}]}]}'
is "$code:$body" "200:true" "curl: the team-a entry exports ledger to c2-ops"
exp='.exports[] | select(.service == "ledger")'
ledger_broken() { once json; [ "$(j "$exp | .no_partition_gateway")" = true ]; }
ok "wait_until 15 ledger_broken" "--once: the ledger export breaks the rule"
is "$(j "$exp | [.from, .partition, .peer, .to] | join(\" \")")" "cluster-01 team-a c2-ops cluster-02" \
	"the export resolves c2-ops in partition team-a"
is "$(j "$exp | .to_partition")" ops "… imported in partition ops of cluster-02"
like "$(j "$exp | .problem")" "no mesh gateway in partition team-a, which exports ledger" "its problem"
once table
like "$(cat "$PS_TMP/once.table")" 'cluster-01/team-a +cluster-02/ops +ACTIVE +ACTIVE' "table: cluster/partition ends"
like "$(cat "$PS_TMP/once.table")" 'ledger +cluster-01/team-a +cluster-02/ops .*no mesh gateway in partition team-a' \
	"table: the export, its importing partition and the rule"
like "$(cat "$PS_TMP/once.table")" 'cluster-02/default +cluster-03 +ACTIVE +ACTIVE' \
	"table: CE cluster-03 is named without a partition"
unlike "$(cat "$PS_TMP/once.table")" 'cluster-03/' "… never cluster-03/default"
"$ps" --config "$cfg" check cluster-01 -o json >"$PS_TMP/check.json" 2>/dev/null
is "$?" 1 "peerscope check fails"
chk='.results[] | select(.check == "exports-partition" and .cluster == "cluster-01")'
is "$(jq -r "$chk | .verdict" "$PS_TMP/check.json")" fail "exports-partition: fail"
like "$(jq -r "$chk | .evidence" "$PS_TMP/check.json")" 'ledger is exported from partition team-a' "with evidence"
like "$(jq -r "$chk | .fix" "$PS_TMP/check.json")" 'register a mesh gateway in partition team-a' "and a fix"

# ---- the panes in a real terminal
tmux_start 160 48 "$ps" --config "$cfg"
tmux_expect '│ NAME +CONTEXT .* PARTITION ' 15 "clusters pane: a PARTITION column"
tmux_expect '│[> ]cluster-01 .* default,team-a,team-b ' 5 "the partitions read"
tmux_expect '│[> ]cluster-01 +cluster-02 +team-a ↔ ops +ACTIVE' 10 "peerings pane: the pair's partitions"
tmux_expect '│[> ]cluster-02 +cluster-03 +default ↔ — +ACTIVE' 5 "… and none for CE cluster-03's end"
tmux_expect '│[> ]cluster-01 +team-a +no m' 5 "gateways pane: team-a has no gateway"
tmux_expect '│[> ]cluster-03 +— +con' 5 "gateways pane: CE cluster-03's gateway has no partition"
tmux_expect '│[> ]ledger +cluster-01 +team-a ' 5 "exports pane: the partition exported from"

# ---- fixed: a mesh gateway registered in team-a
sim_ctl raw POST /v1/clusters/cluster-01/gateway '{"status":"add","partition":"team-a"}' >/dev/null
tmux_expect_gone() { ! tmux_capture | grep -Eq "$1"; }
ok "wait_until 15 tmux_expect_gone '│[> ]cluster-01 +team-a +no m'" "the gateways pane's problem row goes"
tmux_stop
done_testing

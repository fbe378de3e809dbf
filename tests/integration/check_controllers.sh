#!/usr/bin/env bash
# The consul-k8s controllers down and up again (peerscope-sim ctl injector):
# peerscope check fails controllers-ready with the Deployment's evidence and
# its fix; peer and a mesh operation are refused before any write; unpeer goes ahead with a
# warning and its deletion waits for the controllers; the dashboard shows it
# within seconds, without F5, and goes back when they are up. A Kubernetes
# user that may not list Deployments leaves the check unknown with the API
# server's words and refuses nothing; one that may list but not watch them
# still sees them change. Judged with kubectl and curl.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
. "$top_srcdir/tests/e2e/ops_lib.sh"
need_kubectl
need_tmux
command -v jq >/dev/null || skip_all "jq is not installed"
plan 46

# cluster-03's context uses peerscope's own Kubernetes user, whose rules the
# test changes.
start_sim -n 3 --speed 20 --set cluster-03:kube_user=cluster-admin
sim() { sim_ctl "$@" >/dev/null; }
J=$PS_TMP/check.json
chk() { # peerscope check -o json [CLUSTER...]: the document in $J, status in $rc
	psc check -o json "$@" >"$J" 2>"$PS_TMP/check.err"
	rc=$?
}
v() { jq -r --arg c "$1" --arg w "$2" '.results[] | select(.check == $c and .cluster == $w) | .verdict' "$J"; }
f() { jq -r --arg c "$2" --arg w "$3" '.results[] | select(.check == $c and .cluster == $w) | .'"$1" "$J"; }
# ROW CLUSTER TEXT: the cluster's row ends with TEXT in the PREREQS column.
row() { printf '^│[> ]%s .* %s +│$' "$1" "$2"; }
# ms_since NS: milliseconds since a date +%s%N.
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
for c in cluster-01 cluster-02 cluster-03; do
	k "$c" -n consul apply -f - >/dev/null <<YAML
apiVersion: consul.hashicorp.com/v1alpha1
kind: Mesh
metadata: {name: mesh}
spec: {peering: {peerThroughMeshGateways: true}}
YAML
done
NOT_RUNNING='the consul-k8s controllers are not running: PeeringAcceptor, PeeringDialer and config entry resources are not reconciled'

# ---- running: ok, and a peering made while they run
chk
is "$(v controllers-ready cluster-02) $(f seen controllers-ready cluster-02)" "ok 1/1 ready" \
	"controllers-ready is ok while the injector runs"
like "$(f evidence controllers-ready cluster-02)" \
	'^Deployment consul/consul-connect-injector: 1/1 ready, 1 available, Available=True \(MinimumReplicasAvailable: Deployment has minimum availability\.\)$' \
	"its evidence is the Deployment's status"
run psc peer cluster-01 cluster-02 --wait 30s
is "$rc" 0 "peer cluster-01 cluster-02 while the controllers run"

tmux_start 160 48 "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml"
tmux_expect "$(row cluster-02 ok)" 15 "the dashboard: cluster-02's PREREQS ok"
tmux_expect 'cluster-01 +cluster-02 +ACTIVE +acc ok +ACTIVE +dial ok' 15 \
	"the peerings pane: both resources Synced"

# ---- cluster-02's injector down: seen within seconds, without F5
t0=$(date +%s%N)
sim injector cluster-02 down
tmux_expect "$(row cluster-02 '1 fail: controllers-ready')" 5 \
	"injector down: the clusters pane names controllers-ready within 5 s, without F5"
diag "seen on the dashboard $(ms_since "$t0") ms after ctl injector down"
tmux_expect 'cluster-01 +cluster-02 +ACTIVE +acc ok +ACTIVE +dial stale .* ⚠ contr' 5 \
	"the peerings pane: the dialer is stale, and the pair has a problem"
tmux_expect "$(row cluster-01 ok)" 5 "cluster-01 is not affected"
tmux_keys Down
tmux_expect "⚠ fail controllers-ready: $NOT_RUNNING" 5 "the status line gives the check's evidence"
tmux_keys 2
tmux_expect '⚠ the consul-k8s controllers on cluster-02 are not running: its PeeringDialer is not reconciled' 5 \
	"on the peering, it says why nothing moves"
tmux_keys 1
is "$(k cluster-02 -n consul get deploy consul-connect-injector -o jsonpath='{.status.conditions[?(@.type=="Available")].reason}')" \
	MinimumReplicasUnavailable "kubectl: the Deployment has no minimum availability"

chk
is "$rc" 1 "peerscope check exits 1"
is "$(v controllers-ready cluster-02) $(f seen controllers-ready cluster-02)" "fail 0/1 ready" \
	"controllers-ready fails on cluster-02"
is "$(f evidence controllers-ready cluster-02)" \
	"$NOT_RUNNING; Deployment consul/consul-connect-injector: 0/1 ready, 0 available, Available=False (MinimumReplicasUnavailable: Deployment does not have minimum availability.)" \
	"the evidence: the Deployment, ready/desired, and its Available condition's reason and message"
is "$(f fix controllers-ready cluster-02)" \
	"kubectl --context cluster-02 -n consul describe deployment consul-connect-injector (its events and pods say why), then kubectl --context cluster-02 -n consul rollout status deployment consul-connect-injector" \
	"the fix: describe, then rollout status"
is "$(v controllers-ready cluster-01)" ok "cluster-01's controllers are ok"
run psc check cluster-02
like "$out" 'cluster-02 +fail +controllers-ready +0/1 ready +>= 1 available' "the table shows it too"

# ---- peer refused before any write
run psc peer cluster-03 cluster-02 --wait 10s
is "$rc" 1 "peer cluster-03 cluster-02 is refused: exit 1"
like "$err" "prerequisite controllers-ready fails on cluster-02: $NOT_RUNNING" \
	"the refusal gives the check's reason"
like "$err" 'fix: kubectl --context cluster-02 -n consul describe deployment consul-connect-injector' \
	"and its fix"
run k cluster-03 -n consul get peeringacceptors -o name
is "$out" "" "kubectl: no acceptor was created on cluster-03"
run k cluster-02 -n consul get peeringdialers -o name
is "$out" "peeringdialer.consul.hashicorp.com/cluster-01" "kubectl: no dialer was created on cluster-02"
# A mesh operation, whose other failing checks only warn (peerscope-rules(7)).
pd0=$(k cluster-02 -n consul get proxydefaults -o yaml)
run psc gateway-mode cluster-02 local --yes
is "$rc" 1 "gateway-mode on cluster-02 is refused: exit 1"
like "$err" "prerequisite controllers-ready fails on cluster-02: $NOT_RUNNING" "for the same reason"
is "$(k cluster-02 -n consul get proxydefaults -o yaml)" "$pd0" "kubectl: its ProxyDefaults are untouched"

# ---- unpeer goes ahead with a warning; the deletion waits for the
# controllers (the dialer's finalizer: consul-k8s
# control-plane/connect-inject/controllers/peering/peering_dialer_controller.go)
run psc unpeer cluster-01 cluster-02 --yes --wait 3s
like "$err" "note: prerequisite controllers-ready fails on cluster-02: $NOT_RUNNING" \
	"unpeer is warned, not refused"
like "$err" 'unpeer goes ahead, but the resources deleted stay Terminating, and the peering in Consul, until the controllers run again' \
	"the warning says what waits"
is "$rc" 1 "its wait runs out while the controllers are down: exit 1"
like "$(k cluster-02 -n consul get peeringdialer cluster-01 -o jsonpath='{.metadata.deletionTimestamp} {.metadata.finalizers[0]}')" \
	'^[0-9]{4}-[0-9-]+T[0-9:]+Z finalizers\.consul\.hashicorp\.com$' \
	"kubectl: the dialer is Terminating, its finalizer held"
is "$(state cluster-02 cluster-01)" ACTIVE "curl: cluster-02's Consul still has the peering"

# ---- up again: everything goes back, the deletion finishes
t0=$(date +%s%N)
sim injector cluster-02 up
tmux_expect "$(row cluster-02 ok)" 5 "injector up: PREREQS ok again within 5 s, without F5"
diag "seen on the dashboard $(ms_since "$t0") ms after ctl injector up"
ok "poll 20 '! k cluster-02 -n consul get peeringdialer cluster-01'" \
	"kubectl: the controller came back and finished the dialer's deletion"
run psc unpeer cluster-01 cluster-02 --yes --wait 30s
is "$rc" 0 "unpeer run again finishes"
is "$(status cluster-01 cluster-02) $(status cluster-02 cluster-01)" "404 404" \
	"curl: the peering is gone on both ends"
chk cluster-02
is "$(v controllers-ready cluster-02)" ok "controllers-ready is ok again"
tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits"
tmux_stop

# ---- a user that may not list Deployments: unknown, with the API server's
# words; the cluster is not marked failing and nothing is refused, so a write
# meets the webhook of an injector that is down
sim kube-user cluster-03 '{"rules":[{"verbs":["*"],"apiGroups":["","consul.hashicorp.com","authorization.k8s.io"],"resources":["*"]},{"verbs":["*"],"nonResourceURLs":["*"]}]}'
chk cluster-03
is "$(v controllers-ready cluster-03)" unknown "Deployments forbidden: controllers-ready is unknown"
like "$(f evidence controllers-ready cluster-03)" \
	'the connect-injector Deployments could not be listed: .*deployments.apps is forbidden: User "[^"]+" cannot list resource "deployments" in API group "apps" in the namespace "consul"' \
	"quoting the API server's words"
like "$(f fix controllers-ready cluster-03)" 'list and watch on deployments.apps in namespace consul' \
	"the fix is the permission"
run psc --once -o json
is "$(jq -r '.clusters[] | select(.name == "cluster-03") | .sources[] | select(.name == "kube_controllers") | "\(.state) \(.failures)"' <<<"$out")" \
	"ok 0" "--once: the refusal is an answer, the source is not failing"
sim injector cluster-03 down
run psc acceptor cluster-03 cluster-01 --wait 5s
is "$rc" 1 "with the check unknown the acceptor goes ahead and meets the webhook: exit 1"
like "$err" 'failed calling webhook' "the API server's words are shown"
like "$err" 'fix: .*connect-injector' "the fix names the connect-injector"
sim injector cluster-03 up

# ---- a user that may list Deployments but not watch them: the list is
# polled, so a change still shows
sim kube-user cluster-03 '{"rules":[{"verbs":["*"],"apiGroups":["","consul.hashicorp.com","authorization.k8s.io"],"resources":["*"]},{"verbs":["*"],"nonResourceURLs":["*"]},{"verbs":["get","list"],"apiGroups":["apps"],"resources":["deployments"]}]}'
tmux_start 160 48 "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml"
tmux_expect "$(row cluster-03 ok)" 15 "list without watch: PREREQS ok"
sim injector cluster-03 down
tmux_expect "$(row cluster-03 '1 fail: controllers-ready')" 15 \
	"the polled list brings the injector's fall, without F5"
sim injector cluster-03 up
tmux_expect "$(row cluster-03 ok)" 15 "and its return"
tmux_keys q
tmux_stop

done_testing

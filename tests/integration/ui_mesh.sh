#!/usr/bin/env bash
# The mesh operations and the traffic path in the dashboard, in a real
# terminal (tmux) against peerscope-sim with ACLs (default policy deny): the
# exports matrix moved in cell by cell; an import no intention allows marked,
# then allowed with one key; the traffic path of a cell that works, of mode
# local without a local gateway and of a critical remote gateway (each
# checked against the simulator's own probe); a cell exported with one key;
# the gateway mode's dialog; peering through gateways and the regeneration
# it offers; a ':' command; read-only offers none of it. Judged with kubectl
# and curl.
#
# Without a matching intention Consul applies the ACL default policy, which
# every answer reports in X-Consul-Default-ACL-Policy
# (consul:agent/agent_endpoint.go, AgentConnectAuthorize: "Default behavior
# configured by ACLs").
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
. "$top_srcdir/tests/e2e/ops_lib.sh"
need_tmux
need_kubectl
command -v jq >/dev/null || skip_all "jq is not installed"
plan 40

sim_start -n 3 --acl --speed 4
sim() { sim_ctl "$@"; }
centry() { ccurl "$1" "/v1/config/$2/$3" -H "X-Consul-Token: $(ctoken "$1")"; }
ps=$(ps_bin peerscope)
sim add-service cluster-01 web 2 >/dev/null
sim add-service cluster-01 checkout 1 >/dev/null
psc peer cluster-01 cluster-02 --wait 30s >/dev/null 2>&1 &&
	psc export cluster-01 web --to cluster-02 >/dev/null 2>&1
ok "[ \"\$(centry cluster-01 exported-services default | jq -r '.Services[0].Name')\" = web ]" \
	"set up: cluster-01 exports web to cluster-02, no intention allows it"

# ---- the matrix, cell by cell; the unallowed import marked
tmux_start 160 48 "$ps" --config "$SIM_DIR/config.yaml"
tmux_expect '^│>cluster-01 ' 10 "the dashboard opens"
tmux_keys 4 / w e b Enter
tmux_expect '│>web +cluster-01 +\(here\) +imported, no intention ⚠' 10 \
	"the import no intention allows is marked in its cell"
tmux_expect '^ web of cluster-01 for cluster-02: imported; calls not allowed +e: unexport +i: allow' 5 \
	"the selected cell says what it holds and what e and i do"
tmux_keys Enter
tmux_expect '✗ +intention: none for peer cluster-02; default policy deny +\[no intention\]' 5 \
	"its traffic path marks the intention as the first broken hop"
tmux_expect 'first broken hop: no intention allows the peer and the default policy is deny' 5 \
	"with why"
tmux_keys Escape

# ---- one key allows it
tmux_keys i
tmux_expect 'Allow calls from peer cluster-02 to web on cluster-01' 10 "i plans an allow"
tmux_expect '│ \+ +"(peer|Peer)": "cluster-02",' 5 "the plan shows the source come in the diff"
tmux_keys Enter
tmux_expect 'Allow calls from peer cluster-02 to web on cluster-01: done' 20 "the run ends done"
tmux_keys Enter
is "$(centry cluster-01 service-intentions web | jq -c '[.Sources[] | {Name, Peer, Action}]')" \
	'[{"Name":"*","Peer":"cluster-02","Action":"allow"}]' "curl: the intention allows peer cluster-02"
tmux_expect '│>web +cluster-01 +\(here\) +imported 2/2 ' 15 "the mark is gone: imported 2/2"
tmux_keys Enter
tmux_expect 'intention: web allows \* from peer cluster-02 +\[allowed\]' 5 \
	"the path shows the intention that allows it"
tmux_expect '^│ +every hop works' 5 "and a working path"
is "$(sim probe cluster-02 cluster-01 web | jq -r .ok)" true "the simulator's probe agrees: the call gets through"
tmux_keys Escape

# ---- mode local without a local gateway
psc gateway-mode cluster-02 local >/dev/null 2>&1
sim gateway cluster-02 critical >/dev/null
tmux_keys Enter
tmux_expect '✗ .*\(cluster-02, local\) +\[critical\]' 15 "local mode: the caller's own gateway is the broken hop"
tmux_expect 'first broken hop: mode local without a local gateway: cluster-02.s mesh gateway is critical' 5 \
	"with why"
like "$(sim probe cluster-02 cluster-01 web | jq -r .reason)" 'mode "local" needs a healthy mesh gateway in cluster-02' \
	"the simulator's probe fails the same way"
tmux_keys Escape

# ---- a critical remote gateway
psc gateway-mode cluster-02 remote >/dev/null 2>&1
sim gateway cluster-02 passing >/dev/null
sim gateway cluster-01 critical >/dev/null
tmux_keys Enter
tmux_expect '✗ .*\(cluster-01, remote\) +\[critical\]' 15 "remote mode: the exporting cluster's gateway is broken"
tmux_expect 'first broken hop: gateway critical: cluster-01.s mesh gateway is critical' 5 "with why"
like "$(sim probe cluster-02 cluster-01 web | jq -r .reason)" 'cluster-01 has no healthy mesh gateway' \
	"the simulator's probe fails the same way"
tmux_keys Escape
sim gateway cluster-01 passing >/dev/null

# ---- one key exports a cell
tmux_keys Escape / c h e c k o u t Enter
tmux_expect '│>checkout +cluster-01 +\(here\) +· ' 10 "checkout is not exported"
tmux_keys e
tmux_expect 'Export checkout from cluster-01 to cluster-02' 10 "e plans the export of the selected cell"
tmux_keys Enter
tmux_expect 'Export checkout from cluster-01 to cluster-02: done' 20 "the export ends done"
tmux_keys Enter
is "$(k cluster-01 -n consul get exportedservices default -o json | jq -r '.spec.services[].name' | paste -sd' ')" \
	"web checkout" "kubectl: ExportedServices default exports checkout too"
tmux_expect '│>checkout +cluster-01 +\(here\) +imported, no intention ⚠' 15 \
	"the new import is marked: no intention allows it yet"
tmux_keys Escape

# ---- the gateways pane: where the mode comes from; m and w
tmux_resize 220 50
tmux_keys 3
tmux_expect 'cluster-02 +consul-mesh-gateway\S* +\S+ +passing +remote \(proxy-defaults\)' 10 \
	"the gateways pane shows where the mode comes from"
tmux_keys g Enter
tmux_expect 'Mode remote \(default\); peering through mesh gateways off' 5 \
	"and so does a gateway's detail"
tmux_expect 'web: cluster-02 → cluster-01 +mode remote \(proxy-defaults\)' 5 \
	"with the traffic paths through its gateway"
tmux_keys Escape
tmux_resize 160 48
tmux_keys M
tmux_expect 'Mesh gateway mode of cluster-01' 5 "M opens the mode dialog on the selected cluster"
tmux_keys Down Enter
tmux_expect 'Mesh gateway mode of cluster-01: remote' 10 "the plan for the mode chosen"
tmux_keys Escape Escape
tmux_keys w
tmux_expect 'Peering through mesh gateways on cluster-01: on' 10 "w plans peering through gateways"
tmux_expect 'keeps its token.s addresses until the token is' 5 "saying which token keeps the old addresses"
tmux_keys Enter
tmux_expect 'R: regenerate the token of cluster-01 cluster-02' 20 "when done it offers the regeneration"
tmux_keys R
tmux_expect 'New token for cluster-01 and cluster-02' 10 "R plans the regeneration"
tmux_keys Escape
is "$(k cluster-01 -n consul get mesh mesh -o jsonpath='{.spec.peering.peerThroughMeshGateways}')" true \
	"kubectl: Mesh mesh peers through gateways"

# ---- a ':' command
# Tab completes the service names of the snapshots shown (the list borrows
# them, and is listed again after a change): a service added now comes.
sim add-service cluster-01 billing 1 >/dev/null
completed=
for _ in $(seq 1 40); do
	tmux_keys : d e n y Space c l u s t e r - 0 1 Space b i Tab
	if tmux_wait_for '^:deny cluster-01 billing ?$' 1; then
		completed=1
		break
	fi
	tmux_keys Escape
done
ok "[ -n '$completed' ]" "Tab completes a service added while the dashboard runs"
tmux_keys Escape
tmux_keys : d e n y Space c l u s t e r - 0 1 Space w e b Space c l u s t e r - 0 2 Enter
tmux_expect 'Deny calls from peer cluster-02 to web on cluster-01' 10 ":deny CLUSTER SERVICE PEER plans it"
tmux_keys Escape q
tmux_expect '^\[exited\] 0$' 5 "q quits"
tmux_stop

# ---- read-only: none of it
tmux_start 160 48 "$ps" --config "$SIM_DIR/config.yaml" --readonly
tmux_expect '^│>cluster-01 ' 10 "the dashboard opens read-only"
tmux_keys 4 e
tmux_expect 'key e does nothing here' 5 "e is not bound"
tmux_keys q
tmux_stop

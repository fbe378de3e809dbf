#!/usr/bin/env bash
# The mesh operations in Consul Enterprise admin partitions, against
# peerscope-sim --enterprise (cluster-03 on Consul CE), judged with curl
# (?partition=) and kubectl: on a Consul-only cluster an export, a gateway
# mode and an intention written in team-a beside the default partition's
# entries, which stay; each run again a no-op; the specification's
# Enterprise rule (the mesh gateway in the partition of the export) warned
# until team-a has a passing gateway; the audit log and -o json naming the
# partition; a Kubernetes cluster refusing a partition other than
# consul-k8s's own with nothing written; Consul CE refusing a partition;
# peering through mesh gateways only in default; read-only refusing; the
# dashboard's rows and ':' commands taking the partition.
#
# Consul: agent/structs/config_entry_exports.go (Normalize puts the
# exported-services entry in the partition its Name names),
# agent/structs/config_entry_ce.go (validateExportedServicesName: "default"
# in CE), agent/config_endpoint.go (?partition= on GET, PUT and DELETE
# /v1/config), api/config_entry_exports.go (a consumer names a Peer, or in
# Enterprise a Partition or SamenessGroup), agent/http_ce.go (CE refuses
# partitions). consul-k8s: control-plane/api/v1alpha1/
# exportedservices_types.go (Validate: the ExportedServices CR is named
# after the partition consul-k8s runs in: the controller writes into that
# partition, the CRs have no partition field), mesh_types.go
# ("peerThroughMeshGateways" is only valid in the "default" partition).
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
. "$top_srcdir/tests/e2e/ops_lib.sh"
need_kubectl
need_tmux
command -v jq >/dev/null || skip_all "jq is not installed"
plan 45

start_sim -n 3 --enterprise --speed 10 --set cluster-01:partitions=team-a \
	--set cluster-03:enterprise=false
sim() { sim_ctl "$@" >/dev/null; }
# entry CLUSTER KIND NAME PARTITION [JQ]: Consul's config entry, by curl.
entry() { ccurl "$1" "/v1/config/$2/$3?partition=$4" | jq -cr "${5:-.}"; }
ecode() { ccurl "$1" "/v1/config/$2/$3?partition=$4" -o /dev/null -w '%{http_code}'; }
consul_only cluster-01 cluster-02
sed -i -e '/^  - name: cluster-0[12]$/a\    partitions: all' "$SIM_DIR/consul-only.yaml"
pso() { "$(ps_bin peerscope)" --config "$SIM_DIR/consul-only.yaml" "$@"; }

# The default partition's own entries, which nothing below may change.
sim raw POST /v1/clusters/cluster-01/services '{"name":"api","instances":1}'
sim raw POST /v1/clusters/cluster-01/services '{"name":"api","partition":"team-a","instances":2}'
run pso export cluster-01 api --to cluster-02 --yes --wait 30s
is "$rc" 0 "an export in the default partition first"
default_exports=$(entry cluster-01 exported-services default default '[.Services, .ModifyIndex]')
run pso peer cluster-01 cluster-02 --partition team-a --wait 30s
is "$rc" 0 "cluster-01/team-a peered with cluster-02"

# ---- the Enterprise rule: no mesh gateway registered in team-a
is "$(ccurl cluster-01 '/v1/health/service/mesh-gateway?partition=team-a' | jq length)" 0 \
	"curl: team-a has no mesh gateway (default has its own)"
run pso export cluster-01 api --to cluster-02 --partition team-a --dry-run
is "$rc" 0 "export --partition team-a --dry-run"
like "$err" 'warning: cluster-01 has no passing mesh gateway in admin partition team-a \(0 registered there\): in Consul Enterprise "this mesh gateway must also be registered in the same partition as the exported services' \
	"warns with the specification's Enterprise rule"
like "$err" 'Fix: register a mesh gateway in that partition' "… and the fix"
like "$out" '# cluster-01: PUT /v1/config\?cas=0&partition=team-a \(exported-services team-a\)' \
	"the dry run names the write and its partition"
like "$out" '^# \+ +"Name": "team-a",' "the diff: the entry is named after its partition"
is "$(ecode cluster-01 exported-services team-a team-a)" 404 "curl: the dry run wrote nothing"
sim raw POST /v1/clusters/cluster-01/gateway '{"status":"add","partition":"team-a"}'
run pso export cluster-01 api --to cluster-02 --partition team-a --dry-run
unlike "$err" 'no passing mesh gateway' "with a passing gateway in team-a, no warning"

# ---- the export in team-a
run pso export cluster-01 api --to cluster-02 --partition team-a --yes --wait 30s -o json
is "$rc" 0 "export cluster-01 api --to cluster-02 --partition team-a"
is "$(jq -r '[.partition, .outcome] | join(" ")' <<<"$out")" "team-a ok" "-o json names the partition"
is "$(entry cluster-01 exported-services team-a team-a '[.Partition, (.Services[] | .Name, .Consumers[0].Peer)] | join(" ")')" \
	"team-a api cluster-02" "curl: exported-services team-a in team-a exports api to cluster-02"
is "$(entry cluster-01 exported-services default default '[.Services, .ModifyIndex]')" "$default_exports" \
	"curl: the default partition's entry untouched"
like "$(ccurl cluster-02 /v1/peering/cluster-01 | jq -c .StreamStatus.ImportedServices)" '"api"' \
	"curl: cluster-02 imports api from team-a"
like "$(grep '"kind":"exported-services"' "$AUDIT" | tail -1)" '"verb":"PUT".*"partition":"team-a","name":"team-a"' \
	"the audit log names the partition"
idx=$(entry cluster-01 exported-services team-a team-a .ModifyIndex)
run pso export cluster-01 api --to cluster-02 --partition team-a --yes --wait 30s
is "$rc" 0 "run again"
like "$err" 'exported-services team-a is so already' "… nothing to change"
is "$(entry cluster-01 exported-services team-a team-a .ModifyIndex)" "$idx" "curl: not written again"

# ---- gateway mode and intentions in team-a
run pso gateway-mode cluster-01 local --partition team-a --yes
is "$rc" 0 "gateway-mode cluster-01 local --partition team-a"
is "$(entry cluster-01 proxy-defaults global team-a '[.Partition, .MeshGateway.Mode] | join(" ")')" "team-a local" \
	"curl: proxy-defaults global of team-a in mode local"
is "$(ecode cluster-01 proxy-defaults global default)" 404 "curl: default's proxy-defaults not created"
run pso allow cluster-01 api --from cluster-02 --partition team-a --yes
is "$rc" 0 "allow --partition team-a"
is "$(entry cluster-01 service-intentions api team-a '[.Partition, (.Sources[0] | .Peer, .Action)] | join(" ")')" \
	"team-a cluster-02 allow" "curl: service-intentions api of team-a allows peer cluster-02"
is "$(ecode cluster-01 service-intentions api default)" 404 "curl: none in default"

# ---- unexport in team-a: the last service goes, so does the entry
run pso unexport cluster-01 api --to cluster-02 --partition team-a --yes --wait 30s
is "$rc" 0 "unexport --partition team-a"
like "$err" 'DELETE /v1/config/exported-services/team-a\?cas=[0-9]+&partition=team-a' "… deletes team-a's entry"
is "$(ecode cluster-01 exported-services team-a team-a)" 404 "curl: gone from team-a"
is "$(entry cluster-01 exported-services default default '[.Services, .ModifyIndex]')" "$default_exports" \
	"curl: default's still as it was"

# ---- refusals
run pso peer-through-gateways cluster-01 on --partition team-a
is "$rc" 1 "peer-through-gateways in team-a is refused"
like "$err" 'set in the default partition.s mesh entry only' "… the setting is default's"
is "$(ecode cluster-01 mesh mesh team-a)" 404 "curl: no mesh entry in team-a"
run pso --readonly export cluster-01 api --to cluster-02 --partition team-a
is "$rc" 2 "read-only: refused"
run pso export cluster-01 api --to cluster-02 --partition team-a --dialer-partition ops
is "$rc" 2 "--dialer-partition is a usage error"
# Kubernetes: consul-k8s runs in the default partition.
run psc export cluster-01 web --to cluster-02 --partition team-a --yes
is "$rc" 1 "Kubernetes: export in team-a refused"
like "$err" "consul-k8s on cluster-01 runs in admin partition default .*: its custom resources have no partition field and its controllers write their config entries into that partition" \
	"… consul-k8s writes its own partition only"
like "$err" 'fix: no configured Kubernetes cluster runs consul-k8s in partition team-a of this Consul' \
	"… the fix, as for the peering operations"
run k cluster-01 -n consul get exportedservices team-a
like "$err" NotFound "kubectl: no ExportedServices team-a"
is "$(ecode cluster-01 exported-services team-a team-a)" 404 "curl: nothing in team-a"
# Consul CE.
run psc gateway-mode cluster-03 local --partition team-a
is "$rc" 1 "Consul CE: a partition refused"
like "$err" 'cluster-03 runs Consul CE, which has no admin partitions' "… saying why"

# ---- the dashboard: a gateway's row gives its partition; ':' takes --partition
ps=$(ps_bin peerscope)
tmux_start 200 50 "$ps" --config "$SIM_DIR/consul-only.yaml"
tmux_keys 3 / t e a m - a Enter
tmux_expect '│>cluster-01 +team-a ' 15 "the gateways pane shows team-a's gateway"
tmux_keys M
tmux_expect 'Mesh gateway mode of cluster-01/team-a' 5 "M: the dialog in the row's partition"
tmux_keys Down Enter
tmux_expect 'Mesh gateway mode of cluster-01/team-a: remote' 10 "the plan is in team-a"
tmux_keys Escape Escape
tmux_keys : e x p o r t Space c l u s t e r - 0 1 Space a p i Space c l u s t e r - 0 2 Space - - p a r t i t i o n Space t e a m - a Enter
tmux_expect 'Export api from cluster-01/team-a to cluster-02' 10 ":export C S P --partition team-a"
tmux_keys Escape q
tmux_stop
done_testing

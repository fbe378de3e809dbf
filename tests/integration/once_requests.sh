#!/usr/bin/env bash
# What peerscope --once asks the clusters for, counted in peerscope-sim's
# request log: each request once, none that --once does not print
# (service-defaults, the prerequisites' ACL answers and access reviews), no
# blocking re-request, no watch after a list, no liveness probe, one
# /v1/peerings per cluster; the custom resources that stand in for a Consul
# entry only when that entry cannot be read. `peerscope check`, which
# judges the prerequisites, still reads them.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
plan 18

ps=$(ps_bin peerscope)
sim_start -n 2 --tls --scale peerings=2
cfg=$SIM_CFG

last_seq() { sim_ctl requests | jq '[.[].seq] | max // 0'; }
# requests SINCE CLUSTER: "listener METHOD path query" lines, sorted.
requests() {
	sim_ctl requests "$1" "$2" | jq -r '.[] | "\(.listener) \(.method) \(.path) \(.query)"' |
		sed 's/ $//' | sort
}

since=$(last_seq)
"$ps" --config "$cfg" --once -o json >"$PS_TMP/once.json" 2>"$PS_TMP/once.err"
is "$?" 0 "--once exits 0"
requests "$since" cluster-01 >"$PS_TMP/req1"
requests "$since" cluster-02 >"$PS_TMP/req2"
diag "$(cat "$PS_TMP/req1")"

cat >"$PS_TMP/want" <<'EOF'
consul GET /v1/agent/self
consul GET /v1/config/exported-services/default
consul GET /v1/config/mesh/mesh
consul GET /v1/config/proxy-defaults/global
consul GET /v1/config/service-intentions
consul GET /v1/health/service/mesh-gateway
consul GET /v1/internal/ui/services
consul GET /v1/peerings
consul GET /v1/status/leader
kube GET /api/v1/namespaces/consul/secrets labelSelector=owner=helm,status=deployed
kube GET /api/v1/secrets labelSelector=consul.hashicorp.com/peering-token=true
kube GET /apis/apps/v1/namespaces/consul/deployments labelSelector=component=connect-injector
kube GET /apis/consul.hashicorp.com
kube GET /apis/consul.hashicorp.com/v1alpha1
kube GET /apis/consul.hashicorp.com/v1alpha1/peeringacceptors
kube GET /apis/consul.hashicorp.com/v1alpha1/peeringdialers
EOF
is "$(cat "$PS_TMP/req1")" "$(cat "$PS_TMP/want")" "cluster-01: each request once, only what --once prints"
is "$(cat "$PS_TMP/req2")" "$(cat "$PS_TMP/want")" "cluster-02: the same"
is "$(grep -c ' /v1/peerings$' "$PS_TMP/req1")" 1 "one /v1/peerings per cluster"
is "$(grep -c -e 'index=' -e 'watch=' "$PS_TMP/req1")" 0 "no blocking re-request, no watch"
is "$(jq -r '[.clusters[0].sources[].name] | join(" ")' "$PS_TMP/once.json")" \
	"identity peerings stream_health gateways exported_services mesh proxy_defaults service_intentions services kube_crds kube_acceptors kube_dialers kube_token_secrets kube_helm kube_controllers" \
	"the sources read are the ones listed"
is "$(jq -r '[.clusters[].sources[] | select(.ok | not)] | length' "$PS_TMP/once.json")" 0 \
	"every one of them ok"
is "$(jq '.pairs | length' "$PS_TMP/once.json")" 2 "the peerings are joined"
is "$(jq -r '.clusters[0].helm.release' "$PS_TMP/once.json")" consul \
	"the Helm release read from the list of its Secrets"

# While one source is slow the others, answered, are not asked again and
# nothing spins: --once's CPU time stays far below the 3 s it waits (a
# poller whose answered sources stayed due polled in a busy loop).
sim_ctl raw POST /v1/clusters/cluster-01/faults \
	'{"listener":"consul","latency_ms":3000,"path":"/v1/internal/ui/services"}' >/dev/null
TIMEFORMAT='%R %U %S'
{ time "$ps" --config "$cfg" --once -o json >/dev/null 2>&1; } 2>"$PS_TMP/time"
read -r wall user sys <"$PS_TMP/time"
diag "--once with a slow source: ${wall}s, ${user}s user, ${sys}s system"
is "$(awk -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN { print (w >= 2.9 && u + s < 1.0) }')" 1 \
	"waiting 3 s for a slow source costs less than 1 s of CPU"
sim_ctl raw DELETE /v1/clusters/cluster-01/faults >/dev/null

# Consul's mesh entry cannot be read: the Mesh resource stands in for it.
sim_ctl raw POST /v1/clusters/cluster-01/faults \
	'{"listener":"consul","error_rate":1,"error_code":500,"path":"/v1/config/mesh"}' >/dev/null
since=$(last_seq)
"$ps" --config "$cfg" --once -o json --timeout 3s >"$PS_TMP/once.json" 2>"$PS_TMP/once.err"
is "$?" 1 "a source that fails makes --once exit 1"
requests "$since" cluster-01 >"$PS_TMP/req1"
like "$(cat "$PS_TMP/req1")" 'kube GET /apis/consul.hashicorp.com/v1alpha1/meshes' \
	"the Mesh resources are read when Consul's mesh entry cannot be"
unlike "$(cat "$PS_TMP/req1")" 'exportedservices|proxydefaults|serviceintentions' \
	"… and only those: the other entries were read"
is "$(jq -r '[.clusters[0].sources[] | select(.name == "kube_meshes") | .state] | join("")' \
	"$PS_TMP/once.json")" ok "kube_meshes is listed among the sources"
is "$(requests "$since" cluster-02 | grep -c meshes)" 0 "cluster-02, whose entry was read, reads no Mesh resource"
sim_ctl raw DELETE /v1/clusters/cluster-01/faults >/dev/null

# check judges the prerequisites: it reads the ACL answers and access reviews.
since=$(last_seq)
"$ps" --config "$cfg" check -o json >"$PS_TMP/check.json" 2>"$PS_TMP/check.err"
requests "$since" cluster-01 >"$PS_TMP/req1"
like "$(cat "$PS_TMP/req1")" 'consul GET /v1/agent/members' "check reads the servers' versions"
like "$(cat "$PS_TMP/req1")" 'selfsubjectrulesreviews' "check reads the access rules"
like "$(cat "$PS_TMP/req1")" 'selfsubjectaccessreviews' "… and the access reviews they leave open"

done_testing

#!/usr/bin/env bash
# peerscope check against peerscope-sim: each check put into its failing
# state (an old Consul, Helm values missing with --set, a gateway critical or
# removed, mesh gateway mode none and local without a gateway, an ACL token
# without mesh:write, a restricted Kubernetes user), then fixed; the exit
# statuses 0/1/2, --strict, the JSON document (jq), and an operation refused
# by a failing prerequisite. The failing states are made with the
# simulator's control API and kubectl, never with peerscope.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
. "$top_srcdir/tests/e2e/ops_lib.sh"
need_kubectl
command -v jq >/dev/null || skip_all "jq is not installed"
plan 61

# cluster-02 is installed without global.peering.enabled; cluster-01's
# Kubernetes user is peerscope's own, with rules the test changes.
sim_start -n 2 --speed 20 --set cluster-02:peering_enabled=false \
	--set cluster-01:kube_user=cluster-admin
sim() { sim_ctl "$@" >/dev/null; }
J=$PS_TMP/check.json
# chk [ARGS...]: peerscope check -o json, the document in $J, status in $rc.
chk() {
	psc check -o json "$@" >"$J" 2>"$PS_TMP/check.err"
	rc=$?
}
# v CHECK CLUSTER: the verdict of a cluster check; f FIELD CHECK CLUSTER: a field.
v() { jq -r --arg c "$1" --arg w "$2" '.results[] | select(.check == $c and .cluster == $w) | .verdict' "$J"; }
f() { jq -r --arg c "$2" --arg w "$3" '.results[] | select(.check == $c and .cluster == $w) | .'"$1" "$J"; }
mesh() { # CLUSTER: the specification's Mesh, peering through mesh gateways
	k "$1" -n consul apply -f - >/dev/null <<YAML
apiVersion: consul.hashicorp.com/v1alpha1
kind: Mesh
metadata: {name: mesh}
spec: {peering: {peerThroughMeshGateways: true}}
YAML
}
mode() { # CLUSTER MODE: the global ProxyDefaults' mesh gateway mode
	k "$1" -n consul apply -f - >/dev/null <<YAML
apiVersion: consul.hashicorp.com/v1alpha1
kind: ProxyDefaults
metadata: {name: global}
spec: {meshGateway: {mode: $2}}
YAML
}
synced_cr() { [ "$(synced "$1" "$2" "$3")" = True ]; }

# ---- usage errors: exit 2
run psc check no-such-cluster
is "$rc" 2 "an unknown cluster is a usage error"
like "$err" "no cluster named 'no-such-cluster'" "the error names it"
run psc check -o yaml
is "$rc" 2 "an unknown output format is a usage error"

# ---- Helm values missing (--set cluster-02:peering_enabled=false): the
# chart's global.peering.enabled and, without it, no peering CRDs
# (consul-k8s charts/consul/templates/crd-peeringacceptors.yaml is rendered
# only with connectInject.enabled and global.peering.enabled)
mesh cluster-01
poll 20 'synced_cr cluster-01 mesh mesh'
chk
is "$rc" 1 "a failing check exits 1"
is "$(v helm-peering-enabled cluster-02) $(f seen helm-peering-enabled cluster-02)" "fail false" \
	"helm-peering-enabled fails on cluster-02, where the value is false"
like "$(f fix helm-peering-enabled cluster-02)" 'helm upgrade consul .*--set global\.peering\.enabled=true' \
	"the fix is the helm upgrade that sets it"
is "$(v crds-peering cluster-02)" fail "and the peering CRDs are not served there"
is "$(jq -r '.kind, (.clusters | join(",")), .complete, .strict, .status' "$J" | paste -sd' ')" \
	"clusters cluster-01,cluster-02 true false 1" "kind, clusters, complete, strict and status"
is "$(jq -r '.summary.fail' "$J")" "$(jq '[.results[] | select(.verdict == "fail")] | length' "$J")" \
	"the summary counts the results"
is "$(jq -r '[.results[] | select(.pair != null)] | length' "$J")" 0 "no pair yet: no pair check"
sim install cluster-02 peering_enabled=true
mesh cluster-02
poll 20 'synced_cr cluster-02 mesh mesh'
chk
is "$rc" 0 "fixed: every check passes, exit 0"
is "$(jq -r '.summary | "\(.fail) \(.warn) \(.unknown)"' "$J")" "0 0 0" \
	"a healthy simulated pair has no fail, warn or unknown"
is "$(v consul-version cluster-01)" ok "consul-version is ok"
like "$(f evidence consul-version cluster-01)" 'every server \(1\) runs 1\.14 or later' \
	"every server's version was read (GET /v1/agent/members)"
like "$(f evidence rbac-peering cluster-01)" '^access reviews: 21 verbs allowed' \
	"the Kubernetes access was asked of the API server"
psc check --strict >/dev/null 2>&1
is "$?" 0 "--strict passes too: no warning, no unknown"
run psc check cluster-02
is "$rc" 0 "check CLUSTER: only that cluster"
unlike "$out" '^cluster-01 ' "the other cluster's checks are left out"
like "$out" '^0 fail, 0 warn, 0 unknown, [0-9]+ ok, [0-9]+ skip$' "the table ends with the summary"

# ---- an old Consul (consul-k8s charts/consul/values.yaml global.image)
sim install cluster-01 consul_version=1.13.9
chk cluster-01
is "$rc" 1 "Consul 1.13.9 fails"
is "$(v consul-version cluster-01) $(f seen consul-version cluster-01)" "fail 1.13.9" \
	"consul-version fails with the version seen"
like "$(f fix consul-version cluster-01)" 'global\.image=hashicorp/consul:1\.14\.1' \
	"the fix names the image to set"
# The operations check before they act: nothing is written.
run psc peer cluster-01 cluster-02
is "$rc" 1 "peer is refused by the failing prerequisite: exit 1"
like "$err" 'prerequisite consul-version fails on cluster-01: .*1\.13\.9' \
	"the refusal names the check and its evidence"
like "$err" 'fix: helm upgrade consul' "and gives its fix"
run k cluster-01 -n consul get peeringacceptors -o name
is "$out" "" "kubectl: no acceptor was created"
sim install cluster-01 consul_version=1.18.2
chk cluster-01
is "$(v consul-version cluster-01)" ok "fixed: consul-version is ok again"

# ---- a gateway critical, then removed
sim gateway cluster-01 critical
chk cluster-01
is "$(v gateway-passing cluster-01) $(f seen gateway-passing cluster-01)" "fail 0/1 passing" \
	"a critical gateway fails gateway-passing"
sim gateway cluster-01 passing
sim gateway cluster-01 remove
chk cluster-01
is "$(v gateway-registered cluster-01)" fail \
	"no gateway while the mesh peers through gateways: gateway-registered fails"
is "$(v helm-mesh-gateway-enabled cluster-01)" fail "and meshGateway.enabled is false"
sim gateway cluster-01 add
chk cluster-01
is "$(v gateway-registered cluster-01) $(v gateway-passing cluster-01) $(v helm-mesh-gateway-enabled cluster-01)" \
	"ok ok ok" "fixed: registered, passing, enabled"

# ---- gateway modes, with a peering (consul api/config_entry.go
# MeshGatewayMode; the specification: none is invalid with peering, local
# needs a gateway in the importing cluster)
sim peer cluster-01 cluster-02
mode cluster-01 none
poll 20 'synced_cr cluster-01 proxydefaults global'
chk cluster-01
is "$(v mode-none cluster-01)" fail "mode none with a peering fails"
like "$(f evidence mode-none cluster-01)" 'MeshGateway\.Mode=none' "the evidence is Consul's proxy-defaults"
mode cluster-01 local
poll 20 '[ "$(k cluster-01 -n consul get proxydefaults global -o jsonpath="{.spec.meshGateway.mode}")" = local ] && synced_cr cluster-01 proxydefaults global'
sim gateway cluster-01 remove
chk cluster-01
is "$(v mode-none cluster-01) $(v mode-local-gateway cluster-01)" "ok fail" \
	"mode local without a gateway in the importing cluster fails"
sim gateway cluster-01 add
chk cluster-01
is "$(v mode-local-gateway cluster-01)" ok "fixed: a passing gateway there"
mode cluster-01 remote
is "$(jq -r '[.results[] | select(.pair == "cluster-01|cluster-02")] | length > 0' "$J")" true \
	"the pair's checks are reported with the pair"

# ---- a restricted Kubernetes user: no Secret may be created
# (SelfSubjectAccessReview, doc/api-contract.md §7.6)
sim kube-user cluster-01 no-secret-create
chk cluster-01
is "$(v rbac-peering cluster-01)" warn "create secrets denied: rbac-peering warns"
like "$(f evidence rbac-peering cluster-01)" 'create secrets denied' "the evidence names the verb"
like "$(f fix rbac-peering cluster-01)" 'create role peerscope' "the fix is the role to grant"
is "$rc" 0 "a warning does not fail"
psc check --strict cluster-01 >/dev/null 2>&1
is "$?" 1 "with --strict it does"
run psc acceptor cluster-01 cluster-02 --dry-run
is "$rc" 0 "an operation goes ahead on a warning"
like "$err" 'note: prerequisite rbac-peering warns on cluster-01: .*create secrets denied' \
	"the warning is a note of its plan"
# Neither Secrets nor Deployments: the Helm release and the controllers'
# image cannot be read; the check says why, with the API server's words.
sim kube-user cluster-01 '{"rules":[{"verbs":["*"],"apiGroups":["consul.hashicorp.com"],"resources":["*"]},{"verbs":["*"],"apiGroups":[""],"resources":["namespaces","configmaps","services","services/proxy"]}]}'
chk cluster-01
is "$(v consul-k8s-version cluster-01)" unknown "consul-k8s-version is unknown"
like "$(f evidence consul-k8s-version cluster-01)" 'deployments.* is forbidden' \
	"the evidence says the Deployments may not be listed"
is "$(v rbac-peering cluster-01)" fail "reading Secrets denied: rbac-peering fails"
is "$(jq -r '.results[] | select(.cluster == "cluster-01") | select(.check | startswith("helm-")) | .verdict | select(. != "skip")' "$J" | sort -u)" \
	"unknown" "the Helm checks are unknown, not failed"
# Deployments readable: the connect-injector's image gives the version
# (consul-k8s charts/consul/templates/connect-inject-deployment.yaml).
sim kube-user cluster-01 '{"rules":[{"verbs":["*"],"apiGroups":["consul.hashicorp.com"],"resources":["*"]},{"verbs":["*"],"apiGroups":[""],"resources":["namespaces","configmaps","services","services/proxy"]},{"verbs":["get","list"],"apiGroups":["apps"],"resources":["deployments"]}]}'
sim install cluster-01 consul_k8s_version=0.49.8
chk cluster-01
is "$(v consul-k8s-version cluster-01) $(f seen consul-k8s-version cluster-01)" "fail 0.49.8" \
	"an old consul-k8s fails, read from the controllers' image"
like "$(f evidence consul-k8s-version cluster-01)" 'consul-k8s-control-plane:0\.49\.8 in Deployment consul/consul-connect-injector' \
	"the evidence names the image and the Deployment"
sim install cluster-01 consul_k8s_version=1.4.3
sim kube-user cluster-01 cluster-admin
chk cluster-01
is "$(v rbac-peering cluster-01) $(v consul-k8s-version cluster-01)" "ok ok" "fixed: full access again"
stop_bg "$SIM_PID"
rm -rf "$SIM_DIR"

# ---- ACLs (--acl): peerscope's token, and the gateways' when configured
# (consul agent/acl_endpoint.go ACLTokenSelf and ACLAuthorize; the
# simulator's gateway-no-mesh-write token lacks mesh:write). consul-k8s
# keeps no copy of the gateways' token: each gateway pod logs in through
# the component auth method (charts/consul/templates/mesh-gateway-deployment.yaml,
# -login-auth-method; control-plane/subcommand/server-acl-init binds it to
# the role <fullname>-mesh-gateway-acl-role).
sim_start -n 1 --acl --speed 20
chk
is "$(v acl-token cluster-01)" ok "ACLs on: peerscope's token is known"
is "$(v acl-mesh-write cluster-01)" unknown "the gateways' token cannot be read: unknown"
like "$(f evidence acl-mesh-write cluster-01)" 'consul-k8s-component-auth-method' \
	"the evidence says why: consul-k8s's gateways log in and keep their token in the pod"
gw() { # TOKEN-FILE: the configuration with the gateways' token
	sed "/token_file:/a\\      gateway_token_file: $SIM_DIR/state/$1" "$SIM_DIR/config.yaml" >"$SIM_DIR/gw.yaml"
}
gw cluster-01-gateway-no-mesh-write.token
"$(ps_bin peerscope)" --config "$SIM_DIR/gw.yaml" check -o json >"$J" 2>/dev/null
is "$?" 1 "a gateway token without mesh:write fails"
is "$(v acl-mesh-write cluster-01)" fail "acl-mesh-write fails"
like "$(f evidence acl-mesh-write cluster-01)" "the mesh gateways' token \(consul.gateway_token_file\) denied" \
	"the evidence says whose token was denied"
like "$(f fix acl-mesh-write cluster-01)" 'mesh = "write"' "the fix is the grant"
gw cluster-01-gateway.token
"$(ps_bin peerscope)" --config "$SIM_DIR/gw.yaml" check -o json >"$J" 2>/dev/null
is "$(v acl-mesh-write cluster-01) $(v acl-service-write cluster-01) $(v acl-service-read cluster-01)" \
	"ok ok ok" "fixed: the specification's three grants"
sed "s/cluster-01-dashboard.token/cluster-01-dashboard-readonly.token/" "$SIM_DIR/config.yaml" >"$SIM_DIR/ro.yaml"
"$(ps_bin peerscope)" --config "$SIM_DIR/ro.yaml" check -o json >"$J" 2>/dev/null
is "$(v acl-token cluster-01)" warn "a read-only token: the operations would be refused"
like "$(f evidence acl-token cluster-01)" 'peering:write denied' "acl-token says so"
ok "! grep -qF \"\$(cat '$SIM_DIR/state/cluster-01-gateway.token')\" '$J'" \
	"no token is in the output"

done_testing

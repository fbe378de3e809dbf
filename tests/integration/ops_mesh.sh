#!/usr/bin/env bash
# The mesh operations from the command line against peerscope-sim (three
# clusters, ACLs on: the default policy is deny): gateway-mode,
# peer-through-gateways, export, unexport, allow and deny, each with its
# inverse and run again as a no-op; every rule of the specification with the
# simulator put into the state that triggers it; the diff before a write; a
# concurrent edit between peerscope's read and its write, kept; a
# Consul-only cluster; read-only refusals. Judged with kubectl and curl.
#
# Facts pinned here, from the sources:
#  - PUT /v1/config?cas=N answers false when the entry changed since
#    (consul:agent/config_endpoint.go, ConfigApply; ConfigEntryUpsertCAS);
#  - a Kubernetes merge patch carrying metadata.resourceVersion fails with
#    409 Conflict when the object changed (doc/api-contract.md §7.4);
#  - consul-k8s refuses an ExportedServices without services and a service
#    without consumers (k8s:control-plane/api/v1alpha1/
#    exportedservices_types.go, Validate), so the last consumer removed
#    deletes the resource;
#  - service-intentions needs at least one source
#    (consul:agent/structs/config_entry_intentions.go, validate: "At least
#    one source is required"), a source names a peer with Peer and no
#    wildcard (validateIntentionWildcards);
#  - the Mesh resource is spec.peering.peerThroughMeshGateways
#    (k8s:control-plane/api/v1alpha1/mesh_types.go), ProxyDefaults and
#    ServiceDefaults spec.meshGateway.mode (proxydefaults_types.go,
#    servicedefaults_types.go).
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
. "$top_srcdir/tests/e2e/ops_lib.sh"
need_kubectl
command -v jq >/dev/null || skip_all "jq is not installed"
plan 111

sim_start -n 3 --acl --speed 4
sim() { sim_ctl "$@"; }
# centry CLUSTER KIND NAME: Consul's config entry, by curl.
centry() { ccurl "$1" "/v1/config/$2/$3" -H "X-Consul-Token: $(ctoken "$1")"; }
jpath() { k "$1" -n consul get "$2" "$3" -o jsonpath="$4" 2>/dev/null; }

# Services of the test's own, whatever the simulator's seed picked.
for svc in web:2 checkout:1 ledger:1; do sim add-service cluster-01 "${svc%%:*}" "${svc##*:}" >/dev/null; done
for svc in stock quotes parts; do sim add-service cluster-03 "$svc" 1 >/dev/null; done
run psc peer cluster-01 cluster-02 --wait 30s
is "$rc" 0 "cluster-01 and cluster-02 are peered"

# ---- gateway-mode: a dry run shows the diff and changes nothing
run psc gateway-mode cluster-01 local --dry-run
is "$rc" 0 "gateway-mode --dry-run exits 0"
like "$out" '# cluster-01: create ProxyDefaults consul/global' "the dry run names the resource"
like "$out" '^# \+ +"mode": "local"' "and shows the diff: the mode comes"
like "$err" 'create ProxyDefaults consul/global, before -> after:' "the plan on stderr carries the diff"
run k cluster-01 -n consul get proxydefaults global
like "$err" NotFound "kubectl: the dry run created nothing"

# ---- gateway-mode local, again, then remote
run psc gateway-mode cluster-01 local
is "$rc" 0 "gateway-mode cluster-01 local exits 0"
is "$(jpath cluster-01 proxydefaults global '{.spec.meshGateway.mode}')" local \
	"kubectl: ProxyDefaults global spec.meshGateway.mode is local"
is "$(centry cluster-01 proxy-defaults global | jq -r .MeshGateway.Mode)" local \
	"curl: Consul's proxy-defaults global has MeshGateway.Mode local"
gen0=$(jpath cluster-01 proxydefaults global '{.metadata.generation}')
run psc gateway-mode cluster-01 local
like "$err" 'ProxyDefaults global on cluster-01: already' "the same mode again: nothing to change"
is "$(jpath cluster-01 proxydefaults global '{.metadata.generation}')" "$gen0" \
	"kubectl: the resource was not written again"
run psc gateway-mode cluster-01 remote
is "$(jpath cluster-01 proxydefaults global '{.spec.meshGateway.mode}')" remote \
	"kubectl: back to remote"
like "$err" '^    - +"mode": "local"' "the diff shows local go"
like "$err" '^    \+ +"mode": "remote"' "and remote come"

# ---- the mode of one service
run psc gateway-mode cluster-01 local --service web
is "$rc" 0 "gateway-mode --service web exits 0"
is "$(jpath cluster-01 servicedefaults web '{.spec.meshGateway.mode}')" local \
	"kubectl: ServiceDefaults web spec.meshGateway.mode is local"
is "$(centry cluster-01 service-defaults web | jq -r .MeshGateway.Mode)" local \
	"curl: Consul's service-defaults web has it"

# ---- a resource over an entry written outside Kubernetes: consul-k8s leaves
# such an entry as it is while the resource matches it, reports any change
# as ExternallyManagedConfigError, and deleting the resource leaves it
# (k8s:control-plane/config-entries/controllers/configentry_controller.go,
# ReconcileEntry): peerscope refuses to edit it through the resource.
ccurl cluster-01 /v1/config -X PUT -H "X-Consul-Token: $(ctoken cluster-01)" \
	-d '{"Kind":"service-defaults","Name":"ledger","MeshGateway":{"Mode":"remote"}}' >/dev/null
k cluster-01 -n consul apply -f - >/dev/null <<'YAML'
apiVersion: consul.hashicorp.com/v1alpha1
kind: ServiceDefaults
metadata:
  name: ledger
spec:
  meshGateway:
    mode: remote
YAML
poll 10 '[ "$(jpath cluster-01 servicedefaults ledger "{.status.conditions[0].status}")" = True ]'
ledger_mi=$(centry cluster-01 service-defaults ledger | jq .ModifyIndex)
run psc gateway-mode cluster-01 local --service ledger
is "$rc" 1 "a resource over an entry written outside Kubernetes: the edit is refused, exit 1"
like "$err" "service-defaults entry ledger on cluster-01 was written outside Kubernetes" \
	"the refusal says why"
like "$err" 'migrate-entry: "true" to ServiceDefaults consul/ledger' "and the fix names the annotation"
is "$(jpath cluster-01 servicedefaults ledger '{.spec.meshGateway.mode}')" remote \
	"kubectl: the resource was not changed"
is "$(centry cluster-01 service-defaults ledger | jq -c '[.ModifyIndex, .MeshGateway.Mode, .Meta]')" \
	"[$ledger_mi,\"remote\",null]" "curl: nor the entry"
# Migrated with the annotation, the entry is the controller's; kept, the
# annotation fails every later change with MigrationFailedError (the switch's
# `!matchesConsul && hasMigrationKey` case): peerscope removes it in the
# patch that makes the change, and the plan says so.
k cluster-01 -n consul annotate servicedefaults ledger consul.hashicorp.com/migrate-entry=true >/dev/null
poll 10 '[ "$(centry cluster-01 service-defaults ledger | jq -r ".Meta[\"external-source\"]")" = kubernetes ]'
run psc gateway-mode cluster-01 local --service ledger
is "$rc" 0 "migrated: gateway-mode --service ledger exits 0"
like "$err" 'the annotation consul.hashicorp.com/migrate-entry is removed with the change' \
	"the plan says the annotation goes"
like "$err" '^    - +"consul.hashicorp.com/migrate-entry": "true"' "and the diff shows it"
is "$(k cluster-01 -n consul get servicedefaults ledger -o json |
	jq -r '[.spec.meshGateway.mode, (.metadata.annotations // {} | has("consul.hashicorp.com/migrate-entry"))] | join(" ")')" \
	"local false" "kubectl: mode local, the annotation gone"
is "$(centry cluster-01 service-defaults ledger | jq -r .MeshGateway.Mode)" local \
	"curl: the controller wrote the change into Consul's entry"

# ---- the rules of the gateway mode
run psc gateway-mode cluster-01 none
is "$rc" 1 "mode none is refused by a rule: exit 1"
like "$err" 'none is invalid for mesh gateways with cluster peering connections' \
	"the refusal quotes the specification"
like "$err" 'fix: choose local' "and says what to do"
sim gateway cluster-01 critical >/dev/null
run psc gateway-mode cluster-01 local
is "$rc" 1 "local without a passing gateway in the cluster: refused, exit 1"
like "$err" 'mode local needs a registered, passing mesh gateway in cluster-01.*none passing' \
	"the refusal names the cluster and what it has"
is "$(jpath cluster-01 proxydefaults global '{.spec.meshGateway.mode}')" remote \
	"kubectl: the mode stayed remote"
sim gateway cluster-01 remove >/dev/null
run psc gateway-mode cluster-01 local --service web
is "$rc $(printf '%s' "$err" | grep -c 'it has 0 registered')" "1 1" \
	"with the gateway removed, a service's local mode is refused too"
sim gateway cluster-01 add >/dev/null
sim gateway cluster-01 passing >/dev/null
sim gateway cluster-02 critical >/dev/null
run psc gateway-mode cluster-01 remote
is "$rc" 0 "remote while a peer's gateway is critical: allowed"
like "$err" 'warning: peer cluster-02 \(cluster cluster-02\) has no passing mesh gateway' \
	"with a warning naming that peer"
sim gateway cluster-02 passing >/dev/null

# ---- peering through mesh gateways
sim gateway cluster-01 critical >/dev/null
run psc peer-through-gateways cluster-01 on
is "$rc" 1 "peering through gateways without a passing gateway: refused, exit 1"
like "$err" 'peering through mesh gateways needs a registered, passing mesh gateway' \
	"the refusal says why"
sim gateway cluster-01 passing >/dev/null
run psc peer-through-gateways cluster-01 on
is "$rc" 0 "peer-through-gateways cluster-01 on exits 0"
is "$(jpath cluster-01 mesh mesh '{.spec.peering.peerThroughMeshGateways}')" true \
	"kubectl: Mesh mesh spec.peering.peerThroughMeshGateways is true"
is "$(centry cluster-01 mesh mesh | jq -r .Peering.PeerThroughMeshGateways)" true \
	"curl: Consul's mesh entry has it"
like "$err" 'go through its mesh gateways' "the plan says what changes"
like "$err" 'keeps its token.s addresses until the token is regenerated: peerscope regenerate cluster-01 cluster-02' \
	"and offers to regenerate the peering's token"
run psc peer-through-gateways cluster-01 off
is "$(jpath cluster-01 mesh mesh '{.spec.peering.peerThroughMeshGateways}')" false \
	"kubectl: off again"

# ---- export, its rules, the wait for the import, unexport
run psc export cluster-01 web --to cluster-02 --dry-run
like "$out" '# \+ +"name": "web"' "export --dry-run shows the service come in the diff"
run psc export cluster-01 web --to cluster-02 -o json
is "$rc" 0 "export cluster-01 web --to cluster-02 exits 0"
is "$(printf '%s' "$out" | jq -r '.operation, .cluster, .service, .peer, .outcome' | paste -sd' ')" \
	"export cluster-01 web cluster-02 ok" "-o json: the operation, its target and outcome"
is "$(k cluster-01 -n consul get exportedservices default -o json |
	jq -r '.spec.services[] | select(.name == "web") | .consumers[].peer')" cluster-02 \
	"kubectl: ExportedServices default exports web to cluster-02"
like "$(ccurl cluster-02 /v1/peering/cluster-01 -H "X-Consul-Token: $(ctoken cluster-02)" |
	jq -r '.StreamStatus.ImportedServices[]')" '^web$' "curl: cluster-02 imports web"
like "$err" 'cluster-02 imports web: (done|already)' "the last step waited for the import"
run psc export cluster-01 checkout --to cluster-02
like "$(k cluster-01 -n consul get exportedservices default -o json | jq -r '.spec.services[].name' | paste -sd' ')" \
	'^web checkout$' "kubectl: a second service is added, the first kept"
run psc export cluster-01 nosuch --to cluster-03 --dry-run
like "$err" 'warning: cluster-03 is not a peer of cluster-01' "warns: the consumer is not a peer"
like "$err" 'warning: cluster-01 has no instances of nosuch' "warns: the service has no instances"
sim gateway cluster-01 critical >/dev/null
run psc export cluster-01 web --to cluster-02 --dry-run
like "$err" 'warning: cluster-01 has no passing mesh gateway.*export services to peers' \
	"warns: the exporting cluster has no passing gateway, quoting the specification"
sim gateway cluster-01 passing >/dev/null
run psc unexport cluster-01 checkout --to cluster-02
is "$rc" 2 "unexport without --yes and without a terminal: exit 2"
run psc unexport cluster-01 checkout --to cluster-02 --yes
is "$rc" 0 "unexport --yes exits 0"
is "$(k cluster-01 -n consul get exportedservices default -o json | jq -r '.spec.services[].name' | paste -sd' ')" \
	web "kubectl: checkout is gone, web kept"

# ---- allow and deny: the destination's ServiceIntentions
run psc allow cluster-01 web --from cluster-02
is "$rc" 0 "allow cluster-01 web --from cluster-02 exits 0"
is "$(centry cluster-01 service-intentions web | jq -c '[.Sources[] | {Name, Peer, Action}]')" \
	'[{"Name":"*","Peer":"cluster-02","Action":"allow"}]' \
	"curl: Consul's service-intentions web allows every service of peer cluster-02"
like "$err" 'default policy deny' "the plan says the default policy"
run psc allow cluster-01 web --from cluster-02
like "$err" 'already' "allow again: nothing to change"
run psc deny cluster-01 web --from cluster-02 --yes
is "$rc" 0 "deny exits 0"
is "$(ccurl cluster-01 /v1/config/service-intentions/web -H "X-Consul-Token: $(ctoken cluster-01)" -o /dev/null -w '%{http_code}')" 404 \
	"curl: with the default policy deny, the last source gone, the entry is deleted"

# ---- allow over an existing deny replaces it: it asks first
# (an operator's deny, written with kubectl, is not overwritten unasked)
k cluster-01 apply -f - >/dev/null <<'YAML'
apiVersion: consul.hashicorp.com/v1alpha1
kind: ServiceIntentions
metadata: {name: web, namespace: consul}
spec:
  destination: {name: web}
  sources: [{name: "*", peer: cluster-02, action: deny}]
YAML
web_action() { centry cluster-01 service-intentions web | jq -r '.Sources[0].Action'; }
ok "poll 20 '[ \"\$(web_action)\" = deny ]'" \
	"curl: the operator's deny from cluster-02 reached Consul"
run psc allow cluster-01 web --from cluster-02
is "$rc" 2 "allow over a deny without --yes and no terminal: refused with exit 2"
like "$err" 'confirm with --yes' "it asks for --yes"
like "$err" 'an existing source is replaced' "the plan says the deny is replaced"
is "$(jpath cluster-01 serviceintentions web '{.spec.sources[0].action}')" deny \
	"kubectl: the deny is still there"
run psc allow cluster-01 web --from cluster-02 --yes
is "$rc" 0 "with --yes it goes on"
is "$(jpath cluster-01 serviceintentions web '{.spec.sources[0].action}')" allow \
	"kubectl: the source now allows"

# ---- a concurrent edit between the read and the write is kept
# The second read of the resource (the run's; the plan reads it first) is
# sent slowly; while it drips, kubectl adds a service; peerscope's patch,
# tied to the version it read, is refused (409), it reads again and makes
# its change on what kubectl left.
wait_count0() {
	poll 20 "[ \"\$(sim faults $1 | jq -r '.$2.count')\" = 0 ]"
}
sim fault cluster-01 listener=kube \
	path=/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/exportedservices/default \
	drip_bytes=50 drip_delay_ms=150 count=2 >/dev/null
psc export cluster-01 ledger --to cluster-02 --yes >"$PS_TMP/bg.out" 2>"$PS_TMP/bg.err" &
bg=$!
ok "wait_count0 cluster-01 kube" "the run's read of ExportedServices default is dripping"
k cluster-01 -n consul patch exportedservices default --type merge -p \
	'{"spec":{"services":[{"name":"web","consumers":[{"peer":"cluster-02"}]},{"name":"checkout","consumers":[{"peer":"cluster-02"}]}]}}' >/dev/null
wait $bg
is "$?" 0 "the export ends with exit 0"
like "$(cat "$PS_TMP/bg.err")" 'read again after a concurrent change, which is kept' \
	"it says it read again after the concurrent change"
is "$(k cluster-01 -n consul get exportedservices default -o json | jq -r '.spec.services[].name' | sort | paste -sd' ')" \
	"checkout ledger web" "kubectl: kubectl's checkout and peerscope's ledger are both there"
sim clear-faults cluster-01 >/dev/null
# The same for a delete: deny removes web's last source, so the resource
# goes; the DELETE carries the resourceVersion read (DeleteOptions
# preconditions: k8s.io/apiserver pkg/storage/interfaces.go
# Preconditions.Check, 409 Conflict), so kubectl's source added meanwhile is
# not deleted with it: peerscope reads again and patches.
sim fault cluster-01 listener=kube \
	path=/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/serviceintentions/web \
	drip_bytes=50 drip_delay_ms=150 count=2 >/dev/null
psc deny cluster-01 web --from cluster-02 --yes >"$PS_TMP/bg.out" 2>"$PS_TMP/bg.err" &
bg=$!
ok "wait_count0 cluster-01 kube" "the run's read of ServiceIntentions web is dripping"
k cluster-01 -n consul patch serviceintentions web --type merge -p \
	'{"spec":{"sources":[{"name":"*","peer":"cluster-02","action":"allow"},{"name":"checkout","action":"allow"}]}}' >/dev/null
wait $bg
is "$?" 0 "the deny ends with exit 0"
like "$(cat "$PS_TMP/bg.err")" 'read again after a concurrent change' "it read again after the refused delete"
is "$(jpath cluster-01 serviceintentions web '{.spec.sources[*].name}')" checkout \
	"kubectl: the resource stays with kubectl's source, cluster-02's gone"
sim clear-faults cluster-01 >/dev/null

# ---- a Consul-only cluster: cluster-03, peered with cluster-01
consul_only cluster-03
psco() { "$(ps_bin peerscope)" --config "$SIM_DIR/consul-only.yaml" "$@"; }
run psco peer cluster-01 cluster-03 --wait 30s
is "$rc" 0 "cluster-01 peers with the Consul-only cluster-03"
run psco gateway-mode cluster-03 local
is "$rc" 0 "gateway-mode on a Consul-only cluster exits 0"
like "$err" 'PUT /v1/config\?cas=0 \(proxy-defaults global\)' "it writes Consul's entry, create-only"
is "$(centry cluster-03 proxy-defaults global | jq -r .MeshGateway.Mode)" local \
	"curl: proxy-defaults global has MeshGateway.Mode local"
run k cluster-03 -n consul get proxydefaults global
like "$err" NotFound "kubectl: no resource on the Consul-only side"
run psco export cluster-03 stock --to cluster-01
is "$rc" 0 "export from a Consul-only cluster exits 0"
is "$(centry cluster-03 exported-services default | jq -c '[.Services[] | {Name, Consumers}]')" \
	'[{"Name":"stock","Consumers":[{"Peer":"cluster-01"}]}]' \
	"curl: exported-services default exports stock to cluster-01"
like "$(ccurl cluster-01 /v1/peering/cluster-03 -H "X-Consul-Token: $(ctoken cluster-01)" |
	jq -r '.StreamStatus.ImportedServices[]')" '^stock$' "curl: cluster-01 imports it"
# A concurrent writer of the entry: peerscope's write is held by the
# simulator (latency on that method, once) and, once the simulator has
# received it (its request log), curl writes the entry (computed
# beforehand); the held PUT with ?cas= of the index peerscope read answers
# false (agent/config_endpoint.go: ?cas= makes the operation
# ConfigEntryUpsertCAS with that ModifyIndex and the reply is the RPC's bool;
# agent/consul/config_endpoint.go Apply); peerscope reads again and writes
# on top of it.
# write_held METHOD PATH SINCE: the simulator has received a write with ?cas=.
write_held() {
	sim_ctl requests "$3" cluster-03 |
		jq -e --arg m "$1" --arg p "$2" 'any(.[]; .method == $m and .path == $p and (.query // "" | test("cas=")))' >/dev/null
}
centry cluster-03 exported-services default |
	jq '.Services += [{"Name": "parts", "Consumers": [{"Peer": "cluster-01"}]}] | del(.CreateIndex, .ModifyIndex)' \
	>"$PS_TMP/parts.json"
since=$(sim_last_request)
sim fault cluster-03 listener=consul method=PUT path=/v1/config latency_ms=5000 count=1 >/dev/null
psco export cluster-03 quotes --to cluster-01 --yes >"$PS_TMP/bg.out" 2>"$PS_TMP/bg.err" &
bg=$!
ok "poll 30 'write_held PUT /v1/config $since'" "the run's write of exported-services default is held"
ccurl cluster-03 /v1/config -X PUT -H "X-Consul-Token: $(ctoken cluster-03)" --data-binary @"$PS_TMP/parts.json" >/dev/null
wait $bg
is "$?" 0 "the export ends with exit 0"
like "$(cat "$PS_TMP/bg.err")" 'read again after a concurrent change' "after a failed check-and-set it read again"
sim clear-faults cluster-03 >/dev/null
is "$(centry cluster-03 exported-services default | jq -r '.Services[].Name' | sort | paste -sd' ')" \
	"parts quotes stock" "curl: curl's parts and peerscope's quotes are both there"
run psco unexport cluster-03 stock --to cluster-01 --yes
is "$(centry cluster-03 exported-services default | jq -r '.Services[].Name' | sort | paste -sd' ')" \
	"parts quotes" "curl: unexport on Consul-only removes the one service"
run psco allow cluster-03 quotes --from cluster-01
is "$(centry cluster-03 service-intentions quotes | jq -r '.Sources[0] | "\(.Name) \(.Peer) \(.Action)"')" \
	"* cluster-01 allow" "curl: allow on a Consul-only cluster writes service-intentions quotes"
# A DELETE with ?cas= that Consul refuses (the entry changed since the
# read: agent/config_endpoint.go, ConfigDelete answers false through
# ConfigEntryDeleteCAS) is audited as failed, not ok; peerscope reads
# again and keeps curl's source.
centry cluster-03 service-intentions quotes |
	jq '.Sources += [{"Name": "*", "Peer": "cluster-02", "Action": "allow"}] | del(.CreateIndex, .ModifyIndex)' \
	>"$PS_TMP/quotes.json"
since=$(sim_last_request)
sim fault cluster-03 listener=consul method=DELETE path=/v1/config/service-intentions/quotes \
	latency_ms=5000 count=1 >/dev/null
psco deny cluster-03 quotes --from cluster-01 --yes >"$PS_TMP/bg.out" 2>"$PS_TMP/bg.err" &
bg=$!
ok "poll 30 'write_held DELETE /v1/config/service-intentions/quotes $since'" \
	"the run's DELETE of service-intentions quotes is held"
ccurl cluster-03 /v1/config -X PUT -H "X-Consul-Token: $(ctoken cluster-03)" --data-binary @"$PS_TMP/quotes.json" >/dev/null
wait $bg
is "$?" 0 "the deny ends with exit 0"
sim clear-faults cluster-03 >/dev/null
is "$(centry cluster-03 service-intentions quotes | jq -c '[.Sources[] | .Peer]')" '["cluster-02"]' \
	"curl: cluster-01's source is gone, curl's cluster-02 source kept"
is "$(jq -r 'select(.cluster == "cluster-03" and .kind == "service-intentions" and .verb == "DELETE") | .result' "$AUDIT" | paste -sd' ')" \
	failed "the audit log has the refused DELETE as failed"
like "$(jq -r 'select(.cluster == "cluster-03" and .kind == "service-intentions" and .verb == "DELETE") | .message' "$AUDIT")" \
	'changed since it was read' "with why"

# ---- the traffic path the simulator reports, after the changes above
# (web's calls from cluster-02 were denied above: allowed again first)
run psc allow cluster-01 web --from cluster-02
is "$(sim probe cluster-02 cluster-01 web | jq -r .ok)" true \
	"the simulator's probe: cluster-02 reaches web on cluster-01"
run psc gateway-mode cluster-02 local
sim gateway cluster-02 critical >/dev/null
like "$(sim probe cluster-02 cluster-01 web | jq -r .reason)" 'mode "local" needs a healthy mesh gateway in cluster-02' \
	"the probe: mode local without a passing local gateway breaks the path"
sim gateway cluster-02 passing >/dev/null

# ---- read-only
run psc gateway-mode cluster-01 local --readonly
is "$rc" 2 "--readonly: gateway-mode is refused with exit 2"
like "$err" 'cluster-01 is read-only' "the refusal names the cluster"
sed '/^  - name: cluster-01$/,/readonly:/s/readonly: false/readonly: true/' "$SIM_DIR/config.yaml" \
	>"$SIM_DIR/ro.yaml"
for op in "export cluster-01 web --to cluster-02" "allow cluster-01 web --from cluster-02" \
	"peer-through-gateways cluster-01 on"; do
	# shellcheck disable=SC2086
	run "$(ps_bin peerscope)" --config "$SIM_DIR/ro.yaml" $op
	is "$rc" 2 "a read-only cluster in the configuration: ${op%% *} refused with exit 2"
done

# ---- each refusal quotes a sentence of the specification that
# peerscope-rules(7) lists with its rule
rules=$(tr '\n' ' ' <"$top_srcdir/doc/peerscope-rules.7")
for sentence in "The none mode is invalid for mesh gateways with cluster peering connections." \
	"To use the local mesh gateway mode, you must register a mesh gateway in the importing cluster." \
	"A cluster requires a registered mesh gateway in order to export services to peers."; do
	ok "printf '%s' \"\$rules\" | grep -qF -- '$sentence'" "peerscope-rules(7) quotes: ${sentence:0:40}..."
done

# ---- usage and the audit log
run psc export cluster-01 web
is "$rc" 2 "export without --to: a usage error, exit 2"
like "$err" 'usage: peerscope export CLUSTER SERVICE --to PEER' "it shows the usage"
run jq -r 'select(.operation == "export" and .cluster == "cluster-01" and .result == "ok") | "\(.verb) \(.kind) \(.namespace)/\(.name)"' "$AUDIT"
like "$out" 'patch ExportedServices consul/default' "the audit log has a line for each write"
run jq -r 'select(.cluster == "cluster-03" and .kind == "exported-services") | .verb' "$AUDIT"
like "$out" 'PUT' "and the Consul writes, with Consul's verb"

#!/usr/bin/env bash
# The real kubectl against peerscope-sim's Kubernetes API: discovery, OpenAPI
# validation, apply, server-side printing, Secrets, the admission webhooks,
# watches, deletion through finalizers, the service proxy to Consul, and the
# connect-injector Deployment's status following the injector.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
need_kubectl
plan 67

F=$PS_FIXTURES/sim-kube
start_sim --tls --speed 5 --set cluster-02:peering_enabled=false
ok "[ -s '$SIM_DIR/kubeconfig' ]" "peerscope-sim starts and writes a kubeconfig"

run k cluster-01 get peeringacceptors -A
like "$out$err" "No resources found" "get peeringacceptors -A on a fresh cluster finds none"

run k cluster-01 get namespaces
like "$out" "default +Active" "get namespaces prints the API server's table"

run k cluster-01 explain peeringacceptor.spec.peer.secret
like "$out" "backend" "explain reads the CRD schema from the OpenAPI documents"

run k cluster-01 apply -f "$F/acceptor.yaml"
is "$out" "peeringacceptor.consul.hashicorp.com/cluster-02 created" "apply -f acceptor.yaml creates the acceptor"
run k cluster-01 apply -f "$F/mesh.yaml"
is "$out" "mesh.consul.hashicorp.com/mesh created" "apply -f mesh.yaml creates the mesh"
run k cluster-01 apply -f "$F/acceptor.yaml"
is "$out" "peeringacceptor.consul.hashicorp.com/cluster-02 unchanged" "a second apply changes nothing"

token_data() { k cluster-01 get secret peering-token -o jsonpath='{.data.data}'; }
poll 10 '[ -n "$(token_data)" ]'
run token_data
token_json=$(printf '%s' "$out" | base64 -d 2>/dev/null | base64 -d 2>/dev/null)
like "$token_json" '"ServerName": *"server\.[^"]*\.peering\.' \
	"get secret peering-token -o jsonpath='{.data.data}' holds a peering token"
run k cluster-01 get secrets -l consul.hashicorp.com/peering-token=true -o name
is "$out" "secret/peering-token" "the token Secret carries the peering-token label"

synced() { # context kind name
	k "$1" get "$2" "$3" -o jsonpath='{.status.conditions[?(@.type=="Synced")].status}'
}
poll 10 '[ "$(synced cluster-01 peeringacceptor cluster-02)" = True ]'
run synced cluster-01 peeringacceptor cluster-02
is "$out" "True" "the acceptor's Synced condition is True"
poll 10 '[ "$(synced cluster-01 mesh mesh)" = True ]'
run synced cluster-01 mesh mesh
is "$out" "True" "the mesh's Synced condition is True"

run k cluster-01 get peeringacceptors -A
like "$out" "^default +cluster-02 +True " "get -A prints namespace, name and the Synced column"

proxy=/api/v1/namespaces/consul/services/https:consul-server:8501/proxy
run k cluster-01 get --raw "$proxy/v1/config/mesh/mesh"
like "$out" '"PeerThroughMeshGateways": *true' "get --raw through the service proxy reaches Consul's mesh entry"
run k cluster-01 get --raw "$proxy/v1/peering/cluster-02"
like "$out" '"State": *"PENDING"' "Consul holds the acceptor's peering as PENDING"
run k cluster-01 get --raw /api/v1/namespaces/consul/services/http:consul-server:8500/proxy/v1/status/leader
like "$err" "ServiceUnavailable|connection refused" "with TLS on, the plain HTTP port is not served"

run k cluster-01 apply -f "$F/acceptor-no-peer.yaml"
like "$err" 'admission webhook "consul-mutate-peeringacceptors.consul.hashicorp.com" denied the request: .*spec.peer: Invalid value: "null": peer must be specified' \
	"the webhook rejects an acceptor without spec.peer"
run k cluster-01 apply -f "$F/acceptor-bad-type.yaml"
like "$err" 'is invalid: spec.peer.secret.name: Invalid value: "integer": spec.peer.secret.name in body must be of type string' \
	"a wrong type is a schema error"
run k cluster-01 apply -f "$F/acceptor-unknown-field.yaml"
like "$err" 'strict decoding error: unknown field "spec.peer.secret.rotate"' \
	"kubectl's strict field validation is done by the server"
run k cluster-01 create secret generic peering-token --from-literal=data=x
like "$err" 'AlreadyExists|already exists' "creating an existing Secret is a 409 AlreadyExists"
# The API server runs admission before the storage create, and each
# consul-k8s webhook lists every object of its kind on CREATE, the one of the
# same name included: creating an existing resource is the webhook's 400, not
# 409 AlreadyExists (control-plane/api/v1alpha1/peeringacceptor_webhook.go
# and mesh_webhook.go Handle).
run k cluster-01 create -f "$F/acceptor.yaml"
is "$err" 'Error from server: error when creating "'"$F"'/acceptor.yaml": admission webhook "consul-mutate-peeringacceptors.consul.hashicorp.com" denied the request: an existing PeeringAcceptor resource has the same secret name `name: peering-token, namespace: default`' \
	"create of an existing acceptor: the webhook's same-secret-name denial"
run k cluster-01 create -f "$F/mesh.yaml"
like "$err" 'admission webhook "mutate-mesh.consul.hashicorp.com" denied the request: mesh resource already defined - only one mesh entry is supported$' \
	"create of the existing mesh: only one mesh entry is supported"

# A watch sees the version bump and the acceptor's new token.
k cluster-01 get peeringacceptors --watch --output-watch-events >"$PS_TMP/watch.out" 2>&1 &
watcher=$!
_ps_pids+=("$watcher")
poll 5 'grep -Eq "^ADDED +cluster-02" "$PS_TMP/watch.out"'
old_token=$(token_data)
run k cluster-01 annotate peeringacceptor cluster-02 consul.hashicorp.com/peering-version=2
like "$out" "annotated" "annotate sets the peering-version annotation"
poll 10 'grep -Eq "^MODIFIED +cluster-02 " "$PS_TMP/watch.out"'
ok 'grep -Eq "^MODIFIED +cluster-02 " "$PS_TMP/watch.out"' \
	"get --watch sees the change"
poll 10 '[ "$(k cluster-01 get peeringacceptor cluster-02 -o jsonpath={.status.latestPeeringVersion})" = 2 ]'
run k cluster-01 get peeringacceptor cluster-02 -o jsonpath='{.status.latestPeeringVersion}'
is "$out" "2" "the controller records latestPeeringVersion 2"
new_token=$(token_data)
ok "[ -n '$new_token' ] && [ '$new_token' != '$old_token' ]" "a higher peering-version regenerates the token"

# The acceptor puts back a deleted token Secret (it watches labelled Secrets).
old_uid=$(k cluster-01 get secret peering-token -o jsonpath='{.metadata.uid}')
run k cluster-01 delete secret peering-token
is "$out" 'secret "peering-token" deleted' "delete secret peering-token"
poll 10 'uid=$(k cluster-01 get secret peering-token -o jsonpath={.metadata.uid}) && [ -n "$uid" ] && [ "$uid" != "$old_uid" ]'
run k cluster-01 get secret peering-token -o jsonpath='{.metadata.uid}'
ok "[ -n '$out' ] && [ '$out' != '$old_uid' ]" "the acceptor writes a new token Secret"

run k cluster-01 delete -f "$F/acceptor.yaml"
is "$out" 'peeringacceptor.consul.hashicorp.com "cluster-02" deleted' "delete -f acceptor.yaml deletes it through the finalizer"
run k cluster-01 get secret peering-token
like "$err" 'secrets "peering-token" not found' "the acceptor's Secret is deleted with it"
stop_bg "$watcher"

# An entry written straight into Consul before its CR: the CR reports it.
ccurl cluster-01 /v1/config -X PUT \
	-d '{"Kind":"proxy-defaults","Name":"global","MeshGateway":{"Mode":"remote"}}' >/dev/null
run k cluster-01 apply -f "$F/proxydefaults.yaml"
is "$out" "proxydefaults.consul.hashicorp.com/global created" "apply -f proxydefaults.yaml"
cond() { k cluster-01 get proxydefaults global -o jsonpath="{.status.conditions[0].$1}"; }
poll 10 '[ "$(cond status)" = False ]'
run cond reason
is "$out" "ExternallyManagedConfigError" "an entry written directly in Consul is ExternallyManagedConfigError"
run cond message
is "$out" "config entry already exists in Consul" "with the controller's message"

# The same entry written outside Kubernetes, now matching the resource: the
# controller's ReconcileEntry switch has no case that writes it (only
# syncSuccessful), so Meta stays foreign and ModifyIndex does not move; an
# edit of the resource is ExternallyManagedConfigError again, and its deletion
# leaves the entry ("skipping delete from Consul": the source datacenter is
# not ours). consul-k8s control-plane/config-entries/controllers/
# configentry_controller.go, ReconcileEntry.
ccurl cluster-01 /v1/config -X PUT \
	-d '{"Kind":"proxy-defaults","Name":"global","MeshGateway":{"Mode":"local"}}' >/dev/null
pd() { ccurl cluster-01 /v1/config/proxy-defaults/global; }
mi0=$(pd | jq .ModifyIndex)
poll 10 '[ "$(cond status)" = True ]'
run cond status
is "$out" True "a foreign entry that matches the resource: Synced=True"
run pd
is "$(printf '%s' "$out" | jq -c '[.ModifyIndex, .Meta]')" "[$mi0,null]" \
	"curl: not rewritten, ModifyIndex and Meta as Consul's writer left them"
k cluster-01 patch proxydefaults global --type merge -p '{"spec":{"meshGateway":{"mode":"remote"}}}' >/dev/null
poll 10 '[ "$(cond status)" = False ]'
run cond reason
is "$out" "ExternallyManagedConfigError" "an edit of the resource: ExternallyManagedConfigError"
run k cluster-01 delete proxydefaults global --wait=true
is "$out" 'proxydefaults.consul.hashicorp.com "global" deleted' "the resource is deleted through its finalizer"
run pd
is "$(printf '%s' "$out" | jq -c '[.ModifyIndex, .MeshGateway.Mode]')" "[$mi0,\"local\"]" \
	"curl: the foreign entry survives the resource's deletion"

# The migrate-entry annotation: a matching foreign entry is taken over (our
# Meta written); then, in ReconcileEntry's switch, `!matchesConsul &&
# hasMigrationKey` comes before the case that updates our own entry, so a
# resource that keeps the annotation fails every change with
# MigrationFailedError, whoever's the entry.
sed '/^  name: global/a\  annotations:\n    consul.hashicorp.com/migrate-entry: "true"' "$F/proxydefaults.yaml" |
	k cluster-01 apply -f - >/dev/null
poll 10 '[ "$(pd | jq -r ".Meta[\"external-source\"]")" = kubernetes ]'
run pd
is "$(printf '%s' "$out" | jq -r '.Meta["consul.hashicorp.com/source-datacenter"]')" \
	"$(ccurl cluster-01 /v1/agent/self | jq -r .Config.Datacenter)" \
	"with migrate-entry: \"true\" the matching entry is migrated to our datacenter's Meta"
mi1=$(printf '%s' "$out" | jq .ModifyIndex)
k cluster-01 patch proxydefaults global --type merge -p '{"spec":{"meshGateway":{"mode":"remote"}}}' >/dev/null
poll 10 '[ "$(cond status)" = False ]'
run cond reason
is "$out" "MigrationFailedError" "a change with the annotation kept: MigrationFailedError, though the entry is ours"
run cond message
like "$out" '^migration failed: Kubernetes resource does not match existing Consul config entry: consul=.*, kube=' \
	"with the controller's message"
is "$(pd | jq -c '[.ModifyIndex, .MeshGateway.Mode]')" "[$mi1,\"local\"]" "curl: the entry is not written"
k cluster-01 annotate proxydefaults global consul.hashicorp.com/migrate-entry- >/dev/null
poll 10 '[ "$(pd | jq -r .MeshGateway.Mode)" = remote ] && [ "$(cond status)" = True ]'
run cond status
is "$out" True "the annotation removed: the change is written, Synced=True"
k cluster-01 delete proxydefaults global --wait=true >/dev/null

run k cluster-02 get peeringacceptors
like "$err" 'the server doesn.t have a resource type "peeringacceptors"' \
	"without global.peering.enabled the peering CRDs are not installed"

# The Helm release as Helm stores it: base64 of gzip of the release JSON.
release=$(k cluster-01 get secrets -n consul -l owner=helm,name=consul \
	-o jsonpath='{.items[0].data.release}' | base64 -d | base64 -d | gzip -dc)
like "$release" '"config":\{"global":\{.*"peering":\{"enabled":true\}' \
	"the Helm release Secret carries the install's values"

# Peering through mesh gateways with none registered (doc/api-contract.md §9, 3), then one.
ctl=$(sed -n 's/^control=//p' "$SIM_DIR/ready")
curl -sS -X POST -d '{"status":"remove"}' "$ctl/v1/clusters/cluster-01/gateway" >/dev/null
sed -e 's/name: cluster-02 .*/name: cluster-03/' -e 's/"peering-token"/"token-03"/' \
	"$F/acceptor.yaml" | k cluster-01 apply -f - >/dev/null
acc3() { k cluster-01 get peeringacceptor cluster-03 -o jsonpath='{.status.conditions[0].status} {.status.conditions[0].message}'; }
poll 10 'acc3 | grep -q "^False"'
run acc3
like "$out" '^False Unexpected response code: 500 \(.*no mesh gateway instances are registered' \
	"without a mesh gateway the acceptor reports Consul's token error"
curl -sS -X POST -d '{"status":"add"}' "$ctl/v1/clusters/cluster-01/gateway" >/dev/null
poll 15 'acc3 | grep -q "^True"'
run acc3
like "$out" '^True' "with a gateway back the acceptor's retry succeeds"

# The chart's CA Secret holds the CA that Consul's HTTPS listener uses.
k cluster-01 get secret -n consul consul-ca-cert -o jsonpath='{.data.tls\.crt}' | base64 -d \
	>"$PS_TMP/ca-from-secret.pem"
run curl -sS --max-time 10 --cacert "$PS_TMP/ca-from-secret.pem" "$(consul_url cluster-01)/v1/status/leader"
like "$out" '^"[0-9.]+:8300"$' "the consul-ca-cert Secret's tls.crt verifies Consul's HTTPS"

# kubectl lists in chunks and follows the continue tokens.
all=$(k cluster-01 get secrets -A --chunk-size=0 -o name | sort)
run k cluster-01 get secrets -A --chunk-size=1 -o name
is "$(sort <<<"$out")" "$all" "get --chunk-size=1 follows continue tokens to the whole list ($(wc -l <<<"$all") Secrets)"

# The connect-injector Deployment as the deployment controller keeps it
# (kubernetes pkg/controller/deployment/sync.go calculateStatus): down, its
# pod is not ready, Available turns False with MinimumReplicasUnavailable;
# a watch of the chart's label sees each change.
dep() { k cluster-01 -n consul get deploy consul-connect-injector -o jsonpath="$1"; }
run k cluster-01 get deploy -A -l component=connect-injector
like "$out" 'consul +consul-connect-injector +1/1 +1 +1 ' \
	"get deploy -l component=connect-injector: READY 1/1, UP-TO-DATE 1, AVAILABLE 1"
start_bg kwatch "$KUBECTL_BIN" --kubeconfig "$SIM_DIR/kubeconfig" --context cluster-01 \
	-n consul get deploy -l component=connect-injector -w --output-watch-events
kwatch=$bg_pid
poll 10 'grep -q "ADDED .*1/1" "$PS_TMP/kwatch.log"'
curl -sS -X POST -d '{"up":false}' "$ctl/v1/clusters/cluster-01/injector" >/dev/null
poll 10 'grep -q "MODIFIED .*0/1 " "$PS_TMP/kwatch.log"'
like "$(cat "$PS_TMP/kwatch.log")" 'MODIFIED +consul-connect-injector +0/1 +1 +0 ' \
	"injector down: get deploy -w sees MODIFIED, READY 0/1, AVAILABLE 0"
is "$(dep '{.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Available")].reason}: {.status.conditions[?(@.type=="Available")].message}')" \
	"False MinimumReplicasUnavailable: Deployment does not have minimum availability." \
	"-o jsonpath: Available False, with the deployment controller's reason and message"
is "$(dep '{.status.replicas} {.status.updatedReplicas} [{.status.readyReplicas}] [{.status.availableReplicas}] {.status.unavailableReplicas}')" \
	"1 1 [] [] 1" "the pod is there but not ready: ready and available left out (omitempty)"
is "$(dep '{.status.observedGeneration}')" "$(dep '{.metadata.generation}')" \
	"observedGeneration follows metadata.generation"
curl -sS -X POST -d '{"up":true}' "$ctl/v1/clusters/cluster-01/injector" >/dev/null
poll 10 'grep -q "MODIFIED .*1/1 " "$PS_TMP/kwatch.log"'
like "$(cat "$PS_TMP/kwatch.log")" 'MODIFIED +consul-connect-injector +1/1 +1 +1 ' \
	"injector up: the watch sees it ready again"
is "$(dep '{.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Available")].reason}')" \
	"True MinimumReplicasAvailable" "Available True again"
stop_bg "$kwatch"
run k cluster-01 -n consul get deploy -o wide
like "$out" 'sidecar-injector +hashicorp/consul-k8s-control-plane:[0-9.]+ +app=consul,component=connect-injector,release=consul' \
	"-o wide: the containers, images and selector"

run curl -sS --cacert "$SIM_DIR/state/ca.pem" "$(grep -m1 'server:' "$SIM_DIR/kubeconfig" | awk '{print $2}')/api/v1/namespaces"
like "$out" '"reason":"Unauthorized".*"code":401' "a request without a bearer token gets a 401 Status"

# DeleteOptions preconditions, as kube-apiserver checks them: a uid or
# resourceVersion that is not the object's fails with 409 Conflict and the
# storage layer's words (k8s.io/apiserver pkg/storage/interfaces.go,
# Preconditions.Check; pkg/storage/errors.go, StorageError.Error;
# pkg/storage/errors/storage.go, InterpretDeleteError -> NewConflict).
k cluster-01 -n default create secret generic pre-test --from-literal=k=v >/dev/null
pre_uid=$(k cluster-01 -n default get secret pre-test -o jsonpath='{.metadata.uid}')
pre_rv=$(k cluster-01 -n default get secret pre-test -o jsonpath='{.metadata.resourceVersion}')
pre=/api/v1/namespaces/default/secrets/pre-test
printf '{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"00000000-0000-4000-8000-000000000001"}}' \
	>"$PS_TMP/del-uid.json"
run k cluster-01 delete --raw "$pre" -f "$PS_TMP/del-uid.json"
like "$err" "Operation cannot be fulfilled on secrets \"pre-test\": StorageError: invalid object, Code: 4, Key: /registry/secrets/default/pre-test, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: 00000000-0000-4000-8000-000000000001, UID in object meta: $pre_uid" \
	"delete with a uid precondition not the object's: 409 Conflict in the API server's words"
printf '{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"resourceVersion":"1"}}' >"$PS_TMP/del-rv.json"
run k cluster-01 delete --raw "$pre" -f "$PS_TMP/del-rv.json"
like "$err" "AdditionalErrorMsg: Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: $pre_rv" \
	"and with a stale resourceVersion"
ok "k cluster-01 -n default get secret pre-test" "kubectl: the Secret is still there"
printf '{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"%s","resourceVersion":"%s"}}' \
	"$pre_uid" "$pre_rv" >"$PS_TMP/del-ok.json"
run k cluster-01 delete --raw "$pre" -f "$PS_TMP/del-ok.json"
is "$rc" 0 "preconditions that hold: deleted"
run k cluster-01 -n default get secret pre-test
like "$err" NotFound "kubectl: the Secret is gone"

# The metadata alone, as client-go's metadata client asks for it (k8s.io/apiserver
# pkg/endpoints/handlers/response.go, asPartialObjectMetadataList): curl with the
# kubeconfig's server, CA and token.
kview() { k cluster-01 config view --raw --minify -o "jsonpath=$1"; }
server=$(kview '{.clusters[0].cluster.server}')
kview '{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$PS_TMP/kube-ca.pem"
ktoken=$(kview '{.users[0].user.token}')
kcurl() { # ACCEPT PATH
	curl -sS --max-time 10 --cacert "$PS_TMP/kube-ca.pem" -H "Authorization: Bearer $ktoken" \
		-H "Accept: $1" "$server$2"
}
meta_list='application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json'
helm="/api/v1/namespaces/consul/secrets?labelSelector=owner%3Dhelm"
seq0=$(sim_last_request)
run kcurl "$meta_list" "$helm"
is "$(printf '%s' "$out" | jq -r '[.kind, .apiVersion, .items[0].kind, .items[0].metadata.name,
	(.items[0].data == null), (.metadata.resourceVersion | length > 0)] | join(" ")')" \
	"PartialObjectMetadataList meta.k8s.io/v1 PartialObjectMetadata sh.helm.release.v1.consul.v1 true true" \
	"as=PartialObjectMetadataList: the Secrets' metadata, and no data"
is "$(printf '%s' "$out" | jq -r '.items[0].metadata | [.uid, .resourceVersion] | join(" ")')" \
	"$(k cluster-01 -n consul get secret sh.helm.release.v1.consul.v1 -o jsonpath='{.metadata.uid} {.metadata.resourceVersion}')" \
	"its uid and resourceVersion are the Secret's"
is "$(sim_ctl requests "$seq0" | jq -r '[.[] | select(.path == "/api/v1/namespaces/consul/secrets") | .as] | join(",")')" \
	"PartialObjectMetadataList" "the request log says which representation was asked for"
run kcurl 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' "$helm"
is "$(printf '%s' "$out" | jq -r '[.code, .reason] | join(" ")')" "406 NotAcceptable" \
	"as=PartialObjectMetadata of a list: 406 NotAcceptable"
run kcurl 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' \
	/api/v1/namespaces/consul/secrets/sh.helm.release.v1.consul.v1
is "$(printf '%s' "$out" | jq -r '[.kind, .metadata.labels.owner, (.data == null)] | join(" ")')" \
	"PartialObjectMetadata helm true" "as=PartialObjectMetadata of one Secret: its metadata"

done_testing

#!/usr/bin/env bash
# The specification's peering procedure done with kubectl and curl alone,
# against two simulated clusters: Mesh on both, an acceptor on cluster-01,
# its token Secret copied to cluster-02, a dialer there, both sides ACTIVE,
# a service exported on cluster-01 imported on cluster-02, and deleting the
# dialer leaving cluster-02's peering DELETING and cluster-01's TERMINATED.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
need_kubectl
plan 24

F=$PS_FIXTURES/sim-kube
start_sim --speed 2
ok "[ -s '$SIM_DIR/kubeconfig' ]" "peerscope-sim serves two clusters"

run k cluster-01 apply -f "$F/mesh.yaml"
is "$out" "mesh.consul.hashicorp.com/mesh created" "cluster-01: Mesh with peerThroughMeshGateways"
run k cluster-02 apply -f "$F/mesh.yaml"
is "$out" "mesh.consul.hashicorp.com/mesh created" "cluster-02: Mesh with peerThroughMeshGateways"

run k cluster-01 apply -f "$F/acceptor.yaml"
is "$out" "peeringacceptor.consul.hashicorp.com/cluster-02 created" "cluster-01: PeeringAcceptor cluster-02"
poll 10 'k cluster-01 get secret peering-token'
ok "k cluster-01 get secret peering-token" "cluster-01: the acceptor writes the token Secret"

# Copied as the documentation shows: get -o yaml on one cluster, apply on the other.
k cluster-01 get secret peering-token -o yaml >"$PS_TMP/token.yaml"
run k cluster-02 apply -f "$PS_TMP/token.yaml"
is "$out" "secret/peering-token created" "the Secret is copied to cluster-02"
run k cluster-02 get secret peering-token -o jsonpath='{.metadata.labels.consul\.hashicorp\.com/peering-token}'
is "$out" "true" "the copy keeps the peering-token label"

run k cluster-02 apply -f "$F/dialer.yaml"
is "$out" "peeringdialer.consul.hashicorp.com/cluster-01 created" "cluster-02: PeeringDialer cluster-01"
dialer_synced() {
	k cluster-02 get peeringdialer cluster-01 \
		-o jsonpath='{.status.conditions[?(@.type=="Synced")].status}'
}
poll 10 '[ "$(dialer_synced)" = True ]'
run dialer_synced
is "$out" "True" "cluster-02: the dialer is Synced"

state() { ccurl "$1" "/v1/peering/$2" | grep -o '"State": *"[A-Z]*"' | grep -o '[A-Z]*' | tail -1; }
poll 10 '[ "$(state cluster-01 cluster-02)" = ACTIVE ] && [ "$(state cluster-02 cluster-01)" = ACTIVE ]'
run state cluster-01 cluster-02
is "$out" "ACTIVE" "cluster-01: curl /v1/peering/cluster-02 is ACTIVE"
run state cluster-02 cluster-01
is "$out" "ACTIVE" "cluster-02: curl /v1/peering/cluster-01 is ACTIVE"

# Re-dialing with a used token fails as Consul words it (doc/api-contract.md §9, 1).
run k cluster-02 annotate peeringdialer cluster-01 consul.hashicorp.com/peering-version=2
like "$out" "annotated" "cluster-02: the dialer's peering-version goes to 2"
dialer_msg() { k cluster-02 get peeringdialer cluster-01 -o jsonpath='{.status.conditions[0].message}'; }
poll 10 'dialer_msg | grep -q "a new peering token must be generated"'
run dialer_msg
like "$out" '^Unexpected response code: 403 \(.*a new peering token must be generated' \
	"cluster-02: re-dialing with the used token is refused"
# A new token from the acceptor, copied again, is dialed at once.
k cluster-01 annotate peeringacceptor cluster-02 consul.hashicorp.com/peering-version=2 >/dev/null
poll 10 '[ "$(k cluster-01 get peeringacceptor cluster-02 -o jsonpath={.status.latestPeeringVersion})" = 2 ]'
k cluster-01 get secret peering-token -o yaml |
	sed -e '/^  resourceVersion:/d' -e '/^  uid:/d' -e '/^  creationTimestamp:/d' >"$PS_TMP/token2.yaml"
run k cluster-02 apply -f "$PS_TMP/token2.yaml"
is "$out" "secret/peering-token configured" "the acceptor's new token is copied over the old one"
poll 10 '[ "$(dialer_synced)" = True ]'
run k cluster-02 get peeringdialer cluster-01 -o jsonpath='{.status.latestPeeringVersion} {.status.secret.resourceVersion}'
is "$out" "2 $(k cluster-02 get secret peering-token -o jsonpath='{.metadata.resourceVersion}')" \
	"cluster-02: the dialer re-establishes with the updated Secret"
poll 10 '[ "$(state cluster-01 cluster-02)" = ACTIVE ] && [ "$(state cluster-02 cluster-01)" = ACTIVE ]'

# Export one of cluster-01's own services to cluster-02.
svc=$(ccurl cluster-01 /v1/catalog/services | grep -o '"[a-z0-9-]*": *\[' | tr -d '":[ ' |
	grep -v -x -e consul -e mesh-gateway | head -1)
cat >"$PS_TMP/exports.yaml" <<YAML
apiVersion: consul.hashicorp.com/v1alpha1
kind: ExportedServices
metadata:
  name: default
spec:
  services:
    - name: $svc
      consumers:
        - peer: cluster-02
YAML
run k cluster-01 apply -f "$PS_TMP/exports.yaml"
is "$out" "exportedservices.consul.hashicorp.com/default created" "cluster-01: ExportedServices exports $svc to cluster-02"
poll 10 'ccurl cluster-01 /v1/config/exported-services/default | grep -q "\"Peer\": *\"cluster-02\""'
run ccurl cluster-01 /v1/config/exported-services/default
like "$out" "\"Name\": *\"$svc\"" "cluster-01: the controller wrote the exported-services entry"
poll 15 'ccurl cluster-02 "/v1/health/service/$svc?peer=cluster-01" | grep -q "\"PeerName\": *\"cluster-01\""'
run ccurl cluster-02 "/v1/health/service/$svc?peer=cluster-01"
like "$out" '"PeerName": *"cluster-01"' "cluster-02: curl /v1/health/service/$svc?peer=cluster-01 lists the imported instances"

# Watch cluster-02's side while the dialer is deleted: DELETING is brief
# (1 s at --speed 2), so a background loop samples it until stopped below.
(
	for _ in $(seq 1 400); do
		state cluster-02 cluster-01
		sleep 0.05
	done
) >"$PS_TMP/states.out" 2>/dev/null &
watcher=$!
_ps_pids+=("$watcher")
run k cluster-02 delete -f "$F/dialer.yaml"
is "$out" 'peeringdialer.consul.hashicorp.com "cluster-01" deleted' "cluster-02: kubectl delete of the dialer"
poll 5 'grep -q DELETING "$PS_TMP/states.out"'
ok 'grep -q DELETING "$PS_TMP/states.out"' "cluster-02: the peering goes DELETING"
poll 10 '[ "$(state cluster-01 cluster-02)" = TERMINATED ]'
run state cluster-01 cluster-02
is "$out" "TERMINATED" "cluster-01: the acceptor's side is TERMINATED"
poll 10 'ccurl cluster-02 /v1/peering/cluster-01 -o /dev/null -w "%{http_code}" | grep -q 404'
run ccurl cluster-02 /v1/peering/cluster-01
is "$out" 'Peering not found for "cluster-01"' "cluster-02: the deleted peering is gone at last"
stop_bg "$watcher"

# A token used on the cluster that minted it fails as it does for real.
k cluster-01 get secret peering-token -o yaml | sed 's/name: peering-token/name: own-token/' \
	>"$PS_TMP/own.yaml"
sed -e 's/name: cluster-01 .*/name: cluster-01-self/' -e 's/"peering-token"/"own-token"/' \
	"$F/dialer.yaml" >"$PS_TMP/self-dialer.yaml"
run k cluster-01 apply -f "$PS_TMP/own.yaml" -f "$PS_TMP/self-dialer.yaml"
like "$out" "peeringdialer.consul.hashicorp.com/cluster-01-self created" \
	"cluster-01: a dialer with cluster-01's own token"
self_msg() {
	k cluster-01 get peeringdialer cluster-01-self \
		-o jsonpath='{.status.conditions[0].reason}: {.status.conditions[0].message}'
}
poll 10 '[ -n "$(self_msg)" ]'
run self_msg
like "$out" '^consulAgentError: .*cannot create a peering within the same cluster' \
	"the dialer reports Consul's same-cluster error"
done_testing

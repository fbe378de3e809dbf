#!/usr/bin/env bash
# What a peer hears of an exporting cluster's catalog: the services
# exported to it and the mesh gateways of the peering's partition, nothing
# else (agent/grpc-external/services/peerstream/subscription_manager.go:
# subscribe() watches the services exported to the peer and the mesh
# gateways of its partition). The importer writes what it hears into its
# catalog, so that its blocking queries wake; a service the peer does not
# import must leave them asleep. Judged by the importers' X-Consul-Index.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

sim_start --clusters 3 --speed 10

sim_ctl peer cluster-01 cluster-02 >/dev/null
sim_ctl peer cluster-01 cluster-03 >/dev/null
state() { curl -s "$1/v1/peering/$2" | jq -r .State; }
both_active() { [ "$(state "$C2" cluster-01)" = ACTIVE ] && [ "$(state "$C3" cluster-01)" = ACTIVE ]; }
ok "wait_until 10 both_active" "cluster-01 peered with cluster-02 and cluster-03"

# uidx URL: the index of the URL's services list, as a dashboard reads it.
uidx() { curl -s -D - -o /dev/null "$1/v1/internal/ui/services" | tr -d '\r' | sed -n 's/^X-Consul-Index: //Ip'; }
# instances URL PEER SERVICE: the instances of SERVICE imported from PEER.
instances() { curl -s "$1/v1/health/service/$3?peer=$2" | jq length; }

sim_ctl add-service cluster-01 api >/dev/null
http PUT "$C1/v1/config" '{"Kind":"exported-services","Name":"default","Services":[{"Name":"api","Consumers":[{"Peer":"cluster-02"}]}]}'
is "$body" true "cluster-01 exports api to cluster-02 alone"
is "$(instances "$C2" cluster-01 api)" 1 "cluster-02 imports api's instance"

# A service no peer imports: only the exporting cluster's index moves.
a1=$(uidx "$C1") a2=$(uidx "$C2") a3=$(uidx "$C3")
sim_ctl add-service cluster-01 internal >/dev/null
ok "[ $(uidx "$C1") -gt $a1 ]" "a service exported to no one moves cluster-01's index"
is "$(uidx "$C2")" "$a2" "… not cluster-02's"
is "$(uidx "$C3")" "$a3" "… nor cluster-03's"

# An exported service's new instances: its importer's index moves, and the
# other peer's does not.
sim_ctl add-service cluster-01 api 2 >/dev/null
ok "[ $(uidx "$C2") -gt $a2 ]" "api's new instances move cluster-02's index"
is "$(instances "$C2" cluster-01 api)" 3 "… and cluster-02 has them"
is "$(uidx "$C3")" "$a3" "cluster-03, which does not import api, keeps its index"

# Deregistered: the importer hears of it though the catalog no longer has it.
b2=$(uidx "$C2")
sim_ctl remove-service cluster-01 api >/dev/null
ok "[ $(uidx "$C2") -gt $b2 ]" "api deregistered moves cluster-02's index"
is "$(instances "$C2" cluster-01 api)" 0 "… and cluster-02 has no api left"
is "$(uidx "$C3")" "$a3" "cluster-03 keeps its index"

# The mesh gateways go to every peer of the partition.
b2=$(uidx "$C2")
sim_ctl gateway cluster-01 critical >/dev/null
ok "[ $(uidx "$C2") -gt $b2 ]" "a gateway's health moves cluster-02's index"
ok "[ $(uidx "$C3") -gt $a3 ]" "… and cluster-03's, which imports nothing"
sim_ctl gateway cluster-01 passing >/dev/null

done_testing

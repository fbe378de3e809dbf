#!/usr/bin/env bash
# peerscope-sim --seed: the initial world is the same on every run; --scale
# builds large worlds.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

mg() { printf 'X-Consul-Token: %s' "$(cat "$SIM_DIR/state/cluster-0$1-management.token")"; }
snapshot() { # dir
	local curl="curl -s -H"
	{
		$curl "$(mg 1)" "$C1/v1/agent/self" | jq -c '.Config | del(.BuildDate)'
		$curl "$(mg 1)" "$C1/v1/catalog/services"
		$curl "$(mg 2)" "$C2/v1/health/service/mesh-gateway" | jq -c '[.[] | .Service.ID, .Node.ID]'
		$curl "$(mg 1)" "$C1/v1/peerings" | jq -c '[.[] | {ID, Name, PeerID, CreateIndex}]'
		$curl "$(mg 1)" "$C1/v1/internal/ui/services" | jq -c '[.[] | {Name, InstanceCount, PeerName}]'
		cat "$SIM_DIR/state/cluster-02-dashboard.token"
		grep token: "$SIM_DIR/kubeconfig"
	} >"$1"
}

sim_start --seed 42 --acl --scale services=30,peerings=4,instances=2 --clusters 3
snapshot "$PS_TMP/a"
sim_stop
sim_start --seed 42 --acl --scale services=30,peerings=4,instances=2 --clusters 3
snapshot "$PS_TMP/b"
ok "[ \$(wc -l <'$PS_TMP/a') -ge 7 ] && ! grep -q 'Permission denied' '$PS_TMP/a'" "the snapshot is complete"
ok "cmp '$PS_TMP/a' '$PS_TMP/b'" "the same seed gives the same world"
sim_stop
sim_start --seed 43 --acl --scale services=30,peerings=4,instances=2 --clusters 3
snapshot "$PS_TMP/c"
ok "! cmp -s '$PS_TMP/a' '$PS_TMP/c'" "another seed gives another world"

H="X-Consul-Token: $(cat "$SIM_DIR/state/cluster-01-management.token")"
is "$(curl -s -H "$H" "$C1/v1/catalog/services" | jq '[keys[] | select(startswith("svc-"))] | length')" 30 "--scale services=30"
is "$(curl -s -H "$H" "$C1/v1/health/service/svc-0007" | jq length)" 2 "--scale instances=2"
is "$(curl -s -H "$H" "$C1/v1/peerings" | jq length)" 4 "--scale peerings=4 on cluster-01"
is "$(curl -s -H "$(mg 3)" "$C3/v1/peerings" | jq '[.[] | select(.State=="ACTIVE")] | length')" 4 "scale peerings are ACTIVE"
p=$(curl -s -H "$H" "$C1/v1/peerings" | jq -r '.[0].Name')
is "$(curl -s -H "$H" "$C1/v1/peering/$p" | jq '.StreamStatus.ExportedServices | length')" 10 "scale peerings export ten services"
ok "[ \$(curl -s -H '$H' '$C1/v1/peering/$p' | jq '.StreamStatus.ImportedServices | length') -eq 10 ]" "and import ten"

done_testing

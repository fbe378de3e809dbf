#!/usr/bin/env bash
# peerscope-sim's blocking queries (doc/api-contract.md §5): index and wait, the wait
# timeout, wake-ups on change, and peerings that block on structural changes
# only. Every change is made once the control API shows the query parked
# (GET /v1/clusters/NAME/waiting), so a query that never blocked fails.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

sim_start --speed 10

now_ms() { date +%s%3N; }
# bq URL: a blocking GET in the background; its result lands in $PS_TMP/bq.*
bq() {
	curl -s -D "$PS_TMP/bq.h" -o "$PS_TMP/bq.b" -w '%{http_code} %{time_total}' "$1" >"$PS_TMP/bq.out" &
	bq_pid=$!
}
bq_wait() { wait "$bq_pid"; }
bq_time() { awk '{print $2}' "$PS_TMP/bq.out"; }
bq_index() { tr -d '\r' <"$PS_TMP/bq.h" | sed -n 's/^X-Consul-Index: //Ip'; }

http GET "$C1/v1/catalog/services?wait=soon"
is "$code:$body" "400:Invalid wait time" "a bad wait: 400 Invalid wait time"
http GET "$C1/v1/catalog/services?index=abc"
is "$code:$body" "400:Invalid index" "a bad index: 400 Invalid index"
http GET "$C1/v1/catalog/services?index=-1"
is "$code" 400 "a negative index: 400"
http GET "$C1/v1/catalog/services?index=1&wait=20m"
is "$code" 200 "wait above the 10 minute cap is accepted (index already passed)"
http GET "$C1/v1/catalog/services"
idx=$(header X-Consul-Index)
ok "[ '$idx' -ge 1 ]" "X-Consul-Index is never 0"

# A node is written once, when it registers: a write elsewhere in the
# cluster leaves its indexes alone (in Consul a node's ModifyIndex moves
# only with a registration that changes the node: ensureRegistrationTxn in
# agent/consul/state/catalog.go), so that a health query's body stays the
# same and only its index moves.
nodes_idx() { curl -s "$C1/v1/health/service/mesh-gateway" | jq -c '[.[].Node | [.CreateIndex, .ModifyIndex]]'; }
n0=$(nodes_idx)
http PUT "$C1/v1/config" '{"Kind":"service-defaults","Name":"idx-probe","Protocol":"http"}'
is "$code" 200 "a config entry is written"
is "$(nodes_idx)" "$n0" "… and the gateway's node keeps its indexes"

is "$(sim_ctl waiting cluster-01 | jq -c '[.blocking_queries, .watches, .waiting]')" '[0,0,[]]' \
	"waiting: nothing parked at first"

# Timeout: same index, no change.
bq "$C1/v1/catalog/services?index=$idx&wait=1s"
ok "wait_parked cluster-01 /v1/catalog/services" "waiting: the blocking query is seen parked"
is "$(sim_ctl waiting cluster-01 | jq -c '[.blocking_queries, .waiting[0].listener]')" '[1,"consul"]' \
	"waiting: one blocking query on the Consul listener"
bq_wait
ok "none_parked cluster-01" "waiting: none once it returned"
t=$(bq_time)
ok "awk 'BEGIN{exit !($t >= 0.95 && $t < 1.5)}'" "no change: returns after wait plus jitter ($t s)"
is "$(bq_index)" "$idx" "no change: the same X-Consul-Index"
like "$(cat "$PS_TMP/bq.out")" '^200 ' "a timed-out blocking query still answers 200"

# Wake-up on change.
bq "$C1/v1/catalog/services?index=$idx&wait=30s"
wait_parked cluster-01 /v1/catalog/services
sim_ctl add-service cluster-01 newsvc >/dev/null
bq_wait
t=$(bq_time)
ok "awk 'BEGIN{exit !($t < 3)}'" "a change wakes the query ($t s)"
ok "[ $(bq_index) -gt $idx ]" "the index moved past the one sent"
ok "jq -e 'has(\"newsvc\")' '$PS_TMP/bq.b'" "the fresh result has the change"
http GET "$C1/v1/catalog/services?index=0"
is "$code" 200 "index=0 never blocks"

# Health and UI endpoints wake on catalog changes.
hidx=$(curl -s -D - -o /dev/null "$C1/v1/health/service/newsvc" | tr -d '\r' | sed -n 's/^X-Consul-Index: //Ip')
bq "$C1/v1/health/service/newsvc?index=$hidx&wait=30s"
ok "wait_parked cluster-01 /v1/health/service/newsvc" "health/service blocks"
sim_ctl add-service cluster-01 newsvc 2 >/dev/null
bq_wait
is "$(jq length "$PS_TMP/bq.b")" 3 "health/service wakes with the new instances"
# A query of one service waits on that service's index alone (Consul's
# maxIndexForService, agent/consul/state/catalog.go): another service's
# change leaves it parked, its own deregistration wakes it.
hidx=$(curl -s -D - -o /dev/null "$C1/v1/health/service/newsvc" | tr -d '\r' | sed -n 's/^X-Consul-Index: //Ip')
bq "$C1/v1/health/service/newsvc?index=$hidx&wait=2s"
wait_parked cluster-01 /v1/health/service/newsvc
sim_ctl add-service cluster-01 othersvc >/dev/null
bq_wait
ok "awk 'BEGIN{exit !($(bq_time) >= 1.9)}'" "another service's change leaves health/service/newsvc parked ($(bq_time) s)"
is "$(bq_index)" "$hidx" "… and its index where it was"
ok "[ $(curl -s -D - -o /dev/null "$C1/v1/catalog/services" | tr -d '\r' | sed -n 's/^X-Consul-Index: //Ip') -gt $hidx ]" \
	"… while the catalog's moved"
bq "$C1/v1/health/service/newsvc?index=$hidx&wait=30s"
wait_parked cluster-01 /v1/health/service/newsvc
sim_ctl remove-service cluster-01 newsvc >/dev/null
bq_wait
ok "awk 'BEGIN{exit !($(bq_time) < 3)}'" "its deregistration wakes it"
is "$(jq length "$PS_TMP/bq.b")" 0 "… with no instance left"
ok "[ $(bq_index) -gt $hidx ]" "… at the index of the deregistration"
uidx=$(curl -s -D - -o /dev/null "$C1/v1/internal/ui/services" | tr -d '\r' | sed -n 's/^X-Consul-Index: //Ip')
bq "$C1/v1/internal/ui/services?index=$uidx&wait=30s"
ok "wait_parked cluster-01 /v1/internal/ui/services" "ui/services blocks"
sim_ctl gateway cluster-01 critical >/dev/null
bq_wait
ok "awk 'BEGIN{exit !($(bq_time) < 3)}'" "ui/services wakes on a health change"
sim_ctl gateway cluster-01 passing >/dev/null

# Config entries.
cidx=$(curl -s -D - -o /dev/null "$C1/v1/config/mesh" | tr -d '\r' | sed -n 's/^X-Consul-Index: //Ip')
bq "$C1/v1/config/mesh?index=$cidx&wait=30s"
ok "wait_parked cluster-01 /v1/config/mesh" "config/:kind blocks"
curl -s -X PUT "$C1/v1/config" -d '{"Kind":"mesh"}' >/dev/null
bq_wait
is "$(jq -r '.[0].Kind' "$PS_TMP/bq.b")" mesh "config/:kind wakes on a write"

# Peerings: a structural change wakes the query, heartbeats and state flips do not.
sim_ctl peer cluster-01 cluster-02 >/dev/null
active() { [ "$(curl -s "$C2/v1/peering/cluster-01" | jq -r .State)" = ACTIVE ]; }
ok "wait_until 5 active" "a peering made through the control API becomes ACTIVE"
# The peer's gateway change is replicated into cluster-02's catalog (its
# list of services wakes) but is not a change of cluster-02's own gateways.
index_of() { curl -s -D - -o /dev/null "$1" | tr -d '\r' | sed -n 's/^X-Consul-Index: //Ip'; }
gidx=$(index_of "$C2/v1/health/service/mesh-gateway")
uidx=$(index_of "$C2/v1/internal/ui/services")
bq "$C2/v1/health/service/mesh-gateway?index=$gidx&wait=2s"
wait_parked cluster-02 /v1/health/service/mesh-gateway
sim_ctl gateway cluster-01 critical >/dev/null
bq_wait
ok "awk 'BEGIN{exit !($(bq_time) >= 1.9)}'" "a peer's gateway change leaves cluster-02's gateway query parked ($(bq_time) s)"
is "$(bq_index)" "$gidx" "… at its index"
ok "[ $(index_of "$C2/v1/internal/ui/services") -gt $uidx ]" "… while cluster-02's list of services moved"
sim_ctl gateway cluster-01 passing >/dev/null
pidx=$(curl -s -D - -o /dev/null "$C2/v1/peerings" | tr -d '\r' | sed -n 's/^X-Consul-Index: //Ip')
bq "$C2/v1/peerings?index=$pidx&wait=3s"
ok "wait_parked cluster-02 /v1/peerings" "/v1/peerings blocks"
sim_ctl advance 60 >/dev/null
sim_ctl stop cluster-01 >/dev/null
ok "parked cluster-02 /v1/peerings" "… and stays parked through heartbeats and the peer's stop"
bq_wait
t=$(bq_time)
ok "awk 'BEGIN{exit !($t >= 2.9)}'" "heartbeats and ACTIVE->FAILING do not wake /v1/peerings ($t s)"
is "$(jq -r '.[0].State' "$PS_TMP/bq.b")" FAILING "the peer is down: FAILING, computed on read"
sim_ctl start cluster-01 >/dev/null
# Termination travels over the live stream: wait for the dialer's retry.
sim_ctl advance 70 >/dev/null
ok "wait_until 5 active" "the dialer is back on its next retry"
pidx=$(bq_index)
bq "$C2/v1/peering/cluster-01?index=$pidx&wait=30s"
ok "wait_parked cluster-02 /v1/peering/cluster-01" "/v1/peering/:name blocks"
curl -s -X DELETE "$C1/v1/peering/cluster-02" >/dev/null
bq_wait
ok "awk 'BEGIN{exit !($(bq_time) < 3)}'" "a remote delete (TERMINATED) wakes /v1/peering/:name"
is "$(jq -r .State "$PS_TMP/bq.b")" TERMINATED "… with the TERMINATED state"

# A client that hangs up does not keep the server busy: its query stops
# waiting (the server looks for hang-ups once a second).
bq "$C1/v1/catalog/services?index=$((idx + 100000))&wait=5m"
wait_parked cluster-01 /v1/catalog/services
kill "$bq_pid"
wait "$bq_pid" 2>/dev/null
ok "wait_until 5 none_parked cluster-01" "a client that hung up is no longer waited for"
http GET "$C1/v1/agent/self"
is "$code" 200 "the server answers after a client gave up on a long poll"

done_testing

#!/usr/bin/env bash
# peerscope-sim's control API and `peerscope-sim ctl`: every fault is seen
# by a client — latency, error rates and codes, resets, truncated, malformed
# and slow-drip bodies, a stopped cluster, a Consul restart with its raft
# index reset, gateways critical or removed — plus services, peerings, time
# and the event log, and the cross-peer path for each mesh gateway mode.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

sim_start --speed 10 --seed 3

run "$SIM_BIN" ctl
is "$rc" 2 "ctl without a command: usage, exit 2"
run "$SIM_BIN" ctl world
is "$rc" 2 "ctl without a control URL: exit 2"
run "$SIM_BIN" ctl --state-dir "$SIM_DIR/state" world
is "$rc" 0 "ctl finds the control API through --state-dir"
is "$(jq -r '.clusters[1].name' <<<"$out")" cluster-02 "ctl world lists the clusters"
is "$(jq -r '.clusters[0].consul' <<<"$out")" "$C1" "ctl world gives the Consul URL"
run sim_ctl fault cluster-01 bogus=1
is "$rc" 1 "an unknown fault key fails"
like "$err" 'unknown fault key \\"bogus\\"' "… naming the key"
run sim_ctl fault cluster-01 error_rate=2
like "$err" "error_rate: expected a number from 0 to 1" "a rate above 1 is refused"
run sim_ctl stop cluster-09
like "$err" 'no cluster named \\"cluster-09\\"' "an unknown cluster is named"

# Latency.
sim_ctl fault cluster-01 latency_ms=400 path=/v1/status >/dev/null
t=$(curl -s -o /dev/null -w '%{time_total}' "$C1/v1/status/leader")
ok "awk 'BEGIN{exit !($t >= 0.38)}'" "latency_ms delays the answer ($t s)"
t=$(curl -s -o /dev/null -w '%{time_total}' "$C1/v1/agent/self")
ok "awk 'BEGIN{exit !($t < 0.3)}'" "path limits the fault to a prefix ($t s)"
is "$(sim_ctl faults cluster-01 | jq -r .consul.latency_ms)" 400 "ctl faults shows the spec"
sim_ctl clear-faults cluster-01 >/dev/null

# Error rate and code.
sim_ctl fault cluster-01 error_rate=1 error_code=503 count=2 >/dev/null
http GET "$C1/v1/peerings"
is "$code:$body" "503:injected fault: HTTP 503" "error_rate=1: the injected status"
http GET "$C1/v1/peerings"
is "$code" 503 "second faulted request"
http GET "$C1/v1/peerings"
is "$code" 200 "count=2 limits the fault to two requests"
# A method limits a fault to the requests of that method.
sim_ctl fault cluster-01 error_rate=1 error_code=503 method=DELETE path=/v1/config count=1 >/dev/null
http GET "$C1/v1/config/proxy-defaults/global"
is "$code" 404 "method=DELETE: a GET of the path is not faulted"
http DELETE "$C1/v1/config/proxy-defaults/global"
is "$code" 503 "… the DELETE is"
sim_ctl fault cluster-01 listener=kube error_rate=1 error_code=429 >/dev/null
http GET "$K1/api/v1/namespaces" "" -H "Authorization: Bearer x"
is "$code" 429 "a kube fault answers with its code"
is "$(jq -r '.kind + ":" + .reason' <<<"$body")" "Status:TooManyRequests" "a kube fault is a Status object"
http GET "$C1/v1/peerings"
is "$code" 200 "a kube fault leaves Consul alone"
sim_ctl clear-faults cluster-01 >/dev/null
sim_ctl fault cluster-01 error_rate=0.5 >/dev/null
n500=0
for _ in $(seq 1 40); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$C1/v1/status/leader")" = 500 ] && n500=$((n500 + 1))
done
ok "[ $n500 -ge 8 ] && [ $n500 -le 32 ]" "error_rate=0.5 fails about half ($n500 of 40)"
sim_ctl clear-faults cluster-01 >/dev/null

# Reset.
sim_ctl fault cluster-01 reset_rate=1 count=1 >/dev/null
curl -s "$C1/v1/status/leader" >/dev/null 2>&1
rcr=$?
ok "[ $rcr = 52 ] || [ $rcr = 56 ]" "reset_rate=1: the connection closes without a reply (curl $rcr)"
http GET "$C1/v1/status/leader"
is "$code" 200 "after the reset the cluster answers"

# Truncated, malformed and slow-drip bodies.
sim_ctl fault cluster-01 truncate=true count=1 >/dev/null
curl -s "$C1/v1/agent/self" >"$PS_TMP/trunc.json" 2>/dev/null
rct=$?
is "$rct" 18 "truncate: curl reports a partial transfer"
ok "! jq . '$PS_TMP/trunc.json'" "truncate: the body does not parse"
sim_ctl fault cluster-01 malformed=true count=1 >/dev/null
http GET "$C1/v1/agent/self"
is "$code" 200 "malformed: status 200"
like "$body" '#!malformed$' "malformed: the body is garbled"
ok "! jq . <<<'$body'" "malformed: the body does not parse"
sim_ctl fault cluster-01 drip_bytes=64 drip_delay_ms=50 count=1 >/dev/null
t=$(curl -s -o "$PS_TMP/drip.json" -w '%{time_total}' "$C1/v1/agent/self")
ok "awk 'BEGIN{exit !($t >= 0.4)}'" "drip: the body arrives slowly ($t s)"
ok "jq -e .Config '$PS_TMP/drip.json'" "drip: the body is whole in the end"

# Stop and start a cluster.
sim_ctl stop cluster-02 hang >/dev/null
curl -s --max-time 1 "$C2/v1/status/leader" >/dev/null 2>&1
is "$?" 28 "stop hang: the cluster does not answer, the client times out"
is "$(sim_ctl world | jq -r '.clusters[1].running')" false "ctl world shows it stopped"
curl -s -o "$PS_TMP/late.json" --max-time 10 "$C2/v1/status/leader" &
late=$!
ok "wait_queued cluster-02" "a request made while stopped is queued, unaccepted"
sim_ctl start cluster-02 >/dev/null
wait "$late"
is "$?:$(cat "$PS_TMP/late.json")" '0:"10.101.0.10:8300"' "a request made while stopped is served once it starts"
http GET "$C2/v1/status/leader"
is "$code" 200 "a started cluster answers again on the same port"
sim_ctl stop cluster-02 >/dev/null
curl -s --max-time 2 "$C2/v1/status/leader" >/dev/null 2>&1
is "$?" 7 "a stopped cluster refuses connections"
sim_ctl start cluster-02 >/dev/null
http GET "$C2/v1/status/leader"
is "$code" 200 "started again after a stop"

# Peerings made through the control API; a stopped peer makes them FAILING.
sim_ctl peer cluster-01 cluster-02 >/dev/null
state() { curl -s "$1/v1/peering/$2" | jq -r .State; }
st_is() { [ "$(state "$1" "$2")" = "$3" ]; }
ok "wait_until 5 st_is $C1 cluster-02 ACTIVE" "ctl peer: ACTIVE"
sim_ctl stop cluster-02 >/dev/null
ok "st_is $C1 cluster-02 FAILING" "the peer stopped: FAILING"
hb=$(curl -s "$C1/v1/peering/cluster-02" | jq -r .StreamStatus.LastHeartbeat)
sim_ctl advance 60 >/dev/null
is "$(curl -s "$C1/v1/peering/cluster-02" | jq -r .StreamStatus.LastHeartbeat)" "$hb" "no heartbeats while the peer is down (a simulated minute later)"
sim_ctl start cluster-02 >/dev/null
ok "wait_until 5 st_is $C1 cluster-02 ACTIVE" "the peer is back: ACTIVE again"

# Time.
hb1=$(curl -s "$C1/v1/peering/cluster-02" | jq -r .StreamStatus.LastHeartbeat)
sim_ctl advance 3600 >/dev/null
hb2=$(curl -s "$C1/v1/peering/cluster-02" | jq -r .StreamStatus.LastHeartbeat)
ok "[ \"\$(date -d '$hb2' +%s)\" -ge \$((\$(date -d '$hb1' +%s) + 3500)) ]" "advance moves the simulated clock ($hb1 -> $hb2)"

# Restart: Consul restores its snapshot. Every object keeps its indexes and
# each table's index is its newest object's, so a write that left nothing
# behind (a deregistration) is forgotten and X-Consul-Index goes backwards
# (doc/api-contract.md §5 rule 1). Until a leader is elected, consistent
# reads and writes fail with 500 "No cluster leader" (consul
# agent/structs/errors.go ErrNoLeader), stale reads answer with
# X-Consul-KnownLeader: false, and the peering endpoints, always read from
# the leader (agent/rpc/peering/service.go; doc/api-contract.md §2.4), fail
# even with ?stale.
sim_ctl add-service cluster-01 brief >/dev/null
sim_ctl remove-service cluster-01 brief >/dev/null
i1=$(curl -s -D - -o /dev/null "$C1/v1/catalog/services" | tr -d '\r' | sed -n 's/^X-Consul-Index: //Ip')
pidx1=$(curl -s "$C1/v1/peering/cluster-02" | jq -c '[.CreateIndex, .ModifyIndex]')
curl -s -D "$PS_TMP/ab.h" -o /dev/null -w '%{time_total}' "$C1/v1/catalog/services?stale&index=$i1&wait=30s" >"$PS_TMP/ab.t" &
ab=$!
ok "wait_parked cluster-01 /v1/catalog/services" "a blocking query waits before the restart"
sim_ctl restart-consul cluster-01 >/dev/null
wait "$ab"
ok "awk 'BEGIN{exit !($(cat "$PS_TMP/ab.t") < 3)}'" "restart-consul ends waiting blocking queries"
ok "[ \$(tr -d '\r' <'$PS_TMP/ab.h' | sed -n 's/^X-Consul-Index: //Ip') -lt $i1 ]" "… a stale one answers with the lower index"
ok "tr -d '\r' <'$PS_TMP/ab.h' | grep -qi '^X-Consul-KnownLeader: false'" "… and X-Consul-KnownLeader: false"
http GET "$C1/v1/catalog/services"
is "$code:$body" "500:No cluster leader" "no leader: a consistent read fails with 500 No cluster leader"
http GET "$C1/v1/health/service/consul?stale"
is "$code" 200 "… a stale one is served"
http GET "$C1/v1/peerings?stale"
is "$code:$body" "500:No cluster leader" "… the peerings fail even with ?stale"
http PUT "$C1/v1/config" '{"Kind":"mesh"}'
is "$code:$body" "500:No cluster leader" "… and so do writes"
is "$(curl -s "$C1/v1/status/leader")" '""' "no leader just after the restart: status/leader is \"\""
has_leader() { [ "$(curl -s "$C1/v1/status/leader")" != '""' ]; }
ok "wait_until 5 has_leader" "a leader again after the election"
ok "curl -s -D - -o /dev/null '$C1/v1/catalog/services' | tr -d '\r' | grep -qi '^X-Consul-KnownLeader: true'" "… and X-Consul-KnownLeader: true"
i2=$(curl -s -D - -o /dev/null "$C1/v1/catalog/services" | tr -d '\r' | sed -n 's/^X-Consul-Index: //Ip')
ok "[ $i2 -lt $i1 ]" "restart-consul: X-Consul-Index goes backwards ($i1 -> $i2)"
is "$(curl -s "$C1/v1/peering/cluster-02" | jq -c '[.CreateIndex, .ModifyIndex]')" "$pidx1" "a restore keeps each object's indexes"
ok "wait_until 5 st_is $C1 cluster-02 ACTIVE" "streams come back after a restart"

# Gateways and the cross-peer path.
curl -s -X PUT "$C1/v1/config" -d "{\"Kind\":\"exported-services\",\"Name\":\"default\",\"Services\":[{\"Name\":\"pay\",\"Consumers\":[{\"Peer\":\"cluster-02\"}]}]}" >/dev/null
sim_ctl add-service cluster-01 pay 2 >/dev/null
probe() { sim_ctl probe cluster-02 cluster-01 pay "$@"; }
is "$(probe | jq -r '.ok,.mode' | tr '\n' ' ')" "true remote " "default mode remote: the path works"
curl -s -X PUT "$C2/v1/config" -d '{"Kind":"proxy-defaults","MeshGateway":{"Mode":"local"}}' >/dev/null
is "$(probe | jq -r .ok)" true "mode local with a local gateway works"
sim_ctl gateway cluster-02 remove >/dev/null
like "$(probe | jq -r .reason)" 'mode "local" needs a healthy mesh gateway in cluster-02' "mode local without a local gateway fails"
sim_ctl gateway cluster-02 add >/dev/null
curl -s -X PUT "$C2/v1/config" -d '{"Kind":"service-defaults","Name":"web","MeshGateway":{"Mode":"none"}}' >/dev/null
# Consul generates the endpoints of a peered upstream from the exporter's
# gateways unless the mode is local (agent/xds/endpoints.go; doc/api-contract.md
# §3.4): none routes as remote, with a warning.
is "$(probe web | jq -c '[.ok, .mode, .effective_mode]')" '[true,"none","remote"]' "mode none (service-defaults of the caller) routes as remote"
like "$(probe web | jq -r .warning)" 'mode "none" is not supported for the peered upstream' "… with a warning in the proxy's log"
is "$(probe | jq -r .ok)" true "other callers keep proxy-defaults' mode"
sim_ctl gateway cluster-01 critical >/dev/null
like "$(probe | jq -r .reason)" 'cluster-01 has no healthy mesh gateway' "a critical exporting gateway breaks the path"
sim_ctl gateway cluster-01 passing >/dev/null
like "$(sim_ctl probe cluster-02 cluster-01 notexported | jq -r .reason)" 'does not export' "an unexported service has no path"

# A peering through gateways goes FAILING when the acceptor's gateway is down.
curl -s -X PUT "$C1/v1/config" -d '{"Kind":"mesh","Peering":{"PeerThroughMeshGateways":true}}' >/dev/null
tok=$(curl -s -X POST "$C1/v1/peering/token" -d '{"PeerName":"via-gw"}' | jq -r .PeeringToken)
curl -s -X POST "$C2/v1/peering/establish" -d "{\"PeerName\":\"via-gw\",\"PeeringToken\":\"$tok\"}" >/dev/null
ok "wait_until 5 st_is $C2 via-gw ACTIVE" "peering through mesh gateways: ACTIVE"
sim_ctl gateway cluster-01 critical >/dev/null
is "$(state "$C2" via-gw)" FAILING "acceptor gateway critical: FAILING"
is "$(state "$C2" cluster-01)" ACTIVE "a peering through the servers is not affected"
sim_ctl gateway cluster-01 passing >/dev/null
ok "wait_until 5 st_is $C2 via-gw ACTIVE" "gateway healthy again: ACTIVE"

# Install changes.
sim_ctl install cluster-01 tls_enabled=false >/dev/null
http POST "$C1/v1/peering/token" '{"PeerName":"no-tls"}'
like "$body" "TLS for gRPC must be enabled when generating peering tokens" "tls disabled: token generation fails"
like "$(cat "$SIM_DIR/state/cluster-01-values.yaml")" 'tls:
    enabled: false' "the state dir's values.yaml follows the install"
run sim_ctl install cluster-01 consul_version=
is "$rc" 1 "an empty version is refused"

# The connect-injector down: its webhooks fail every CR create and update.
ktok=$(sed -n 's/^    token: //p' "$SIM_DIR/kubeconfig" | head -1)
acc='{"apiVersion":"consul.hashicorp.com/v1alpha1","kind":"PeeringAcceptor","metadata":{"name":"inj"},"spec":{"peer":{"secret":{"name":"inj","key":"data","backend":"kubernetes"}}}}'
create_acc() {
	http POST "$K1/apis/consul.hashicorp.com/v1alpha1/namespaces/default/peeringacceptors" "$acc" \
		-H "Authorization: Bearer $ktok" -H 'Content-Type: application/json'
}
run sim_ctl injector cluster-01 down
is "$rc" 0 "ctl injector down"
is "$(sim_ctl raw GET /v1/clusters/cluster-01/injector | jq -r .up)" false "the control API reports the injector down"
create_acc
is "$code" 500 "injector down: creating a PeeringAcceptor fails with 500"
like "$(jq -r .message <<<"$body")" '^Internal error occurred: failed calling webhook "consul-mutate-peeringacceptors.consul.hashicorp.com": failed to call webhook: Post "https://consul-connect-injector.consul.svc:443/mutate-v1alpha1-peeringacceptors' "… failed calling webhook"
is "$(jq -r .reason <<<"$body")" InternalError "… reason InternalError"
run sim_ctl injector cluster-01 sideways
is "$rc" 2 "ctl injector takes up or down only"
sim_ctl injector cluster-01 up >/dev/null
create_acc
is "$code" 201 "injector up again: the create succeeds"

# Faults on a Kubernetes watch stream, applied to its first event.
secrets=$K1/api/v1/namespaces/default/secrets
http POST "$secrets" '{"metadata":{"name":"watched"},"stringData":{"k":"v"}}' \
	-H "Authorization: Bearer $ktok" -H 'Content-Type: application/json'
is "$code" 201 "a Secret to watch"
watch_secrets() { # TIMEOUT: the watch body in $PS_TMP/w.out, curl's status in $wrc
	curl -sS -N --max-time 5 --cacert "$SIM_DIR/state/ca.pem" -H "Authorization: Bearer $ktok" -o "$PS_TMP/w.out" \
		-w '%{time_total}' "$secrets?watch=1&timeoutSeconds=$1" >"$PS_TMP/w.t" 2>/dev/null
	wrc=$?
}
sim_ctl fault cluster-01 listener=kube truncate=true path=/api/v1/namespaces/default/secrets count=1 >/dev/null
watch_secrets 1
ok "[ $wrc -ne 0 ]" "truncate on a watch: the stream breaks (curl status $wrc)"
ok "! jq -e . '$PS_TMP/w.out' >/dev/null 2>&1 && [ -s '$PS_TMP/w.out' ]" "… after half an event"
sim_ctl fault cluster-01 listener=kube malformed=true path=/api/v1/namespaces/default/secrets count=1 >/dev/null
watch_secrets 1
is "$wrc" 0 "malformed on a watch: the stream goes on to its timeout"
like "$(head -1 "$PS_TMP/w.out")" '#!malformed$' "… its first event garbled"
sim_ctl fault cluster-01 listener=kube drip_bytes=16 drip_delay_ms=100 path=/api/v1/namespaces/default/secrets count=1 >/dev/null
watch_secrets 1
is "$(jq -r '.type + " " + .object.metadata.name' "$PS_TMP/w.out")" "ADDED watched" "slow drip on a watch: the event arrives whole"
ok "awk 'BEGIN{exit !($(cat "$PS_TMP/w.t") >= 1.5)}'" "… in small pieces, slowly ($(cat "$PS_TMP/w.t") s)"
watch_secrets 1
is "$(jq -r .type "$PS_TMP/w.out")" ADDED "count=1: the next watch is clean"
curl -sS -N --max-time 10 --cacert "$SIM_DIR/state/ca.pem" -H "Authorization: Bearer $ktok" -o /dev/null \
	"$secrets?watch=1&timeoutSeconds=10&resourceVersion=$(jq -r .metadata.resourceVersion <<<"$body")" &
wpid=$!
ok "wait_parked cluster-01 /api/v1/namespaces/default/secrets" "waiting: an open watch is seen parked"
is "$(sim_ctl waiting cluster-01 | jq -c '[.watches, .blocking_queries, .waiting[0].listener]')" \
	'[1,0,"kube"]' "waiting: it counts as a watch on the Kubernetes listener"
kill "$wpid"
wait "$wpid" 2>/dev/null
ok "wait_until 5 none_parked cluster-01" "waiting: the watch is gone once its client hung up"

# The event log.
ev=$(sim_ctl events)
like "$ev" '"event":"stopped"' "events: the stop"
like "$ev" 'Consul restarted from its snapshot' "events: the restart"
like "$ev" 'connect-injector down' "events: the injector"
like "$ev" 'time advanced by 3600 s' "events: time"
last=$(jq -r '.[-1].seq' <<<"$ev")
# A controller still retrying may log more meanwhile: what comes is newer.
since=$(sim_ctl events "$last")
is "$(jq -c --argjson l "$last" '[.[] | select(.seq <= $l)]' <<<"$since")" "[]" \
	"events since the last one: none of it or before"

done_testing

#!/usr/bin/env bash
# The peering operations when things go wrong, and on Consul-only clusters:
# read-only refusals, the connect-injector down, a Kubernetes 500 and a reset in the
# middle, a wait that runs out, Ctrl-C, Consul restarted during the wait,
# each resumed by running the same command again; and peering with a
# Consul-only cluster on either side. Judged with kubectl and curl.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
. "$top_srcdir/tests/e2e/ops_lib.sh"
need_kubectl
plan 61

# Slow timed transitions: a new peering takes about 15 s of real time to go
# ACTIVE, and the tests move the simulated clock when they want it there.
sim_start -n 3 --speed 0.1
sim() { sim_ctl "$@" >/dev/null; }

# ---- read-only
run psc peer cluster-01 cluster-02 --readonly
is "$rc" 2 "--readonly: peer is refused with exit 2"
like "$err" 'cluster-01 is read-only' "the refusal names the cluster"
sed '/^  - name: cluster-02$/,/readonly:/s/readonly: false/readonly: true/' "$SIM_DIR/config.yaml" \
	>"$SIM_DIR/ro.yaml"
run "$(ps_bin peerscope)" --config "$SIM_DIR/ro.yaml" peer cluster-01 cluster-02
is "$rc" 2 "a read-only cluster in the configuration: refused with exit 2"
like "$err" 'cluster-02 is read-only' "the refusal names that cluster"
run k cluster-01 -n consul get peeringacceptors -o name
is "$out" "" "kubectl: nothing was created"

# ---- Ctrl-C while planning: nothing is done, exit 1 (peerscope(1): a
# stopped operation exits 1). cluster-02's Consul answers after 5 s, so the
# plan is still reading when the signal comes.
sim fault cluster-02 listener=consul latency_ms=5000
since=$(sim_ctl requests | jq '[.[].seq] | max // 0')
start_bg planning "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" peer cluster-01 cluster-02 --wait 60s
pid=$bg_pid
poll 10 "sim_ctl requests $since cluster-02 | jq -e 'map(select(.listener == \"consul\")) | length > 0'"
kill -INT "$pid"
wait "$pid"
is "$?" 1 "Ctrl-C while planning: exit 1"
like "$(cat "$PS_TMP/planning.log")" 'stopped before any change' "it says nothing was changed"
run k cluster-01 -n consul get peeringacceptors -o name
is "$out" "" "kubectl: no acceptor was created"
sim clear-faults cluster-02

# ---- the connect-injector down (its Deployment not available): refused
# by the controllers-ready check before any write; up, the same command
# goes on (the webhook's own failure: tests/integration/check_controllers.sh)
sim injector cluster-01 down
run psc peer cluster-01 cluster-02 --wait 5s
is "$rc" 1 "with the connect-injector down, peer is refused: exit 1"
like "$err" 'prerequisite controllers-ready fails on cluster-01: the consul-k8s controllers are not running' \
	"the refusal names the check and why"
like "$err" 'fix: kubectl --context cluster-01 -n consul describe deployment consul-connect-injector' \
	"the fix names the connect-injector"
sim injector cluster-01 up

# ---- a Kubernetes 500, then a reset, after the acceptor was made: each
# run stops with the server's words and the next goes on where it stopped
# (the API server speaks HTTP/2, so the reset ends that request's stream
# with RST_STREAM, which libcurl does not try again: one reset)
run psc acceptor cluster-01 cluster-02
is "$rc" 0 "acceptor cluster-01 cluster-02: the first steps done"
sim fault cluster-02 listener=kube error_rate=1 error_code=500 count=1 \
	path=/api/v1/namespaces/consul/secrets/peering-token-cluster-02
run psc peer cluster-01 cluster-02 --wait 3s
is "$rc" 1 "a 500 from cluster-02's API server stops peer"
like "$err" 'read the Secret on cluster-02: .*HTTP 500' "the step, the cluster and the status are named"
ok "k cluster-01 -n consul get peeringacceptor cluster-02" "kubectl: the acceptor made before it stays"
sim fault cluster-02 listener=kube reset_rate=1 count=1 \
	path=/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/peeringdialers/cluster-01
run psc peer cluster-01 cluster-02 --wait 3s
is "$rc" 1 "a reset from cluster-02's API server stops it again"
like "$err" 'PeeringDialer on cluster-02: .*not closed cleanly: INTERNAL_ERROR' "the reset is named"

# ---- the wait runs out, naming the step and what was seen
run psc peer cluster-01 cluster-02 --wait 2s
is "$rc" 1 "the wait for ACTIVE runs out: exit 1"
like "$err" '\[2/6\] PeeringAcceptor cluster-02 on cluster-01: already' "the third run skips the acceptor"
like "$err" '\[4/6\] Secret peering-token-cluster-02 copied to cluster-02: done' \
	"and goes on from the exchange"
like "$err" 'ACTIVE on both ends on both clusters: not done within 2 s; last seen: cluster-01 [A-Z]+ · cluster-02 [A-Z]+' \
	"the timeout names the step and the states last seen"
like "$err" "fix: what was created stays; run 'peerscope peer cluster-01 cluster-02' again" \
	"and says how to go on"
ok "[ \"\$(k cluster-02 -n consul get peeringdialers -o name)\" = peeringdialer.consul.hashicorp.com/cluster-01 ]" \
	"kubectl: one dialer, no second one"

# ---- Consul restarted during the wait: the wait goes on
start_bg resume "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" peer cluster-01 cluster-02 --wait 60s
resume=$bg_pid
poll 10 'grep -q "\[5/6\]" "$PS_TMP/resume.log"'
sim fault cluster-01 listener=consul error_rate=1 error_code=500 count=3 path=/v1/peering/
sim restart-consul cluster-02
advance_while_running "$resume"
is "$?" 0 "run again, it waits through Consul 500s and a restart and ends ACTIVE"
is "$(state cluster-01 cluster-02) $(state cluster-02 cluster-01)" "ACTIVE ACTIVE" "curl: ACTIVE on both ends"

# ---- Ctrl-C stops a wait; what exists stays; the same command goes on
start_bg unpeer "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" unpeer cluster-01 cluster-02 \
	--yes --wait 60s
unpeer=$bg_pid
poll 10 'grep -q "\[3/4\]" "$PS_TMP/unpeer.log"'
advance_while_running "$unpeer"
is "$?" 0 "unpeer cluster-01 cluster-02"
start_bg stopped "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" peer cluster-01 cluster-02 --wait 60s
pid=$bg_pid
poll 10 'grep -q "\[5/6\]" "$PS_TMP/stopped.log"'
kill -INT "$pid"
wait "$pid"
is "$?" 1 "Ctrl-C during the wait: exit 1"
like "$(cat "$PS_TMP/stopped.log")" "stopped: what was created stays; run 'peerscope peer cluster-01 cluster-02' to continue" \
	"it says what stays and how to continue"
ok "k cluster-02 -n consul get peeringdialer cluster-01" "kubectl: the dialer stays"
start_bg again "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" peer cluster-01 cluster-02 --wait 60s
again=$bg_pid
poll 10 'grep -q "\[5/6\]" "$PS_TMP/again.log"'
advance_while_running "$again"
is "$?" 0 "the same command continues and ends ACTIVE"
like "$(cat "$PS_TMP/again.log")" '\[5/6\] PeeringDialer cluster-01 on cluster-02: already' \
	"it found the dialer there"

# ---- a cluster stopped during the wait: the timeout names the step and
# what was seen, and the same command finishes once it is back
start_bg c13k "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" peer cluster-01 cluster-03 --wait 3s
p13k=$bg_pid
poll 10 'grep -q "\[5/6\]" "$PS_TMP/c13k.log"'
sim stop cluster-03
wait "$p13k"
is "$?" 1 "cluster-03 stopped during the wait: exit 1"
like "$(cat "$PS_TMP/c13k.log")" 'ACTIVE on both ends on both clusters: not done within 3 s; last seen: cluster-01 [A-Z]+ · cluster-03 unreachable' \
	"the timeout names the step and cluster-03 unreachable"
sim start cluster-03
start_bg u13k "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" unpeer cluster-01 cluster-03 --yes --wait 60s
u13k=$bg_pid
poll 10 'grep -q "\[3/4\]" "$PS_TMP/u13k.log"'
advance_while_running "$u13k"
is "$?" 0 "back up, the peering is deleted again"

# ---- Consul-only on either side
consul_only cluster-03
cfg=$SIM_DIR/consul-only.yaml
start_bg c13 "$(ps_bin peerscope)" --config "$cfg" peer cluster-01 cluster-03 --wait 60s
p13=$bg_pid
poll 10 'grep -q "\[5/6\]" "$PS_TMP/c13.log"'
advance_while_running "$p13"
is "$?" 0 "a Kubernetes acceptor and a Consul-only dialer: peer exits 0"
like "$(cat "$PS_TMP/c13.log")" 'token handed to cluster-03 in memory: done' "the token goes to cluster-03 in memory"
is "$(state cluster-01 cluster-03) $(state cluster-03 cluster-01)" "ACTIVE ACTIVE" "curl: ACTIVE on both ends"
start_bg c32 "$(ps_bin peerscope)" --config "$cfg" peer cluster-03 cluster-02 --name c2 --dialer-name c3 --wait 60s
p32=$bg_pid
poll 10 'grep -q "\[5/6\]" "$PS_TMP/c32.log"'
advance_while_running "$p32"
is "$?" 0 "a Consul-only acceptor and a Kubernetes dialer: peer exits 0"
run k cluster-02 -n consul get secret peering-token-c2 -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}'
is "$out" "peerscope" "kubectl: the token went to cluster-02 in a Secret peerscope wrote"
is "$(synced cluster-02 peeringdialer c3)" "True" "kubectl: the dialer on cluster-02 is Synced"
is "$(state cluster-03 c2) $(state cluster-02 c3)" "ACTIVE ACTIVE" "curl: ACTIVE on both ends"
# a Consul-only acceptor's new token replaces the current one: it asks first
c2_rv=$(k cluster-02 -n consul get secret peering-token-c2 -o jsonpath='{.metadata.resourceVersion}')
run "$(ps_bin peerscope)" --config "$cfg" regenerate cluster-03 cluster-02 --name c2 --dialer-name c3
is "$rc" 2 "regenerate from a Consul-only acceptor without --yes and no terminal: exit 2"
like "$err" 'the current token stops working' "the plan says the current token stops working"
is "$(k cluster-02 -n consul get secret peering-token-c2 -o jsonpath='{.metadata.resourceVersion}')" \
	"$c2_rv" "kubectl: the token Secret on cluster-02 is untouched"
start_bg u32 "$(ps_bin peerscope)" --config "$cfg" unpeer cluster-02 cluster-03 --yes --wait 60s
u32=$bg_pid
poll 10 'grep -q "\[3/4\]" "$PS_TMP/u32.log"'
advance_while_running "$u32"
is "$?" 0 "unpeer of the mixed pair exits 0"
like "$(cat "$PS_TMP/u32.log")" 'accepting peering c2 deleted on cluster-03: done .*deleted through Consul' \
	"the Consul-only side is deleted through Consul"
is "$(status cluster-03 c2) $(status cluster-02 c3)" "404 404" "curl: gone on both ends"
run k cluster-02 -n consul get secret peering-token-c2
like "$err" NotFound "kubectl: peerscope's Secret on cluster-02 is gone"
ok "grep -q '\"api\":\"consul\",\"verb\":\"DELETE\",\"kind\":\"peering\"' '$AUDIT'" \
	"the audit log has the Consul DELETE"

# ---- a Secret created on the dialing side after the exchange's check
# found none is not replaced: the create answers 409 AlreadyExists, and a
# Secret the check never vetted (who reads it) is left as it is. The
# simulator holds peerscope's create (latency on that method, once); once
# its request log shows the create arrived, curl makes the Secret.
since=$(sim_ctl requests | jq '[.[].seq] | max // 0')
sim fault cluster-02 listener=kube method=POST path=/api/v1/namespaces/consul/secrets \
	latency_ms=5000 count=1
start_bg raced "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" peer cluster-01 cluster-02 \
	--name r1 --dialer-name r2 --secret-name raced-token --wait 60s
raced=$bg_pid
poll 60 "sim_ctl requests $since cluster-02 | jq -e 'any(.[]; .method == \"POST\" and .path == \"/api/v1/namespaces/consul/secrets\")' >/dev/null"
sim_kube POST cluster-02 /api/v1/namespaces/consul/secrets \
	'{"apiVersion":"v1","kind":"Secret","metadata":{"name":"raced-token"},"data":{"data":"c29tZW9uZS1lbHNlcw=="}}' >/dev/null
wait "$raced"
is "$?" 1 "a Secret created since the check: the exchange fails, exit 1"
like "$(cat "$PS_TMP/raced.log")" 'Secret consul/raced-token was created by another writer since it was checked: run the operation again' \
	"it says the Secret appeared since it was checked"
is "$(k cluster-02 -n consul get secret raced-token -o jsonpath='{.data.data}' | base64 -d)" someone-elses \
	"kubectl: the other writer's Secret is untouched"
sim clear-faults cluster-02

# ---- an acceptor created by someone else between the step's check and its
# create: consul-k8s's webhook lists it and denies the create with a 400 of
# its own, not 409 AlreadyExists
# (control-plane/api/v1alpha1/peeringacceptor_webhook.go Handle); the run
# reads it again and goes on with it. The check's read is sent slowly;
# kubectl creates it meanwhile.
sim fault cluster-01 listener=kube path=/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/peeringacceptors/m1 \
	drip_bytes=10 drip_delay_ms=200 count=2
start_bg made "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" acceptor cluster-01 cluster-02 \
	--name m1 --secret-name made-token --wait 60s
made=$bg_pid
poll 30 'grep -q "\[1/" "$PS_TMP/made.log"'
k cluster-01 -n consul apply -f - >/dev/null <<YAML
apiVersion: consul.hashicorp.com/v1alpha1
kind: PeeringAcceptor
metadata: {name: m1}
spec: {peer: {secret: {name: made-token, key: data, backend: kubernetes}}}
YAML
advance_while_running "$made"
is "$?" 0 "an acceptor created since the check: the run goes on with it, exit 0"
like "$(cat "$PS_TMP/made.log")" 'PeeringAcceptor m1 on cluster-01: done .*exists \(made meanwhile\)' \
	"it says the acceptor was made meanwhile"
is "$(k cluster-01 -n consul get peeringacceptors -o name | grep -c '/m1$')" 1 "kubectl: one acceptor m1"
sim clear-faults cluster-01

# ---- a PeeringDialer replaced between unpeer's check and its delete: the
# delete names the uid the check read (DeleteOptions.preconditions, which
# kube-apiserver answers with 409 Conflict when the name holds another
# object: staging/src/k8s.io/apiserver/pkg/registry/generic/registry/
# store.go), so the new dialer stays. The simulator holds peerscope's
# DELETE; kubectl replaces the dialer meanwhile.
# make_z2: the PeeringDialer z2 on cluster-02, applied with kubectl.
make_z2() {
	k cluster-02 -n consul apply -f - >/dev/null <<YAML
apiVersion: consul.hashicorp.com/v1alpha1
kind: PeeringDialer
metadata: {name: z2}
spec: {peer: {secret: {name: z-token, key: data, backend: kubernetes}}}
YAML
}
make_z2
old_uid=$(k cluster-02 -n consul get peeringdialer z2 -o jsonpath='{.metadata.uid}')
since=$(sim_ctl requests | jq '[.[].seq] | max // 0')
sim fault cluster-02 listener=kube method=DELETE \
	path=/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/peeringdialers/z2 latency_ms=5000 count=1
start_bg zd "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" unpeer cluster-01 cluster-02 \
	--name z1 --dialer-name z2 --secret-name z-token --yes --wait 30s
zd=$bg_pid
poll 60 "sim_ctl requests $since cluster-02 | jq -e 'any(.[]; .method == \"DELETE\" and (.path | endswith(\"/peeringdialers/z2\")))' >/dev/null"
k cluster-02 -n consul delete peeringdialer z2 --wait=false >/dev/null
poll 60 "! k cluster-02 -n consul get peeringdialer z2 >/dev/null 2>&1 || { sim_ctl advance 5 >/dev/null; false; }"
make_z2
new_uid=$(k cluster-02 -n consul get peeringdialer z2 -o jsonpath='{.metadata.uid}')
wait "$zd"
is "$?" 1 "a dialer replaced since unpeer's check: not deleted, exit 1"
like "$(cat "$PS_TMP/zd.log")" 'PeeringDialer z2 on cluster-02 was replaced since it was read: not deleted' \
	"it says the dialer was replaced since it was read"
ok "[ -n '$new_uid' ] && [ '$new_uid' != '$old_uid' ] && [ \"\$(k cluster-02 -n consul get peeringdialer z2 -o jsonpath='{.metadata.uid}')\" = '$new_uid' ]" \
	"kubectl: the new dialer is there, untouched"
sim clear-faults cluster-02
k cluster-02 -n consul delete peeringdialer z2 --wait=false >/dev/null

# ---- a dialer made again for an acceptor its old dialer terminated: Consul
# refuses the old token ("a new peering token must be generated": the
# secrets of a terminated peering are deleted, agent/consul/state/
# peering.go), and a new token cannot revive a TERMINATED acceptor either
# (it stays TERMINATED, PeeringWrite), so the fix is unpeer then peer, not
# regenerate.
start_bg tp "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" peer cluster-01 cluster-02 \
	--name t1 --dialer-name t2 --secret-name t-token --wait 60s
tp=$bg_pid
advance_while_running "$tp"
is "$?" 0 "peer t1/t2: ACTIVE"
k cluster-02 -n consul delete peeringdialer t2 --wait=false >/dev/null
poll 60 "[ \"\$(state cluster-01 t1)\" = TERMINATED ] || { sim_ctl advance 5 >/dev/null; false; }"
start_bg td "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" dialer cluster-02 cluster-01 \
	--name t1 --dialer-name t2 --secret-name t-token --wait 60s
td=$bg_pid
advance_while_running "$td"
is "$?" 1 "a dialer again for a TERMINATED acceptor: the controller fails, exit 1"
like "$(cat "$PS_TMP/td.log")" 'the peering t1 on cluster-01 is TERMINATED, which a new token cannot revive: peerscope unpeer cluster-01 cluster-02, then peerscope peer cluster-01 cluster-02' \
	"the fix is unpeer then peer, not regenerate"

done_testing

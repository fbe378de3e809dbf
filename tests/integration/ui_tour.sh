#!/usr/bin/env bash
# Demo walkthroughs: the whole guided tour in --tour-auto mode reaching its
# last step with each step's screen; a script driving the same story at
# 80x24; a script with a bad line refused with file:line before anything
# runs; the presenter's :sim commands seen on the dashboard and reverted, and
# refused outside a demo.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux
[ -x "$(ps_bin peerscope-sim)" ] || skip_all "peerscope-sim is not built"
ps=$(ps_bin peerscope)
export TMPDIR="$PS_TMP/tmp"
mkdir -p "$TMPDIR"
plan 52

# ---- a bad script is refused before anything starts
printf 'pace 100ms\nsay "hello"\nkeys p Hyper\n' >"$PS_TMP/bad.script"
run "$ps" --demo --script "$PS_TMP/bad.script"
is "$rc" 2 "a bad script: exit 2"
like "$err" "bad.script:3: 'Hyper' is not a key name" "the error names file:line and the fault"
is "$(ls -A "$TMPDIR")" "" "nothing was started: no demo folder"
printf 'say "no end\n' >"$PS_TMP/bad2.script"
run "$ps" --demo --script "$PS_TMP/bad2.script"
like "$err" "bad2.script:1: a quote is not closed" "an unclosed quote is named with its line"
run "$ps" --tour
is "$rc" 2 "--tour without --demo is a usage error"
printf 'clusters: [{name: lab, consul: {address: "127.0.0.1:9"}}]\n' >"$PS_TMP/lab.yaml"
printf 'pace 1s\nsay "x"\nsim gateway lab critical\n' >"$PS_TMP/sim.script"
run "$ps" --config "$PS_TMP/lab.yaml" --script "$PS_TMP/sim.script"
is "$rc" 2 "a sim step on configured clusters: exit 2"
like "$err" "sim.script:3: sim works only in a demo" "before anything starts, naming file:line"
printf 'say "x"\n' >"$PS_TMP/say.script"
run "$ps" --config "$PS_TMP/lab.yaml" --script "$PS_TMP/say.script" </dev/null
like "$err" "--script plays on the dashboard, which needs a terminal" "a script without a terminal is refused"

# ---- the tour, by itself
tmux_start 160 48 "$ps" --demo --tour-auto 1.5
tmux_expect 'Three Kubernetes clusters, each running Consul' 30 "tour: the first caption"
tmux_expect 'CHECKS' 20 "tour: the checks of cluster-01"
tmux_expect 'Peer cluster-03 with cluster-01: p on cluster-01' 20 "tour: the peering step's caption"
tmux_expect 'The plan: each step and what it will do' 30 "tour: the plan"
tmux_expect 'Both ends are ACTIVE' 60 "tour: peered, through the real operation"
tmux_expect '│ cluster-01 +cluster-03 +ACTIVE +acc ok +ACTIVE +dial ok' 10 \
	"tour: the peerings pane shows cluster-01 and cluster-03 ACTIVE"
tmux_expect 'Peered, cluster-03 sees nothing of cluster-01' 30 "tour: the export step"
tmux_expect '│ \+ +"peer": "cluster-03"' 30 "tour: the export's diff adds cluster-03 as a consumer"
tmux_expect 'Exported, and imported' 60 "tour: exported, and imported by cluster-03"
tmux_expect 'mode none is invalid for mesh gateways with cluster peering' 30 "tour: mode none refused"
tmux_expect 'mode local needs a registered, passing mesh gateway in cluster-03' 60 \
	"tour: mode local without a local gateway refused"
tmux_expect "cluster-01's mesh gateway goes critical" 60 "tour: the gateway step"
tmux_expect 'consul-mesh-gateway-[0-9a-z-]+ [0-9.:]+ \(cluster-01, [a-z ]+\)  \[critical\]' 30 \
	"tour: the traffic path marks the critical gateway"
tmux_expect 'Back to passing' 30 "tour: and passing again"
tmux_expect 'R on a peering makes a new token' 30 "tour: regenerate"
tmux_expect 'D deletes a peering' 60 "tour: unpeer"
tmux_expect 'Topology map' 60 "tour: the map"
tmux_expect 'That was the tour' 30 "tour: the last step"
tmux_keys q
tmux_expect 'left the tour: the dashboard stays' 5 "q leaves the tour; the dashboard stays"
# The dashboard runs one :sim command at a time and refuses the next while
# it runs ("a simulator command is still running"): its effect can be on
# screen before the command has ended (under ASan the ctl process ends
# late), so each next command waits for the answer of the one before.
answered() { tmux_wait_for "sim $*: " 10 || true; }
tmux_keys : s i m Space g a Tab
tmux_expect '^:sim gateway$' 5 ":sim completes its commands"
tmux_keys Space c l u s t e r - 0 2 Space c r i t i c a l Enter
tmux_expect 'cluster-02 +consu[^ ]+ .* critical' 20 ":sim gateway C critical is seen"
answered gateway cluster-02 critical
tmux_keys : s i m Space g a t e w a y Space c l u s t e r - 0 2 Space p a s s i n g Enter
tmux_expect 'cluster-02 +consu[^ ]+ .* passing' 20 "and passing again"
answered gateway cluster-02 passing
tmux_keys : s i m Space s t o p Space c l u s t e r - 0 3 Enter
tmux_expect 'cluster-03 +cluster-03 +STALE ' 20 ":sim stop C: the cluster goes STALE"
answered stop cluster-03
tmux_keys : s i m Space s t a r t Space c l u s t e r - 0 3 Enter
tmux_expect 'cluster-03 +cluster-03 +ok ' 30 ":sim start C: back"
sim_cmd() { tmux_keys : ; _tmux send-keys -t t -l "sim $*"; tmux_keys Enter; }
answered start cluster-03
sim_cmd gateway cluster-02 remove
tmux_expect 'sim gateway cluster-02 remove: done' 5 "the answer names the command"
tmux_expect 'cluster-02 +no mesh ga' 20 ":sim gateway C remove: the pane says C has none"
# Peering goes through the mesh gateways (peerThroughMeshGateways): without
# cluster-02's, the stream breaks.
tmux_expect 'cluster-01 +cluster-02 +FAILING' 30 "and the peering, through the gateways, fails"
sim_cmd gateway cluster-02 add
tmux_expect 'cluster-02 +consu[^ ]+ +[0-9.]+:[0-9]+ +passing' 20 "add brings the gateway back"
tmux_expect 'cluster-01 +cluster-02 +ACTIVE +acc ok +ACTIVE' 60 "and the peering is ACTIVE again"
# A restarted Consul drops its peering streams: the acceptor's side fails
# until the dialer reconnects.
answered gateway cluster-02 add
sim_cmd restart-consul cluster-02
tmux_expect 'cluster-01 +cluster-02 +FAILING' 20 ":sim restart-consul C: the peering fails for a while"
tmux_expect 'cluster-01 +cluster-02 +ACTIVE +acc ok +ACTIVE' 30 "and is ACTIVE again"
# Blocking queries answer on change only: F5 asks again and meets the fault.
sim_cmd fault cluster-02 error_rate=1 error_code=503
tmux_expect 'sim fault cluster-02 error_rate=1 error_code=503: done' 5 ":sim fault: done"
tmux_keys F5
tmux_expect 'cluster-02 +cluster-02 +ok +[0-9]+ failing \(direct\)' 20 "the faulty Consul's sources fail"
sim_cmd clear-faults cluster-02
tmux_expect 'sim clear-faults cluster-02: done' 5 ":sim clear-faults: done"
tmux_keys F5
tmux_expect 'cluster-02 +cluster-02 +ok +ok \(direct\)' 20 "and they answer again"
# The connect-injector down: its Deployment is not available, the watch
# brings it, the clusters pane names the failing check and the peering's
# dialer (cluster-02 dials cluster-01 in the demo) is no longer reconciled.
prereqs() { tmux_capture | grep -E '^│[> ]cluster-02 +cluster-02 ' | sed -E 's/.*  ([^ ].*[^ ]) +│$/\1/'; }
before=$(prereqs)
: "${before:=no PREREQS read before}"
before_re=$(printf '%s' "$before" | sed 's/[][\\.*^$+?(){}|]/\\&/g')
sim_cmd injector cluster-02 down
tmux_expect 'sim injector cluster-02 down: done' 5 ":sim injector: done"
tmux_expect 'cluster-02 .* 1 fail: controllers-ready +│' 10 \
	":sim injector C down: the clusters pane names controllers-ready, without F5"
tmux_expect 'cluster-01 +cluster-02 +ACTIVE +acc ok +ACTIVE +dial stale' 10 \
	"and the peering's dialer is stale"
sim_cmd injector cluster-02 up
tmux_expect "cluster-02 +cluster-02 .*  $before_re +│" 10 ":sim injector C up: PREREQS as before ($before)"
tmux_expect 'cluster-01 +cluster-02 +ACTIVE +acc ok +ACTIVE +dial ok' 10 "and the dialer Synced"
sim_cmd gateway cluster-09 critical
tmux_expect 'sim gateway cluster-09 critical: .*cluster-09' 5 "a simulator error is shown, naming what it refused"
tmux_keys q
tmux_expect '^\[exited\] 0$' 10 "q quits the demo"
tmux_stop

# ---- a script telling the same story, at 80x24
cat >"$PS_TMP/story.script" <<'SCRIPT'
pace 50ms
say "Peer cluster-03 with cluster-01." at clusters cluster-01
command :peer cluster-01 cluster-03
wait-until "Tab: what it sends"
keys Enter
wait-until "Enter: close" 2m
keys Enter
say "peered" at peerings cluster-03
SCRIPT
tmux_start 80 24 "$ps" --demo --script "$PS_TMP/story.script"
if tmux_wait_for 'The script is done' 90; then
	pass "80x24: the script runs to its end"
else
	# What the simulator's controllers did, to tell a slow world from a
	# stuck one.
	for d in "$TMPDIR"/peerscope-demo.*/state; do
		"$(ps_bin peerscope-sim)" ctl --state-dir "$d" events 2>&1 | tail -c 4000
	done >"$PS_TMP/events.txt"
	fail "80x24: the script runs to its end" "$(tmux_capture)" "$(cat "$PS_TMP/events.txt")"
fi
tmux_keys Escape 2
tmux_expect '^>cluster-01 +cluster-03 +ACTIVE' 10 "80x24: the script peered cluster-01 and cluster-03"

#!/usr/bin/env bash
# The stream poll of a steady cluster: every steady_refresh while every
# peering is ACTIVE and nothing but stream times moved for that long, every
# refresh as soon as anything else moves. Consul computes ACTIVE and
# FAILING on read (agent/rpc/peering/service.go, reconcilePeering), so
# only a stream poll sees a stream fail; a steady stream's only news is its
# next heartbeat, every 15 s (agent/grpc-external/services/peerstream/
# server.go). Judged from the simulator's request log, with refresh: 1s
# and steady_refresh: 3s: the gaps between a cluster's stream polls. The
# simulated clock runs ten times faster, a heartbeat every 1.5 s, so that
# nearly every poll brings new stream times, which are no move. Cluster-01
# runs Consul Enterprise and is read partition by partition (partitions:
# all), whose answers are merged into one list; cluster-02 is read whole.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
need_tmux
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"

plan 13

sim_start -n 2 --speed 10 --set cluster-01:enterprise=true,partitions=team-a
sim_ctl peer cluster-01 cluster-02 >/dev/null
cfg=$SIM_DIR/steady.yaml
sed -e 's/^refresh: .*/refresh: 1s\nsteady_refresh: 3s/' \
	-e 's/^  - name: cluster-01$/&\n    partitions: all/' "$SIM_CFG" >"$cfg"
ok "grep -q '^steady_refresh: 3s$' '$cfg' && grep -q '^    partitions: all$' '$cfg'" \
	"the configuration sets steady_refresh, and cluster-01's partitions"

# polls [CLUSTER]: the ms of the day of each stream poll (a GET of
# /v1/peerings without an index) of CLUSTER (cluster-01) since request
# $since; cluster-01's of its default partition.
polls() {
	sim_ctl requests "$since" | jq -r --arg c "${1:-cluster-01}" '.[] |
		select(.cluster == $c and .path == "/v1/peerings" and
			((.query // "") | test("index=|partition=team-a") | not)) | .time' |
		awk '{ split($1, t, "T"); split(t[2], h, ":"); sub("Z", "", h[3]);
			printf "%d\n", ((h[1] * 60 + h[2]) * 60 + h[3]) * 1000 }'
}
# gaps [SKIP [CLUSTER]]: the gaps between those polls, one a line, the
# first SKIP left out.
gaps() { polls "${2:-}" | awk -v skip="${1:-0}" 'NR > 1 + skip { print $1 - p } { p = $1 }'; }
# steady [CLUSTER]: the last two gaps of the polls since $since are 3 s ones.
steady() {
	local g
	g=$(gaps 0 "${1:-}" | tail -2)
	[ "$(printf '%s\n' "$g" | awk '$1 >= 2500 && $1 <= 3500' | wc -l)" -eq 2 ]
}
# fast N: N polls since $since, each gap after the first of them (the one
# the change pulled in) at most 1.5 s.
fast() {
	[ "$(polls | wc -l)" -ge "$1" ] && [ "$(gaps 1 | awk '$1 > 1500' | wc -l)" -eq 0 ]
}
polled() { [ "$(polls | wc -l)" -ge 1 ]; }
show_gaps() { diag "gaps between ${1:-cluster-01}'s polls: $(gaps 0 "${1:-}" | tr '\n' ' ')ms"; }
now_ms() { date -u +%H:%M:%S.%N | awk -F: '{ printf "%d\n", (($1 * 60 + $2) * 60 + $3) * 1000 }'; }
hb() { curl -s "$C2/v1/peering/cluster-01" | jq -r .StreamStatus.LastHeartbeat; }

tmux_start 160 48 "$(ps_bin peerscope)" --config "$cfg"
tmux_expect 'cluster-01 +cluster-02 +default .*ACTIVE +[^ ]+ +ACTIVE' 20 "the peering is ACTIVE on both sides"

# Nothing moves but the stream times: the polls space out to
# steady_refresh, on both clusters.
since=$(sim_last_request)
hb0=$(hb)
ok "wait_until 30 steady" "a steady cluster, read by partition, is polled every 3 s"
show_gaps
ok "wait_until 10 steady cluster-02" "a steady cluster read whole too"
show_gaps cluster-02
ok "[ \"\$(hb)\" != '$hb0' ]" "the heartbeats moved meanwhile ($hb0, then $(hb))"

# A gateway turns critical right after a steady poll: the blocking query
# brings it, and the stream polls go every second again, the first at the
# next second, not 3 s after the last.
since=$(sim_last_request)
ok "wait_until 10 polled" "a steady poll went"
since=$(sim_last_request)
moved=$(now_ms)
sim_ctl gateway cluster-01 critical >/dev/null
ok "wait_until 10 fast 4" "after a change, every second"
show_gaps
first=$(polls | head -1)
diag "the change at $moved, the next stream poll at $first"
ok "[ $((first - moved)) -le 2000 ]" "the next stream poll within 2 s of the change ($((first - moved)) ms)"

# Nothing moves again for 3 s: steady once more.
since=$(sim_last_request)
ok "wait_until 30 steady" "steady again"
show_gaps

# Cluster-02's process goes: only cluster-01's stream poll sees its end of
# the stream FAILING, within steady_refresh, and then every second.
since=$(sim_last_request)
sim_ctl stop cluster-02 >/dev/null
tmux_expect 'cluster-01 +cluster-02 +default .*FAILING' 10 "cluster-01's end is FAILING on screen"
since=$(sim_last_request)
# Past steady_refresh after the last change: FAILING itself keeps it fast.
ok "wait_until 15 fast 8" "while a stream fails, every second"
show_gaps
ok "[ \"\$(curl -s \"\$C1/v1/peering/cluster-02\" | jq -r .State)\" = FAILING ]" \
	"curl reads FAILING too"

tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"
sim_stop
done_testing

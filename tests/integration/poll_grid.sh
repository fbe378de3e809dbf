#!/usr/bin/env bash
# The dashboard's periodic requests (each cluster's stream poll of
# /v1/peerings and its Kubernetes probe of /version) fall on one grid of
# the refresh interval, the same for every cluster: each cluster thread
# wakes once an interval for both, and their answers reach the screen
# together. Judged from the simulator's request log, with refresh: 1s and
# kube_probe: 2s (a probe with every second stream poll):
# after the start, every such request of the three clusters is sent within
# a short window of the same instant of the second, though one cluster's
# first answers came half a second late.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
need_tmux
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"

plan 6

sim_start -n 3
cfg=$SIM_DIR/grid.yaml
sed 's/^refresh: .*/refresh: 1s\nkube_probe: 2s/' "$SIM_CFG" >"$cfg"

periodic() { sim_periodic "$since"; }
enough() { [ "$(periodic | wc -l)" -ge 24 ]; }

# Cluster-02's first answers come 450 ms late: without the grid, its
# polls would keep that phase.
sim_ctl fault cluster-02 listener=consul path=/v1/peerings latency_ms=450 count=2 >/dev/null
sim_ctl fault cluster-02 listener=kube path=/version latency_ms=450 count=1 >/dev/null
tmux_start 100 24 "$(ps_bin peerscope)" --config "$cfg"
tmux_expect 'cluster-03 .*ok +ok' 15 "the clusters are up"
# The first of each is sent at the start, off the grid: count from here.
since=$(sim_last_request)
ok "wait_until 15 enough" "24 periodic requests of the three clusters"
periodic >"$SIM_DIR/periodic"
diag "$(wc -l <"$SIM_DIR/periodic") periodic requests, first: $(head -1 "$SIM_DIR/periodic")"
for kind in /v1/peerings /version; do
	n=$(awk -v k="$kind" '$2 == k { c[$1]++ } END { m = 0; for (x in c) if (!m || c[x] < m) m = c[x]; print length(c) == 3 ? m : 0 }' "$SIM_DIR/periodic")
	ok "[ $n -ge 2 ]" "every cluster sent $kind again, at least twice (the fewest: $n)"
done
# Each request's offset into its second, measured from the first one's:
# all within 250 ms of it (a sent request is logged when the simulator
# reads it; a loaded machine delays a thread a little).
spread=$(awk 'NR == 1 { ref = $3 } { d = ($3 - ref) % 1000; if (d < 0) d += 1000;
	if (d > 500) d -= 1000; if (d < 0) d = -d; if (d > m) m = d } END { print m + 0 }' \
	"$SIM_DIR/periodic")
diag "the farthest from the first one's instant: $spread ms"
ok "[ $spread -le 250 ]" "every periodic request falls on the same instant of the second"
tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"
sim_stop
done_testing

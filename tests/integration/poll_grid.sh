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
# steady_refresh: 1s, every second even once the clusters are steady
# (poll_steady.sh).
sed 's/^refresh: .*/refresh: 1s\nsteady_refresh: 1s\nkube_probe: 2s/' "$SIM_CFG" >"$cfg"

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
# Each request's offset into its second, from the instant most of them
# share (the phase with the most requests within 100 ms of it). The
# simulator logs a request when it reads it, so a thread the machine held
# back (two cores, a sanitizer build, the suite in parallel) makes one
# request late now and then: one request once came 379 ms late. The grid
# is a cluster's phase, so it is judged by each cluster's median offset;
# a cluster off the grid keeps its phase (cluster-02's would be 450 ms
# off), every one of its requests with it.
awk '{ p[NR] = $3 % 1000; c[NR] = $1 }
function off(a, b,  d) { d = (a - b) % 1000; if (d < 0) d += 1000; if (d > 500) d -= 1000; return d }
END {
	best = 0
	for (i = 1; i <= NR; i++) {
		k = 0
		for (j = 1; j <= NR; j++) { d = off(p[j], p[i]); if (d >= -100 && d <= 100) k++ }
		if (k > best) { best = k; ref = p[i] }
	}
	for (i = 1; i <= NR; i++) {
		d = off(p[i], ref); n[c[i]]++; v[c[i], n[c[i]]] = d
		if (d < 0) d = -d; if (d > far) far = d; if (d <= 250) near++
	}
	for (x in n) {
		# the median offset of cluster x (an insertion sort: a few offsets each)
		for (i = 2; i <= n[x]; i++) for (j = i; j > 1 && v[x, j - 1] > v[x, j]; j--) {
			t = v[x, j]; v[x, j] = v[x, j - 1]; v[x, j - 1] = t }
		m = v[x, int((n[x] + 1) / 2)]; if (m < 0) m = -m
		if (m > worst) worst = m
		printf "%s median %d ms\n", x, v[x, int((n[x] + 1) / 2)] > "/dev/stderr"
	}
	printf "%d %d %d %d\n", worst, far, near, NR
}' "$SIM_DIR/periodic" >"$SIM_DIR/phase" 2>"$SIM_DIR/medians"
read -r worst far near total <"$SIM_DIR/phase"
diag "$(tr '\n' ';' <"$SIM_DIR/medians") the farthest request: $far ms; $near of $total within 250 ms"
ok "[ $worst -le 100 ]" "every cluster's periodic requests fall on the same instant of the second"
tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"
sim_stop
done_testing

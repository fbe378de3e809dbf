#!/usr/bin/env bash
# The dashboard's Kubernetes probe (GET /version): every kube_probe while
# the API server answers and says nothing else, every refresh while it does
# not answer, and back to kube_probe once it answers again. Judged from the
# simulator's request log, with refresh: 1s and kube_probe: 3s: the gaps
# between one cluster's probes, beside its stream polls (every second
# throughout). At --speed 1 the watches hear nothing in that time: their
# BOOKMARKs come once a minute. Then a second world at --speed 20, where
# each watch's BOOKMARK comes every 3 s (the API server's watch cache,
# k8s.io/apiserver/pkg/storage/cacher/cacher.go, defaultBookmarkFrequency,
# scaled): with kube_probe: 5s no probe goes, as the server is never silent
# that long, and F5 probes all the same.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
need_tmux
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"

plan 16

sim_start -n 2
cfg=$SIM_DIR/probe.yaml
# steady_refresh: 1s, the stream polls every second even once the
# clusters are steady (poll_steady.sh).
sed 's/^refresh: .*/refresh: 1s\nsteady_refresh: 1s\nkube_probe: 3s/' "$SIM_CFG" >"$cfg"
ok "grep -q '^kube_probe: 3s$' '$cfg'" "the configuration sets kube_probe"

# times CLUSTER PATH: the ms of the day of each periodic request of
# CLUSTER to PATH (/version or /v1/peerings) since request $since.
times() { sim_periodic "$since" | awk -v c="$1" -v p="$2" '$1 == c && $2 == p { print $3 }'; }
count() { [ "$(times "$1" "$2" | wc -l)" -ge "$3" ]; }
# gaps CLUSTER PATH: "smallest largest" gap between consecutive requests.
gaps() {
	times "$1" "$2" | awk 'NR > 1 { d = $1 - p; if (!n++ || d < lo) lo = d; if (d > hi) hi = d }
		{ p = $1 } END { print lo + 0, hi + 0 }'
}
# probed CLUSTER N WHAT: from now on, N probes of CLUSTER come (a test);
# lo and hi are then the gaps between them.
probed() {
	since=$(sim_last_request)
	ok "wait_until 20 count $1 /version $2" "$1 probed $2 times"
	read -r lo hi <<<"$(gaps "$1" /version)"
	diag "$1's probes, $3: gaps of $lo to $hi ms"
}

tmux_start 100 24 "$(ps_bin peerscope)" --config "$cfg"
tmux_expect 'cluster-02 .*ok +ok' 15 "the clusters are up"

# The API server answers: a probe every 3 s, a stream poll every second.
probed cluster-01 4 answered
ok "[ $lo -ge 2500 ] && [ $hi -le 3500 ]" "a probe every kube_probe while the API server answers"
read -r lo hi <<<"$(gaps cluster-01 /v1/peerings)"
diag "cluster-01's stream polls: gaps of $lo to $hi ms"
ok "[ $hi -le 1500 ]" "the stream poll still goes every refresh"

# Cluster-02's probes are reset unanswered: asked every refresh.
sim_ctl fault cluster-02 listener=kube path=/version reset_rate=1 >/dev/null
probed cluster-02 5 reset
# The first gap may still be the answered one's (one probe in flight at
# the fault); the last three are the silent server's.
last=$(times cluster-02 /version | tail -4 | awk 'NR > 1 { d = $1 - p; if (d > m) m = d } { p = $1 } END { print m + 0 }')
ok "[ $last -le 1500 ]" "every refresh while the API server does not answer (largest: $last ms)"

# It answers again: back to every kube_probe.
sim_ctl clear-faults cluster-02 >/dev/null
tmux_expect 'cluster-02 .*ok +ok' 15 "cluster-02's Kubernetes side is up again"
probed cluster-02 3 "answered again"
ok "[ $lo -ge 2500 ]" "back to every kube_probe once it answers"

tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"

# The watches' bookmarks every 3 s: the API server is heard from more often
# than kube_probe, and is not probed.
tmux_stop
sim_start -n 1 --speed 20
sed 's/^refresh: .*/refresh: 1s\nsteady_refresh: 1s\nkube_probe: 5s/' "$SIM_CFG" >"$cfg"
tmux_start 100 24 "$(ps_bin peerscope)" --config "$cfg"
tmux_expect 'cluster-01 .*ok +ok' 15 "the cluster is up"
since=$(sim_last_request)
ok "wait_until 30 count cluster-01 /v1/peerings 9" "nine stream polls"
probes=$(times cluster-01 /version | wc -l)
ok "[ $probes -eq 0 ]" "no probe in those 9 s: the watches' bookmarks came every 3 s ($probes)"
since=$(sim_last_request)
tmux_keys F5
ok "wait_until 5 count cluster-01 /version 1" "F5 probes at once all the same"

tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"
sim_stop
done_testing

#!/usr/bin/env bash
# A steady cluster's thread sleeps from one stream poll to the next. Its
# stream poll goes every steady_refresh (poll_steady.sh) and nothing else is
# due, so it does not wake every 5 s as a cluster polled every refresh may
# (the longest sleep, POLL_CAP_MS in src/poller.c). Judged from the
# thread's voluntary context switches (/proc/PID/task/TID/status), a thread
# that carries its cluster's name, over the 11 quiet seconds that follow a
# steady poll (two 5 s sleeps end in them when the sleep is capped at 5 s):
# with refresh: 1s, steady_refresh: 15s, kube_probe: 1h, and the simulated
# clock twenty times slower, so that no watch hears a BOOKMARK meanwhile
# (each watch's every 20 minutes).
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
need_tmux
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"
grep -q '^#define HAVE_PTHREAD_SETNAME_NP 1' "$top_builddir/autoconfig.h" ||
	skip_all "the cluster threads carry no name on this system"

plan 8

sim_start -n 2 --speed 0.05
cfg=$SIM_DIR/sleep.yaml
sed 's/^refresh: .*/refresh: 1s\nsteady_refresh: 15s\nkube_probe: 1h/' "$SIM_CFG" >"$cfg"
ok "grep -q '^steady_refresh: 15s$' '$cfg'" "the configuration sets steady_refresh"

# polls: the ms of the day of each of cluster-01's stream polls since
# request $since.
polls() {
	sim_periodic "$since" | awk '$1 == "cluster-01" && $2 == "/v1/peerings" { print $3 }'
}
now_ms() { date -u +%H:%M:%S.%N | awk -F: '{ printf "%d\n", (($1 * 60 + $2) * 60 + $3) * 1000 }'; }
# quiet: cluster-01's last stream poll came 7 s or more after the one
# before, so that it is a steady one and the next comes 15 s after it (the
# first steady poll comes 7.5 to 22.5 s after the last of every second),
# and it came 2.5 s ago or more.
quiet() {
	local two
	two=$(polls | tail -2)
	last=$(printf '%s\n' "$two" | tail -1)
	[ "$(printf '%s\n' "$two" | wc -l)" -eq 2 ] &&
		[ $((last - $(printf '%s\n' "$two" | head -1))) -ge 7000 ] &&
		[ $(($(now_ms) - last)) -ge 2500 ]
}
past() { [ "$(now_ms)" -ge "$1" ]; }
# switches: the voluntary context switches of cluster-01's thread so far.
switches() { awk '/^voluntary_ctxt_switches:/ { print $2 }' "/proc/$pid/task/$tid/status"; }

tmux_start 160 48 "$(ps_bin peerscope)" --config "$cfg"
tmux_expect 'cluster-02 .*ok +ok' 20 "the clusters are up"
pid=$(tmux_pid)
tid=$(grep -lx cluster-01 /proc/"$pid"/task/*/comm 2>/dev/null | head -1 | cut -d/ -f5)
ok "[ -n '$tid' ]" "cluster-01's poller thread carries its name"

since=$(sim_last_request)
ok "wait_until 90 quiet" "cluster-01 steady: a steady poll went 2.5 s ago"
from=$(switches)
ok "wait_until 20 past $((last + 13500))" "11 s later"
to=$(switches)
n=$(polls | awk -v l="$last" '$1 > l' | wc -l)
diag "cluster-01's thread woke $((to - from)) times in those 11 s; stream polls meanwhile: $n"
ok "[ $n -eq 0 ]" "no stream poll in those 11 s"
ok "[ $((to - from)) -le 1 ]" "its thread slept through them ($((to - from)) wake-ups)"

tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"
sim_stop
done_testing

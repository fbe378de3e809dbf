#!/usr/bin/env bash
# A cluster going down and coming back, live: the dashboard on three
# simulated clusters, then the simulator's control API stops cluster-03 (its
# stale marker appears, with the age of its data) and starts it again (the
# marker clears).
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
need_tmux

plan 4

sim_start -n 3 --speed 4
tmux_start 100 24 "$(ps_bin peerscope)" --config "$SIM_CFG"
tmux_expect '^[ >]cluster-03 .*ok \(direct\)' 15 "cluster-03 is up"
sim_ctl stop cluster-03 >/dev/null
tmux_expect '^[ >]cluster-03 +cluster-03 +[^ ]+( [0-9]+s)? +STALE [0-9]+s ' 20 \
	"a stopped cluster is marked stale, with the age of its data"
sim_ctl start cluster-03 >/dev/null
tmux_expect '^[ >]cluster-03 +cluster-03 +[^ ]+( [0-9]+s)? +ok \(direct\) ' 20 \
	"the stale marker clears when the cluster is back"
tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"

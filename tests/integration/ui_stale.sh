#!/usr/bin/env bash
# A cluster going down and coming back, live: peerscope --demo, then the
# simulator's control API stops cluster-03 (its stale marker appears, with
# the age of its data) and starts it again (the marker clears).
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux
[ -x "$(ps_bin peerscope-sim)" ] || skip_all "peerscope-sim is not built"

ps=$(ps_bin peerscope)
sim=$(ps_bin peerscope-sim)
export TMPDIR="$PS_TMP/tmp"
mkdir -p "$TMPDIR"

plan 4

demo_dir() { ls -d "$TMPDIR"/peerscope-demo.* 2>/dev/null | head -1; }
tmux_start 100 24 "$ps" --demo
tmux_expect '^[ >]cluster-03 .*ok \(direct\)' 15 "cluster-03 is up"
dir=$(demo_dir)
"$sim" ctl --state-dir "$dir/state" stop cluster-03 >/dev/null 2>&1
tmux_expect '^[ >]cluster-03 +cluster-03 +[^ ]+( [0-9]+s)? +STALE [0-9]+s ' 20 \
	"a stopped cluster is marked stale, with the age of its data"
"$sim" ctl --state-dir "$dir/state" start cluster-03 >/dev/null 2>&1
tmux_expect '^[ >]cluster-03 +cluster-03 +[^ ]+( [0-9]+s)? +ok \(direct\) ' 20 \
	"the stale marker clears when the cluster is back"
tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"

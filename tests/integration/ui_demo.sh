#!/usr/bin/env bash
# peerscope --demo: the simulator as a child, two peered clusters and a
# third unpeered, live through the pollers; the simulator and the temporary
# files are gone after q, after a hang-up, and after SIGKILL.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
need_tmux

ps=$(ps_bin peerscope)
export TMPDIR="$PS_TMP/tmp"
mkdir -p "$TMPDIR"

plan 15

tmux_start 80 24 "$ps" --demo
tmux_expect 'DEMO' 10 "the header carries the DEMO badge"
tmux_expect '^[ >]cluster-03 ' 10 "three simulated clusters"
tmux_keys 2
tmux_expect 'cluster-01 +cluster-02 +ACTIVE +.* ACTIVE' 15 "cluster-01 and cluster-02 are peered and ACTIVE"
unlike "$(tmux_capture)" 'cluster-03' "cluster-03 is not peered"
# The header's time is drawn whole or not at all: on 80 columns the badge
# was drawn over half of it ("updated DEMO").
header=$(tmux_capture | sed -n 1p)
unlike "$header" 'updated +([0-9:]{0,7}) *DEMO' "80x24: no time cut by the DEMO badge"
dir=$(demo_dir)
ok "[ -n '$dir' ] && [ -n \"\$(demo_sim_pid '$dir')\" ]" "the simulator runs as a child with its files in a temporary folder"

tmux_resize 160 48
tmux_expect '┌ Mesh gateways' 5 "160x48: every pane on screen"
tmux_expect '^ peerscope .*updated [0-9]{2}:[0-9]{2}:[0-9]{2} +DEMO' 5 "160x48: the time of the last answer beside the badge"
tmux_expect 'cluster-03 +consu[^ ]+ +[0-9.]+:[0-9]+ +passing' 5 \
	"160x48: the simulated mesh gateways with their WAN address and health"
tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"
ok "demo_gone '$dir'" "after q the simulator is stopped and the temporary folder removed"

# A hang-up (the terminal closes: the tmux server ends) cleans up the same way.
tmux_stop
tmux_start 80 24 "$ps" --demo
tmux_wait_for 'DEMO' 10
dir=$(demo_dir)
tmux_stop
ok "[ -n '$dir' ] && demo_gone '$dir'" "after a hang-up the simulator and the folder are gone"

# Even SIGKILL: the watcher stops the simulator and removes the folder.
tmux_start 80 24 "$ps" --demo
tmux_wait_for 'DEMO' 10
dir=$(demo_dir)
pid=$(tmux_pid)
ok "[ -n '$dir' ] && [ -n '$pid' ] && kill -KILL $pid && demo_gone '$dir'" \
	"after SIGKILL the simulator and the folder are gone"
# A killed dashboard leaves the terminal raw; the status is still read whole
# (it wrapped once, "[exited] 1" and "37", behind a long "Killed" line).
tmux_expect '^\[exited\] 137$' 5 "SIGKILL ends the dashboard (status 137)"
tmux_stop
ok "[ -z \"\$(ls -A '$TMPDIR')\" ]" "nothing is left in the temporary folder"

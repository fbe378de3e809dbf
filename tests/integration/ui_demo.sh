#!/usr/bin/env bash
# peerscope --demo: the simulator as a child, two peered clusters and a
# third unpeered, live through the pollers; the simulator and the temporary
# files are gone after q, after a hang-up, and after SIGKILL.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux
[ -x "$(ps_bin peerscope-sim)" ] || skip_all "peerscope-sim is not built"

ps=$(ps_bin peerscope)
sim=$(ps_bin peerscope-sim)
export TMPDIR="$PS_TMP/tmp"
mkdir -p "$TMPDIR"

plan 12

demo_dir() { ls -d "$TMPDIR"/peerscope-demo.* 2>/dev/null | head -1; }
# The dashboard's pid: the child of the tmux pane's shell.
demo_pid() {
	local shell
	shell=$(_tmux list-panes -t t -F '#{pane_pid}')
	ps -ww -o pid= --ppid "$shell" | head -1 | tr -d ' '
}
sim_pid() { # the simulator serving DIR
	ps -ww -eo pid=,args= | awk -v d="$1/state" '$0 ~ "peerscope-sim .*--state-dir " d {print $1}'
}
gone() { # DIR: no folder and no simulator left within 5 s
	for _ in $(seq 1 100); do
		[ ! -e "$1" ] && [ -z "$(sim_pid "$1")" ] && return 0
		sleep 0.05
	done
	return 1
}

tmux_start 80 24 "$ps" --demo
tmux_expect 'DEMO' 10 "the header carries the DEMO badge"
tmux_expect '^[ >]cluster-03 ' 10 "three simulated clusters"
tmux_keys 2
tmux_expect 'cluster-01 +cluster-02 +ACTIVE +.* ACTIVE' 15 "cluster-01 and cluster-02 are peered and ACTIVE"
unlike "$(tmux_capture)" 'cluster-03' "cluster-03 is not peered"
dir=$(demo_dir)
ok "[ -n '$dir' ] && [ -n \"\$(sim_pid '$dir')\" ]" "the simulator runs as a child with its files in a temporary folder"

tmux_resize 160 48
tmux_expect '┌ Mesh gateways' 5 "160x48: every pane on screen"
tmux_expect 'cluster-03 +consu[^ ]+ +[0-9.]+:[0-9]+ +passing' 5 \
	"160x48: the simulated mesh gateways with their WAN address and health"
tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"
ok "gone '$dir'" "after q the simulator is stopped and the temporary folder removed"

# A hang-up (the terminal closes) cleans up the same way.
_tmux kill-session -t t 2>/dev/null
sleep 0.2
tmux_start 80 24 "$ps" --demo
tmux_wait_for 'DEMO' 10
dir=$(demo_dir)
_tmux kill-session -t t 2>/dev/null
ok "[ -n '$dir' ] && gone '$dir'" "after a hang-up the simulator and the folder are gone"

# Even SIGKILL: the watcher stops the simulator and removes the folder.
sleep 0.2
tmux_start 80 24 "$ps" --demo
tmux_wait_for 'DEMO' 10
dir=$(demo_dir)
pid=$(demo_pid)
ok "[ -n '$dir' ] && [ -n '$pid' ] && kill -KILL $pid && gone '$dir'" \
	"after SIGKILL the simulator and the folder are gone"
tmux_wait_for '^\[exited\]' 5
_tmux kill-server 2>/dev/null
ok "[ -z \"\$(ls -A '$TMPDIR')\" ]" "nothing is left in the temporary folder"

#!/usr/bin/env bash
# The topology map of the demo's world for 2, 3 and 8 clusters, in UTF-8 and
# ASCII: every cluster a box with its gateways and mode, every peering a
# numbered line with its ends and state in the legend, 8 clusters at 80x24,
# and Enter on a line opening its peering's detail.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux
[ -x "$(ps_bin peerscope-sim)" ] || skip_all "peerscope-sim is not built"
ps=$(ps_bin peerscope)
export TMPDIR="$PS_TMP/tmp"
mkdir -p "$TMPDIR"
plan 21

# ---- 2 clusters, 80x24, UTF-8
tmux_start 80 24 "$ps" --demo --demo-clusters 2
tmux_expect '^>cluster-01 ' 30 "2 clusters: the demo opens"
tmux_keys m
tmux_expect 'Topology map' 5 "m opens the map"
tmux_expect '┌ cluster-01 ─+┐' 5 "2 clusters: the first box, its name in the border"
tmux_expect '┌ cluster-02 ─+┐' 5 "2 clusters: the second box, a row lower"
tmux_expect '│ gw 1/1 local +│' 5 "a box shows its gateways and their mode"
tmux_expect '^│ 1 cluster-01 ↔ cluster-02  ACTIVE' 5 "the legend names the line's ends and state"
tmux_keys Enter
tmux_expect 'Peerings cluster-01\|cluster-02' 5 "Enter opens the peering's detail"
tmux_keys q
tmux_expect '^\[exited\] 0$' 10 "q quits"
tmux_stop

# ---- 3 clusters, ASCII and monochrome: the state is in words, not only in colour
tmux_start 160 48 "$ps" --demo --ascii --theme monochrome
tmux_expect '^\| +cluster-01 ' 30 "3 clusters, ASCII: the demo opens"
tmux_keys m
tmux_expect '\+ cluster-03 -+\+' 5 "ASCII: the third box"
unlike "$(tmux_capture)" '[┌┐└┘│─↔┼]' "ASCII: no character outside ASCII"
tmux_expect '^\| 1 cluster-01 <-> cluster-02  ACTIVE' 30 "monochrome: the legend says each state"
tmux_keys q
tmux_stop

# ---- 8 clusters at 80x24: every box fits
tmux_start 80 24 "$ps" --demo --demo-clusters 8
tmux_expect '8 clusters' 40 "8 clusters: the demo opens"
tmux_keys m
tmux_expect '┌ cluster-08 ─+┐' 5 "the map opens with the last box"
screen=$(tmux_capture)
is "$(printf '%s\n' "$screen" | grep -o 'cluster-0[1-8] ─' | sort -u | wc -l)" 8 \
	"80x24: all eight boxes are drawn"
tmux_keys q
tmux_expect '^\[exited\] 0$' 10 "8 clusters: q quits"
tmux_stop

# ---- 12 clusters at 80x24: what does not fit is said and listed by name
. "$top_srcdir/tests/e2e/sim_lib.sh"
sim_start --clusters 12 --scale peerings=1
tmux_start 80 24 "$ps" --config "$SIM_DIR/config.yaml"
tmux_expect '12 clusters +peerings 6/6 ACTIVE' 40 "12 clusters: the dashboard has them all"
tmux_keys m
tmux_expect '[0-9]+ of 12 clusters drawn; not drawn: cluster-' 5 "what is not drawn is said"
screen=$(tmux_capture)
boxes=$(printf '%s\n' "$screen" | grep -o '┌ cluster-[0-9]* ─' | sort -u | wc -l)
named=$(printf '%s\n' "$screen" | sed -n '/not drawn: /,/^└/p' | grep -o 'cluster-[0-9]*' | sort -u |
	wc -l)
is "$((boxes + named))" 12 "every cluster is a box or named under the legend ($boxes + $named)"
like "$screen" '^│ - cluster-[0-9]+ ↔ cluster-[0-9]+  ACTIVE  \(not drawn\)' \
	"a peering between clusters not drawn is in the legend, marked not drawn"
is "$(printf '%s\n' "$screen" | grep -cE '^│ ([0-9]+|-) cluster-[0-9]+ ↔ cluster-')" 6 \
	"the legend lists every peering"
tmux_keys q
tmux_stop
sim_stop

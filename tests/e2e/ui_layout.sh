#!/usr/bin/env bash
# The layout uses the room (UI.md, Layout): at 160x48 each pane is as tall
# as its rows need and the room left goes to the band with the most rows;
# peerings and gateways share their band's width by what their columns
# want; when a row is too wide the free-text columns (instance names,
# messages) are cut first and marked, never a state, a mode or a health; at
# 80x24 the same for the one pane shown. Fixed data: tests/fixtures/ui.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux

world=$(ps_bin tests/e2e/ui_world)
fifo="$PS_TMP/ctl"
mkfifo "$fifo"
plan 11

# line_of REGEX: the 1-based line of the screen matching REGEX first.
line_of() { tmux_capture | grep -nE -- "$1" | head -1 | cut -d: -f1; }

tmux_start 160 48 "$world" "$PS_FIXTURES/ui" "$fifo"
tmux_expect '┌ Exported services' 10 "160x48: the four panes"
# Three clusters: top border, header, three rows, bottom border.
is "$(line_of '^└─+┘$')" 7 "the clusters pane is five lines: its three rows, no empty one"
# Three exports: the same six lines at the bottom; the rest to peerings and
# gateways (three gateways, two peerings: the most rows, first on a tie).
is "$(line_of '^┌ Exported services')" 41 "the exports pane takes its rows' height, at the bottom"
is "$(line_of '^┌ Peerings.*┐┌ Mesh gateways')" 8 "peerings and gateways take the room left"
screen=$(tmux_capture)
like "$screen" '│ cluster-03 +mesh-…[a-z0-9-]*99aa +198\.51\.100\.30:443 +critical +remote \(default\) ' \
	"gateways: the instance name is cut in its middle and marked, the health and the mode whole"
like "$screen" 'PENDING .* ⚠ no peering' "peerings: every state column shown, the problem after them"
unlike "$screen" 'remo │|loca │' "no mode is cut"

tmux_resize 80 24
tmux_expect '\[1 Clusters' 5 "80x24: tabs"
tmux_keys 3
tmux_expect '^ CLUSTER +INSTANCE +WAN +HEALTH +MODE' 5 "80x24: the gateways pane"
screen=$(tmux_capture)
like "$screen" '^ cluster-03 +mesh-…[a-z0-9-]*99aa +198\.51\.100\.30:443 +critical +remote \(default\)' \
	"80x24: the mode whole, the instance name cut"
tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits"
tmux_stop
done_testing

#!/usr/bin/env bash
# Drawing without UTF-8 (--ascii, or a locale that is not UTF-8) and
# without colour (--no-color, NO_COLOR): the same screens in plain
# characters, the cursor row still marked.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux

world=$(ps_bin tests/e2e/ui_world)
fifo="$PS_TMP/ctl"
mkfifo "$fifo"

plan 7

expect() {
	if tmux_wait_for "$1" 5; then pass "$2"; else fail "$2" "wanted: $1" "$(tmux_capture)"; fi
}

tmux_start 160 48 "$world" "$PS_FIXTURES/ui" "$fifo" --ascii --no-color
tmux_resize 160 48
expect '^\+ Clusters \^ -+\+$' "--ascii: boxes of + - |, the focused pane marked with ^"
expect '^\| +cluster-01 +cluster-03 +PENDING .* ! ' "--ascii: problems marked with !"
unlike "$(tmux_capture)" '[┌┐└┘│─⚠↔]' "--ascii: no character outside ASCII"
tmux_keys 2 Enter
expect 'cluster-01 <-> cluster-02' "--ascii: the detail joins the ends with <->"
tmux_keys q
expect '^\[exited\] 0$' "q quits"

# A locale that is not UTF-8 gives the same ASCII drawing by itself.
_tmux kill-session -t t 2>/dev/null; sleep 0.2
_tmux new-session -d -s t -x 160 -y 48 \
	"env HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' TERM=$TERM LC_ALL=C '$world' '$PS_FIXTURES/ui' '$fifo'; echo '[exited]' \$?; sleep 30"
tmux_resize 160 48
expect '^\+ Clusters \^ -+\+$' "LC_ALL=C: ASCII drawing without --ascii"
tmux_keys q
expect '^\[exited\] 0$' "q quits"

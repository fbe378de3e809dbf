#!/usr/bin/env bash
# Drawing without UTF-8 (--ascii, or a locale that is not UTF-8), with 256
# colours, 8 colours and none (--no-color, NO_COLOR): the same screens, the
# cursor row still marked; and the READ-ONLY badge.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux

world=$(ps_bin tests/e2e/ui_world)
fifo="$PS_TMP/ctl"
mkfifo "$fifo"

plan 15

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

# Colours as the terminal has them: tmux keeps what the program sent.
styled() { _tmux capture-pane -e -p -t t; }
run_term() { # TERM VARS... -- ARGS...
	local term=$1
	shift
	_tmux kill-session -t t 2>/dev/null
	sleep 0.2
	_tmux new-session -d -s t -x 80 -y 24 \
		"env HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' TERM=$term LC_ALL=C.UTF-8 $* '$world' '$PS_FIXTURES/ui' '$fifo'; echo '[exited]' \$?; sleep 30"
	tmux_wait_for 'F10Quit' 5
}
run_term xterm-256color
like "$(styled)" $'\e\\[[0-9;]*38;5;' "256 colours: the theme's 256-colour roles are used"
# A row that changed is highlighted for a moment (the changed role:
# bright magenta), then drawn as usual again.
tmux_keys 2
echo "state cluster-01 cluster-03 ACTIVE" >"$fifo"
tmux_wait_for 'cluster-03 +ACTIVE' 5
like "$(styled | grep -m1 'cluster-03')" $'\e\\[[0-9;]*(95|38;5;13)m *cluster-01' \
	"a changed row is highlighted"
sleep 3.5
unlike "$(styled | grep -m1 'cluster-03')" $'(95|38;5;13)m' "and drawn as usual a moment later"
run_term xterm
st=$(styled)
unlike "$st" $'\e\\[[0-9;]*[34]8;5;' "8 colours: no 256-colour code"
like "$st" $'\e\\[[0-9;]*3[0-7][;m]' "8 colours: the basic colours"
run_term xterm-256color NO_COLOR=1
st=$(styled)
unlike "$st" $'\e\\[[0-9;]*([34][0-8]|9[0-7]|10[0-7])[;m]' "NO_COLOR: no colour at all"
like "$st" $'\e\\[[0-9;]*7m(\e\\[[0-9]+m)*cluster-01' "NO_COLOR: the cursor row in reverse video"
_tmux kill-session -t t 2>/dev/null
sleep 0.2
tmux_start 80 24 "$world" "$PS_FIXTURES/ui" "$fifo" --readonly
expect 'READ-ONLY' "--readonly shows the READ-ONLY badge"

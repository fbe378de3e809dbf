#!/usr/bin/env bash
# Drawing without UTF-8 (--ascii, or a locale that is not UTF-8), with 256
# colours, 8 colours and none (--no-color, NO_COLOR): the same screens, the
# cursor row still marked; and the READ-ONLY badge.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux

world=$(ps_bin tests/e2e/ui_world)
fifo="$PS_TMP/ctl"
mkfifo "$fifo"

plan 16

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
tmux_stop
tmux_start 160 48 env LC_ALL=C "$world" "$PS_FIXTURES/ui" "$fifo"
tmux_resize 160 48
expect '^\+ Clusters \^ -+\+$' "LC_ALL=C: ASCII drawing without --ascii"
tmux_keys q
expect '^\[exited\] 0$' "q quits"

# Colours as the terminal has them (tmux_capture_styled): tmux keeps what
# the program sent.
# styled_wait ERE [SECONDS]: wait until the first styled line of the
# pair cluster-01 <-> cluster-03 matches ERE (or, with !ERE, does not).
styled_wait() {
	local re=${1#!} limit=$((${2:-5} * 20))
	for _ in $(seq 1 "$limit"); do
		if tmux_capture_styled | grep -m1 'cluster-03' | grep -Eq -- "$re"; then
			[ "${1:0:1}" != '!' ] && return 0
		else
			[ "${1:0:1}" = '!' ] && return 0
		fi
		sleep 0.05
	done
	return 1
}
run_term() { # TERM [VAR=VALUE...] [-- ARGS...]: ui_world on TERM, with ARGS
	local vars=("TERM=$1")
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	tmux_stop
	tmux_start 80 24 env "${vars[@]}" "$world" "$PS_FIXTURES/ui" "$fifo" "$@"
	tmux_wait_for 'F10Quit' 5
}
# Rows that change stay highlighted for one second (the config file's
# highlight), not three, so that the test sees the highlight go.
run_term xterm-256color -- --highlight 1s
like "$(tmux_capture_styled)" $'\e\\[[0-9;]*38;5;' "256 colours: the theme's 256-colour roles are used"
# A row that changed is highlighted for a moment (the changed role:
# bright magenta), then drawn as usual again.
tmux_keys 2
highlighted=$'\e\\[[0-9;]*(95|38;5;13)m *cluster-01'
if styled_wait "!$highlighted"; then pass "the pending pair is drawn as usual"; else
	fail "the pending pair is drawn as usual" "$(tmux_capture_styled | grep -m1 'cluster-03' | cat -v)"; fi
echo "state cluster-01 cluster-03 ACTIVE" >"$fifo"
tmux_wait_for 'cluster-03 +ACTIVE' 5
if styled_wait "$highlighted"; then pass "a changed row is highlighted"; else
	fail "a changed row is highlighted" "$(tmux_capture_styled | grep -m1 'cluster-03' | cat -v)"; fi
if styled_wait "!$highlighted"; then pass "and drawn as usual once its highlight is over"; else
	fail "and drawn as usual once its highlight is over" "$(tmux_capture_styled | grep -m1 'cluster-03' | cat -v)"; fi
run_term xterm
st=$(tmux_capture_styled)
unlike "$st" $'\e\\[[0-9;]*[34]8;5;' "8 colours: no 256-colour code"
like "$st" $'\e\\[[0-9;]*3[0-7][;m]' "8 colours: the basic colours"
run_term xterm-256color NO_COLOR=1
st=$(tmux_capture_styled)
unlike "$st" $'\e\\[[0-9;]*([34][0-8]|9[0-7]|10[0-7])[;m]' "NO_COLOR: no colour at all"
like "$st" $'\e\\[[0-9;]*7m(\e\\[[0-9]+m)*cluster-01' "NO_COLOR: the cursor row in reverse video"
tmux_stop
tmux_start 80 24 "$world" "$PS_FIXTURES/ui" "$fifo" --readonly
expect 'READ-ONLY' "--readonly shows the READ-ONLY badge"

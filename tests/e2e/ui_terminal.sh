#!/usr/bin/env bash
# The terminal is given back on every exit: after q, SIGTERM, SIGHUP and a
# crash (SIGSEGV) the alternate screen is left and the cursor is visible.
# The mouse selects panes and rows.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux

world=$(ps_bin tests/e2e/ui_world)
fifo="$PS_TMP/ctl"
mkfifo "$fifo"

plan 13

screen_flags() { _tmux display-message -p -t t '#{alternate_on} #{cursor_flag}'; }
start() {
	tmux_stop
	tmux_start 80 24 "$world" "$PS_FIXTURES/ui" "$fifo"
	tmux_wait_for 'F10Quit' 5
}
# ends SIGNAL STATUS: send SIGNAL, expect the exit status and a restored terminal.
ends() {
	local pid
	start
	pid=$(tmux_pid)
	kill -"$1" "$pid"
	if tmux_wait_for "^\[exited\] $2\$" 5; then
		is "$(screen_flags)" "0 1" "after SIG$1: normal screen, cursor shown (status $2)"
	else
		fail "after SIG$1: exit status $2" "$(tmux_capture)"
	fi
}

start
is "$(screen_flags)" "1 0" "the dashboard runs on the alternate screen without a cursor"
tmux_keys q
tmux_wait_for '^\[exited\] 0$' 5
is "$(screen_flags)" "0 1" "after q: normal screen, cursor shown"
ends TERM 0
ends HUP 0
ends INT 0
ends SEGV 139
ends ABRT 134

# Mouse, in the SGR encoding xterm sends (1-based): press and release.
click() { # column row (0-based)
	_tmux send-keys -t t -l "$(printf '\033[<0;%d;%dM' $(($1 + 1)) $(($2 + 1)))"
	_tmux send-keys -t t -l "$(printf '\033[<0;%d;%dm' $(($1 + 1)) $(($2 + 1)))"
}
start
col=$(tmux_capture | sed -n 2p | grep -ob '\[3 Gateways' | cut -d: -f1)
click "$((col + 2))" 1
if tmux_wait_for '\[3 Gateways. \(3\)\]' 5; then pass "a click on a tab focuses its pane"; else
	fail "a click on a tab focuses its pane" "$(tmux_capture)"; fi
click 5 5
if tmux_wait_for '^>cluster-02 +mesh-[^ ]*2b1a' 5; then pass "a click selects a row"; else
	fail "a click selects a row" "$(tmux_capture)"; fi
col=$(tmux_capture | sed -n 24p | grep -ob 'F1Help' | cut -d: -f1)
click "$((col + 1))" 23
if tmux_wait_for ':quit +quit peerscope' 5; then pass "a click on F1 on the bar opens the help"; else
	fail "a click on F1 on the bar opens the help" "$(tmux_capture)"; fi

# The wheel scrolls (SGR buttons 64 up, 65 down).
tmux_keys Escape 1
_tmux send-keys -t t -l "$(printf '\033[<65;5;6M')"
if tmux_wait_for '^>cluster-03 ' 5; then pass "the wheel moves down"; else
	fail "the wheel moves down" "$(tmux_capture)"; fi

# Too small to lay out: it says so, and comes back when there is room.
tmux_resize 30 8
if tmux_wait_for 'terminal too small \(30x8\)' 5; then pass "a tiny terminal is told it is too small"; else
	fail "a tiny terminal is told it is too small" "$(tmux_capture)"; fi
tmux_resize 80 24
if tmux_wait_for 'F10Quit' 5; then pass "the screen comes back when there is room"; else
	fail "the screen comes back when there is room" "$(tmux_capture)"; fi

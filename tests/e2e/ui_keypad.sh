#!/usr/bin/env bash
# The keypad mode the dashboard turns on (application cursor keys and
# keypad) is turned off on every exit, a crash included, as the alternate
# screen and the cursor are (tests/e2e/ui_terminal.sh).
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux

world=$(ps_bin tests/e2e/ui_world)
fifo="$PS_TMP/ctl"
mkfifo "$fifo"

plan 5

keypad_flags() { _tmux display-message -p -t t '#{keypad_cursor_flag} #{keypad_flag}'; }
start() {
	tmux_stop
	tmux_start 80 24 "$world" "$PS_FIXTURES/ui" "$fifo"
	tmux_wait_for 'F10Quit' 5
}
# ends SIGNAL STATUS: after SIGNAL, the keypad is back in normal mode.
ends() {
	start
	kill -"$1" "$(tmux_pid)"
	if tmux_wait_for "^\[exited\] $2\$" 5; then
		is "$(keypad_flags)" "0 0" "after SIG$1: cursor keys and keypad in normal mode"
	else
		fail "after SIG$1: exit status $2" "$(tmux_capture)"
	fi
}

start
is "$(keypad_flags)" "1 1" "the dashboard runs with the keypad in application mode"
tmux_keys q
tmux_wait_for '^\[exited\] 0$' 5
is "$(keypad_flags)" "0 0" "after q: normal mode"
ends TERM 0
ends SEGV 139
ends ABRT 134

done_testing

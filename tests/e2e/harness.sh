#!/usr/bin/env bash
# Self-test of the e2e helpers: hermetic environment, background processes
# that are always stopped, free ports, and the tmux screen helpers.
. "$top_srcdir/tests/e2e/lib.sh"

case "$HOME" in "$PS_TMP"/*) pass "HOME is private to the test" ;; *) fail "HOME is private to the test" "$HOME" ;; esac
is "$TERM/$LINES/$COLUMNS" "xterm-256color/24/80" "TERM, LINES and COLUMNS are fixed"

port=$(free_port)
like "$port" '^[0-9]+$' "free_port prints a port number"

# A background listener on that port: the helper waits for it, then stops it.
start_bg listener bash -c "exec 3<>/dev/null; while :; do sleep 1; done"
sleeper=$bg_pid
ok "kill -0 $sleeper" "start_bg starts a process"
stop_bg "$sleeper"
ok "! kill -0 $sleeper 2>/dev/null" "stop_bg stops it"

printf 'alpha\nbeta 1\ngamma\n' >"$PS_TMP/act"
printf 'alpha\n...\ngamma\n' >"$PS_TMP/exp"
ok "screen_matches '$PS_TMP/exp' '$PS_TMP/act'" "screen_matches skips lines at ..."
printf 'alpha\ndelta\n' >"$PS_TMP/exp"
ok "! screen_matches '$PS_TMP/exp' '$PS_TMP/act'" "screen_matches rejects a different screen"

if [ -z "$TMUX_BIN" ]; then
	skip 2 "tmux is not installed"
else
	tmux_start 80 24 "$(ps_bin peerscope)" --version
	if tmux_wait_for '^peerscope [0-9]' 5; then
		pass "tmux runs a program at 80x24 and captures its screen"
	else
		fail "tmux runs a program at 80x24 and captures its screen" "$(tmux_capture)"
	fi
	printf '^peerscope [0-9.]+$\n^\\[exited\\] 0$\n' >"$PS_TMP/exp"
	tmux_wait_for '^\[exited\]' 5
	tmux_expect_screen "$PS_TMP/exp" "tmux_expect_screen compares with expected text"
fi

done_testing

#!/usr/bin/env bash
# A frame goes to the terminal in one write(): over SSH each write is a packet
# of its own. ncurses 6.4 flushes at every cursor movement until curses has
# been suspended once (lib_mvcur.c, _nc_mvcur and ewInitial); the first
# frame of an 80 x 24 dashboard went out in over twenty writes, and so did
# every frame after it.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux
command -v strace >/dev/null 2>&1 || skip_all "strace is not installed"

world=$(ps_bin tests/e2e/ui_world)
fifo="$PS_TMP/ctl"
trace="$PS_TMP/writes"
mkfifo "$fifo"

plan 3

tmux_start 80 24 strace -f -qq -e trace=write -e signal=none -s 65536 -o "$trace" \
	"$world" "$PS_FIXTURES/ui" "$fifo"
tmux_expect 'F10Quit' 10 "the dashboard runs under strace"
tmux_keys 2
tmux_expect 'PENDING' 5 "2 shows the peerings"
tmux_keys q
tmux_wait_for '^\[exited\] 0$' 10 || diag "$(tmux_capture)"
tmux_stop

# WRITES: the terminal's writes, one a line.
writes() { grep -E '^[0-9]+ +write\(1, ' "$trace"; }
first=$(writes | grep -c 'peerscope 0\.1\.0.*Quit')
after=$(writes | grep -c 'Peerings.*PENDING')
if [ "$first" -ge 1 ] && [ "$after" -ge 1 ]; then
	pass "the first frame, and the one after a key, are each one write"
else
	fail "the first frame, and the one after a key, are each one write" \
		"$(writes | cut -c1-120)"
fi
done_testing

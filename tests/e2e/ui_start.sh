#!/usr/bin/env bash
# The dashboard draws its first frame, every configured cluster's row
# waiting, before its pollers start; they start right after it, and the rows
# change as they publish. Pollers that cannot start end the dashboard with
# status 1 and "cannot start the pollers", rather than rows that wait
# forever. dash_start holds or fails the start of the pollers.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux
plan 5

dash=$(ps_bin tests/e2e/dash_start)
cfg="$PS_TMP/config.yaml"
{
	echo "clusters:"
	for c in c01 c02 c03; do
		printf '  - name: %s\n    consul: {address: "http://127.0.0.1:1"}\n' "$c"
	done
} >"$cfg"
chmod 600 "$cfg"
# NAME's row, both sides waiting: no snapshot of it yet.
waiting() { printf '^│[> ]%s +[^ ]+ +waiting +waiting ' "$1"; }

go="$PS_TMP/go"
tmux_start 160 48 env PS_HOLD_POLLERS="$go" "$dash" --config "$cfg"
if tmux_wait_for "$(waiting c01)" 5 && tmux_wait_for "$(waiting c02)" 1 &&
	tmux_wait_for "$(waiting c03)" 1; then
	pass "the first frame, every cluster's row waiting, comes before the pollers start"
else
	fail "the first frame, every cluster's row waiting, comes before the pollers start" \
		"$(tmux_capture)"
fi
touch "$go"
# Each poller publishes its cluster, refused: its row waits no more.
gone=
for _ in $(seq 1 200); do
	tmux_capture | grep -Eq "$(waiting 'c0[123]')" || {
		gone=1
		break
	}
	sleep 0.05
done
if [ -n "$gone" ]; then
	pass "then the pollers start, and the rows fill"
else
	fail "then the pollers start, and the rows fill" "$(tmux_capture)"
fi
tmux_stop

tmux_start 160 48 env PS_FAIL_POLLERS=1 "$dash" --config "$cfg"
tmux_expect '^\[exited\] 1$' 5 "pollers that cannot start end the dashboard, status 1"
tmux_expect '^peerscope: cannot start the pollers$' 1 "saying so"
if tmux_capture | grep -q 'waiting'; then
	fail "the terminal is restored" "$(tmux_capture)"
else
	pass "the terminal is restored"
fi
tmux_stop
done_testing

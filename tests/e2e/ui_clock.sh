#!/usr/bin/env bash
# A review of new stream times paints only the panes it changed. Every
# stream poll brings newer heartbeats, and their ages are shown at most
# every 5 s; a full paint then drew every pane's rows again (the exports'
# matrix, the gateways) for one column of the peerings pane, and that
# paint was most of what an idle dashboard's UI thread did. The panes
# whose rows did not move stand as painted; the screen must be what a full
# paint makes of the same data, colours included. And the ages' ticking
# must not move the panes: a layout that moved was painted whole. New
# times that change what a pair comes to (a stale heartbeat) are no
# longer times alone: the pair's problem shows with them.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux

world=$(ps_bin tests/e2e/ui_world)
fifo="$PS_TMP/ctl"
mkfifo "$fifo"

plan 12

# painted: how many cells of text the dashboard painted so far.
painted() { world_count "$fifo" painted; }
# hb: the heartbeat age the ACTIVE pair's row shows.
hb() {
	tmux_capture | sed -n 's/^.*cluster-01 \+cluster-02 \+ACTIVE \+[^ ]\+ \+ACTIVE \+[^ ]\+ \+\([0-9][^ ]*\) .*$/\1/p' | head -1
}

tmux_start 160 48 "$world" "$PS_FIXTURES/ui" "$fifo"
tmux_expect 'cluster-01 +cluster-02 +ACTIVE' 5 "the ACTIVE pair is on screen"

# beat AGO PATTERN: heartbeats on both ends AGO seconds old, shown at
# their turn (at most 5 s later): wait until the pair's age matches.
beat() {
	echo "beat cluster-01 $1" >"$fifo"
	echo "beat cluster-02 $1" >"$fifo"
	for _ in $(seq 1 200); do
		h=$(hb)
		# shellcheck disable=SC2254 # PATTERN is a glob
		case $h in $2) return 0 ;; esac
		sleep 0.05
	done
	return 1
}

# edge: the column where the peerings' box ends, on the line of its title.
edge() { tmux_capture | grep -m1 '^┌ Peerings.*┐┌' | sed 's/┐┌.*//' | wc -m; }

# Ages of one digit, then of two. The heartbeat column keeps the width of
# the widest age, so the peerings' share of their band stays. At two
# widths of the terminal: the band's room over is shared in halves, and a
# column one cell wider moves the boxes' edge at one of the two.
for cols in 161 160; do
	tmux_resize $cols 48
	beat 3 '[0-9]s'
	e1=$(edge)
	beat 12 '1[0-9]s'
	is "$(edge)" "$e1" "at $cols columns, ages of one digit, then of two, leave the boxes where they are"
done

h0=$(hb)
beat 10 '1[0-9]s'
p0=$(painted)
beat 30 '3[0-9]s'
moved=$?
p1=$(painted)
ok "[ $moved = 0 ]" "new heartbeats' ages are shown at their turn ($h0, then $h)"
tmux_capture_styled >"$PS_TMP/clock.txt"

# full_again COLS ROWS: a resize to 10 columns more and back, which paints
# everything twice with no review in between; true when the screen comes
# back as $PS_TMP/clock.txt holds it.
full_again() {
	local before
	before=$(painted)
	tmux_resize $(($1 + 10)) "$2"
	for _ in $(seq 1 100); do
		[ "$(painted)" -gt "$before" ] && break
		sleep 0.05
	done
	tmux_resize "$1" "$2"
	for _ in $(seq 1 100); do
		tmux_capture_styled >"$PS_TMP/full.txt"
		cmp -s "$PS_TMP/clock.txt" "$PS_TMP/full.txt" && return 0
		sleep 0.05
	done
	return 1
}
# same_as_full COLS ROWS DESCRIPTION: one test of full_again.
same_as_full() {
	if full_again "$1" "$2"; then
		pass "$3"
	else
		fail "$3" "$(diff "$PS_TMP/clock.txt" "$PS_TMP/full.txt" | cat -v | head -40)"
	fi
}

same_as_full 160 48 "the screen is what a full paint makes of it, colours included"
p2=$(painted)
clock=$((p1 - p0)) full=$((p2 - p1))
ok "[ -n '$p0' ] && [ -n '$p2' ] && [ $clock -gt 0 ] && [ $((clock * 4)) -lt $full ]" \
	"the paint of new times wrote less than half the cells of a full one ($clock against $full for two)"
is "$(hb)" "$h" "the full paints show the same age"

# The small layout (tabs, the focused pane alone, no box), the peerings
# pane in view: the same.
tmux_resize 80 24
tmux_keys 2
tmux_wait_for '^Peerings' 5
beat 40 '4[0-9]s'
ok "[ $? = 0 ]" "at 80 x 24, new heartbeats' ages are shown at their turn ($h)"
tmux_capture_styled >"$PS_TMP/clock.txt"
same_as_full 80 24 "at 80 x 24, the screen is what a full paint makes of it"

# New times that make the heartbeat stale change what the pair comes to
# (a problem), not only its age: a review that set the ages alone would
# leave the problem unsaid.
tmux_resize 160 48
beat 90 '1m'
ok "[ $? = 0 ]" "heartbeats 90 s old are shown at their turn ($h)"
tmux_expect 'cluster-01 +cluster-02 +ACTIVE .*⚠ last heartb' 5 "… and the pair's problem with them"

tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"
tmux_stop

#!/usr/bin/env bash
# The dashboard in a real terminal (tmux), on fixed data: every pane, the
# detail view and its raw form, help, filter, sort, the command line, theme
# switching, resizing between 80x24 and 160x48, a cluster going stale and
# coming back, and quitting.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux

world=$(ps_bin tests/e2e/ui_world)
fifo="$PS_TMP/ctl"
mkfifo "$fifo"
# Themes as an installation would have them, plus a broken one.
mkdir -p "$XDG_CONFIG_HOME/peerscope/themes"
cp "$top_srcdir"/themes/*.yaml "$XDG_CONFIG_HOME/peerscope/themes/"
printf 'name: broken\nroles:\n  ok: {fg: chartreuse-ish}\n' >"$XDG_CONFIG_HOME/peerscope/themes/broken.yaml"

plan 43

screen() { tmux_capture; }
# expect REGEX DESCRIPTION: wait up to 5 s for the screen to match.
expect() {
	if tmux_wait_for "$1" 5; then pass "$2"; else fail "$2" "wanted: $1" "$(screen)"; fi
}
# expect_not REGEX DESCRIPTION: wait up to 5 s for the screen not to match.
expect_not() {
	local _
	for _ in $(seq 1 100); do
		screen | grep -Eq -- "$1" || break
		sleep 0.05
	done
	unlike "$(screen)" "$1" "$2"
}
# expect_lines FIRST LAST TEXT DESCRIPTION: wait up to 5 s for the first 11
# columns of screen lines FIRST to LAST, joined by spaces, to be TEXT.
lines_of() { screen | sed -n "$1,$2p" | cut -c1-11 | tr '\n' ' '; }
expect_lines() {
	local _
	for _ in $(seq 1 100); do
		[ "$(lines_of "$1" "$2")" = "$3" ] && break
		sleep 0.05
	done
	is "$(lines_of "$1" "$2")" "$3" "$4"
}

tmux_start 80 24 "$world" "$PS_FIXTURES/ui" "$fifo"
expect '3 clusters +peerings 1/2 ACTIVE +2 problems' "80x24: the header sums up the clusters and peerings"
expect '\[1 Clusters. \(3\)\] \[2 Peerings \(2\)\] \[3 Gateways \(3\)\] \[4 Exports \(3\)\]' \
	"80x24: the other panes are tabs"
expect '^>cluster-01 .* ok \(direct\) +1\.17\.3 +east' "clusters pane: a row per cluster, cursor on the first"
expect 'F1Help F4Filter F5Refresh F6Sort F9Log :Cmd F10Quit' "the function-key bar comes from the action table"

# Idle, nothing is sent to the terminal; a key repaints. What is measured
# here is a window of time: 2.5 s, more than two of the dashboard's 1 s
# ticks, with nothing written.
out_log="$PS_TMP/pane-output"
: >"$out_log"
_tmux pipe-pane -t t "cat >>'$out_log'"
sleep 2.5
is "$(wc -c <"$out_log" | tr -d ' ')" 0 "an idle dashboard draws nothing"
tmux_keys j
ok "wait_for_file '$out_log' 5" "a key repaints what changed"
_tmux pipe-pane -t t
tmux_keys k

tmux_keys l l
expect '^>cluster-01 +ok \(direct\) +1\.17\.3' "l scrolls the columns; the first one stays"
tmux_keys h h Enter
expect '^│ +peerings +ok +[0-9]+s +0' "the detail of a cluster lists its sources"
tmux_keys Escape

tmux_keys 2
expect '^>cluster-01 +cluster-02 +ACTIVE .* ACTIVE .* 2/2 +1/1' "peerings pane: both ends of the ACTIVE pair"
expect 'cluster-01 +cluster-03 +PENDING .*! ?no peering on cluster-03|PENDING .*⚠' \
	"peerings pane: the one-sided pending peering is flagged"
tmux_keys 3
expect 'cluster-03 +mesh-[^ ]*99aa +198\.51\.100\.30:443 +critical' "gateways pane: instances with health"
tmux_keys 4
expect 'SERVICE +FROM +cluster-01 +cluster-02 +cluster-03' "exports pane: a column per cluster"
expect 'payments +cluster-01 +\(here\) +imported 2/2 +exported, not' "exports pane: imported with healthy instances, and a mismatch"

tmux_keys 2 Enter
expect 'cluster-01 ↔ cluster-02' "Enter opens the detail of the selected pair"
expect 'Consul peering +cluster-02 +ACTIVE +Consul peering +cluster-01 +ACTIVE' \
	"the detail shows both ends side by side"
tmux_keys y
expect '"State": "ACTIVE"' "y shows the raw JSON"
tmux_keys Escape '?'
expect ':quit +quit peerscope' "? shows the help made from the action table"
tmux_keys Escape

tmux_keys F5
expect 'fetching everything again' "F5 asks the sources to fetch everything again"
tmux_keys L
expect '[0-9:]{8} info +cluster-02 +cluster-01: ESTABLISHING -> ACTIVE' "L shows the event log"
expect '[0-9:]{8} info +refresh requested' "the refresh reached the data source"
tmux_keys Escape Z
expect 'FROZEN' "Z freezes the screen, and says so"
tmux_keys Z

tmux_keys / 0 3 Enter
expect 'Peerings +/03 \(1 of 2\)' "the filter narrows the pane as typed"
expect_not 'cluster-01 +cluster-02 +ACTIVE' "rows that do not match are hidden"
tmux_keys Escape
expect 'cluster-01 +cluster-02 +ACTIVE' "Esc clears the filter"

tmux_keys 1 j s
expect 'sorted by NAME' "s sorts by the next column"
tmux_keys S
expect_lines 5 7 " cluster-03 >cluster-02  cluster-01 " \
	"S reverses, and the cursor stays on the same cluster"

tmux_keys : p e e r i n g Space c l u s t e r - 0 3 Enter
expect '^>cluster-01 +cluster-03 +PENDING' ":peering NAME goes to that peering"
tmux_keys : c l u s t e r Space c l u s t e r - 0 2 Enter
expect '^>cluster-02 +—' ":cluster NAME goes to that cluster"

tmux_keys : p e e r i n g Space c Tab
expect '^:peering cluster-0$' "Tab completes a peering's name as far as the names shown agree"
tmux_keys 3 Tab
expect '^:peering cluster-03 ?$' "... and to the one name they leave"
tmux_keys Escape
tmux_keys : c l u s t e r Space c l u s t e r - 0 2 Tab
expect '^:cluster cluster-02 ?$' "Tab completes a configured cluster's name"
tmux_keys Escape

tmux_keys : t h Tab
expect '^:theme ?$' "Tab completes a command name"
tmux_keys l i Tab Enter
expect 'theme light' ":theme switches the theme"
tmux_keys : t h e m e Space b r o k e n Enter
expect 'using the default theme: broken\.yaml:3:[0-9]+: error: invalid colour' \
	"a broken theme falls back to the default and names file:line"

echo "stale cluster-03" >"$fifo"
expect '^ ?.?cluster-03 .*STALE [0-9]+s' "a cluster whose data goes stale is marked with the age"
tmux_keys 2
expect 'Peerings +STALE cluster-03 [0-9]+s' "the other panes say whose data is stale, and how old"
tmux_keys 1
echo "fresh cluster-03" >"$fifo"
expect '^ ?.?cluster-03 .*ok \(direct\)' "the stale marker clears when the cluster answers again"

tmux_resize 160 48
expect '┌ Clusters.*┐' "160x48: panes in boxes"
if tmux_wait_for '┌ Peerings.*┌ Mesh gateways' 3 && tmux_wait_for '┌ Exported services' 3; then
	pass "160x48: all four panes at once"
else
	fail "160x48: all four panes at once" "$(screen)"
fi

# A cluster answering again with the same data is not reviewed, yet the
# header's "updated" is the time of the last answer (a quiet cluster must
# not look hung): it moves, and nothing else on the screen does. Answers
# come until the clock has passed a second.
before=$(screen)
shown=$(printf '%s\n' "$before" | sed -n '1p' | grep -Eo 'updated [0-9:]{8}')
moved=
for _ in $(seq 1 50); do
	echo "again cluster-01" >"$fifo"
	sleep 0.1
	now=$(screen | sed -n '1p' | grep -Eo 'updated [0-9:]{8}')
	if [ -n "$now" ] && [ "$now" != "$shown" ]; then moved=$now; break; fi
done
ok "[ -n '$shown' ] && [ -n '$moved' ]" "the same data answered again moves the header's time ($shown, then $moved)"
is "$(screen | sed '1d')" "$(printf '%s\n' "$before" | sed '1d')" "and nothing but the header changes"

tmux_resize 80 24
expect '\[1 Clusters. \(3\)\]' "back to 80x24: tabs again"
tmux_keys q
expect '^\[exited\] 0$' "q quits with status 0"

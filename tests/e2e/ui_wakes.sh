#!/usr/bin/env bash
# Stream times that wait for their turn do not wake the dashboard. Each
# stream poll brings a peering's newer heartbeat and nothing else; the
# dashboard shows such times at most every 5 s, and, until their turn,
# more of them need not wake it (at 16 clusters, a dozen wake-ups every
# stream interval with nothing to show), nor does the same data answered
# again within the second the header shows. A change that is not only
# times still wakes it at once, and the newest times are shown when their
# turn comes (tests/integration/ui_times.sh holds the live dashboard to
# that).
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux

world=$(ps_bin tests/e2e/ui_world)
fifo="$PS_TMP/ctl"
mkfifo "$fifo"

plan 7

# wakes: how many times the store woke the dashboard so far.
wakes() { world_count "$fifo" wakes; }
# beat: both ends of the ACTIVE pair have a new heartbeat, nothing else.
beat() {
	echo "beat cluster-01" >"$fifo"
	echo "beat cluster-02" >"$fifo"
}

tmux_start 160 48 "$world" "$PS_FIXTURES/ui" "$fifo"
tmux_expect 'cluster-01 +cluster-02 +ACTIVE' 5 "the ACTIVE pair is on screen"

# A cluster going stale and back is news: the dashboard reviews it at
# once, and the stream times after it wait for their turn, 5 s later.
echo "stale cluster-03" >"$fifo"
tmux_wait_for 'cluster-03 .*stale' 5
echo "fresh cluster-03" >"$fifo"
tmux_expect 'cluster-03 +[^ ]+ +[^ ]+ +ok \(direct\)' 5 "cluster-03 went stale and came back"
# A burst of answers, as the stream polls of every cluster bring on their
# grid: new times on both ends of the pair, and the same data again, 24
# publishes, each three taken by the world (the wakes file it writes
# after them) before the next. Each would wake a dashboard that drains
# its wake-ups at once, as this one does; here the first wakes it, and
# one more for each second the burst reaches after it.
w0=$(wakes)
for _ in 1 2 3 4 5 6 7 8; do
	beat
	echo "again cluster-03" >"$fifo"
	wakes >/dev/null
done
last=$(date -u +%s)
w1=$(wakes)
ok "[ -n '$w0' ] && [ -n '$w1' ] && [ $((w1 - w0)) -le 3 ]" \
	"24 answers with nothing new but times wake the dashboard at most three times ($w0, then $w1)"

# The header's time is still the newest answer's, to the second.
want=$(date -u -d "@$last" +%T)
next=$(date -u -d "@$((last + 1))" +%T)
tmux_expect "updated ($want|$next)" 2 "the header's time is the newest answer's ($want)"

# A change that is not only times wakes it at once, turn or not.
beat
w2=$(wakes)
echo "state cluster-01 cluster-02 FAILING" >"$fifo"
tmux_expect 'cluster-01 +cluster-02 +FAILING' 2 "a peering's new state is on screen at once"
w3=$(wakes)
ok "[ -n '$w2' ] && [ -n '$w3' ] && [ $((w3 - w2)) -ge 1 ]" "and it woke the dashboard ($w2, then $w3)"

tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"
tmux_stop

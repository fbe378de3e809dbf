#!/usr/bin/env bash
# A live peering's stream times on screen: each stream poll brings a new
# heartbeat, receive and send (Consul computes StreamStatus on read, from
# its stream tracker: agent/rpc/peering/service.go reconcilePeering), and
# nothing else changes. The dashboard shows such times at most every 5 s
# (they would otherwise make every cluster's poll a review of the whole
# view), here polled every second; this test holds it to showing the
# newest ones all the same, when their turn comes, in the raw form of the
# peering's detail, against what curl reads.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
need_tmux

plan 6

# The simulated clock runs slow (a heartbeat every 1,500 s, not 15 s): the
# heartbeats come only when the test moves it.
sim_start -n 2 --speed 0.01
sim_ctl peer cluster-01 cluster-02 >/dev/null
# The first heartbeat comes one interval after the stream came up.
sim_ctl advance 1501 >/dev/null
hb() { curl -s "$C1/v1/peering/cluster-02" | jq -r .StreamStatus.LastHeartbeat | cut -c1-19; }
# steady_refresh: 1s, polled every second though nothing but the times
# moves (poll_steady.sh).
sed 's/^refresh: .*/refresh: 1s\nsteady_refresh: 1s/' "$SIM_CFG" >"$PS_TMP/config.yaml"

tmux_start 160 48 "$(ps_bin peerscope)" --config "$PS_TMP/config.yaml"
tmux_expect 'cluster-01 +cluster-02 +ACTIVE +[^ ]+ +ACTIVE' 15 "the peering is ACTIVE on both sides"
tmux_keys 2 Enter
tmux_wait_for 'cluster-01 <-> cluster-02' 5
tmux_keys y
t1=$(hb)
tmux_expect "\"LastHeartbeat\": \"${t1}Z\"" 10 "the raw form shows the heartbeat curl reads ($t1)"

# Another heartbeat, and nothing else: after a quiet while, shown at once
# (within the 10 s allowed here).
sim_ctl advance 1500 >/dev/null
t2=$(hb)
ok "[ '$t2' != '$t1' ]" "the simulator's clock moved on to the next heartbeat ($t2)"
tmux_expect "\"LastHeartbeat\": \"${t2}Z\"" 10 "the next heartbeat is shown ($t2)"

# One more at once: its poll comes within 5 s of the last review, so it
# waits for its turn, and is shown when that comes.
sim_ctl advance 1500 >/dev/null
t3=$(hb)
tmux_expect "\"LastHeartbeat\": \"${t3}Z\"" 10 "one more, right after: shown when its turn comes ($t3)"

# Two more at once: the newest is shown, not the first that came.
sim_ctl advance 1500 >/dev/null
sim_ctl advance 1500 >/dev/null
t5=$(hb)
tmux_expect "\"LastHeartbeat\": \"${t5}Z\"" 10 "two heartbeats later, the newest is shown ($t5)"
tmux_stop

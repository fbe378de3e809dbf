#!/usr/bin/env bash
# A PENDING peering waits for its dialer for as long as its token goes
# unused: its cluster's stream polls space out to steady_refresh like an
# ACTIVE one's, and a dialer that establishes from a cluster the dashboard
# reads brings them back to every refresh at once. Consul turns the
# acceptor's PENDING peering ACTIVE only when it is read, from its stream
# tracker (agent/rpc/peering/service.go, reconcilePeering), so only a
# stream poll shows it; the dialer's side is a write, which its blocking
# query brings. Judged from the simulator's request log, with refresh: 1s
# and steady_refresh: 3s.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
need_tmux
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"

plan 10

sim_start -n 2 --speed 10
cfg=$SIM_DIR/pending.yaml
sed -e 's/^refresh: .*/refresh: 1s\nsteady_refresh: 3s/' "$SIM_CFG" >"$cfg"

# polls CLUSTER: the ms of the day of each stream poll of CLUSTER since
# request $since.
polls() { sim_periodic "$since" | awk -v c="$1" '$1 == c && $2 == "/v1/peerings" { print $3 }'; }
gaps() { polls "$1" | awk 'NR > 1 { print $1 - p } { p = $1 }'; }
# steady CLUSTER: its last two gaps since $since are 3 s ones.
steady() {
	local g
	g=$(gaps "$1" | tail -2)
	[ "$(printf '%s\n' "$g" | awk '$1 >= 2500 && $1 <= 3500' | wc -l)" -eq 2 ]
}
polled() { [ "$(polls "$1" | wc -l)" -ge "$2" ]; }
show_gaps() { diag "gaps between $1's polls: $(gaps "$1" | tr '\n' ' ')ms"; }
now_ms() { date -u +%H:%M:%S.%N | awk -F: '{ printf "%d\n", (($1 * 60 + $2) * 60 + $3) * 1000 }'; }
state() { curl -s "$1/v1/peering/$2" | jq -r .State; }

# Cluster-02 exports nothing, so that the dial brings cluster-01 no
# imported service, which its blocking queries would show by themselves.
ok "curl -sf -X DELETE \"\$C2/v1/config/exported-services/default\" >/dev/null" \
	"cluster-02's exported-services entry is deleted"
# Cluster-01 makes a token for cluster-02; the token stays in a variable.
tok=$(curl -s -X POST "$C1/v1/peering/token" -d '{"PeerName":"cluster-02"}' | jq -r .PeeringToken)
ok "[ -n \"\$tok\" ] && [ \"\$tok\" != null ]" "cluster-01 made a peering token"
ok "[ \"\$(state \"\$C1\" cluster-02)\" = PENDING ]" "curl reads cluster-01's peering PENDING"

tmux_start 160 48 "$(ps_bin peerscope)" --config "$cfg"
tmux_expect 'cluster-01 +cluster-02 .*PENDING' 20 "the PENDING peering is on screen"

# Nothing moves: the PENDING peering's cluster is polled every 3 s.
since=$(sim_last_request)
ok "wait_until 30 steady cluster-01" "a cluster whose peering waits PENDING is polled every 3 s"
show_gaps cluster-01

# Cluster-02 establishes right after one of cluster-01's steady polls:
# its write reaches its blocking query, and cluster-01 is polled at the
# next second, not 3 s after its last poll.
since=$(sim_last_request)
ok "wait_until 10 polled cluster-01 1" "a steady poll of cluster-01 went"
since=$(sim_last_request)
dialed=$(now_ms)
curl -s -o /dev/null -X POST "$C2/v1/peering/establish" \
	-d "{\"PeerName\":\"cluster-01\",\"PeeringToken\":\"$tok\"}"
ok "wait_until 10 polled cluster-01 1" "cluster-01 is polled after the dial"
first=$(polls cluster-01 | head -1)
diag "the dial at $dialed, cluster-01's next stream poll at $first"
ok "[ $((first - dialed)) -le 2000 ]" "cluster-01's next stream poll within 2 s of the dial ($((first - dialed)) ms)"
tmux_expect 'cluster-01 +cluster-02 .*ACTIVE .*ACTIVE' 10 "both ends ACTIVE on screen"

tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"
sim_stop
done_testing

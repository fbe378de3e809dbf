#!/usr/bin/env bash
# Over HTTP/2 the dashboard carries all of a cluster's long polls and
# watches as streams of one connection to its Consul and one to its API
# server: each transfer waits for the connection being made to say it
# multiplexes (CURLOPT_PIPEWAIT) instead of opening its own. The stream
# poll, every refresh, has a connection of its own to Consul (http.c,
# "Lanes") from its second time on, so that its answers do not make
# libcurl look at each long poll: two connections to each Consul, one to
# each API server. The simulator
# answers HTTP/2 on its TLS listeners as the real servers do
# (sim_http2.sh). Counted from outside with ss; over HTTP/1.1 it was one
# connection per request in flight, some twenty a cluster.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
need_tmux
command -v ss >/dev/null 2>&1 || skip_all "ss (iproute2) is not installed"

plan 4

sim_start -n 3 --tls
tmux_start 100 24 "$(ps_bin peerscope)" --config "$SIM_CFG"
tmux_expect 'cluster-03 .*ok +ok \(direct\)' 15 "the three clusters are up"
pid=$(tmux_pid)
# conns: the dashboard's established connections, one line per peer port.
conns() { ss -Htnp state established 2>/dev/null | grep "pid=$pid," | awk '{print $4}' | sed 's/.*://' | sort; }
servers=$( (for u in "$C1" "$C2" "$C3"; do echo "${u##*:}"; echo "${u##*:}"; done
	for u in "$K1" "$K2" "$K3"; do echo "${u##*:}"; done) | sort)
one_each() { [ "$(conns)" = "$servers" ]; }
ok "wait_until 20 one_each" "two connections to each Consul and one to each API server, nine in all"
diag "$(conns | uniq -c | tr '\n' ' ')"
tmux_expect 'Exports \([1-9][0-9]*\)' 10 "what they carry is on screen: the exported services"
tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"

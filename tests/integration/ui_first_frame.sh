#!/usr/bin/env bash
# The dashboard's first frame comes at once, every configured cluster's row
# in it, marked as waiting while the cluster has not answered; each row fills
# as its cluster answers, and none waits for another. Nothing is judged from
# data that has not arrived: while cluster-01's peerings are slow to come,
# cluster-02's peerings with it and the services it exports to it are no
# problem (they were: "ACTIVE on cluster-02 but absent on cluster-01",
# "exported, not imported").
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
need_tmux
plan 9

sim_start -n 2 --scale services=12,peerings=2
# The clusters' networks are gone (connections open, never answered).
for c in cluster-01 cluster-02; do
	sim_ctl stop "$c" hang >/dev/null
done
# ROW CLUSTER K8S CONSUL: the cluster's row with these two cells.
row() { printf '^│[> ]%s +%s +%s +%s ' "$1" "$1" "$2" "$3"; }
waiting() { row "$1" waiting waiting; }
filled() { printf '^│[> ]%s +%s +ok +ok \\(direct\\) +1\\.[0-9]+\\.[0-9]+ +dc' "$1" "$1"; }

tmux_start 160 48 "$(ps_bin peerscope)" --config "$SIM_CFG"
# At once: long before any request could time out (10 s).
if tmux_wait_for "$(waiting cluster-01)" 3 && tmux_wait_for "$(waiting cluster-02)" 1; then
	pass "the first frame has every cluster's row, waiting for its cluster"
else
	fail "the first frame has every cluster's row, waiting for its cluster" "$(tmux_capture)"
fi
tmux_expect ' 0 problems ' 1 "nothing that has not answered is a problem"

# cluster-01 answers, but its peerings take 30 s.
sim_ctl raw POST /v1/clusters/cluster-01/faults \
	'{"listener":"consul","latency_ms":30000,"path":"/v1/peerings"}' >/dev/null
sim_ctl start cluster-02 >/dev/null
tmux_expect "$(filled cluster-02)" 15 "cluster-02's row fills when it answers"
if tmux_capture | grep -Eq "$(waiting cluster-01)"; then
	pass "cluster-01's still waits, and does not hold it up"
else
	fail "cluster-01's still waits, and does not hold it up" "$(tmux_capture)"
fi
sim_ctl start cluster-01 >/dev/null
tmux_expect "$(filled cluster-01)" 15 "cluster-01's row fills, its peerings not read yet"
# Services read on both sides, exports read: a moment for a wrong count.
tmux_expect 'svc-0001 +cluster-02 +loading' 10 "what cluster-01 imports is loading, not missing"
tmux_expect ' 0 problems ' 1 "its peerings not read, no pair is a problem"

sim_ctl raw DELETE /v1/clusters/cluster-01/faults >/dev/null
tmux_expect 'svc-0001 +cluster-02 +imported' 40 "once read, the import is there"
tmux_expect ' 0 problems ' 5 "and nothing is wrong"
tmux_stop
done_testing

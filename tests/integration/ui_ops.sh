#!/usr/bin/env bash
# The operations from the dashboard's keys, in a real terminal (tmux) against
# peerscope-sim with a third cluster that hangs: key -> dialog -> plan ->
# progress -> both ends ACTIVE on the screen, keys answered all along; unpeer
# with its preview and the typed confirmation; the same at 80x24 from the
# command line; read-only offers none of it. Judged with kubectl.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
. "$top_srcdir/tests/e2e/ops_lib.sh"
need_tmux
need_kubectl
plan 32

sim_start -n 3 --speed 4
sim() { sim_ctl "$@" >/dev/null; }
sim stop cluster-03 hang
ps=$(ps_bin peerscope)

# ---- 160x48: p on cluster-01
tmux_start 160 48 "$ps" --config "$SIM_DIR/config.yaml"
tmux_expect '^│>cluster-01 ' 10 "the dashboard opens with cluster-03 hanging"
tmux_expect 'p Peer +a Acc +t Token +d Dial' 5 "the operations are on the function-key bar"
tmux_keys p
tmux_expect 'Peer cluster-01 with \.\.\.' 5 "p opens the dialog on the selected cluster"
tmux_expect 'Dialer side +> cluster-02' 5 "the dialing side is chosen from the other clusters"
tmux_expect 'Token Secret +\[peering-token-cluster-02\]' 5 "the token Secret's default name is shown"
tmux_keys Enter
tmux_expect '\+ PeeringAcceptor cluster-02 on cluster-01: create, token Secret' 10 \
	"Enter shows the plan: what each step will do"
tmux_keys Tab
tmux_expect '# cluster-01: create PeeringAcceptor consul/cluster-02' 5 \
	"Tab shows what it would send"
tmux_keys G
tmux_expect '"data": "REDACTED"' 5 "the Secret's data is redacted in it"
tmux_keys Enter
tmux_keys 2
tmux_expect '┌ Peerings ▲' 5 "keys reach the panes while the operation runs"
tmux_expect '✓ ACTIVE on both ends' 30 "the progress ends with both ends ACTIVE"
tmux_expect 'cluster-02 +cluster-01 +ACTIVE +heartbeat' 5 "the result shows each end's state"
is "$(synced cluster-02 peeringdialer cluster-01)" True "kubectl: the dialer is Synced"
tmux_keys Enter
tmux_expect '│>cluster-01 +cluster-02 +ACTIVE +acc ok +ACTIVE +dial ok' 10 \
	"the peerings pane shows the pair ACTIVE"

# ---- the token is never on the screen, nor in the activity log
TOKEN=$(token_of cluster-01 peering-token-cluster-02)
tmux_keys F9
tmux_expect 'Event log' 5 "F9 shows the activity log"
tmux_expect 'peer create PeeringAcceptor consul' 5 "the log has the operation's changes"
screen=$(_tmux capture-pane -p -S - -t t)
ok "[ \${#TOKEN} -gt 40 ] && ! printf '%s' \"\$screen\" | grep -Fq -e '${TOKEN:0:24}'" \
	"the token is nowhere on the screen"
tmux_keys Escape

# ---- D on the pair: the preview, the typed confirmation
tmux_keys D
tmux_expect 'cluster-02 stops importing from cluster-01' 10 "D shows what goes away"
tmux_expect 'Type cluster-02 to confirm:' 5 "and asks for the peer name"
tmux_keys x Enter
tmux_expect 'type cluster-02 to confirm, or Esc' 5 "a wrong name is refused"
tmux_keys BSpace c l u s t e r - 0 2 Enter
tmux_expect '✓ gone from Consul on both ends' 30 "unpeer ends with the peering gone"
run k cluster-02 -n consul get peeringdialer cluster-01
like "$err" NotFound "kubectl: the dialer is gone"
tmux_keys Enter q
tmux_expect '^\[exited\] 0$' 5 "q quits"
tmux_stop

# ---- 80x24, from the command line
tmux_start 80 24 "$ps" --config "$SIM_DIR/config.yaml"
tmux_expect '^>cluster-01 ' 10 "80x24: the dashboard opens"
tmux_keys : p e e r Space c l u s t e r - 0 1 Space c l u Tab
tmux_expect '^:peer cluster-01 cluster-0$' 5 "Tab completes the second cluster name"
tmux_keys 2 Enter
tmux_expect 'Enter: run' 10 "the plan fits 80x24"
tmux_keys Enter
tmux_expect '✓ ACTIVE on both ends' 30 "80x24: peered from the command line"
tmux_keys Enter
# A peer name, the third word of :unexport, completes from the names of
# the pairs shown.
tmux_keys : u n e x p o r t Space c l u s t e r - 0 1 Space a u t h Space c l u Tab
tmux_expect '^:unexport cluster-01 auth cluster-0$' 5 "Tab completes a peer name"
tmux_keys Escape
# The peer names are listed from the pairs shown when a completion asks:
# a peering made with curl while the dashboard runs comes.
ccurl cluster-01 /v1/peering/token -X POST -d '{"PeerName":"far-west"}' >/dev/null
completed=
for _ in $(seq 1 40); do
	tmux_keys : u n e x p o r t Space c l u s t e r - 0 1 Space a u t h Space f a Tab
	if tmux_wait_for '^:unexport cluster-01 auth far-west ?$' 1; then
		completed=1
		break
	fi
	tmux_keys Escape
done
ok "[ -n '$completed' ]" "Tab completes the name of a peering made meanwhile"
tmux_keys Escape q
tmux_expect '^\[exited\] 0$' 5 "80x24: q quits"
tmux_stop

# ---- read-only: nothing is offered
tmux_start 80 24 "$ps" --config "$SIM_DIR/config.yaml" --readonly
tmux_expect 'READ-ONLY' 10 "read-only: the badge"
tmux_keys : p e e r Space c l u s t e r - 0 1 Space c l u s t e r - 0 2 Enter
tmux_expect "':peer' is not available in read-only mode" 5 "read-only: :peer is refused"
tmux_keys : s i m Space s t o p Space c l u s t e r - 0 1 Enter
tmux_expect "':sim' works only in a demo" 5 "outside a demo, :sim is refused"
tmux_keys q

done_testing

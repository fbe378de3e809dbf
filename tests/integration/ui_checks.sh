#!/usr/bin/env bash
# The clusters pane's PREREQS column in a real terminal (tmux) following
# peerscope-sim as it is put into failing states and fixed: an old Consul,
# a critical gateway, a Kubernetes user that may not create Secrets, then one
# that may read neither Secrets nor Deployments (unknowns that stay, with
# why); the cluster's detail lists each check with its evidence and fix.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
need_tmux
need_kubectl
plan 17

# cluster-01's context uses peerscope's own Kubernetes user, whose rules the
# test changes while the dashboard runs.
sim_start -n 2 --speed 20 --set cluster-01:kube_user=cluster-admin
sim() { sim_ctl "$@" >/dev/null; }
for c in cluster-01 cluster-02; do
	k "$c" -n consul apply -f - >/dev/null <<YAML
apiVersion: consul.hashicorp.com/v1alpha1
kind: Mesh
metadata: {name: mesh}
spec: {peering: {peerThroughMeshGateways: true}}
YAML
done
# ROW CLUSTER TEXT: the cluster's row ends with TEXT in the PREREQS column.
row() { printf '^│[> ]%s .* %s +│$' "$1" "$2"; }

tmux_start 160 48 "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml"
tmux_expect "$(row cluster-01 ok)" 15 "a healthy simulated cluster: PREREQS ok"
tmux_expect "$(row cluster-02 ok)" 5 "and the other"

# ---- an old Consul: the rare sources are read again on F5 (refresh)
sim install cluster-01 consul_version=1.13.9
tmux_keys F5
tmux_expect "$(row cluster-01 '1 fail: consul-version')" 15 "Consul 1.13.9: PREREQS 1 fail, naming the check"
tmux_keys Enter
tmux_expect '│  fail    consul-version  \(Consul 1\.14 or later\)' 5 "the detail lists the failing check first"
tmux_expect 'Config\.Version=1\.13\.9' 5 "with its evidence"
tmux_expect 'fix: helm upgrade consul hashicorp/consul --kube-context cluster-01' 5 "and its fix"
tmux_keys Escape
sim install cluster-01 consul_version=1.18.2
tmux_keys F5
tmux_expect "$(row cluster-01 ok)" 15 "fixed: ok again"

# ---- a critical gateway: the blocking query brings it without a refresh
sim gateway cluster-01 critical
tmux_expect "$(row cluster-01 '1 fail: gateway-passing')" 15 "a critical gateway: 1 fail"
sim gateway cluster-01 passing
tmux_expect "$(row cluster-01 ok)" 15 "passing again: ok"

# ---- a Kubernetes user that may not create Secrets
# (SelfSubjectAccessReview, doc/api-contract.md §7.6)
sim kube-user cluster-01 no-secret-create
tmux_keys F5
tmux_expect "$(row cluster-01 '1 warn: rbac-peering')" 15 "create secrets denied: 1 warn"
tmux_keys Enter
tmux_expect '│  warn    rbac-peering' 5 "the detail names the check"
tmux_expect 'create secrets denied' 5 "and the verb denied"
tmux_keys Escape

# ---- neither Secrets nor Deployments readable from the start: what cannot
# be read stays unknown, and says why
tmux_keys q
tmux_stop
sim kube-user cluster-01 '{"rules":[{"verbs":["*"],"apiGroups":["consul.hashicorp.com"],"resources":["*"]},{"verbs":["*"],"apiGroups":[""],"resources":["namespaces","configmaps","services","services/proxy"]}]}'
# (52 lines: the cluster's detail lists every source before the checks)
tmux_start 160 52 "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml"
tmux_expect "$(row cluster-01 '[0-9]+ fail: [a-z-]+( \+[0-9]+)?')" 15 "reading Secrets denied: fails"
tmux_keys Enter
tmux_expect '│  unknown consul-k8s-version' 5 "consul-k8s-version stays unknown in the detail"
tmux_expect 'deployments.apps is forbidden' 5 "saying why, in the API server's words"
tmux_keys Escape
sim kube-user cluster-01 cluster-admin
tmux_keys F5
tmux_expect "$(row cluster-01 ok)" 15 "full access again: ok"
tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits"
tmux_stop

done_testing

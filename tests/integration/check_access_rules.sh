#!/usr/bin/env bash
# The checks' Kubernetes access (doc/api-contract.md §7.6) from one
# SelfSubjectRulesReview in the release namespace and a
# SelfSubjectAccessReview only for what its rules leave open: the
# cluster-wide verbs they allow, as a RoleBinding may grant them in that
# namespace alone. Every verb is judged the same as when each is asked on its
# own (the rules' answer refused, then not understood), and the same as
# kubectl auth can-i says. Matching as the RBAC authorizer matches
# (kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go RuleAllows,
# pkg/apis/rbac/v1/evaluation_helpers.go). Judged from the simulator's
# request log and kubectl.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
. "$top_srcdir/tests/e2e/ops_lib.sh"
need_kubectl
command -v jq >/dev/null || skip_all "jq is not installed"
plan 14

SSAR=/apis/authorization.k8s.io/v1/selfsubjectaccessreviews
SSRR=/apis/authorization.k8s.io/v1/selfsubjectrulesreviews
start_sim -n 2 --set cluster-02:kube_user=read-only
# Reads of the peering resources cluster-wide; the rest only in consul, a
# Secret by name only, and the service proxy by "*/proxy".
sim_ctl kube-user cluster-01 '{"rules":[{"verbs":["get","list","watch"],"apiGroups":["consul.hashicorp.com"],"resources":["peeringacceptors","peeringdialers"]},{"verbs":["get","update"],"apiGroups":[""],"resources":["secrets"],"resourceNames":["peering-token"]}],"namespaces":{"consul":[{"verbs":["*"],"apiGroups":["consul.hashicorp.com"],"resources":["*"]},{"verbs":["get","list","create"],"apiGroups":[""],"resources":["secrets"]},{"verbs":["create"],"apiGroups":[""],"resources":["*/proxy"]}]}}' >/dev/null

# check_round NAME: peerscope check on both clusters, its results in
# $PS_TMP/NAME.json, the reviews each cluster got in $PS_TMP/NAME.count.
check_round() {
	local since
	since=$(sim_last_request)
	psc check -o json >"$PS_TMP/$1.json" 2>"$PS_TMP/$1.err"
	for c in cluster-01 cluster-02; do
		printf '%s %s %s\n' "$c" \
			"$(sim_ctl requests "$since" "$c" | jq --arg p "$SSRR" '[.[] | select(.path == $p)] | length')" \
			"$(sim_ctl requests "$since" "$c" | jq --arg p "$SSAR" '[.[] | select(.path == $p)] | length')"
	done >"$PS_TMP/$1.count"
}
verdicts() { jq -S '[.results[] | select(.check | test("^rbac")) | {cluster, check, verdict, evidence}]' "$PS_TMP/$1.json"; }
ev() { jq -r --arg c "$2" '.results[] | select(.check == "rbac-peering" and .cluster == $c) | .evidence' "$PS_TMP/$1.json"; }

check_round rules
diag "$(cat "$PS_TMP/rules.count")"
is "$(grep cluster-01 "$PS_TMP/rules.count")" "cluster-01 1 11" \
	"one rules review, and an access review for each cluster-wide verb its rules allow in consul (11 of 12: not watch secrets)"
is "$(grep cluster-02 "$PS_TMP/rules.count")" "cluster-02 1 12" \
	"read-only: its rules allow every list and watch, asked cluster-wide (12), none of the 30 others"

# The same verdicts when every verb is asked on its own.
sim_ctl fault cluster-01 listener=kube method=POST path=$SSRR error_rate=1 error_code=404 >/dev/null
sim_ctl fault cluster-02 listener=kube method=POST path=$SSRR error_rate=1 error_code=404 >/dev/null
check_round asked
is "$(cat "$PS_TMP/asked.count")" "cluster-01 1 42
cluster-02 1 42" "the rules not served (404): every verb asked, 42 reviews"
is "$(verdicts asked)" "$(verdicts rules)" "the same verdicts and evidence from the rules as from 42 reviews"
sim_ctl clear-faults cluster-01 >/dev/null
sim_ctl clear-faults cluster-02 >/dev/null
sim_ctl fault cluster-01 listener=kube method=POST path=$SSRR malformed=true >/dev/null
check_round malformed
is "$(grep cluster-01 "$PS_TMP/malformed.count")" "cluster-01 1 42" \
	"rules that cannot be read: every verb asked"
is "$(verdicts malformed)" "$(verdicts rules)" "… with the same verdicts"
sim_ctl clear-faults cluster-01 >/dev/null

# What kubectl auth can-i says of the verbs the rules answered.
can() { k cluster-01 auth can-i "$@" 2>/dev/null; }
like "$(ev rules cluster-01)" 'update secrets denied' "update secrets: denied (only the named Secret may be updated)"
is "$(can update secrets -n consul)" no "kubectl agrees: no"
unlike "$(ev rules cluster-01)" 'create secrets denied' "create secrets in consul: allowed by its RoleBinding"
is "$(can create secrets -n consul)" yes "kubectl agrees: yes"
like "$(ev rules cluster-01)" 'list secrets denied' "list secrets cluster-wide: denied though allowed in consul"
is "$(can list secrets --all-namespaces)" no "kubectl agrees: no"
unlike "$(ev rules cluster-01)" 'watch peeringdialers denied' "watch peeringdialers cluster-wide: allowed by the ClusterRoleBinding"
is "$(can watch peeringdialers.consul.hashicorp.com --all-namespaces)" yes "kubectl agrees: yes"
sim_stop

#!/usr/bin/env bash
# The access reviews of the checks (a SelfSubjectAccessReview for each
# cluster-wide verb the rules of the release namespace allow there,
# doc/api-contract.md §7.6) go eight at a time on the cluster's connection
# to its API server, not one after the other: with every review answered
# 600 ms late (a fault of the simulator), the first eight reach it before
# any is answered, and the ninth only once one is. Judged from the
# simulator's request log; the answers still make the verdicts, a verb the
# rules deny among them.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
. "$top_srcdir/tests/e2e/ops_lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
plan 7

SSAR=/apis/authorization.k8s.io/v1/selfsubjectaccessreviews
LATE=600 # ms: wide enough for a loaded machine to send eight at once
sim_start -n 2 --tls --set cluster-01:kube_user=cluster-admin
sim_ctl kube-user cluster-01 no-secret-create >/dev/null
sim_ctl fault cluster-01 listener=kube method=POST path=$SSAR latency_ms=$LATE >/dev/null
since=$(sim_ctl requests | jq '[.[].seq] | max // 0')

psc check -o json cluster-01 >"$PS_TMP/check.json" 2>"$PS_TMP/check.err"
is "$?" 0 "peerscope check exits 0 (a warning)"

# The ms of the day of each review of cluster-01, in the order they came.
sim_ctl requests "$since" cluster-01 | jq -r --arg p "$SSAR" '.[] | select(.path == $p) | .time' |
	awk '{ split($1, t, "T"); split(t[2], h, ":"); sub("Z", "", h[3]);
		printf "%d\n", ((h[1] * 60 + h[2]) * 60 + h[3]) * 1000 }' >"$PS_TMP/at"
diag "reviews at (ms after the first): $(awk 'NR == 1 { f = $1 } { printf "%d ", $1 - f }' "$PS_TMP/at")"
is "$(wc -l <"$PS_TMP/at")" 12 "12 reviews: list and watch of 6 resources, cluster-wide"
is "$(awk -v late=$LATE 'NR == 1 { f = $1 } NR <= 8 && $1 - f < late { n++ } END { print n + 0 }' "$PS_TMP/at")" 8 \
	"the first eight before any answer"
is "$(awk -v late=$LATE 'NR == 1 { f = $1 } NR == 9 { print ($1 - f >= late - 10) ? "after" : "before" }' "$PS_TMP/at")" after \
	"the ninth once one of them is answered"
# At no moment more than eight unanswered: the window in which a review
# waits for its answer holds at most seven others sent after it.
is "$(awk -v late=$LATE '{ a[NR] = $1 } END { m = 0; for (i = 1; i <= NR; i++) { n = 0;
	for (j = i; j <= NR && a[j] - a[i] < late - 10; j++) n++; if (n > m) m = n } print m }' "$PS_TMP/at")" 8 \
	"never more than eight in flight"
v() { jq -r --arg c "$1" '.results[] | select(.check == $c and .cluster == "cluster-01") | .verdict' "$PS_TMP/check.json"; }
is "$(v rbac-peering)" warn "create secrets denied (by the rules): rbac-peering warns"
like "$(jq -r '.results[] | select(.check == "rbac-peering" and .cluster == "cluster-01") | .evidence' "$PS_TMP/check.json")" \
	'create secrets denied' "the evidence names the verb denied"
sim_stop

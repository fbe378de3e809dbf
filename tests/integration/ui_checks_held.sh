#!/usr/bin/env bash
# At the dashboard's start the held sources (store_src_held(): the ACL
# reads, a cluster's rules review followed by its access reviews, and the
# Helm release) wait until every cluster's other sources have answered:
# started with them, they took the cores from the lists the screen waits
# for. A reader that wants one answer of each (check, --once) does not
# hold them. Judged from the simulator's request log: cluster-01's
# services list is answered 800 ms late, and the rules review (the access
# source's first request), the token read and the Helm release's list of
# both clusters must come after it. They wait for the screen too: the
# debug log says each cluster thread let them go because the dashboard
# showed every cluster's state, not because the longest hold (2 s) ran
# out.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
need_tmux
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"

plan 10

SSRR=/apis/authorization.k8s.io/v1/selfsubjectrulesreviews
SELF=/v1/acl/token/self
SERVICES=/v1/internal/ui/services
HELM=/api/v1/namespaces/consul/secrets

sim_start -n 2 --tls

# first PATH [CLUSTER]: when CLUSTER (cluster-01) first received PATH after
# request $since, in ms since the epoch; fails while it has not.
first() {
	local t
	t=$(sim_ctl requests "$since" "${2:-cluster-01}" |
		jq -r --arg p "$1" '[.[] | select(.path == $p)][0].time // empty')
	[ -n "$t" ] && date -d "$t" +%s%3N
}
slow_services() {
	sim_ctl fault cluster-01 listener=consul "path=$SERVICES" latency_ms=800 count=1 >/dev/null
}

slow_services
since=$(sim_last_request)
tmux_start 100 24 "$(ps_bin peerscope)" --config "$SIM_CFG" \
	--log-file "$SIM_DIR/dash.log" --log-level debug
ok "wait_until 15 first $SSRR" "the dashboard reviews cluster-01's access"
ok "wait_until 5 first $SELF && wait_until 5 first $SSRR cluster-02" \
	"reads its token, and reviews cluster-02's access"
services=$(first $SERVICES)
review=$(first $SSRR)
self=$(first $SELF)
other=$(first $SSRR cluster-02)
diag "cluster-01's services list asked at +0; its token read +$((self - services)) ms," \
	"first review +$((review - services)) ms; cluster-02's first review +$((other - services)) ms"
ok "[ $((review - services)) -ge 700 ] && [ $((self - services)) -ge 700 ]" \
	"cluster-01's access reviews and token read wait for its services list's answer"
ok "[ $((other - services)) -ge 700 ]" "so do cluster-02's reviews: the last cluster's answer"
ok "wait_until 5 first $HELM && wait_until 5 first $HELM cluster-02" \
	"the dashboard lists both clusters' Helm release Secrets"
helm=$(first $HELM)
helm2=$(first $HELM cluster-02)
diag "Helm release list: cluster-01 +$((helm - services)) ms, cluster-02 +$((helm2 - services)) ms"
ok "[ $((helm - services)) -ge 700 ] && [ $((helm2 - services)) -ge 700 ]" \
	"both Helm release lists wait for cluster-01's services list too"
tmux_expect 'cluster-02 .*ok +ok \(direct\)' 10 "the clusters are up"
shown="the held sources start: every cluster's other sources answered and the reader showed them"
ok "[ \$(grep -c \"$shown\" \"$SIM_DIR/dash.log\") -eq 2 ]" \
	"both clusters' checks start once the screen shows every cluster's state"
tmux_keys q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"

# check wants one answer of each source: nothing waits for another.
slow_services
since=$(sim_last_request)
"$(ps_bin peerscope)" --config "$SIM_CFG" check cluster-01 >/dev/null 2>&1
services=$(first $SERVICES)
review=$(first $SSRR)
helm=$(first $HELM)
diag "check: first review +$((review - services)) ms, Helm release list +$((helm - services)) ms"
ok "[ -n \"$review\" ] && [ $((review - services)) -lt 700 ] &&
	[ -n \"$helm\" ] && [ $((helm - services)) -lt 700 ]" \
	"check reviews the access and lists the Helm release without waiting for the list"

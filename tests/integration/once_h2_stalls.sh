#!/usr/bin/env bash
# --once against clusters of 10,000 services over HTTP/2: each cluster's
# requests share one connection with its 3 MB services list. libcurl 7.88
# left a small answer's frames in its connection buffer when the list's
# stream paused or ended on them, and nothing read them again: before
# http.c nudged such connections, about one run in fifty lost a source
# (identity, gateways) to the deadline and exited 1. Every run must
# answer every source.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

plan 2

RUNS=100
sim_start -n 4 --tls --scale services=10000
failed=0
first=""
for i in $(seq 1 $RUNS); do
	if ! "$(ps_bin peerscope)" --config "$SIM_CFG" --once -o json >"$PS_TMP/once.json" \
		2>"$PS_TMP/once.err"; then
		failed=$((failed + 1))
		[ -n "$first" ] || first=$(jq -c '[.clusters[] | .name as $c | .sources[]
			| select(.ok | not) | "\($c) \(.name): \(.last_error)"]' "$PS_TMP/once.json" \
			2>/dev/null || head -c 300 "$PS_TMP/once.err")
	fi
done
[ -z "$first" ] || diag "the first failure: $first"
is "$failed" 0 "$RUNS runs of --once, each with every source answered"
ok "jq -e '.clusters | length == 4' $PS_TMP/once.json" "the last run printed the four clusters"

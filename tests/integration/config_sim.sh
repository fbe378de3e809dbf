#!/usr/bin/env bash
# The files peerscope-sim writes (a kubeconfig and a peerscope config file)
# work as written: the config loads, every cluster has its context, token
# file and CA, and without a config file every kubeconfig context is a
# cluster.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

ps=$(ps_bin peerscope)
sim_start -n 3 --acl --tls
dir=$SIM_DIR

run "$ps" config check --config "$SIM_CFG"
is "$rc" 0 "the simulator's config file is valid as written"
is "$err" "" "and draws no warning"
like "$out" "^kubeconfig: $dir/kubeconfig +# file:" "it names the simulator's kubeconfig"
is "$(printf '%s\n' "$out" | grep -c '^  - name: cluster-0[123] ')" 3 "it has the three clusters"
like "$out" "token_file: $dir/state/cluster-02-dashboard.token" "with their token files"
like "$out" "ca_file: $dir/state/ca.pem" "and the simulator's CA"

run env KUBECONFIG="$PS_TMP/elsewhere.yaml" "$ps" --config "$SIM_CFG"
is "$rc" 0 "a KUBECONFIG set for other clusters does not break it"
like "$out" '^cluster-03 +cluster-03 +consul +https://127\.0\.0\.1:[0-9]+$' \
	"every cluster reaches Consul directly"

run "$ps" --kubeconfig "$dir/kubeconfig" --context cluster-01,cluster-03
is "$rc" 0 "the simulator's kubeconfig alone is enough"
is "$(printf '%s\n' "$out" | tail -n +2 | awk '{print $1 "/" $4 " " $5}' | tr '\n' ';')" \
	"cluster-01/(service proxy);cluster-03/(service proxy);" \
	"its contexts become clusters reached through the service proxy"

done_testing

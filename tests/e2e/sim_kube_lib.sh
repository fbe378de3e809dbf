# Helpers for the end-to-end tests of peerscope-sim's Kubernetes half. Source
# after lib.sh; it brings sim_lib.sh. The tests speak to the simulator only
# with real clients: kubectl, and curl for Consul.

. "$top_srcdir/tests/e2e/sim_lib.sh"

# The simulator's API servers serve HTTPS with its CA, which the kubeconfig
# carries, so kubectl sends them its bearer tokens whether or not --tls
# (Consul's listeners) is given.
need_kubectl() {
	[ -n "${KUBECTL_BIN:-}" ] && [ -x "$KUBECTL_BIN" ] || skip_all "kubectl is not installed"
	command -v curl >/dev/null || skip_all "curl is not installed"
	[ -x "$(ps_bin peerscope-sim)" ] || skip_all "peerscope-sim is not built"
}

# start_sim ARGS...: sim_start (sim_lib.sh), by the name these tests use.
start_sim() { sim_start "$@"; }

# k CONTEXT ARGS...: kubectl against one simulated cluster.
k() {
	local ctx=$1
	shift
	"$KUBECTL_BIN" --kubeconfig "$SIM_DIR/kubeconfig" --context "$ctx" --request-timeout 10s "$@"
}

# consul_url CLUSTER: the Consul HTTP address the config file gives for it.
consul_url() {
	awk -v want="$1" '
		$1 == "-" && $2 == "name:" { cur = $3 }
		$1 == "address:" && cur == want { print $2; exit }' "$SIM_DIR/config.yaml"
}

# ccurl CLUSTER PATH [CURL-ARGS...]: curl against a cluster's Consul API.
ccurl() {
	local c=$1 path=$2
	shift 2
	curl -sS --max-time 10 --cacert "$SIM_DIR/state/ca.pem" "$@" "$(consul_url "$c")$path"
}

# poll SECONDS COMMAND: runs COMMAND every 0.1 s until it succeeds.
poll() {
	local limit=$(($1 * 10))
	shift
	for _ in $(seq 1 "$limit"); do
		eval "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

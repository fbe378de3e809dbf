# Helpers of the --once and poller tests; source after lib.sh.
#
#   once_sim_start [ARGS...]  starts peerscope-sim writing its kubeconfig,
#                             peerscope config and ready file under
#                             $PS_TMP/sim; sets SIM_PID, SIM_DIR, SIM_CFG.
#   once_sim_ctl ARGS...      peerscope-sim ctl against it.
#   once_kube_url CLUSTER     the Kubernetes API URL of a simulated cluster.

SIM_BIN=$(ps_bin peerscope-sim)
[ -x "$SIM_BIN" ] || skip_all "peerscope-sim is not built"

once_sim_start() {
	SIM_DIR=$PS_TMP/sim
	mkdir -p "$SIM_DIR"
	start_bg sim "$SIM_BIN" --state-dir "$SIM_DIR/state" --kubeconfig-out "$SIM_DIR/kubeconfig" \
		--config-out "$SIM_DIR/config.yaml" --ready-file "$SIM_DIR/ready" "$@"
	SIM_PID=$bg_pid
	SIM_CFG=$SIM_DIR/config.yaml
	if ! wait_for_file "$SIM_DIR/ready" 20; then
		echo "Bail out! peerscope-sim did not become ready: $(head -c 2000 "$PS_TMP/sim.log")"
		exit 1
	fi
}

once_sim_ctl() { "$SIM_BIN" ctl --state-dir "$SIM_DIR/state" "$@"; }

once_kube_url() { sed -n "s/^$1\\.kube=//p" "$SIM_DIR/ready"; }

# once_kube METHOD CLUSTER PATH [BODY]: a Kubernetes API request with the
# cluster's bearer token from the kubeconfig; prints the body, then the
# status on a last line of its own.
once_kube() {
	local token
	token=$(sed -n "/name: $2-admin/,/token:/s/.*token: //p" "$SIM_DIR/kubeconfig" | head -1)
	curl -s -w '\n%{http_code}' --cacert "$SIM_DIR/state/ca.pem" -X "$1" -H "Authorization: Bearer $token" \
		-H 'Content-Type: application/json' ${4:+--data-binary "$4"} "$(once_kube_url "$2")$3"
}

# once_until SECONDS CMD...: retries CMD every 0.1 s until it succeeds.
once_until() {
	local limit=$(($1 * 10))
	shift
	for _ in $(seq 1 "$limit"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# Helpers for the peerscope-sim tests; source after lib.sh.
#
#   sim_start [ARGS...]   starts peerscope-sim with a state dir, kubeconfig,
#                         config and ready file under $PS_TMP/sim, waits until
#                         it is ready and sets SIM_PID, SIM_DIR, CTL (control
#                         URL), C1..C4 (Consul URLs), K1..K4 (Kubernetes URLs).
#   sim_ctl ARGS...       peerscope-sim ctl against it.
#   wait_parked CLUSTER PATH [N]
#                         waits until N (1) requests to PATH (a blocking
#                         query or a watch) are parked in the simulator.
#   wait_queued CLUSTER [N]
#                         waits until N (1) connections to a cluster stopped
#                         with hang are queued, unaccepted.
#   sim_stop              stops it (TERM); sets SIM_RC to its exit status.

SIM_BIN=$(ps_bin peerscope-sim)
[ -x "$SIM_BIN" ] || skip_all "peerscope-sim is not built (configure --disable-sim)"

sim_start() {
	SIM_DIR=$PS_TMP/sim
	rm -rf "$SIM_DIR"
	mkdir -p "$SIM_DIR"
	start_bg sim "$SIM_BIN" --state-dir "$SIM_DIR/state" --kubeconfig-out "$SIM_DIR/kubeconfig" \
		--config-out "$SIM_DIR/config.yaml" --ready-file "$SIM_DIR/ready" "$@"
	SIM_PID=$bg_pid
	if ! wait_for_file "$SIM_DIR/ready" 20; then
		echo "Bail out! peerscope-sim did not become ready: $(head -c 2000 "$PS_TMP/sim.log")"
		exit 1
	fi
	CTL=$(sed -n 's/^control=//p' "$SIM_DIR/ready")
	local i
	for i in 1 2 3 4; do
		eval "C$i=\$(sed -n 's/^cluster-0$i\.consul=//p' \"\$SIM_DIR/ready\")"
		eval "K$i=\$(sed -n 's/^cluster-0$i\.kube=//p' \"\$SIM_DIR/ready\")"
	done
}

sim_ctl() { "$SIM_BIN" ctl --control "$CTL" "$@"; }

sim_stop() {
	stop_bg "$SIM_PID"
	SIM_RC=$?
}

# http METHOD URL [BODY] [CURL-ARGS...]: sets $code, $body and $headers.
http() {
	local method=$1 url=$2 data=${3-}
	shift 2
	[ $# -gt 0 ] && shift
	# The Kubernetes listeners always serve HTTPS with the simulator's CA.
	local args=(-s -S -X "$method" -D "$PS_TMP/h.txt" -o "$PS_TMP/b.txt" -w '%{http_code}'
		--cacert "$SIM_DIR/state/ca.pem")
	[ -n "$data" ] && args+=(--data-binary "$data")
	code=$(curl "${args[@]}" "$@" "$url" 2>"$PS_TMP/curl.err")
	body=$(cat "$PS_TMP/b.txt" 2>/dev/null)
	headers=$(tr -d '\r' <"$PS_TMP/h.txt" 2>/dev/null)
}

# header NAME: value of a response header of the last http call.
header() { printf '%s\n' "$headers" | sed -n "s/^$1: //Ip" | head -1; }

# wait_until SECONDS CMD...: retries CMD every 0.1 s until it succeeds.
wait_until() {
	local limit=$(($1 * 10))
	shift
	for _ in $(seq 1 "$limit"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# parked CLUSTER PATH [N]: at least N requests to PATH wait for a change.
parked() {
	[ "$(sim_ctl waiting "$1" | jq --arg p "$2" '[.waiting[] | select(.path == $p)] | length')" \
		-ge "${3:-1}" ]
}
wait_parked() { wait_until 10 parked "$@"; }

# none_parked CLUSTER: no request of the cluster waits for a change.
none_parked() { [ "$(sim_ctl waiting "$1" | jq '.waiting | length')" = 0 ]; }

queued() { [ "$(sim_ctl waiting "$1" | jq .queued_connections)" -ge "${2:-1}" ]; }
wait_queued() { wait_until 10 queued "$@"; }

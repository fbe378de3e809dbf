# Helpers of the tests that start peerscope-sim; source after lib.sh.
# sim_start is the one way a shell test starts the simulator.
#
#   sim_start [ARGS...]   starts peerscope-sim with ARGS and its files under
#                         $PS_TMP/sim (state/, kubeconfig, config.yaml, ready;
#                         its output in $PS_TMP/sim.log), waits until it is
#                         ready and sets SIM_PID, SIM_DIR, SIM_CFG (the
#                         peerscope configuration it wrote), CTL (control
#                         URL), C1..C4 (Consul URLs), K1..K4 (Kubernetes URLs).
#                         A simulator that exits or is not ready within 20 s
#                         ends the test ("Bail out!"). Starting it again
#                         stops the one before and starts afresh.
#   sim_ctl ARGS...       peerscope-sim ctl against it.
#   sim_kube METHOD CLUSTER PATH [BODY]
#                         a Kubernetes API request with the cluster's bearer
#                         token (curl); prints the body, then the status on a
#                         line of its own.
#   wait_parked CLUSTER PATH [N]
#                         waits until N (1) requests to PATH (a blocking
#                         query or a watch) are parked in the simulator.
#   wait_queued CLUSTER [N]
#                         waits until N (1) connections to a cluster stopped
#                         with hang are queued, unaccepted.
#   sim_stop              stops it (TERM); sets SIM_RC to its exit status.
#   demo_dir, demo_sim_pid DIR, demo_gone DIR
#                         the folder of a peerscope --demo, the simulator it
#                         runs, and whether both are gone (5 s at most).

SIM_BIN=$(ps_bin peerscope-sim)
[ -x "$SIM_BIN" ] || skip_all "peerscope-sim is not built (configure --disable-sim)"

sim_start() {
	if [ -n "${SIM_PID:-}" ] && kill -0 "$SIM_PID" 2>/dev/null; then
		sim_stop
	fi
	SIM_DIR=$PS_TMP/sim
	SIM_CFG=$SIM_DIR/config.yaml
	rm -rf "$SIM_DIR"
	mkdir -p "$SIM_DIR"
	start_bg sim "$SIM_BIN" --state-dir "$SIM_DIR/state" --kubeconfig-out "$SIM_DIR/kubeconfig" \
		--config-out "$SIM_CFG" --ready-file "$SIM_DIR/ready" "$@"
	SIM_PID=$bg_pid
	local i
	for i in $(seq 1 400); do
		[ -s "$SIM_DIR/ready" ] && break
		if ! kill -0 "$SIM_PID" 2>/dev/null || [ "$i" = 400 ]; then
			echo "Bail out! peerscope-sim $* did not become ready: $(head -c 2000 "$PS_TMP/sim.log")"
			exit 1
		fi
		sleep 0.05
	done
	CTL=$(sed -n 's/^control=//p' "$SIM_DIR/ready")
	for i in 1 2 3 4; do
		eval "C$i=\$(sed -n 's/^cluster-0$i\.consul=//p' \"\$SIM_DIR/ready\")"
		eval "K$i=\$(sed -n 's/^cluster-0$i\.kube=//p' \"\$SIM_DIR/ready\")"
	done
}

sim_ctl() { "$SIM_BIN" ctl --control "$CTL" "$@"; }

# sim_last_request: the sequence number of the newest request in the
# simulator's request log (0: none yet), to read what comes after it.
sim_last_request() { sim_ctl requests | jq '.[-1].seq // 0'; }

# sim_periodic SINCE: "cluster path ms-of-the-day" of each periodic request
# after request SINCE: the stream polls (a GET of /v1/peerings without an
# index) and the Kubernetes probes (/version on the kube listener).
sim_periodic() {
	sim_ctl requests "$1" | jq -r '.[] |
		select((.path == "/v1/peerings" and ((.query // "") | test("index=") | not))
			or (.listener == "kube" and .path == "/version")) |
		"\(.cluster) \(.path) \(.time)"' |
		awk '{ split($3, t, "T"); split(t[2], h, ":"); sub("Z", "", h[3]);
			printf "%s %s %d\n", $1, $2, ((h[1] * 60 + h[2]) * 60 + h[3]) * 1000 }'
}

sim_stop() {
	stop_bg "$SIM_PID"
	SIM_RC=$?
}

sim_kube() {
	local token url
	url=$(sed -n "s/^$2\\.kube=//p" "$SIM_DIR/ready")
	token=$(awk -v u="$2-admin" '$0 == "- name: " u {f = 1} f && /token:/ {print $2; exit}' \
		"$SIM_DIR/kubeconfig")
	curl -s -w '\n%{http_code}' --cacert "$SIM_DIR/state/ca.pem" -X "$1" \
		-H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		${4:+--data-binary "$4"} "$url$3"
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

# The simulator a peerscope --demo runs, with its files in the demo's
# temporary folder under $TMPDIR.
demo_dir() { ls -d "$TMPDIR"/peerscope-demo.* 2>/dev/null | head -1; }
demo_sim_pid() { # DIR
	ps -ww -eo pid=,args= | awk -v d="$1/state" '$0 ~ "peerscope-sim .*--state-dir " d {print $1}'
}
demo_gone() { # DIR: neither the folder nor its simulator is left
	wait_until 5 eval "[ ! -e '$1' ] && [ -z \"\$(demo_sim_pid '$1')\" ]"
}

# Helpers for the end-to-end tests of peerscope's operations. Source after
# lib.sh and sim_kube_lib.sh. What peerscope changed is judged with kubectl
# and curl, never with peerscope's own reader.

AUDIT=$XDG_STATE_HOME/peerscope/audit.log

# psc ARGS...: peerscope on the simulator's configuration.
psc() {
	"$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" "$@"
}

# consul_only CLUSTER...: a configuration in which these clusters have no
# kube context (Consul-only), written to $SIM_DIR/consul-only.yaml.
consul_only() {
	local args=()
	for c in "$@"; do
		args+=(-e "/^  - name: $c\$/,/^  - name:/{/^    context:/d}")
	done
	sed "${args[@]}" "$SIM_DIR/config.yaml" >"$SIM_DIR/consul-only.yaml"
}

# state CLUSTER PEER: the peering's State in that cluster's Consul, by curl.
state() {
	ccurl "$1" "/v1/peering/$2" -H "X-Consul-Token: $(ctoken "$1")" |
		grep -o '"State": *"[A-Z]*"' | grep -o '[A-Z]*' | tail -1
}

# status CLUSTER PEER: the HTTP status of GET /v1/peering/PEER.
status() {
	ccurl "$1" "/v1/peering/$2" -o /dev/null -w '%{http_code}' -H "X-Consul-Token: $(ctoken "$1")"
}

# ctoken CLUSTER: the dashboard's ACL token when the simulator has ACLs.
ctoken() {
	local f="$SIM_DIR/state/$1-dashboard.token"
	[ -f "$f" ] && cat "$f"
}

# synced CONTEXT KIND NAME: the Synced condition of a custom resource.
synced() {
	k "$1" -n consul get "$2" "$3" -o jsonpath='{.status.conditions[?(@.type=="Synced")].status}'
}

# token_of CONTEXT SECRET: the peering token a Secret holds, decoded.
token_of() {
	k "$1" -n consul get secret "$2" -o jsonpath='{.data.data}' | base64 -d
}

# no_secret_in TEXT-FILES...: none of the files holds the token $TOKEN.
no_token_in() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		grep -qF -- "$TOKEN" "$f" && return 1
	done
	return 0
}

# advance_while_running PID: moves the simulated clock 30 s at a time, and
# waits up to a second after each move, until the background command PID has
# ended (30 moves at most); returns its exit status. For a command that waits
# on the timed transitions of a slow simulator (--speed below 1): a move made
# before a transition was scheduled (a dialer's retry once its stream
# dropped) would otherwise leave it to real time.
advance_while_running() {
	local pid=$1
	for _ in $(seq 1 30); do
		sim_ctl advance 30 >/dev/null
		wait_until 1 eval "! kill -0 $pid" || continue
		break
	done
	wait "$pid"
}

#!/usr/bin/env bash
# peerscope-sim's command line: help, version, usage errors, the files it
# writes at start, clean stop on SIGTERM and SIGINT.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

run "$SIM_BIN" --help
is "$rc" 0 "--help exits 0"
like "$out" '^Usage: peerscope-sim' "--help starts with a usage line"
like "$out" '--scale services=N,peerings=M,instances=K' "--help documents --scale"

run "$SIM_BIN" --version
is "$rc" 0 "--version exits 0"
like "$out" '^peerscope-sim [0-9]+\.[0-9]+\.[0-9]+$' "--version prints name and version"

bad_flag() { # description args...
	local d=$1
	shift
	run "$SIM_BIN" "$@"
	is "$rc" 2 "$d exits 2"
	like "$err" "${1#--}" "$d names the option at fault"
}
bad_flag "an unknown option" --frobnicate
bad_flag "--clusters 0" --clusters 0
bad_flag "--clusters 17" --clusters 17
bad_flag "--clusters abc" --clusters abc
bad_flag "--port 70000" --port 70000
bad_flag "--scale with an unknown key" --scale bogus=3
bad_flag "--scale without =" --scale services
bad_flag "--speed 0" --speed 0
bad_flag "--seed -1" --seed -1
bad_flag "--set an unknown cluster" --set cluster-09:consul_version=1.13.0
bad_flag "--set an unknown key" --set cluster-01:colour=blue
bad_flag "an option without its value" --port
bad_flag "a stray argument" stray
bad_flag "--listen with a host name" --listen localhost
run "$SIM_BIN" --set cluster-01:peering_enabled=maybe
like "$err" 'peering_enabled.*maybe' "--set names the bad value"

sim_start --clusters 3 --acl
ok "test -s '$SIM_DIR/ready'" "the ready file is written"
like "$(cat "$SIM_DIR/ready")" '^control=http://127\.0\.0\.1:[0-9]+' "the ready file names the control API"
is "$(grep -c '^cluster-0[1-3]\.consul=http://127\.0\.0\.1:' "$SIM_DIR/ready")" 3 \
	"the ready file lists each cluster's Consul"
for i in 1 2 3; do
	port=$(sed -n "s/^cluster-0$i\.kube=https:\/\/127\.0\.0\.1://p" "$SIM_DIR/ready")
	ok "wait_for_port $port 1" "cluster-0$i's Kubernetes listener accepts connections"
done
# A real API server serves HTTPS: so does the simulator's, without --tls
# too, with the CA written to the state dir and carried by the kubeconfig.
http GET "$K1/version"
is "$code" 200 "without --tls the Kubernetes API is HTTPS, verified against ca.pem"
is "$(curl -s -o /dev/null -w '%{http_code}' "${K1/https/http}/version")" 000 \
	"… and does not speak plain HTTP"
cad=$(sed -n 's/^ *certificate-authority-data: //p' "$SIM_DIR/kubeconfig" | head -1)
is "$(base64 -d <<<"$cad")" "$(cat "$SIM_DIR/state/ca.pem")" \
	"the kubeconfig carries the CA without --tls"
kc=$(cat "$SIM_DIR/kubeconfig")
is "$(grep -c '^- name: cluster-0[1-3]$' "$SIM_DIR/kubeconfig")" 6 "kubeconfig has a cluster and a context per cluster"
like "$kc" 'token: sim-[0-9a-f-]+' "kubeconfig users carry bearer tokens"
like "$kc" "current-context: cluster-01" "kubeconfig has a current context"
cfg=$(cat "$SIM_DIR/config.yaml")
like "$cfg" "kubeconfig: \"$SIM_DIR/kubeconfig\"" "config names the kubeconfig"
like "$cfg" "address: $C1\$" "config gives cluster-01's Consul address"
like "$cfg" "token_file: \"$SIM_DIR/state/cluster-02-dashboard.token\"" "config names the dashboard token with --acl"
unlike "$cfg" "ca_file" "no ca_file without --tls"
is "$(grep -c 'context: cluster-0' "$SIM_DIR/config.yaml")" 3 "config lists three clusters"
for role in management dashboard-readonly dashboard gateway gateway-no-mesh-write; do
	ok "grep -Eq '^[0-9a-f-]{36}\$' '$SIM_DIR/state/cluster-01-$role.token'" "$role token written"
done
is "$(stat -c %a "$SIM_DIR/state/cluster-01-management.token")" 600 "token files are private"
like "$(cat "$SIM_DIR/state/cluster-01-values.yaml")" 'peering:
    enabled: true' "Helm values written to the state dir"
is "$(cat "$SIM_DIR/state/control.url")" "$CTL" "control.url names the control API"

# The request log: what the clusters' listeners received, in order, with
# the arguments, for counting a client's requests from outside.
since=$(sim_ctl requests | jq '[.[].seq] | max // 0')
curl -s -o /dev/null "$C2/v1/peerings?index=5&wait=1s"
curl -s -o /dev/null "$C1/v1/status/leader"
log=$(sim_ctl requests "$since")
is "$(jq length <<<"$log")" 2 "ctl requests SINCE lists the requests after SINCE"
is "$(jq -r '.[0] | "\(.cluster) \(.listener) \(.method) \(.path) \(.query)"' <<<"$log")" \
	"cluster-02 consul GET /v1/peerings index=5&wait=1s" "each with its cluster, listener, method, path and arguments"
is "$(sim_ctl requests "$since" cluster-01 | jq -r '.[].path')" "/v1/status/leader" \
	"ctl requests SINCE CLUSTER lists that cluster's only"
run "$SIM_BIN" ctl --control "$CTL" requests 0 cluster-09
like "$out$err" 'no cluster named' "an unknown cluster is an error"

kill -TERM "$SIM_PID"
for _ in $(seq 1 100); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.05; done
wait "$SIM_PID"
is "$?" 0 "SIGTERM stops it with status 0"
ok "! test -e '$SIM_DIR/ready'" "the ready file is removed on a clean stop"

sim_start
kill -INT "$SIM_PID"
for _ in $(seq 1 100); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.05; done
wait "$SIM_PID"
is "$?" 0 "SIGINT stops it with status 0"

# IPv6: URLs put the address in brackets.
if (exec 3<>/dev/tcp/::1/1) 2>&1 | grep -q 'Connection refused'; then
	start_bg v6 "$SIM_BIN" --listen ::1 --ready-file "$PS_TMP/v6.ready" --config-out "$PS_TMP/v6.yaml"
	v6=$bg_pid
	if wait_for_file "$PS_TMP/v6.ready" 10; then
		u=$(sed -n 's/^cluster-01.consul=//p' "$PS_TMP/v6.ready")
		like "$u" '^http://\[::1\]:[0-9]+$' "--listen ::1: bracketed URLs"
		is "$(curl -s -g "$u/v1/status/leader")" '"10.100.0.10:8300"' "--listen ::1: Consul answers over IPv6"
		like "$(cat "$PS_TMP/v6.yaml")" 'address: http://\[::1\]:' "--listen ::1: config addresses"
	else
		fail "--listen ::1 starts" "$(cat "$PS_TMP/v6.log")"
		skip 2 "no IPv6 listener"
	fi
	stop_bg "$v6"
else
	skip 3 "no IPv6 loopback"
fi

# A fixed --port lays the listeners out from it. P to P+4 must be free,
# and another test of the suite may take one of them between the look and
# the start: start_fixed NAME takes a free port, starts a simulator on it
# and waits for its ready file, again on another port when that one was
# taken (up to five times); it sets $p and $bg_pid, and fails when every
# try did.
start_fixed() {
	local name=$1 try k busy
	for try in 1 2 3 4 5; do
		p=$(free_port)
		[ "$p" -lt 65000 ] || continue
		busy=0
		for k in 1 2 3 4; do (exec 3<>"/dev/tcp/127.0.0.1/$((p + k))") 2>/dev/null && busy=1; done
		[ $busy = 0 ] || continue
		rm -f "$PS_TMP/$name.ready"
		start_bg "$name" "$SIM_BIN" --port "$p" --ready-file "$PS_TMP/$name.ready"
		wait_for_file "$PS_TMP/$name.ready" 10 "$bg_pid" && return 0
		stop_bg "$bg_pid"
		grep -q "cannot listen" "$PS_TMP/$name.log" || return 1
		diag "try $try: a port from $p on was taken, another one"
	done
	return 1
}

if start_fixed fixed; then
	like "$(cat "$PS_TMP/fixed.ready")" "cluster-02.kube=https://127.0.0.1:$((p + 3))" "--port P: cluster i's Kubernetes API on P+2i+1"
	like "$(cat "$PS_TMP/fixed.ready")" "control=http://127.0.0.1:$((p + 4))" "--port P: control API on P+2N"
else
	fail "--port P starts" "$(cat "$PS_TMP/fixed.log")"
	skip 1 "no simulator on a fixed port"
fi
stop_bg "$bg_pid"

# Once one simulator holds P to P+4, a second one on P must fail on P
# itself.
if start_fixed busy; then
	busy=$bg_pid
	start_bg clash "$SIM_BIN" --port "$p"
	wait "$bg_pid"
	rcc=$?
	is "$rcc" 1 "a port in use makes it exit 1"
	like "$(cat "$PS_TMP/clash.log")" "cannot listen on 127.0.0.1 port $p\b" "the error names the address and port"
	stop_bg "$busy"
else
	fail "--port P starts" "$(cat "$PS_TMP/busy.log")"
	skip 1 "no simulator on a fixed port"
fi

done_testing

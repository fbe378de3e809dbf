#!/usr/bin/env bash
# peerscope-sim speaks HTTP/2 on its TLS listeners to a client that offers
# h2 by ALPN, as Consul's HTTPS listener does (hashicorp/consul
# agent/agent.go: http2.ConfigureServer on every https server) and the
# Kubernetes API server does, and HTTP/1.1 to the others on the same port.
# Requests multiplex over one connection; query decoding, a waiting
# request whose client leaves, every fault and a stopped cluster keep
# their meaning per request. curl is the client throughout.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

sim_start --tls --seed 5
ca=$SIM_DIR/state/ca.pem
v() { curl -s -o /dev/null --cacert "$ca" -w '%{http_version}' "$@"; }

is "$(v "$C1/v1/agent/version")" 2 "Consul over TLS: a client offering h2 gets HTTP/2"
is "$(v --http1.1 "$C1/v1/agent/version")" 1.1 "… one offering only http/1.1 gets HTTP/1.1 on the same port"
is "$(v -H "Authorization: Bearer x" "$K1/version")" 2 "the Kubernetes listener speaks HTTP/2 too"
is "$(v --http1.1 -H "Authorization: Bearer x" "$K1/version")" 1.1 "… and HTTP/1.1"
is "$(curl -s -o /dev/null -w '%{http_version}' "${C1/https/http}/v1/agent/version")" 0 \
	"plain HTTP to a TLS listener still gets no answer"
http GET "$C1/v1/agent/version" "" --http2
is "$code:$(jq -r .HumanVersion <<<"$body")" "200:$(sim_ctl world | jq -r '.clusters[0].install.consul_version')" \
	"an HTTP/2 answer carries the body"
like "$(header x-consul-index)$(header content-type)" 'application/json' "… and the handler's header fields"

# One connection carries a waiting blocking query and the requests after it.
idx=$(curl -s -D - -o /dev/null --cacert "$ca" "$C1/v1/peerings" | tr -d '\r' |
	sed -n 's/^x-consul-index: //Ip')
curl -s --cacert "$ca" -Z -w '%{num_connects} %{http_code}\n' \
	-o /dev/null "$C1/v1/peerings?index=$idx&wait=1s" \
	-o /dev/null "$C1/v1/agent/version" -o /dev/null "$C1/v1/status/leader" >"$PS_TMP/mux.txt"
is "$(awk '{s += $1} END {print s}' "$PS_TMP/mux.txt")" 1 \
	"three requests at once, one waiting 1 s: one connection in all"
is "$(awk '{print $2}' "$PS_TMP/mux.txt" | sort | uniq -c | awk '{print $1 " " $2}')" "3 200" \
	"… and each answered"

# Query and path decoded as libmicrohttpd decodes them.
since=$(sim_ctl requests | jq '[.[].seq] | max // 0')
curl -s -o /dev/null --cacert "$ca" --http1.1 "$C1/v1/agent/version?x=a+b%2Fc&flag&y=%41"
curl -s -o /dev/null --cacert "$ca" --http2 "$C1/v1/agent/version?x=a+b%2Fc&flag&y=%41"
q=$(sim_ctl requests "$since" | jq -c '[.[] | select(.path == "/v1/agent/version") | .query]')
is "$(jq -r 'length' <<<"$q") $(jq -r '.[0]' <<<"$q")" "2 x=a b/c&flag&y=A" "over HTTP/1.1 the query is decoded"
is "$(jq -r '.[1]' <<<"$q")" "$(jq -r '.[0]' <<<"$q")" "… and the same over HTTP/2"

# A client that leaves a waiting request frees it.
curl -s -o /dev/null --cacert "$ca" -m 1 "$C1/v1/peerings?index=$idx&wait=60s"
ok "wait_until 5 none_parked cluster-01" "a blocking query whose HTTP/2 client left stops waiting"

# Faults, per request.
sim_ctl fault cluster-01 reset_rate=1 path=/v1/status count=1 >/dev/null
curl -s --cacert "$ca" -Z -w '%{http_code}\n' -o /dev/null "$C1/v1/status/leader" \
	-o /dev/null "$C1/v1/agent/version" >"$PS_TMP/reset.txt" 2>/dev/null
rcr=$?
ok "[ $rcr -ne 0 ]" "reset: the request gets no answer (curl $rcr)"
like "$(cat "$PS_TMP/reset.txt")" '200' "… and the other request on the connection does"
sim_ctl fault cluster-01 truncate=true count=1 >/dev/null
curl -s --cacert "$ca" -o "$PS_TMP/trunc.json" "$C1/v1/agent/self"
rct=$?
ok "[ $rct -ne 0 ]" "truncate: the stream breaks (curl $rct)"
ok "! jq . '$PS_TMP/trunc.json'" "truncate: what came does not parse"
sim_ctl fault cluster-01 malformed=true count=1 >/dev/null
http GET "$C1/v1/agent/self"
like "$code:$body" '^200:.*#!malformed$' "malformed: status 200, the body garbled"
sim_ctl fault cluster-01 drip_bytes=64 drip_delay_ms=50 count=1 >/dev/null
t=$(curl -s -o "$PS_TMP/drip.json" --cacert "$ca" -w '%{time_total}' "$C1/v1/agent/self")
ok "awk 'BEGIN{exit !($t >= 0.4)}'" "drip: the body arrives slowly ($t s)"
ok "jq -e .Config '$PS_TMP/drip.json'" "drip: the body is whole in the end"
sim_ctl fault cluster-01 error_rate=1 error_code=503 count=1 >/dev/null
http GET "$C1/v1/peerings"
is "$code" 503 "an injected status"

# A watch streams over HTTP/2 and sees a change.
tok=$(awk '$0 == "- name: cluster-01-admin" {f = 1} f && /token:/ {print $2; exit}' "$SIM_DIR/kubeconfig")
curl -s -N --cacert "$ca" -H "Authorization: Bearer $tok" -m 3 \
	"$K1/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=2" >"$PS_TMP/w.out" &
wpid=$!
wait_until 5 parked cluster-01 /api/v1/namespaces/default/configmaps
sim_kube POST cluster-01 /api/v1/namespaces/default/configmaps \
	'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"h2"}}' >/dev/null
wait "$wpid"
is "$(jq -r 'select(.type == "ADDED") | .object.metadata.name' "$PS_TMP/w.out" | tail -1)" h2 \
	"a watch over HTTP/2 streams the event"

# Stopping a cluster ends its HTTP/2 connections; started, it answers.
curl -s -o /dev/null --cacert "$ca" -m 20 "$C1/v1/peerings?index=$idx&wait=30s" &
wpid=$!
wait_parked cluster-01 /v1/peerings
sim_ctl stop cluster-01 >/dev/null
wait "$wpid"
ok "[ $? -ne 0 ]" "a stop ends a waiting HTTP/2 request without an answer"
sim_ctl start cluster-01 >/dev/null
is "$(v "$C1/v1/agent/version")" 2 "started again, it speaks HTTP/2"

done_testing

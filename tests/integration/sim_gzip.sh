#!/usr/bin/env bash
# peerscope-sim compresses its answers as the real servers do, over HTTP/1.1
# and HTTP/2 alike, judged by curl, gzip, jq, kubectl and peerscope.
#
# Consul (hashicorp/consul agent/http.go) wraps every HTTP API handler in
# NYTimes gziphandler with MinSize(0): an answer with a body is gzipped,
# errors too, when the request's Accept-Encoding names gzip with a q above
# 0, and every answer carries Vary: Accept-Encoding.
# The Kubernetes API server (k8s.io/apiserver pkg/endpoints/handlers/
# responsewriters/writers.go: defaultGzipThresholdBytes = 128 * 1024)
# gzips a body over 128 KiB when the Accept-Encoding has a bare "gzip"
# token; smaller bodies and watch streams go plain.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
command -v gzip >/dev/null || skip_all "gzip is not installed"

sim_start --tls --seed 7
ca=$SIM_DIR/state/ca.pem
tok=$(awk '$0 == "- name: cluster-01-admin" {f = 1} f && /token:/ {print $2; exit}' "$SIM_DIR/kubeconfig")
auth="Authorization: Bearer $tok"
gz=(-H 'Accept-Encoding: gzip')
secrets=/api/v1/namespaces/consul/secrets
proxy=/api/v1/namespaces/consul/services/https:consul-server:8501/proxy

# get PROTO URL [CURL-ARGS...]: http GET with curl's --http1.1 or --http2;
# the body as it came stays in $PS_TMP/b.txt, copied to $PS_TMP/PROTO.N.
n=0
get() {
	local proto=$1 url=$2
	shift 2
	# A gzip body holds NUL bytes, which the helper's $body cannot.
	http GET "$url" "" "--$proto" "$@" 2>/dev/null
	n=$((n + 1))
	cp "$PS_TMP/b.txt" "$PS_TMP/$proto.$n"
	last=$PS_TMP/$proto.$n
}
# inflated FILE: the gzip member in FILE, inflated.
inflated() { gzip -dc <"$1"; }
# encoding: "Content-Encoding|Vary" of the last answer.
encoding() { echo "$(header content-encoding)|$(header vary)"; }

for p in http1.1 http2; do
	# ---- Consul
	get $p "$C1/v1/internal/ui/services"
	plain=$last
	is "$code $(encoding)" "200 |Accept-Encoding" \
		"$p: Consul, no Accept-Encoding: a plain body, Vary all the same"
	ok "jq -e 'length > 0' '$plain'" "$p: … and the body is the JSON list"
	get $p "$C1/v1/internal/ui/services" "${gz[@]}"
	is "$code $(encoding)" "200 gzip|Accept-Encoding" \
		"$p: Consul, Accept-Encoding: gzip: Content-Encoding: gzip and Vary"
	ok "inflated '$last' | cmp -s - '$plain'" "$p: … gzip -d gives the plain body byte for byte"
	ok "[ $(header content-length) -lt $(wc -c <"$plain") ]" \
		"$p: … and Content-Length is the compressed length"

	get $p "$C1/v1/no/such/thing" "${gz[@]}"
	is "$code $(encoding)" "404 gzip|Accept-Encoding" "$p: a Consul error is compressed too"
	like "$(inflated "$last")" 'Invalid URL path' "$p: … and inflates to Consul's message"

	get $p "$C1/v1/agent/self" -H 'Accept-Encoding: gzip;q=0'
	is "$code $(encoding)" "200 |Accept-Encoding" "$p: gzip;q=0 is not accepted"
	ok "jq -e .Config '$last'" "$p: … the body is plain JSON"
	get $p "$C1/v1/agent/self" -H 'Accept-Encoding: br;q=1.0, GZIP;q=0.5'
	is "$(encoding)" "gzip|Accept-Encoding" "$p: GZIP;q=0.5 among others is (Consul)"

	idx=$(curl -s -D - -o /dev/null --cacert "$ca" "$C1/v1/peerings" | tr -d '\r' |
		sed -n 's/^x-consul-index: //Ip')
	get $p "$C1/v1/peerings?index=$((idx - 1))&wait=5s" "${gz[@]}"
	is "$code $(encoding)" "200 gzip|Accept-Encoding" "$p: a blocking query's answer is compressed"
	ok "inflated '$last' | jq -e 'type == \"array\"'" "$p: … and inflates to the peerings"

	get $p "$K1$proxy/v1/agent/self" -H "$auth" "${gz[@]}"
	is "$code $(encoding)" "200 gzip|Accept-Encoding" \
		"$p: Consul through the API server's service proxy keeps Consul's rule"
	ok "inflated '$last' | jq -e .Config" "$p: … and inflates to the agent"

	# ---- Kubernetes
	get $p "$K1/version" -H "$auth" "${gz[@]}"
	is "$code $(encoding)" "200 |" "$p: Kubernetes /version, gzip accepted: plain, no Vary"
	get $p "$K1/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/exportedservices" \
		-H "$auth" "${gz[@]}"
	is "$code $(encoding)" "200 |" "$p: a custom resource list, gzip accepted: plain"
	ok "jq -e .items '$last'" "$p: … the list as JSON"

	get $p "$K1$secrets" -H "$auth"
	plain=$last
	size=$(wc -c <"$plain")
	is "$code $(encoding)" "200 |" "$p: the Secrets list without Accept-Encoding is plain"
	ok "[ $size -gt 131072 ]" "$p: … and over 128 KiB ($size bytes)"
	get $p "$K1$secrets" -H "$auth" "${gz[@]}"
	is "$code $(encoding)" "200 gzip|Accept-Encoding" "$p: the Secrets list, gzip accepted, is compressed"
	ok "inflated '$last' | cmp -s - '$plain'" "$p: … and gzip -d gives the plain list"
	get $p "$K1$secrets" -H "$auth" -H 'Accept-Encoding: gzip;q=1'
	is "$(encoding)" "|" "$p: the API server takes only a bare gzip token, not gzip;q=1"
	get $p "$K1$secrets" -H "$auth" -H 'Accept-Encoding: deflate, gzip, br, zstd'
	is "$(encoding)" "gzip|Accept-Encoding" "$p: … and finds it in curl --compressed's list"

	get $p "$K1/api/v1/namespaces/consul/secrets?watch=1&timeoutSeconds=1" -H "$auth" "${gz[@]}" -m 10
	is "$code $(encoding)" "200 |" "$p: a watch is never compressed"
	ok "head -1 '$last' | jq -e '.type == \"ADDED\"'" "$p: … its events are plain JSON lines"
done

# The request log: the body as made, and the bytes sent when compressed.
since=$(sim_ctl requests | jq '[.[].seq] | max // 0')
curl -s -o /dev/null --cacert "$ca" "$C1/v1/agent/self"
curl -s -o "$PS_TMP/self.gz" --cacert "$ca" "${gz[@]}" "$C1/v1/agent/self"
log=$(sim_ctl requests "$since" | jq -c '[.[] | select(.path == "/v1/agent/self") | [.bytes, .gzip]]')
is "$(jq -r '.[0][0] == .[1][0] and .[0][1] == 0' <<<"$log")" true \
	"request log: bytes is the body's length either way, gzip 0 when plain"
is "$(jq -r '.[1][1]' <<<"$log")" "$(wc -c <"$PS_TMP/self.gz")" \
	"request log: gzip is the length sent when compressed"

# peerscope reads compressed answers (libcurl's Accept-Encoding), and asks
# for the Helm release Secrets, gzip inside, plain.
since=$(sim_ctl requests | jq '[.[].seq] | max // 0')
"$(ps_bin peerscope)" --config "$SIM_CFG" --once -o json >"$PS_TMP/once.json" 2>"$PS_TMP/once.err"
is "$?" 0 "peerscope --once reads the compressed answers"
ok "jq -e '[.clusters[] | .consul.reachable and (.sources | map(.ok) | all)] | all' '$PS_TMP/once.json'" \
	"… and every source of every cluster was read"
is "$(sim_ctl requests "$since" | jq '[.[] | select(.listener == "consul" and .gzip > 0)] | length > 0')" \
	true "… which came gzip-compressed"
is "$(sim_ctl requests "$since" | jq -c "[.[] | select(.cluster == \"cluster-01\" and .path == \"$secrets\") | [.bytes > 131072, .gzip]]")" \
	'[[true,0]]' "… but the Helm release Secrets, compressed already, were asked as they are"

# kubectl (Go) asks for gzip and inflates the large list itself.
if [ -n "${KUBECTL_BIN:-}" ] && [ -x "$KUBECTL_BIN" ]; then
	since=$(sim_ctl requests | jq '[.[].seq] | max // 0')
	names=$("$KUBECTL_BIN" --kubeconfig "$SIM_DIR/kubeconfig" --context cluster-01 \
		-n consul get secrets -o name)
	like "$names" 'secret/sh\.helm\.release\.v1\.consul\.v1' "kubectl lists the Secrets"
	is "$(sim_ctl requests "$since" | jq "[.[] | select(.path == \"$secrets\" and .gzip > 0)] | length")" \
		1 "… from a compressed answer"
else
	skip 2 "kubectl is not installed"
fi

# --no-gzip: nothing compressed, no Vary.
sim_start --no-gzip
get http1.1 "$C1/v1/agent/self" "${gz[@]}"
is "$code $(encoding)" "200 |" "--no-gzip: Consul answers plain, without Vary"
get http2 "$K1$secrets" -H "$(awk '$0 == "- name: cluster-01-admin" {f = 1} f && /token:/ {print "Authorization: Bearer " $2; exit}' "$SIM_DIR/kubeconfig")" "${gz[@]}"
is "$code $(encoding)" "200 |" "--no-gzip: the large Kubernetes list too"

done_testing

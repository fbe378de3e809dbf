#!/usr/bin/env bash
# Secrets stay secret: credentials in an address are never shown or
# written (config check, the cluster list, --once -o json, the dashboard's
# cluster detail, the log); a token with a line break is refused.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
plan 16

ps=$(ps_bin peerscope)
sim_start -n 1 --speed 20
c1=$(sed -n 's/^cluster-01\.consul=//p' "$SIM_DIR/ready")
k1=$K1
hostport=${c1#http://}

# ---- item: credentials in addresses
sed "s|server: $k1|server: ${k1/https:\/\//https://admin:kube-pw-5150@}|" "$SIM_DIR/kubeconfig" \
	>"$PS_TMP/kubeconfig"
cat >"$PS_TMP/cred.yaml" <<EOF
kubeconfig: $PS_TMP/kubeconfig
clusters:
  - name: cluster-01
    context: cluster-01
    consul: {address: "http://ops:consul-pw-1234@$hostport"}
  - name: withquery
    consul: {address: "http://$hostport/?token=query-tok-777&dc=dc1#access_token=frag-tok-888"}
EOF
secrets_re='kube-pw-5150|consul-pw-1234|query-tok-777|frag-tok-888'

run "$ps" --config "$PS_TMP/cred.yaml" config check
unlike "$out$err" "$secrets_re" "config check shows no credential from an address"
like "$out" "address: \"?http://$hostport\"? +#" "it shows the address without its userinfo"
like "$out" "token=REDACTED" "and a secret query parameter redacted"

run "$ps" --config "$PS_TMP/cred.yaml"
unlike "$out$err" "$secrets_re" "the cluster list neither"

"$ps" --config "$PS_TMP/cred.yaml" --once -o json --timeout 5s --log-file "$PS_TMP/cred.log" \
	--log-level debug >"$PS_TMP/cred.json" 2>"$PS_TMP/cred.err"
unlike "$(cat "$PS_TMP/cred.json" "$PS_TMP/cred.err")" "$secrets_re" "--once -o json neither"
is "$(jq -r '.clusters[0].consul.address' "$PS_TMP/cred.json")" "http://$hostport" \
	"the JSON's address has no userinfo"
unlike "$(cat "$PS_TMP/cred.log")" "$secrets_re" "the log neither"

if [ -n "$TMUX_BIN" ] && [ -x "$TMUX_BIN" ]; then
	tmux_start 160 40 "$ps" --config "$PS_TMP/cred.yaml"
	tmux_expect '>cluster-01 ' 15 "the dashboard starts"
	tmux_keys Enter
	tmux_expect "Consul +http://$hostport" 10 "the cluster detail shows the address without its userinfo"
	unlike "$(tmux_capture)" "$secrets_re" "and no credential"
	tmux_keys Escape q
	tmux_stop
else
	skip 3 "tmux is not installed"
fi

# ---- item: a token with a line break is refused, naming where it came from
run env CONSUL_HTTP_ADDR="$c1" CONSUL_HTTP_TOKEN=$'tok\r\nX-Injected: yes' "$ps" config check
is "$rc" 2 "a Consul token with a line break is refused"
like "$err" "CONSUL_HTTP_TOKEN.*line break" "the error names where the token came from"
unlike "$out$err" "Injected" "and does not show the token"

# ---- item: no core dump holds a token
"$ps" --config "$SIM_CFG" --once --timeout 5s --log-file "$PS_TMP/core.log" --log-level debug \
	>/dev/null 2>&1
like "$(cat "$PS_TMP/core.log")" 'core dumps: off \(not dumpable, limit 0\)' \
	"the process is not dumpable and its core limit is 0"
"$ps" --config "$SIM_CFG" --once --timeout 5s --core-dumps --log-file "$PS_TMP/core2.log" \
	--log-level debug >/dev/null 2>&1
like "$(cat "$PS_TMP/core2.log")" 'core dumps: on' "--core-dumps lets it dump core"
sim_ctl stop cluster-01 hang >/dev/null
"$ps" --config "$SIM_CFG" --once --timeout 5s >/dev/null 2>&1 &
pid=$!
_ps_pids+=("$pid")
limits=""
for _ in $(seq 1 60); do
	limits=$(grep 'Max core file size' "/proc/$pid/limits" 2>/dev/null)
	printf '%s\n' "$limits" | grep -Eq 'Max core file size +0 +0 ' && break
	sleep 0.05
done
like "$limits" "Max core file size +0 +0 " "a running peerscope has a core limit of 0"
wait "$pid" 2>/dev/null
sim_ctl start cluster-01 >/dev/null

done_testing

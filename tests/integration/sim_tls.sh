#!/usr/bin/env bash
# peerscope-sim --tls: HTTPS on every cluster listener with a generated CA
# (without it, on the Kubernetes listeners only: sim_cli.sh), the CA in the
# state dir, the kubeconfig and the peerscope config.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

sim_start --tls --acl
ca=$SIM_DIR/state/ca.pem
ok "openssl x509 -in '$ca' -noout" "ca.pem is a certificate"
like "$C1" '^https://127\.0\.0\.1:' "the ready file gives https URLs"
http GET "$C1/v1/agent/version" "" --cacert "$ca"
is "$code" 200 "Consul over HTTPS, verified against ca.pem"
is "$(curl -s -o /dev/null -w '%{http_code}' "$C1/v1/agent/version")" 000 \
	"an unverified client is refused"
http GET "https://localhost:${C1##*:}/v1/agent/version" "" --cacert "$ca"
is "$code" 200 "the certificate is valid for localhost too"
http GET "$C2/v1/status/leader" "" --cacert "$ca" --resolve "server.dc2.consul:${C2##*:}:127.0.0.1" \
	--connect-to "::127.0.0.1:"
is "$code" 200 "and for server.dc2.consul"
curl -s -o /dev/null "${C1/https/http}/v1/agent/version"
ok "[ $? -ne 0 ]" "no plain HTTP on a TLS listener"
port=${K1##*:}
ok "wait_for_port $port 1" "the Kubernetes listener is up"
http GET "$K1/version" "" --cacert "$ca"
like "$code" '^(200|401)$' "Kubernetes API over HTTPS"
kc=$(cat "$SIM_DIR/kubeconfig")
like "$kc" "server: https://127.0.0.1:" "kubeconfig: https servers"
cad=$(sed -n 's/^ *certificate-authority-data: //p' "$SIM_DIR/kubeconfig" | head -1)
is "$(base64 -d <<<"$cad")" "$(cat "$ca")" "kubeconfig: certificate-authority-data is the CA"
cfg=$(cat "$SIM_DIR/config.yaml")
like "$cfg" "ca_file: \"$ca\"" "config: ca_file"
like "$cfg" "address: https://127.0.0.1:" "config: https addresses"
tokf=$(sed -n 's/^ *token_file: "\(.*\)"$/\1/p' "$SIM_DIR/config.yaml" | head -1)
http GET "$C1/v1/acl/token/self" "" --cacert "$ca" -H "X-Consul-Token: $(cat "$tokf")"
is "$(jq -r '.Policies[0].Name' <<<"$body")" peerscope-actions "config's token file holds the dashboard actions token"

done_testing

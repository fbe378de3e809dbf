#!/usr/bin/env bash
# http over TLS against openssl s_server: CA from a file and from memory, the
# server-name override, insecure mode, client certificates from files and
# from memory, and secrets kept out of the log.
. "$top_srcdir/tests/e2e/lib.sh"

command -v openssl >/dev/null 2>&1 || skip_all "openssl is not installed"
plan 17

probe=$(ps_bin tests/e2e/http_probe)
d=$PS_TMP/pki
mkdir -p "$d"

gen() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=server.dc1.consul" \
			-keyout "$d/srv.key" -out "$d/srv.csr" &&
		printf 'subjectAltName=DNS:server.dc1.consul\n' >"$d/srv.ext" &&
		openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -extfile "$d/srv.ext" -out "$d/srv.pem" &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=peerscope" \
			-keyout "$d/cli.key" -out "$d/cli.csr" &&
		openssl x509 -req -in "$d/cli.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -out "$d/cli.pem" &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
			-keyout "$d/other.key" -out "$d/other.pem"
} >"$PS_TMP/gen.log" 2>&1
gen || {
	cat "$PS_TMP/gen.log"
	skip_all "openssl could not make test certificates"
}

port=$(free_port)
start_bg s_server openssl s_server -quiet -www -accept "127.0.0.1:$port" \
	-cert "$d/srv.pem" -key "$d/srv.key"
wait_for_port "$port" || skip_all "openssl s_server did not start"
mport=$(free_port)
start_bg s_server_mtls openssl s_server -quiet -www -accept "127.0.0.1:$mport" \
	-cert "$d/srv.pem" -key "$d/srv.key" -CAfile "$d/ca.pem" -Verify 1
wait_for_port "$mport" || skip_all "openssl s_server did not start"
url=https://127.0.0.1:$port
murl=https://127.0.0.1:$mport
sni=(--server-name server.dc1.consul)

run "$probe" --ca-file "$d/ca.pem" "${sni[@]}" "$url" /
like "$out" '^status=200 insecure=0 ' "CA file and server name: verified"
like "$out" ' bytes=[1-9][0-9]*$' "the body arrives"

run "$probe" --ca-mem "$d/ca.pem" "${sni[@]}" "$url" /
like "$out" '^status=200 insecure=0' "CA from memory"

run "$probe" --ca-file "$d/ca.pem" "$url" /
like "$out" '^probe: GET https://127\.0\.0\.1:[0-9]+/ \(.*(certificate|match|name).*\)$' \
	"without the server name the certificate does not match 127.0.0.1"

run "$probe" --ca-file "$d/other.pem" "${sni[@]}" "$url" /
like "$out" '^probe: GET .*\(.*certificate.*\)$' "a certificate from another CA is refused"
is "$rc" 1 "a TLS failure exits 1"

# The CA is read once, when the client is made: every connection after
# shares it (src/http_trust.c), so a CA file removed then still verifies.
# A CA that does not parse is libcurl's to report, at the request.
cp "$d/ca.pem" "$d/ca-once.pem"
run "$probe" --ca-file "$d/ca-once.pem" --ca-gone "${sni[@]}" "$url" /
like "$out" '^status=200 insecure=0' "the CA file is read when the client is made"
# Behind a proxy reached over TLS the store is not used (its callback would
# run for the proxy's handshake too): libcurl reads the CA at the
# connection, so a CA file removed before it is missed. no_proxy keeps the
# request itself away from that (absent) proxy; the URL's host is the
# server name.
cp "$d/ca.pem" "$d/ca-proxy.pem"
export https_proxy=https://127.0.0.1:9 no_proxy=server.dc1.consul,127.0.0.1
run "$probe" --proxy-env --ca-file "$d/ca-proxy.pem" --ca-gone "${sni[@]}" "$url" /
unset https_proxy no_proxy
like "$out" '^probe: GET .*\(error setting certificate file: .*/ca-proxy\.pem\)$' \
	"behind a proxy over TLS the CA goes to libcurl, as before"
printf 'not a certificate\n' >"$d/junk.pem"
run "$probe" --ca-file "$d/junk.pem" "${sni[@]}" "$url" /
like "$out" '^probe: GET .*\(error setting certificate file: .*/junk\.pem\)$' "a CA file that does not parse: libcurl's error names it"
is "$rc" 1 "… and exit 1"

run "$probe" --insecure --log "$PS_TMP/insecure.log" "$url" /
like "$out" '^status=200 insecure=1' "insecure mode connects and is flagged"
like "$(cat "$PS_TMP/insecure.log")" 'TLS certificate verification is off' \
	"insecure mode is logged as a warning"

run "$probe" --ca-file "$d/ca.pem" "${sni[@]}" "$murl" /
unlike "$out" '^status=200' "mutual TLS without a client certificate fails"

run "$probe" --ca-file "$d/ca.pem" "${sni[@]}" --cert "$d/cli.pem" --key "$d/cli.key" "$murl" /
like "$out" '^status=200 ' "client certificate and key from files"

run "$probe" --ca-mem "$d/ca.pem" "${sni[@]}" --cert-mem "$d/cli.pem" --key-mem "$d/cli.key" \
	"$murl" /
like "$out" '^status=200 ' "client certificate and key from memory"

# Planted secrets: the token, bearer and key never reach the log or errors.
token=0badc0de-planted-acl-token-ffff
bearer=planted-bearer-eyJhbGciOi
keyline=$(sed -n 2p "$d/cli.key")
run "$probe" --ca-mem "$d/ca.pem" "${sni[@]}" --cert-mem "$d/cli.pem" --key-mem "$d/cli.key" \
	--token "$token" --bearer "$bearer" --log "$PS_TMP/secrets.log" "$murl" "/?token=$token"
all="$out$err$(cat "$PS_TMP/secrets.log")"
like "$(cat "$PS_TMP/secrets.log")" 'GET https://127\.0\.0\.1:[0-9]+/\?token=REDACTED -> 200' \
	"the request is logged with the token redacted"
if printf '%s' "$all" | grep -qF -e "$token" -e "$bearer" -e "$keyline"; then
	fail "no planted secret in output, errors or log" "$all"
else
	pass "no planted secret in output, errors or log"
fi

done_testing

#!/usr/bin/env bash
# Every Consul client call against peerscope-sim in its plain, --tls and --acl
# modes, with the decoded values checked (tests/integration/consul_sim_check.c), and
# the planted secrets (ACL tokens, the peering token and its establishment
# secret) looked for in the client's log and in every error text.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

checker=$(ps_bin tests/integration/consul_sim_check)

# Values of the SECRET lines, plus the establishment secret inside any
# peering token among them.
secrets_of() {
	local s
	sed -n 's/^SECRET|//p' "$1" | while IFS= read -r s; do
		printf '%s\n' "$s"
		{
			printf '%s' "$s" | base64 -d 2>/dev/null
			echo
		} | sed -n 's/.*"EstablishmentSecret":"\([^"]*\)".*/\1/p'
	done
}

for mode in plain tls acl; do
	flags=()
	[ "$mode" = plain ] || flags=("--$mode")
	sim_start --clusters 2 --speed 20 --seed 7 "${flags[@]}"
	"$checker" "$mode" "$SIM_DIR/ready" "$PS_TMP/$mode.log" >"$PS_TMP/$mode.out" \
		2>"$PS_TMP/$mode.err" 3>"$PS_TMP/$mode.secrets"
	rc=$?
	while IFS='|' read -r status what detail; do
		case $status in
		PASS) pass "[$mode] $what" ;;
		FAIL) fail "[$mode] $what" "$detail" ;;
		esac
	done <"$PS_TMP/$mode.out"
	is "$rc" 0 "[$mode] the checker exits 0"
	grep -q '^PASS|run completed' "$PS_TMP/$mode.out" ||
		fail "[$mode] the checker ran to the end" "$(tail -3 "$PS_TMP/$mode.err")"

	nsecrets=0 leaked=""
	while IFS= read -r s; do
		[ -n "$s" ] || continue
		nsecrets=$((nsecrets + 1))
		if grep -qF -- "$s" "$PS_TMP/$mode.log" "$PS_TMP/$mode.err" "$PS_TMP/$mode.out"; then
			leaked="$leaked ${s:0:6}..."
		fi
	done < <(secrets_of "$PS_TMP/$mode.secrets")
	if [ "$mode" = acl ]; then
		[ "$nsecrets" -ge 5 ] && pass "[$mode] tokens, peering token and secret were planted" ||
			fail "[$mode] tokens, peering token and secret were planted" "only $nsecrets"
	else
		[ "$nsecrets" -ge 2 ] && pass "[$mode] peering token and secret were planted" ||
			fail "[$mode] peering token and secret were planted" "only $nsecrets"
	fi
	[ -s "$PS_TMP/$mode.log" ] && [ -z "$leaked" ] &&
		pass "[$mode] no secret in the log or in any error text" ||
		fail "[$mode] no secret in the log or in any error text" "leaked:$leaked"
	sim_stop
done

done_testing

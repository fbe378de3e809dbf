#!/usr/bin/env bash
# Odd input never hangs peerscope nor costs it seconds, and every error
# names the file and the real cause: deeply nested YAML, YAML errors
# without a context.
. "$top_srcdir/tests/e2e/lib.sh"
plan 7

ps=$(ps_bin peerscope)

# elapsed_ms CMD...: runs CMD (output in $out/$err/$rc as run does) and
# sets $ms to how long it took.
timed() {
	local t0 t1
	t0=$(date +%s%N)
	run "$@"
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
}

# ---- deeply nested flow YAML: refused at once, with file:line
deep="$PS_TMP/deep.yaml"
{ printf 'clusters: '; head -c 100000 /dev/zero | tr '\0' '['; echo; } >"$deep"
timed "$ps" --config "$deep" config check
is "$rc" 2 "a config nested 100,000 levels deep is an error"
like "$err" "deep\.yaml:1:[0-9]+: error: nested deeper than 64 levels" "naming the file and line"
ok "[ $ms -lt 3000 ]" "within 3 s (took ${ms} ms)"

{ printf 'apiVersion: v1\nclusters: '; head -c 100000 /dev/zero | tr '\0' '['; echo; } \
	>"$PS_TMP/deep-kubeconfig"
timed "$ps" --kubeconfig "$PS_TMP/deep-kubeconfig" config check
like "$err" "deep-kubeconfig:2:[0-9]+: nested deeper than 64 levels" \
	"a kubeconfig nested that deep too, within 3 s (took ${ms} ms)"

# ---- a YAML error without a context: no stray digits after it
printf 'clusters: *nowhere\n' >"$PS_TMP/alias.yaml"
run "$ps" --config "$PS_TMP/alias.yaml" config check
is "$rc" 2 "an undefined alias is an error"
like "$err" "alias\.yaml:1:11: error: invalid YAML: found undefined alias$" \
	"its message ends with the cause"
printf 'clusters: [a, b\n' >"$PS_TMP/flow.yaml"
run "$ps" --config "$PS_TMP/flow.yaml" config check
like "$err" "flow\.yaml:2:1: error: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence that starts at line 1, column 11$" \
	"a YAML error with a context says where it started"

done_testing

#!/usr/bin/env bash
# The fuzz targets of fuzz_inputs.c, built without libFuzzer, replay every
# seed under every parser (config file, kubeconfig, exec credential, theme,
# duration, headers, text rules, report writers, watch stream, Helm values).
. "$top_srcdir/tests/e2e/lib.sh"
plan 2

f=$PS_FIXTURES
run "$(ps_bin tests/fuzz/fuzz_inputs_replay)" "$f"/config/* "$f"/kubeconfig/*.yaml \
	"$f"/themes/* "$top_srcdir"/themes/*.yaml "$f"/values/* "$f"/consul/* "$f"/kube/* \
	"$top_srcdir"/tests/fuzz/seeds/*/*
is "$rc" 0 "every seed goes through every parser without a fault"
like "$out" "replayed [0-9]+ inputs" "the replay covered the seeds"
done_testing

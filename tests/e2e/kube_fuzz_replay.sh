#!/usr/bin/env bash
# The kube decoders' fuzz target, built without libFuzzer, replays every
# fixture under every decoder (objects of each kind, lists, Status, discovery,
# Secret values, Helm releases, Secret copies, the watch parser in pieces).
. "$top_srcdir/tests/e2e/lib.sh"
plan 2

run "$(ps_bin tests/fuzz/fuzz_kube_replay)" "$PS_FIXTURES"/kube/*
is "$rc" 0 "every fixture goes through every kube decoder without a fault"
like "$out" "replayed [0-9]+ inputs" "the replay covered the fixtures"
done_testing

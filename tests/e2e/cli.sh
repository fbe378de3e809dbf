#!/usr/bin/env bash
# The peerscope command line: version, help, usage errors.
. "$top_srcdir/tests/e2e/lib.sh"

ps=$(ps_bin peerscope)

run "$ps" --version
is "$rc" 0 "--version exits 0"
like "$out" '^peerscope [0-9]+\.[0-9]+\.[0-9]+' "--version prints the name and version"

run "$ps" --help
is "$rc" 0 "--help exits 0"
like "$out" '^Usage: peerscope' "--help starts with a usage line"

run "$ps" --no-such-option
is "$rc" 2 "an unknown option exits 2"
like "$err" "no-such-option" "the error names the unknown option"

done_testing

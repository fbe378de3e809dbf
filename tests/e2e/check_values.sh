#!/usr/bin/env bash
# peerscope check values: Helm values files linted offline, with
# file:line:column, exit statuses 0/1/2, --strict, and the JSON form.
. "$top_srcdir/tests/e2e/lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"

ps=$(ps_bin peerscope)
v="${PS_FIXTURES:-$top_srcdir/tests/fixtures}/values"
cd "$v" || exit 1

# ---- a good file: no configuration, no cluster, no kubeconfig needed
run "$ps" check values good.yaml
is "$rc" 0 "the specification's example values pass"
like "$out" '^0 fail, 0 warn, 0 unknown, 8 ok, 3 skip$' "a summary line ends the table"
like "$out" '^good\.yaml:6:14 +ok +helm-peering-enabled +true +true$' \
	"each check with file:line:column, the value seen and the one required"
is "$err" "" "nothing on stderr"

# ---- a bad file: every finding, with its fix
run "$ps" check values bad.yaml
is "$rc" 1 "a failing check exits 1"
like "$out" '^bad\.yaml:6:14 +fail +helm-peering-enabled +false +true$' "peering disabled is found where it is written"
like "$out" '^bad\.yaml:8:14 +warn +helm-tls-enabled +"true" +true$' "a quoted true is a string: a warning"
like "$out" '^bad\.yaml:17:12 +fail +helm-connect-inject-enabled +false +true$' "YAML 1.1: no is false"
like "$out" 'fix: set global\.peering\.enabled: true' "the fix is under the finding"
like "$out" '^bad\.yaml:12:15 +fail +mode-none +none ' "the removed meshGateway.globalMode, set to none, fails"
like "$out" 'meshGateway\.wanAddress\.static: "127\.0\.0\.1" is loopback' "a loopback WAN address fails"

# ---- several files merged as helm -f merges them
run "$ps" check values bad.yaml override.yaml
is "$rc" 0 "a later file overrides the earlier one"
like "$out" '^override\.yaml:6:14 +ok +helm-peering-enabled' "the value seen is the later file's"
like "$out" '^bad\.yaml:10:12 +ok +helm-mesh-gateway-enabled' "a key only the first file sets stays"
run "$ps" check values override.yaml bad.yaml
is "$rc" 1 "in the other order, the bad file wins"

# ---- anchors, aliases and merge keys
run "$ps" check values anchors.yaml
is "$rc" 0 "aliases and << merge keys are resolved as Helm resolves them"
like "$out" '^anchors\.yaml:10:13 +ok +helm-mesh-gateway-replicas +2 ' "a key written next to a merge key wins"

# ---- several documents: Helm reads the first, the rest is said
run "$ps" check values multidoc.yaml
is "$rc" 0 "a second document is a warning"
like "$out" '^multidoc\.yaml:8:1 +warn +values-file' "the second document is located"
like "$out" 'Helm reads only the first' "and explained"
like "$out" '^multidoc\.yaml:3:14 +ok +helm-peering-enabled' "the first document counts, not the second"
run "$ps" check values --strict multidoc.yaml
is "$rc" 1 "--strict: a warning fails"

# ---- files that cannot be linted: exit 2, the file named, nothing on stdout
run "$ps" check values notyaml.txt
is "$rc" 2 "a file that is not YAML exits 2"
like "$err" '^peerscope: notyaml\.txt:2:1: not YAML: ' "the error names the file, line and column"
is "$out" "" "nothing on stdout"
run "$ps" check values scalar.yaml
is "$rc" 2 "a top level that is not a mapping exits 2"
like "$err" 'scalar\.yaml:1:1: not a Helm values file' "and says so"
run "$ps" check values good.yaml missing.yaml
is "$rc" 2 "a missing file exits 2"
like "$err" '^peerscope: missing\.yaml: cannot read: No such file or directory$' "the error names the missing file"

# ---- usage errors
run "$ps" check values
is "$rc" 2 "check values without a file is a usage error"
like "$err" "needs at least one FILE" "and says what is missing"
run "$ps" check values -o xml good.yaml
is "$rc" 2 "an unknown -o is a usage error"
run "$ps" check
is "$rc" 2 "check (live) without any cluster configured is a configuration error"
like "$err" "no clusters are configured" "the error says so"

# ---- JSON, for pipelines
run "$ps" check values -o json bad.yaml
is "$rc" 1 "-o json keeps the exit status"
ok 'jq -e . <<<"$out" >/dev/null' "the output is JSON"
is "$(jq -r '[.kind, .status, .summary.fail, .summary.warn, (.files | join(","))] | @tsv' <<<"$out")" \
	"$(printf 'values\t1\t7\t1\tbad.yaml')" "kind, status, summary and files"
is "$(jq -r '.results[] | select(.check == "helm-peering-enabled") |
	[.verdict, .location.file, .location.line, .location.column, .path, .seen, .required] | @tsv' <<<"$out")" \
	"$(printf 'fail\tbad.yaml\t6\t14\tglobal.peering.enabled\tfalse\ttrue')" "a finding with its location, value seen and required"
is "$(jq -r '[.results[] | select(.verdict == "fail" or .verdict == "warn") | select(.fix == null)] | length' <<<"$out")" \
	"0" "every failure and warning has a fix"
is "$(jq -r '[.results[] | select(.verdict == "ok") | select(.fix != null)] | length' <<<"$out")" \
	"0" "a result that is ok has none"
is "$(jq -r '[.results[] | .cluster, .pair] | unique | @json' <<<"$out")" '[null]' \
	"values results are about no cluster and no pair"
run "$ps" check values -o json --strict multidoc.yaml
is "$(jq -r '[.strict, .status] | @tsv' <<<"$out")" "$(printf 'true\t1')" "--strict in the document"

done_testing

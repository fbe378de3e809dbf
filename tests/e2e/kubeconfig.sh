#!/usr/bin/env bash
# peerscope with kubeconfig files: contexts become clusters, KUBECONFIG lists
# are merged, and broken or missing files are reported with their position.
. "$top_srcdir/tests/e2e/lib.sh"

ps=$(ps_bin peerscope)
kc=$PS_FIXTURES/kubeconfig

run env KUBECONFIG="$kc/merge-a.yaml:$PS_TMP/missing.yaml:$kc/merge-b.yaml" "$ps"
is "$rc" 0 "a KUBECONFIG list with a missing file loads the others"
is "$(printf '%s\n' "$out" | tail -n +2 | awk '{print $1 "/" $3}' | tr '\n' ' ')" \
	"shared/consul a-only/consul b-only/consul " \
	"every context of the merged files becomes a cluster in namespace consul, each once"

run env KUBECONFIG="$kc/merge-a.yaml:$kc/merge-b.yaml" "$ps" config check --context b-only
like "$out" '^  - name: b-only +# kubeconfig context$' "--context picks one kubeconfig context"
like "$out" '^    # https://b-only\.example:6443, user b-user \(bearer token\)$' \
	"config check names the context's server and kind of credentials"
unlike "$out" 'merge-b-secret' "but not the token"
like "$out" '^kubeconfig: .*merge-a.yaml:.*merge-b.yaml +# env KUBECONFIG$' \
	"the kubeconfig list is shown with its source"

mkdir -p "$HOME/.kube"
cp "$kc/token.yaml" "$kc/ca.pem" "$HOME/.kube/"
mv "$HOME/.kube/token.yaml" "$HOME/.kube/config"
run "$ps"
is "$rc" 0 "~/.kube/config is the default kubeconfig"
like "$out" '^token-ctx ' "its contexts are listed"
rm -rf "$HOME/.kube"

run "$ps"
is "$rc" 2 "no config file and no kubeconfig exits 2"
like "$err" "no clusters are configured" "and says that nothing is configured"

run "$ps" --kubeconfig "$PS_TMP/nope.yaml"
is "$rc" 2 "a missing --kubeconfig file exits 2"
like "$err" "nope.yaml: No such file or directory \(the kubeconfig named by --kubeconfig\)" \
	"the error names the file and where it was named"

run "$ps" --kubeconfig "$kc/bad.yaml"
is "$rc" 2 "a kubeconfig with bad YAML exits 2"
like "$err" "bad.yaml:8:1: invalid YAML: .*quoted scalar that starts at line 6, column 15" \
	"bad YAML is reported with file:line:column"

run "$ps" --kubeconfig "$kc/wrongtype.yaml"
like "$err" "wrongtype.yaml:4:3: clusters: expected a list, found a mapping" \
	"a wrong type in a kubeconfig is reported with file:line:column"

cat >"$PS_TMP/peerscope.yaml" <<YAML
kubeconfig: $kc/token.yaml
clusters:
  - name: east
    context: token-ctx
  - name: west
    context: kind-west
YAML
run "$ps" config check --config "$PS_TMP/peerscope.yaml"
is "$rc" 2 "a cluster naming an unknown context exits 2"
like "$err" "peerscope.yaml:6:14: error: cluster 'west': context 'kind-west' is not in the kubeconfig" \
	"the context is reported at its position in the config file"

done_testing

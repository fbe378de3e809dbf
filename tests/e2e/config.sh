#!/usr/bin/env bash
# peerscope's configuration: the config file, the environment, the flags,
# `peerscope config check`, and documentation that covers every setting.
. "$top_srcdir/tests/e2e/lib.sh"

ps=$(ps_bin peerscope)
cf=$PS_FIXTURES/config
kc=$PS_FIXTURES/kubeconfig

# ---- acceptance: three distinct mistakes, all reported, exit status 2
run "$ps" config check --config "$cf/three-mistakes.yaml"
is "$rc" 2 "a config file with mistakes exits 2"
like "$err" "three-mistakes.yaml:6:5: error: unknown key 'namepsace'.*did you mean 'namespace'" \
	"the unknown key is reported with file:line:column and a suggestion"
like "$err" "three-mistakes.yaml:9:15: error: 'clusters\[0\]\.readonly': expected true or false, found 'maybe'" \
	"the wrong type is reported with file:line:column and what was expected"
like "$err" "three-mistakes.yaml:10:5: error: 'clusters\[1\]' has no 'name'" \
	"the cluster without a name is reported with file:line:column"
like "$err" "has 3 errors" "all three errors are counted"
is "$out" "" "nothing is printed on stdout when the configuration is invalid"

run "$ps" --config "$cf/three-mistakes.yaml"
is "$rc" 2 "peerscope without a command also refuses an invalid configuration"

# ---- a valid file: values, sources, masked secrets
run "$ps" config check --config "$cf/full.yaml"
is "$rc" 0 "config check accepts a valid file"
like "$out" '^refresh: 1m30s +# file:3:10$' "a duration is shown with its file position"
like "$out" '^no_color: false +# default$' "a default is marked as such"
like "$out" 'token: "\*+" +# file:26:14' "the token is masked"
unlike "$out$err" 'file-secret-d41c' "the token's value is printed nowhere"
like "$out" "token_file: $cf/consul.token" "token_file resolves against the config file's folder"
like "$err" "warning: a token in the config file is discouraged" "a token in the file is warned about"
like "$err" "full.yaml:27:29: warning: cluster 'lab': Consul's TLS certificate is not verified" \
	"insecure_skip_verify is warned about"
like "$out" 'address: http://127.0.0.1:8500' "an address without a scheme gets http://"

run "$ps" --config "$cf/full.yaml"
like "$out" '^cluster-02 +token-ctx +consul-system +\(service proxy\) +readonly$' \
	"without a command, the selected clusters are listed"

# ---- every effective value is printed: the audit log and the gateway token's file
printf 'gw-secret-5e1f\n' >"$PS_TMP/gateway.token"
chmod 600 "$PS_TMP/gateway.token"
printf 'audit_log: audit.jsonl\nclusters:\n  - name: lab\n    consul:\n      address: "127.0.0.1:8500"\n      gateway_token_file: gateway.token\n' \
	>"$PS_TMP/gateway.yaml"
run "$ps" config check --config "$PS_TMP/gateway.yaml"
is "$rc" 0 "a config file with audit_log and gateway_token_file is accepted"
like "$out" "^audit_log: $PS_TMP/audit.jsonl +# file:1:12$" "audit_log is printed with its source"
like "$out" "^      gateway_token_file: $PS_TMP/gateway.token +# file:6:27$" \
	"gateway_token_file is printed with its source"
unlike "$out$err" 'gw-secret-5e1f' "the gateway token itself is printed nowhere"
run "$ps" config check --config "$cf/single.yaml"
like "$out" "^audit_log: $XDG_STATE_HOME/peerscope/audit.log +# default: \\\$XDG_STATE_HOME/" \
	"the default audit log is the one under \$XDG_STATE_HOME"
run env XDG_STATE_HOME=relative "$ps" config check --config "$cf/single.yaml" --audit-log "$PS_TMP/a.log"
like "$out" "^audit_log: $PS_TMP/a.log +# flag --audit-log$" "--audit-log overrides it"
run env XDG_STATE_HOME=relative "$ps" config check --config "$cf/single.yaml"
like "$out" "^audit_log: $HOME/.local/state/peerscope/audit.log +# default" \
	"a relative \$XDG_STATE_HOME is ignored"

# ---- environment
run env CONSUL_HTTP_TOKEN=env-secret-88aa CONSUL_HTTP_SSL_VERIFY=false \
	"$ps" config check --config "$cf/single.yaml"
is "$rc" 0 "CONSUL_* variables are accepted for a single cluster"
like "$out" 'token: "\*+" +# env CONSUL_HTTP_TOKEN' "CONSUL_HTTP_TOKEN applies, masked, with its source"
unlike "$out" 'token_file:' "the variable's token replaces the file's token_file"
like "$out" 'insecure_skip_verify: true +# env CONSUL_HTTP_SSL_VERIFY' \
	"CONSUL_HTTP_SSL_VERIFY=false turns verification off"
unlike "$out$err" 'env-secret-88aa' "the variable's token is printed nowhere"

run env CONSUL_HTTP_ADDR=http://10.0.0.1:8500 "$ps" config check --config "$cf/full.yaml"
is "$rc" 0 "CONSUL_HTTP_ADDR with several clusters is not an error"
like "$err" "warning: CONSUL_HTTP_ADDR ignored: they describe one Consul and 3 clusters" \
	"it is ignored with a warning naming the variable"
unlike "$out" '10\.0\.0\.1' "no cluster takes the ignored address"

run env CONSUL_HTTP_SSL_VERIFY=maybe "$ps" config check --config "$cf/single.yaml"
is "$rc" 2 "a bad CONSUL_HTTP_SSL_VERIFY exits 2"
like "$err" "environment variable CONSUL_HTTP_SSL_VERIFY: error: expected true or false, found 'maybe'" \
	"the error names the variable"

run env NO_COLOR=1 "$ps" config check --config "$cf/single.yaml"
like "$out" '^no_color: true +# env NO_COLOR$' "NO_COLOR turns colour off"

run env KUBECONFIG="$kc/merge-a.yaml" "$ps" config check --config "$cf/full.yaml"
like "$out" '^kubeconfig: .*kubeconfig/token.yaml +# file:7:13$' \
	"a config file that names its kubeconfig keeps it over KUBECONFIG"
like "$err" "warning: KUBECONFIG is ignored" "and says that KUBECONFIG is ignored"

# ---- flags
run env NO_COLOR= "$ps" config check --config "$cf/full.yaml" --theme dark --readonly --log-level warn
like "$out" '^theme: dark +# flag --theme$' "a flag overrides the file"
like "$out" '^readonly: true +# flag --readonly$' "--readonly is a flag without a value"
like "$out" '^log_level: warn +# flag --log-level$' "--log-level sets the level"

run "$ps" --config "$cf/full.yaml" --context lab,cluster-01
is "$(printf '%s\n' "$out" | tail -n +2 | awk '{print $1}' | tr '\n' ' ')" "cluster-01 lab " \
	"--context selects clusters by name"
run "$ps" --config "$cf/full.yaml" --context nope
is "$rc" 2 "--context with an unknown name exits 2"
like "$err" "--context: error: no cluster or kubeconfig context is named 'nope'" "and names it"

run "$ps" --config "$cf/full.yaml" --log-file "$PS_TMP/peerscope.log" --log-level warn
is "$rc" 0 "--log-file is accepted"
log=$(cat "$PS_TMP/peerscope.log" 2>/dev/null)
like "$log" "^[0-9-]{10}T[0-9:.]{12}Z warn  .*full.yaml:26:14: a token in the config file is discouraged" \
	"the log holds the configuration's warnings, with timestamps"
unlike "$log" " info " "--log-level warn leaves out the info line"
unlike "$log" "file-secret-d41c" "the log holds no secret"
is "$(stat -c %a "$PS_TMP/peerscope.log")" 600 "the log file is private to its owner"
run "$ps" --config "$cf/full.yaml" --log-file "$PS_TMP/peerscope.log"
like "$(cat "$PS_TMP/peerscope.log")" " info  peerscope [0-9.]+: 3 clusters, configuration .*full.yaml" \
	"the info line says what was loaded; the log is appended to"
run "$ps" --config "$cf/full.yaml" --log-file "$PS_TMP/no/such/dir/x.log"
is "$rc" 2 "a log file that cannot be opened exits 2"
like "$err" "log file $PS_TMP/no/such/dir/x.log: No such file or directory" "naming the file"

run "$ps" --config "$cf/full.yaml" --log-level loud
is "$rc" 2 "a bad flag value exits 2"
like "$err" "--log-level: error: expected one of error, warn, info, debug, found 'loud'" \
	"the error names the flag and what was expected"

run "$ps" config check --config "$PS_TMP/none.yaml"
is "$rc" 2 "a missing --config file exits 2"
like "$err" "none.yaml: error: cannot read the config file: No such file or directory" \
	"the error names the file"

run "$ps" --theme
is "$rc" 2 "a flag missing its value exits 2"
like "$err" "option '--theme' needs a value" "and says so"

run "$ps" config
is "$rc" 2 "'config' without a subcommand exits 2"
like "$err" "'config' needs a subcommand: check or keys" "and names the subcommands"
run "$ps" config check now
is "$rc" 2 "an unknown command exits 2"
like "$err" "unknown command 'config check now'" "and the error shows the whole command"

# ---- a token in a file others can read
printf 'clusters:\n  - name: lab\n    consul: {address: "127.0.0.1:8500", token: t0k}\n' \
	>"$PS_TMP/token.yaml"
chmod 644 "$PS_TMP/token.yaml"
run "$ps" config check --config "$PS_TMP/token.yaml"
is "$rc" 0 "a token in the config file is accepted"
like "$err" "use token_file \(and the file is readable by other users: chmod 600 it\)" \
	"a token in a file readable by others is warned about"
chmod 600 "$PS_TMP/token.yaml"
run "$ps" config check --config "$PS_TMP/token.yaml"
unlike "$err" "readable by other users" "not when only the owner can read it"

# ---- the default file under XDG_CONFIG_HOME, relative paths inside it
mkdir -p "$XDG_CONFIG_HOME/peerscope"
cp "$cf/single.yaml" "$XDG_CONFIG_HOME/peerscope/config.yaml"
printf 'xdg-secret\n' >"$XDG_CONFIG_HOME/peerscope/consul.token"
run "$ps" config check
is "$rc" 0 "the XDG config file is read by default"
like "$out" "^config: $XDG_CONFIG_HOME/peerscope/config.yaml +# default" "and shown as the default file"
like "$out" "token_file: $XDG_CONFIG_HOME/peerscope/consul.token" "its relative paths resolve beside it"
rm -f "$XDG_CONFIG_HOME/peerscope/consul.token"
run "$ps" config check
is "$rc" 2 "an unreadable token_file is an error"
like "$err" "config.yaml:6:19: error: cluster 'solo': consul.token_file .* cannot be read" \
	"naming the file and position"
rm -rf "$XDG_CONFIG_HOME/peerscope"

# ---- the system's file: the first of $XDG_CONFIG_DIRS that has one
mkdir -p "$PS_TMP/sys/peerscope"
printf 'theme: system\nclusters: [{name: lab, consul: {address: "127.0.0.1:8500"}}]\n' \
	>"$PS_TMP/sys/peerscope/config.yaml"
run env XDG_CONFIG_DIRS="relative:$PS_TMP/none:$PS_TMP/sys" "$ps" config check
is "$rc" 0 "a system config file is read when the user has none"
like "$out" "^config: $PS_TMP/sys/peerscope/config.yaml +# default" "the first existing one is used"
mkdir -p "$XDG_CONFIG_HOME/peerscope"
printf 'theme: mine\nclusters: [{name: lab, consul: {address: "127.0.0.1:8500"}}]\n' \
	>"$XDG_CONFIG_HOME/peerscope/config.yaml"
run env XDG_CONFIG_DIRS="$PS_TMP/sys" "$ps" config check
like "$out" '^theme: mine ' "the user's file wins over the system's"
rm -rf "$XDG_CONFIG_HOME/peerscope"

# ---- --help fits an 80x24 terminal with two lines left for the shell: the
# prompt that follows, and the line the cursor moves to after it
run "$ps" --help
is "$(printf '%s\n' "$out" | awk 'length > 80' | head -3)" "" "no --help line is wider than 80 columns"
like "$(printf '%s\n' "$out" | wc -l)" '^ *([0-9]|1[0-9]|2[0-2])$' "--help has at most 22 lines"

# ---- the documentation covers every option, key and variable
# The pages' text without groff's escapes ("\-" is "-").
man1=$(sed 's/\\-/-/g' "$top_srcdir/doc/peerscope.1")
man5=$(sed 's/\\-/-/g' "$top_srcdir/doc/peerscope-config.5")
run "$ps" --help
missing=""
for flag in $(printf '%s\n' "$out" | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	grep -qF -- "$flag" <<<"$man1" || missing="$missing $flag"
done
is "$missing" "" "peerscope(1) documents every option of --help"
run "$ps" config keys
is "$rc" 0 "config keys lists the settings"
missing=""
for key in $(printf '%s\n' "$out" | sed -n '2,/^$/p' | awk 'NF {print $1}'); do
	key=${key#clusters[].}
	key=${key#consul.}
	grep -qF -- ".B $key" <<<"$man5" || missing="$missing $key"
done
is "$missing" "" "peerscope-config(5) documents every config file key"
missing=""
for var in $(printf '%s\n' "$out" | awk '$3 ~ /^[A-Z_]+$/ {print $3}' | sort -u); do
	grep -qF -- "$var" <<<"$man5" || missing="$missing $var"
done
is "$missing" "" "peerscope-config(5) documents every environment variable"

done_testing

#!/usr/bin/env bash
# Cluster data written by someone hostile never reaches the terminal raw:
# names with OSC 0 (title), OSC 52 (clipboard), CSI 2J, a C1 CSI, a
# bidirectional override and invalid UTF-8, through --once -o table and
# -o json (which stays valid UTF-8), the dashboard, an exec plugin's stderr,
# the log file and config check.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v iconv >/dev/null || skip_all "iconv is not installed"
plan 18

ps=$(ps_bin peerscope)

# raw_free FILE DESCRIPTION: no ESC, BEL, C1 control (as UTF-8 or as a bare
# byte), bidirectional override, and valid UTF-8.
raw_free() {
	local f=$1 desc=$2 why=""
	LC_ALL=C grep -q $'\x1b' "$f" && why="ESC"
	LC_ALL=C grep -q $'\x07' "$f" && why="$why BEL"
	LC_ALL=C grep -q $'\xc2[\x80-\x9f]' "$f" && why="$why C1"
	LC_ALL=C grep -q $'\xe2\x80\xae' "$f" && why="$why U+202E"
	iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1 || why="$why invalid-UTF-8"
	if [ -z "$why" ]; then pass "$desc"; else fail "$desc" "found:$why" "$(od -c "$f" | head -20)"; fi
}

evil=$'ev\x1b]0;owned\x07il\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\xc2\x9b2J\xe2\x80\xaegpj.exe'
bad_utf8=$'bad\xff\xfe-svc'

sim_start -n 2 --speed 20
c1=$(sed -n 's/^cluster-01\.consul=//p' "$SIM_DIR/ready")
sim_ctl peer cluster-01 cluster-02 >/dev/null
sim_ctl add-service cluster-01 "$evil" >/dev/null
sim_ctl add-service cluster-01 "$bad_utf8" >/dev/null
body=$(jq -cn --arg a "$evil" '{Kind:"exported-services",Name:"default",
	Services:[{Name:$a,Consumers:[{Peer:"cluster-02"}]}]}')
# jq cannot carry invalid UTF-8: the second name is spliced in as bytes.
body=${body%]\}}
body="$body,{\"Name\":\"$bad_utf8\",\"Consumers\":[{\"Peer\":\"cluster-02\"}]}]}"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary "$body" "$c1/v1/config")
is "$code" 200 "the hostile names are exported (simulator)"

exported() {
	"$ps" --config "$SIM_CFG" --once -o json >"$PS_TMP/probe.json" 2>/dev/null
	LC_ALL=C grep -q 'gpj' "$PS_TMP/probe.json" && LC_ALL=C grep -q 'bad.*-svc' "$PS_TMP/probe.json"
}
wait_until 15 exported || diag "the export did not show within 15 s"

# ---- --once -o table
"$ps" --config "$SIM_CFG" --once -o table >"$PS_TMP/table.txt" 2>"$PS_TMP/table.err"
like "$(cat "$PS_TMP/table.txt")" 'ev\\x1b\]0;owned\\x07il' "the table shows the escape sequence, escaped"
like "$(cat "$PS_TMP/table.txt")" '\\u009b2J\\u202egpj' "C1 and bidi controls are shown as \\u escapes"
raw_free "$PS_TMP/table.txt" "--once -o table writes no control character"

# ---- --once -o json
"$ps" --config "$SIM_CFG" --once -o json >"$PS_TMP/once.json" 2>"$PS_TMP/once.err"
raw_free "$PS_TMP/once.json" "--once -o json is valid UTF-8 without raw controls"
ok "jq -e . '$PS_TMP/once.json'" "the JSON parses"
is "$(jq -r '[.exports[].service | select(startswith("bad"))][0]' "$PS_TMP/once.json")" \
	$'bad\xef\xbf\xbd\xef\xbf\xbd-svc' "an invalid byte reads back as U+FFFD"
is "$(jq -r '[.exports[].service | select(startswith("ev"))][0]' "$PS_TMP/once.json")" "$evil" \
	"a control character reads back as itself (JSON escapes are lossless)"

# ---- an exec plugin's stderr, in the error of --once and in the log
plugin="$PS_TMP/evil-plugin"
printf '#!/bin/sh\nprintf "denied\\033]0;pwn\\007\\302\\233\\342\\200\\256 x\\n" >&2\nexit 3\n' >"$plugin"
chmod +x "$plugin"
cat >"$PS_TMP/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: k
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $plugin
      interactiveMode: Never
contexts:
- name: c
  context: {cluster: k, user: u}
current-context: c
EOF
cat >"$PS_TMP/plugin.yaml" <<EOF
clusters:
  - name: p
    context: c
    consul: {address: "http://127.0.0.1:1"}
EOF
"$ps" --config "$PS_TMP/plugin.yaml" --kubeconfig "$PS_TMP/kubeconfig" --once --timeout 3s \
	--log-file "$PS_TMP/plugin.log" >"$PS_TMP/plugin.out" 2>&1
like "$(cat "$PS_TMP/plugin.out")" 'denied\\x1b\]0;pwn\\x07\\u009b\\u202e x' \
	"the plugin's stderr is shown, escaped"
raw_free "$PS_TMP/plugin.out" "the plugin's stderr reaches the terminal without controls"
like "$(cat "$PS_TMP/plugin.log")" "Kubernetes API: exec plugin .*denied\\\\x1b" \
	"the plugin's failure is in the log"
raw_free "$PS_TMP/plugin.log" "the log file gets no C1 or bidi control either"

# ---- config check: values from the file and the environment
printf 'clusters:\n  - name: "c\\u202e1"\n    consul: {address: "http://h\\u009b:8500"}\n' \
	>"$PS_TMP/names.yaml"
"$ps" --config "$PS_TMP/names.yaml" config check >"$PS_TMP/check.txt" 2>&1
like "$(cat "$PS_TMP/check.txt")" 'c\\u202e1' "config check shows a bidi control escaped"
raw_free "$PS_TMP/check.txt" "config check writes no control character"

# ---- the dashboard
if [ -n "$TMUX_BIN" ] && [ -x "$TMUX_BIN" ]; then
	cp -r "$PS_FIXTURES/ui" "$PS_TMP/ui"
	jq --arg dc $'ea\xe2\x80\xaest\xc2\x9b' '.Config.Datacenter = $dc' \
		"$PS_FIXTURES/ui/cluster-01/self.json" >"$PS_TMP/ui/cluster-01/self.json"
	mkfifo "$PS_TMP/ctl"
	tmux_start 160 30 "$(ps_bin tests/e2e/ui_world)" "$PS_TMP/ui" "$PS_TMP/ctl"
	tmux_expect 'ea\\u202est\\u009b' 10 "the dashboard shows a bidi override and a C1 control escaped"
	tmux_capture >"$PS_TMP/screen.txt"
	raw_free "$PS_TMP/screen.txt" "the screen holds no control character"
	tmux_keys q
	tmux_stop
else
	skip 2 "tmux is not installed"
fi

# ---- check values: a values file's keys and values come back in the findings
printf 'global:\n  image: "hashicorp/consul:1.\\u001b[2J\\u202e"\n' >"$PS_TMP/values.yaml"
"$ps" check values "$PS_TMP/values.yaml" >"$PS_TMP/values.txt" 2>&1
raw_free "$PS_TMP/values.txt" "check values writes no control character"
"$ps" check values -o json "$PS_TMP/values.yaml" >"$PS_TMP/values.json" 2>&1
raw_free "$PS_TMP/values.json" "check values -o json neither"

done_testing

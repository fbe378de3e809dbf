#!/usr/bin/env bash
# Odd input never hangs peerscope nor costs it seconds, and every error
# names the file and the real cause: deeply nested YAML, YAML errors
# without a context, FIFOs and folders where files are expected.
. "$top_srcdir/tests/e2e/lib.sh"
plan 26

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

# ---- FIFOs: no hang. Config and kubeconfig may be pipes, read within the
# deadline; token files, themes and the log must not block.
mkfifo "$PS_TMP/fifo"
printf 'clusters:\n  - name: a\n    consul: {address: "http://127.0.0.1:1"}\n' >"$PS_TMP/ok.yaml"
timed timeout 20 "$ps" --config "$PS_TMP/fifo" --timeout 2s config check
is "$rc" 2 "a FIFO as --config that nobody writes is an error, not a hang"
like "$err" "fifo: .*nothing arrived within 2 s" "naming the file and the wait"
ok "[ $ms -lt 6000 ]" "within the deadline (took ${ms} ms)"
timed timeout 20 "$ps" --kubeconfig "$PS_TMP/fifo" --timeout 2s config check
like "$rc:$err" "^2:.*fifo: .*nothing arrived within 2 s" \
	"a FIFO as --kubeconfig too (took ${ms} ms)"
run "$ps" --kubeconfig <(printf 'apiVersion: v1\ncontexts:\n- name: piped\n  context: {cluster: x}\n') \
	config check
is "$rc:$(printf '%s\n' "$out" | grep -c 'name: piped')" 0:1 "--kubeconfig <(...) is still read"
timed timeout 20 "$ps" --config "$PS_TMP/ok.yaml" --log-file "$PS_TMP/fifo" config check
like "$rc:$err" "^2:.*log file .*fifo: .*(no reader|not)" \
	"a FIFO nobody reads as --log-file is an error, not a hang (took ${ms} ms)"
printf 'clusters:\n  - name: t\n    consul: {address: "http://127.0.0.1:1", token_file: "%s"}\n' \
	"$PS_TMP/fifo" >"$PS_TMP/tokfifo.yaml"
timed timeout 20 "$ps" --config "$PS_TMP/tokfifo.yaml" --once -o json --timeout 2s
like "$rc $err" "^2 .*consul.token_file .*fifo is not a regular file" \
	"a FIFO as token_file is refused, not read (took ${ms} ms)"
ok "[ $ms -lt 6000 ]" "and peerscope ends at once"
mkdir "$PS_TMP/adir"
printf 'clusters:\n  - name: t\n    consul: {address: "http://127.0.0.1:1", token_file: "%s"}\n' \
	"$PS_TMP/adir" >"$PS_TMP/tokdir.yaml"
run "$ps" --config "$PS_TMP/tokdir.yaml" --once -o json --timeout 2s
like "$err" "consul.token_file .*adir is not a regular file \(a directory\)" \
	"a folder as token_file says so (not 'is empty')"
printf 'clusters:\n  - name: t\n    consul: {address: "https://127.0.0.1:1", ca_file: "%s"}\n' \
	"$PS_TMP/fifo" >"$PS_TMP/cafifo.yaml"
timed timeout 20 "$ps" --config "$PS_TMP/cafifo.yaml" config check
like "$rc $err" "^2 .*consul.ca_file .*fifo is not a regular file" \
	"a FIFO as ca_file is refused before libcurl would block on it (took ${ms} ms)"

# ---- 20,000 contexts: merged and checked in linear time
contexts() { # N FILE: a kubeconfig with N clusters, users and contexts
	awk -v n="$1" 'BEGIN {
		print "apiVersion: v1\nkind: Config\nclusters:"
		for (i = 0; i < n; i++) printf "- name: c%d\n  cluster: {server: \"https://10.1.%d.%d:6443\"}\n", i, i / 250, i % 250
		print "users:"
		for (i = 0; i < n; i++) printf "- name: u%d\n  user: {token: t%d}\n", i, i
		print "contexts:"
		for (i = 0; i < n; i++) printf "- name: ctx%d\n  context: {cluster: c%d, user: u%d}\n", i, i, i
	}' >"$2"
}
contexts 2000 "$PS_TMP/k2k.yaml"
contexts 20000 "$PS_TMP/k20k.yaml"
timed "$ps" --kubeconfig "$PS_TMP/k2k.yaml" config check
small=$ms
timed "$ps" --kubeconfig "$PS_TMP/k20k.yaml" config check
is "$rc:$(printf '%s\n' "$out" | grep -c '^  - name: ctx')" 0:20000 "20,000 contexts become 20,000 clusters"
ok "[ $ms -lt $((25 * small + 500)) ] && [ $ms -lt 10000 ]" \
	"ten times the contexts take about ten times as long (${small} ms, then ${ms} ms)"

# ---- a hanging exec credential plugin: the caller's deadline, a screen that
# says what it waits for, and a quit that does not wait for it
cat >"$PS_TMP/hang-plugin" <<EOF
#!/bin/sh
echo \$\$ >"$PS_TMP/plugin.pid"
exec sleep 60
EOF
chmod +x "$PS_TMP/hang-plugin"
cat >"$PS_TMP/hang-kubeconfig" <<EOF
apiVersion: v1
clusters:
- name: k
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: $PS_TMP/hang-plugin, interactiveMode: Never}
contexts:
- name: hung
  context: {cluster: k, user: u}
EOF
printf 'clusters:\n  - name: hung\n    context: hung\n    consul: {address: "http://127.0.0.1:1"}\n' \
	>"$PS_TMP/hang.yaml"
timed timeout 60 "$ps" --config "$PS_TMP/hang.yaml" --kubeconfig "$PS_TMP/hang-kubeconfig" --once \
	--timeout 3s
is "$rc" 1 "--once with a hanging exec plugin reports the cluster as failed"
ok "[ $ms -lt 6000 ]" "within its --timeout of 3 s, not the plugin's 30 s (took ${ms} ms)"
like "$out" "exec plugin '([^']*/)?hang-plugin'" "and says which plugin it waited for"
pid=$(cat "$PS_TMP/plugin.pid" 2>/dev/null)
gone=1
for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || { gone=0; break; }; sleep 0.05; done
is "$gone" 0 "the plugin was killed"

if [ -n "$TMUX_BIN" ] && [ -x "$TMUX_BIN" ]; then
	tmux_start 160 30 "$ps" --config "$PS_TMP/hang.yaml" --kubeconfig "$PS_TMP/hang-kubeconfig"
	tmux_expect "hung .*plugin hang-plugin .*plugin hang-plugin" 5 \
		"the dashboard draws at once and says which plugin the cluster waits for"
	tmux_keys q
	t0=$(date +%s%N)
	tmux_expect '^\[exited\] 0$' 5 "q quits at once, the plugin still running"
	ms=$((($(date +%s%N) - t0) / 1000000))
	ok "[ $ms -lt 2000 ]" "within 2 s (took ${ms} ms)"
	tmux_stop
else
	skip 3 "tmux is not installed"
fi

done_testing

# Helpers for peerscope's end-to-end tests. Source it from a test script:
#
#   . "$top_srcdir/tests/e2e/lib.sh"
#   plan 3
#   ok "$(ps_bin peerscope) --version" "prints its version"
#
# Every test runs hermetically: a private temporary HOME and XDG tree, a fixed
# TERM, LINES and COLUMNS, the C.UTF-8 locale. Background processes started with
# start_bg, and tmux servers started with tmux_start, are always stopped when the
# script exits, whatever the exit path. Output is TAP.

set -u

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${TMUX_BIN:=$(command -v tmux || true)}"
: "${KUBECTL_BIN:=$(command -v kubectl || true)}"

PS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/peerscope-e2e.XXXXXX")
export HOME="$PS_TMP/home"
export XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache"
export XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"
export XDG_CONFIG_DIRS="$PS_TMP/xdg-config-dirs"
export XDG_RUNTIME_DIR="$PS_TMP/run"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME"
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
export TERM=xterm-256color LINES=24 COLUMNS=80 LC_ALL=C.UTF-8 TZ=UTC
unset CONSUL_HTTP_ADDR CONSUL_HTTP_TOKEN CONSUL_HTTP_TOKEN_FILE CONSUL_CACERT \
	CONSUL_CLIENT_CERT CONSUL_CLIENT_KEY CONSUL_HTTP_SSL_VERIFY CONSUL_TLS_SERVER_NAME \
	KUBECONFIG NO_COLOR TMUX http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY

_ps_pids=()
_ps_tmux_sock="$PS_TMP/tmux.sock"
_ps_tmux_used=0
_ps_planned=0
_ps_count=0
_ps_failed=0

_ps_main_pid=$BASHPID
_ps_cleanup() {
	local pid
	# A child forked for "&" runs the inherited traps if a signal reaches it
	# before it execs; only the test's own shell may clean up.
	[ "$BASHPID" = "$_ps_main_pid" ] || exit 1
	for pid in "${_ps_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${_ps_pids[@]}"; do
		_ps_reap "$pid"
	done
	if [ "$_ps_tmux_used" = 1 ] && [ -n "$TMUX_BIN" ]; then
		"$TMUX_BIN" -S "$_ps_tmux_sock" kill-server 2>/dev/null
	fi
	rm -rf "$PS_TMP"
}
trap _ps_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- TAP
plan() {
	_ps_planned=$1
	echo "1..$1"
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

_ps_result() { # status description
	_ps_count=$((_ps_count + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_ps_count - $2"
	else
		_ps_failed=$((_ps_failed + 1))
		echo "not ok $_ps_count - $2"
	fi
}

diag() { printf '# %s\n' "$@" | sed '2,$s/^/# /'; }

pass() { _ps_result 0 "$1"; }
fail() {
	_ps_result 1 "$1"
	shift
	[ $# -gt 0 ] && diag "$@"
	return 0
}

skip() { # count reason
	local i
	for i in $(seq 1 "$1"); do
		_ps_count=$((_ps_count + 1))
		echo "ok $_ps_count # SKIP $2"
	done
}

# ok COMMAND DESCRIPTION: passes when the shell command succeeds.
ok() {
	if eval "$1" >"$PS_TMP/ok.out" 2>&1; then
		pass "$2"
	else
		fail "$2" "command: $1" "$(head -c 2000 "$PS_TMP/ok.out")"
	fi
}

# is GOT EXPECTED DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "expected: $2" "     got: $1"; fi
}

# like TEXT EXTENDED-REGEX DESCRIPTION
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3" "expected to match: $2" "got: $(printf '%s' "$1" | head -c 2000)"
	fi
}

unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "$3" "expected not to match: $2" "got: $(printf '%s' "$1" | head -c 2000)"
	else
		pass "$3"
	fi
}

# run CMD...: runs a command, leaving its stdout in $out, stderr in $err and
# its exit status in $rc.
run() {
	"$@" >"$PS_TMP/run.out" 2>"$PS_TMP/run.err" </dev/null
	rc=$?
	out=$(cat "$PS_TMP/run.out")
	err=$(cat "$PS_TMP/run.err")
}

done_testing() {
	[ "$_ps_planned" = 0 ] && echo "1..$_ps_count"
	[ "$_ps_failed" = 0 ]
}

# ---------------------------------------------------------------- programs
ps_bin() { # name: path of a program built in this tree
	echo "$top_builddir/$1"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	"$top_builddir/tests/e2e/freeport"
}

# start_bg NAME CMD...: start a process in the background, logging its output
# to $PS_TMP/NAME.log; it is stopped when the script exits. Sets $bg_pid.
start_bg() {
	local name=$1
	shift
	"$@" >"$PS_TMP/$name.log" 2>&1 </dev/null &
	bg_pid=$!
	_ps_pids+=("$bg_pid")
}

# _ps_reap PID: gives a process told to stop two seconds to end, then
# forces it; returns its exit status.
_ps_reap() {
	local pid=$1
	for _ in $(seq 1 40); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# stop_bg PID: stop one background process now (TERM, then KILL after 2 s).
# Returns the process's exit status.
stop_bg() {
	kill -TERM "$1" 2>/dev/null
	_ps_reap "$1"
}

# wait_for_file FILE [SECONDS [PID]]: wait until FILE exists and is not
# empty; with PID, fail as soon as that process has ended without it.
wait_for_file() {
	local f=$1 limit=$((${2:-10} * 20)) pid=${3:-}
	for _ in $(seq 1 "$limit"); do
		[ -s "$f" ] && return 0
		[ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || { [ -s "$f" ]; return; }
		sleep 0.05
	done
	return 1
}

# wait_for_port PORT [SECONDS]: wait until 127.0.0.1:PORT accepts connections.
wait_for_port() {
	local port=$1 limit=$((${2:-10} * 20))
	for _ in $(seq 1 "$limit"); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# world_count FIFO WHAT: the counter WHAT ("wakes", "painted") of the
# ui_world that reads FIFO, so far (it writes it to FIFO.WHAT).
world_count() {
	rm -f "$1.$2"
	echo "$2" >"$1"
	wait_for_file "$1.$2" 5 && cat "$1.$2"
}

# ---------------------------------------------------------------- tmux
need_tmux() {
	[ -n "$TMUX_BIN" ] && [ -x "$TMUX_BIN" ] || skip_all "tmux is not installed"
}

_tmux() { "$TMUX_BIN" -S "$_ps_tmux_sock" -f /dev/null "$@"; }

# tmux_start COLS ROWS CMD...: run CMD in a detached tmux session "t" of the
# given size. The session's environment is this script's hermetic one. When
# CMD ends, "[exited] STATUS" is written on a cleared line from its start: a
# killed program leaves the terminal raw, where a newline does not return the
# cursor, and the shell's own "Killed" line could push the status to wrap.
tmux_start() {
	local cols=$1 rows=$2
	shift 2
	_ps_tmux_used=1
	local cmd
	printf -v cmd '%q ' "$@"
	_tmux new-session -d -s t -x "$cols" -y "$rows" \
		"env HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' TERM=$TERM LC_ALL=$LC_ALL TZ=UTC $cmd; printf '\\r\\033[K[exited] %s\\n' \$?; sleep 30"
	_tmux set-option -t t remain-on-exit on >/dev/null 2>&1
}

tmux_keys() { _tmux send-keys -t t "$@"; }

# tmux_pid: the pid of the program tmux_start runs (the child of the pane's
# shell).
tmux_pid() {
	local shell
	shell=$(_tmux list-panes -t t -F '#{pane_pid}')
	ps -ww -o pid= --ppid "$shell" | head -1 | tr -d ' '
}

# tmux_stop: end the tmux server and wait until it is gone, so that the next
# tmux_start gets a new one.
tmux_stop() {
	_tmux kill-server 2>/dev/null
	for _ in $(seq 1 100); do
		_tmux has-session -t t 2>/dev/null || [ -S "$_ps_tmux_sock" ] || return 0
		[ -S "$_ps_tmux_sock" ] && ! _tmux list-sessions >/dev/null 2>&1 && rm -f "$_ps_tmux_sock" && return 0
		sleep 0.05
	done
	return 1
}

tmux_resize() { _tmux resize-window -t t -x "$1" -y "$2"; }

# tmux_capture: the visible screen as plain text, trailing blanks removed.
tmux_capture() { _tmux capture-pane -p -t t | sed 's/[[:space:]]*$//'; }
# tmux_capture_styled: the visible screen with its colours and attributes
# (escape sequences), as it is.
tmux_capture_styled() { _tmux capture-pane -e -p -t t; }

# tmux_wait_for REGEX [SECONDS]: wait until the screen matches REGEX.
tmux_wait_for() {
	local re=$1 limit=$((${2:-10} * 20))
	for _ in $(seq 1 "$limit"); do
		tmux_capture | grep -Eq -- "$re" && return 0
		sleep 0.05
	done
	return 1
}

# tmux_expect REGEX SECONDS DESCRIPTION: one test that passes when the screen
# matches REGEX within SECONDS, and shows the screen when it does not.
tmux_expect() {
	if tmux_wait_for "$1" "$2"; then
		pass "$3"
	else
		fail "$3" "wanted: $1" "$(tmux_capture)"
	fi
}

# tmux_expect_screen FILE DESCRIPTION: compare the screen with expected text.
# Lines of FILE that are "..." match any number of screen lines.
tmux_expect_screen() {
	local expected=$1 desc=$2
	tmux_capture >"$PS_TMP/screen.txt"
	if screen_matches "$expected" "$PS_TMP/screen.txt"; then
		pass "$desc"
	else
		fail "$desc" "$(diff -u "$expected" "$PS_TMP/screen.txt" | head -60)"
	fi
}

# screen_matches EXPECTED ACTUAL: each expected line is a regex matched in order
# against the actual lines; "..." skips any number of lines.
screen_matches() {
	awk -v expfile="$1" '
		BEGIN { n = 0; while ((getline l < expfile) > 0) pat[n++] = l }
		{ act[m++] = $0 }
		END {
			i = 0; j = 0
			while (i < n) {
				if (pat[i] == "...") {
					if (i == n - 1) exit 0
					while (j < m && act[j] !~ pat[i + 1]) j++
					if (j >= m) exit 1
					i++
					continue
				}
				if (j >= m || act[j] !~ pat[i]) exit 1
				i++; j++
			}
			exit 0
		}' "$2"
}

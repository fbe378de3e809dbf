#!/usr/bin/env bash
# make soak: the dashboard against three simulated clusters for SOAK_SECONDS
# (default 300) while faults cycle through them: a cluster stopped and
# started, one left hanging, Consul restarted with its index reset, a mesh
# gateway going critical, malformed and truncated bodies, watches that break
# mid-stream, while services keep being added. Every SOAK_SAMPLE seconds
# (default 2) it samples the dashboard's resident memory, descriptors and
# threads, and how long a key takes to show on the screen (F1 opens the
# help, Escape closes it).
#
# It fails when a key is not answered within a second, or when memory,
# descriptors or threads grow: the last quarter of the run against the
# first (after a warm-up of a quarter), by more than SOAK_RSS_GROWTH_KIB
# (default 8192) of memory, or by more than 4 descriptors or threads.
# Not part of `make check`: it takes minutes.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
need_tmux

seconds=${SOAK_SECONDS:-300}
every=${SOAK_SAMPLE:-2}
rss_growth=${SOAK_RSS_GROWTH_KIB:-8192}
report=${SOAK_REPORT:-$top_builddir/soak.log}
samples=${report%.log}-samples.log
ps=$(ps_bin peerscope)

sim_start -n 3 --speed 20
sim_ctl peer cluster-01 cluster-02 >/dev/null
sim_ctl peer cluster-03 cluster-02 >/dev/null

# --core-dumps: a non-dumpable process's /proc entries (descriptors) are
# not readable by its own user; the soak counts them.
tmux_start 160 48 "$ps" --config "$SIM_CFG" --core-dumps --log-file "$PS_TMP/peerscope.log"
if ! tmux_wait_for 'F10 ?Quit' 20; then
	echo "Bail out! the dashboard did not start: $(tmux_capture | head -20)"
	exit 1
fi
shell=$(_tmux list-panes -t t -F '#{pane_pid}')
pid=$(ps -ww -o pid= --ppid "$shell" | head -1 | tr -d ' ')
[ -n "$pid" ] || { echo "Bail out! no dashboard process"; exit 1; }

status_field() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# key_ms KEY REGEX NEGATE: milliseconds until the screen (does not) match
# REGEX after KEY, or 9999 when a second passes first.
key_ms() {
	local t0 t
	t0=$(now_ms)
	tmux_keys "$1"
	while :; do
		t=$(now_ms)
		if [ $((t - t0)) -gt 1000 ]; then
			echo 9999
			return
		fi
		if tmux_capture | grep -Eq -- "$2"; then
			[ "$3" = 0 ] && { echo $((t - t0)); return; }
		else
			[ "$3" = 1 ] && { echo $((t - t0)); return; }
		fi
		sleep 0.01
	done
}

clusters=(cluster-01 cluster-02 cluster-03)
fault=0
next_fault() { # applies the next fault of the cycle to one cluster, undoing the last
	local c=${clusters[$((fault % 3))]} prev=${clusters[$(((fault + 2) % 3))]}
	sim_ctl clear-faults "$prev" >/dev/null 2>&1
	sim_ctl start "$prev" >/dev/null 2>&1
	sim_ctl gateway "$prev" passing >/dev/null 2>&1
	case $((fault % 8)) in
	0) sim_ctl stop "$c" >/dev/null ;;
	1) sim_ctl stop "$c" hang >/dev/null ;;
	2) sim_ctl restart-consul "$c" >/dev/null ;;
	3) sim_ctl gateway "$c" critical >/dev/null ;;
	4) sim_ctl fault "$c" listener=both malformed=true error_rate=0.3 >/dev/null ;;
	5) sim_ctl fault "$c" listener=both truncate=true reset_rate=0.2 >/dev/null ;;
	6) sim_ctl fault "$c" listener=kube watch_only=true malformed=true >/dev/null ;;
	7) sim_ctl fault "$c" listener=consul latency_ms=3000 >/dev/null ;;
	esac
	sim_ctl add-service "$c" "soak-svc-$fault" >/dev/null 2>&1
	fault=$((fault + 1))
}

rss=() fds=() threads=() keys=()
echo "# seconds rss_kib fds threads key_open_ms key_close_ms faults" >"$samples"
start=$(now_ms)
end=$((start + seconds * 1000))
last_fault=0
while [ "$(now_ms)" -lt "$end" ]; do
	if [ $(($(now_ms) - last_fault)) -ge 10000 ]; then
		next_fault
		last_fault=$(now_ms)
	fi
	kill -0 "$pid" 2>/dev/null || { echo "Bail out! the dashboard exited"; tmux_capture; exit 1; }
	rss+=("$(status_field VmRSS)")
	threads+=("$(status_field Threads)")
	fds+=("$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)")
	keys+=("$(key_ms F1 ':quit +quit peerscope' 0)")
	keys+=("$(key_ms Escape ':quit +quit peerscope' 1)")
	printf '%s %s %s %s %s %s fault=%s\n' $((($(now_ms) - start) / 1000)) "${rss[-1]}" \
		"${fds[-1]}" "${threads[-1]}" "${keys[-2]}" "${keys[-1]}" "$fault" >>"$samples"
	sleep "$every"
done
for c in "${clusters[@]}"; do
	sim_ctl clear-faults "$c" >/dev/null 2>&1
	sim_ctl start "$c" >/dev/null 2>&1
done
tmux_keys q
tmux_wait_for '^\[exited\] 0$' 5
exited=$?

# ---- the figures
n=${#rss[@]}
q=$((n / 4))
[ "$q" -ge 1 ] || q=1
avg() { # FROM COUNT ARRAY...: the average of COUNT values from FROM
	local from=$1 count=$2 sum=0
	shift 2
	local a=("$@")
	for ((i = from; i < from + count && i < ${#a[@]}; i++)); do sum=$((sum + a[i])); done
	echo $((sum / count))
}
max_of() {
	local m=0
	for v in "$@"; do [ "$v" -gt "$m" ] && m=$v; done
	echo "$m"
}
pct() { # P VALUES...: the P-th percentile
	local p=$1
	shift
	printf '%s\n' "$@" | sort -n | awk -v p="$p" '{v[NR] = $1} END {i = int((NR - 1) * p / 100) + 1; print v[i]}'
}
rss_early=$(avg "$q" "$q" "${rss[@]}")
rss_late=$(avg $((n - q)) "$q" "${rss[@]}")
fd_early=$(avg "$q" "$q" "${fds[@]}")
fd_late=$(avg $((n - q)) "$q" "${fds[@]}")
th_early=$(avg "$q" "$q" "${threads[@]}")
th_late=$(avg $((n - q)) "$q" "${threads[@]}")
slow=0
for k in "${keys[@]}"; do [ "$k" -ge 1000 ] && slow=$((slow + 1)); done
{
	echo "soak: ${seconds} s, $n samples, $fault faults applied, dashboard pid $pid"
	echo "rss KiB: first ${rss[0]}, second quarter $rss_early, last quarter $rss_late, max $(max_of "${rss[@]}")"
	echo "descriptors: second quarter $fd_early, last quarter $fd_late, max $(max_of "${fds[@]}")"
	echo "threads: second quarter $th_early, last quarter $th_late, max $(max_of "${threads[@]}")"
	echo "key to screen, ms: p50 $(pct 50 "${keys[@]}"), p95 $(pct 95 "${keys[@]}"), max $(max_of "${keys[@]}"), unanswered within 1 s: $slow of ${#keys[@]}"
	echo "quit: $([ "$exited" = 0 ] && echo clean || echo 'did not exit cleanly')"
} | tee "$report"

plan 5
is "$slow" 0 "every key was answered within a second"
ok "[ $((rss_late - rss_early)) -le $rss_growth ]" \
	"resident memory did not grow (${rss_early} -> ${rss_late} KiB)"
ok "[ $((fd_late - fd_early)) -le 4 ]" "descriptors did not grow (${fd_early} -> ${fd_late})"
ok "[ $((th_late - th_early)) -le 4 ]" "threads did not grow (${th_early} -> ${th_late})"
is "$exited" 0 "q quits cleanly at the end"
done_testing

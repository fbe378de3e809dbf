#!/bin/sh
# Builds and runs peerscope's fuzz targets with clang's libFuzzer, whatever
# compiler configure chose: the library's sources are compiled again here,
# with the fuzzer's coverage instrumentation and ASan+UBSan, into
# tests/fuzz/build/, so that the decoders are instrumented too.
#
#   fuzz.sh run TARGET SECONDS   build TARGET, seed its corpus, fuzz it
#   fuzz.sh list                 the targets
#
# The Makefile passes: top_srcdir, top_builddir, FUZZ_CC (clang),
# FUZZ_SOURCES (the library's sources, relative to top_srcdir),
# FUZZ_DEP_CFLAGS and FUZZ_DEP_LIBS (the libraries' flags), FUZZ_JOBS.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}" "${FUZZ_SOURCES:=}"

targets="consul kube config kubeconfig exec theme duration headers text report watch values"
out=tests/fuzz/build
lib=$out/libpeerscope-fuzz.a
cc=${FUZZ_CC:-clang}
flags="-g -O1 -std=c11 -fsanitize=address,undefined -fno-sanitize-recover=undefined"
# Written for a shell to read again (xargs' sh -c, eval): the quotes stay.
cppflags="-I$top_builddir -I$top_srcdir/include -DPKGDATADIR='\"/nonexistent\"'"
cppflags="$cppflags -DTHEMEDIR='\"/nonexistent\"' ${FUZZ_DEP_CFLAGS:-}"

die() {
	echo "fuzz.sh: $*" >&2
	exit 1
}

# The newest header of the tree: an object older than it is built again.
newest_header() {
	ls -t "$top_srcdir"/include/peerscope/*.h "$top_srcdir"/src/*.h "$top_srcdir"/src/*/*.h \
		"$top_builddir/autoconfig.h" 2>/dev/null | head -1
}

build_lib() {
	mkdir -p "$out/lib"
	hdr=$(newest_header)
	todo=$out/lib/todo
	: >"$todo"
	for src in $FUZZ_SOURCES; do
		case $src in *.c) ;; *) continue ;; esac
		obj=$out/lib/$(printf '%s' "$src" | tr / _).o
		if [ ! -f "$obj" ] || [ "$top_srcdir/$src" -nt "$obj" ] || [ "$hdr" -nt "$obj" ]; then
			printf '%s %s\n' "$top_srcdir/$src" "$obj" >>"$todo"
		fi
	done
	if [ -s "$todo" ]; then
		echo "fuzz.sh: instrumenting $(wc -l <"$todo") sources of the library"
		# shellcheck disable=SC2086
		xargs -P "${FUZZ_JOBS:-2}" -n 2 sh -c \
			"$cc $flags -fsanitize=fuzzer-no-link $cppflags -c \"\$0\" -o \"\$1\"" <"$todo" ||
			die "the library did not compile with $cc"
		rm -f "$lib"
	fi
	rm -f "$todo"
	[ -f "$lib" ] || ar rcs "$lib" "$out"/lib/*.o
}

# What each target is made of, how many picks its first byte has, and the
# files its corpus starts from.
sources_of() {
	case $1 in
	consul) echo "$top_srcdir/tests/fuzz/fuzz_consul.c" ;;
	kube) echo "$top_srcdir/tests/fuzz/fuzz_kube.c" ;;
	*) echo "$top_srcdir/tests/fuzz/fuzz_inputs.c" ;;
	esac
}

index_of() {
	i=0
	for t in config kubeconfig exec theme duration headers text report watch values; do
		[ "$t" = "$1" ] && echo "$i" && return
		i=$((i + 1))
	done
}

seeds_of() {
	f=$top_srcdir/tests/fixtures
	s=$top_srcdir/tests/fuzz/seeds
	case $1 in
	consul | report) echo "$f"/consul/* ;;
	kube | watch) echo "$f"/kube/* ;;
	config) echo "$f"/config/*.yaml ;;
	kubeconfig) echo "$f"/kubeconfig/*.yaml "$s"/kubeconfig/* ;;
	theme) echo "$f"/themes/*.yaml "$top_srcdir"/themes/*.yaml ;;
	values) echo "$f"/values/* ;;
	exec | duration | headers | text) echo "$s/$1"/* ;;
	esac
}

picks_of() {
	case $1 in
	consul) echo 18 ;;
	kube) echo 48 ;;
	*) echo 8 ;;
	esac
}

build_target() {
	t=$1
	bin=$out/fuzz-$t
	define=""
	[ "$t" = consul ] || [ "$t" = kube ] || define="-DFUZZ_ONE=$(index_of "$t")"
	eval "$cc $flags -fsanitize=fuzzer $cppflags -I'$top_srcdir/tests/fuzz' $define \
		'$(sources_of "$t")' '$top_srcdir/tests/fuzz/fuzz_main.c' '$lib' ${FUZZ_DEP_LIBS:-} \
		-o '$bin'" || die "fuzz-$t did not link"
}

seed_corpus() {
	t=$1
	dir=$out/corpus-$t
	mkdir -p "$dir"
	n=$(picks_of "$t")
	for f in $(seeds_of "$t"); do
		[ -f "$f" ] || continue
		p=0
		while [ "$p" -lt "$n" ]; do
			c=$dir/seed-$p-$(basename "$f")
			[ -f "$c" ] || { printf "\\$(printf '%03o' "$p")"; cat "$f"; } >"$c"
			p=$((p + 1))
		done
	done
}

case ${1:-} in
list)
	echo "$targets"
	;;
run)
	t=${2:-}
	secs=${3:-60}
	case " $targets " in *" $t "*) ;; *) die "no fuzz target '$t' ($targets)" ;; esac
	command -v "$cc" >/dev/null || die "$cc is not installed"
	build_lib
	build_target "$t"
	seed_corpus "$t"
	echo "fuzz.sh: fuzz-$t for $secs s"
	if "$out/fuzz-$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/$t-" \
		"$out/corpus-$t" >"$out/fuzz-$t.log" 2>&1; then
		grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss_mb)' \
			"$out/fuzz-$t.log" || tail -3 "$out/fuzz-$t.log"
	else
		tail -40 "$out/fuzz-$t.log"
		die "fuzz-$t found a fault: $out/fuzz-$t.log, the input in $out/$t-*"
	fi
	;;
*)
	die "usage: fuzz.sh run TARGET SECONDS | list"
	;;
esac

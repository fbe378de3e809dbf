# Runs one test, its command line given as the arguments, and adds how long
# it took to what it printed, as a TAP comment ("# elapsed: 12.34 s") that
# the driver copies into the test's .log; scripts/run-tests reads it back to
# name the slowest tests. The exit status is the test's.
now_cs() { # hundredths of a second since the epoch
	ns=$(date +%s%N)
	case $ns in
	*[!0-9]*) echo "$(($(date +%s) * 100))" ;;
	*) echo "${ns%???????}" ;;
	esac
}
start=$(now_cs)
"$@"
rc=$?
took=$(($(now_cs) - start))
printf '# elapsed: %d.%02d s\n' "$((took / 100))" "$((took % 100))"
exit $rc

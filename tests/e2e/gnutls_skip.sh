#!/usr/bin/env bash
# GnuTLS is loaded with libcurl (through librtmp and libldap) and never used:
# its constructor must not initialise it. The dynamic linker must bind
# GnuTLS's weak _gnutls_global_init_skip to the program's definition (see
# src/http.c), and the initialisation's first step, reading the system's
# GnuTLS configuration, must not happen.
. "$top_srcdir/tests/e2e/lib.sh"

ps=$(ps_bin peerscope)

if ! ldd "$ps" 2>/dev/null | grep -q 'libgnutls'; then
	skip_all "this libcurl does not bring GnuTLS into the process"
fi

binds=$(LD_DEBUG=bindings "$ps" --version 2>&1 >/dev/null | grep '_gnutls_global_init_skip')
like "$binds" "binding file [^ ]*libgnutls[^ ]* \\[0\\] to [^ ]*peerscope \\[0\\]" \
	"GnuTLS's constructor calls peerscope's _gnutls_global_init_skip"
unlike "$binds" "to [^ ]*libgnutls[^ ]* \\[0\\]: normal symbol" \
	"not GnuTLS's own definition"

if command -v strace >/dev/null 2>&1; then
	opened=$(strace -f -e trace=%file "$ps" --version 2>&1 >/dev/null | grep '/etc/gnutls/')
	is "$opened" "" "GnuTLS's configuration is not read"
else
	skip 1 "strace is not installed"
fi

run "$ps" --version
is "$rc" 0 "the program still starts"

done_testing

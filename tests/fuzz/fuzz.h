/* What a fuzz target provides to the shared harness (fuzz_main.c): a name
 * for messages, how many values of the first byte it tells apart, and the
 * function that runs its decoders. The harness owns LLVMFuzzerTestOneInput
 * and, built with FUZZ_REPLAY, a main that runs each file named on the
 * command line under every pick. */
#ifndef PEERSCOPE_FUZZ_H
#define PEERSCOPE_FUZZ_H

#include <stddef.h>

extern const char fuzz_name[];
extern const unsigned fuzz_picks;

/* PICK is the input's first byte; TEXT (LEN bytes, not NUL-terminated) the
 * rest, in a buffer that ends exactly there so that overreads are caught. */
void fuzz_decode(unsigned pick, const char *text, size_t len);

#endif

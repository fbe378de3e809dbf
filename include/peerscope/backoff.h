/* backoff: how long a failing request waits before it tries again, and how
 * often a healthy one may be repeated.
 *
 * Exponential backoff with full jitter spreads the retries of many clients
 * over the whole interval, so a server that comes back is not met by all of
 * them at once; the token bucket bounds how fast long polls and watches that
 * return at once (a busy index, a closed watch) are re-requested. Both are
 * pure: the caller passes the time and the random state, so the results are
 * reproducible in tests. No locking: each caller owns its state. */
#ifndef PEERSCOPE_BACKOFF_H
#define PEERSCOPE_BACKOFF_H

#include <stdint.h>

/* Full jitter: a uniform delay in [0, min(max_ms, base_ms * 2^(failures-1))],
 * from the caller's random state *RNG (any non-zero seed). 0 for 0 failures. */
long backoff_ms(unsigned failures, long base_ms, long max_ms, uint64_t *rng);

/* A token bucket: BURST requests at once, then one per INTERVAL_MS. */
struct backoff_bucket {
	double tokens;
	double burst;
	long interval_ms;
	int64_t last_ms;
};
void backoff_bucket_init(struct backoff_bucket *b, unsigned burst, long interval_ms,
                         int64_t now_ms);
/* Takes a token at NOW_MS and returns 0, or returns how many ms until one
 * is available (nothing taken). */
long backoff_bucket_take(struct backoff_bucket *b, int64_t now_ms);

#endif

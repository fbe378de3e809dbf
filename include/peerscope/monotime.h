/* monotime: the one monotonic clock of the program.
 *
 * Deadlines, timeouts, backoff and elapsed times are measured on
 * CLOCK_MONOTONIC, which never jumps with the wall clock; times shown to the
 * operator or stored in snapshots are wall-clock times (store_now_ns()).
 * Every function may be called from any thread. */
#ifndef PEERSCOPE_MONOTIME_H
#define PEERSCOPE_MONOTIME_H

#include <stdint.h>

/* Now, in nanoseconds and in milliseconds, from an arbitrary start. */
int64_t monotime_ns(void);
int64_t monotime_ms(void);
/* Now in seconds, for measured durations (tests, benchmarks). */
double monotime_s(void);
/* Milliseconds from now until DEADLINE_MS (a monotime_ms() value); 0 when
 * it has passed. */
int64_t monotime_left_ms(int64_t deadline_ms);

#endif

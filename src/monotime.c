/* monotime: CLOCK_MONOTONIC in the units the program uses. */
#include "autoconfig.h"

#include "peerscope/monotime.h"

#include <time.h>

int64_t monotime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t monotime_ms(void)
{
	return monotime_ns() / 1000000;
}

double monotime_s(void)
{
	return (double)monotime_ns() / 1e9;
}

int64_t monotime_left_ms(int64_t deadline_ms)
{
	int64_t left = deadline_ms - monotime_ms();

	return left > 0 ? left : 0;
}

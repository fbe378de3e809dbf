/* backoff: full jitter and the token bucket. See include/peerscope/backoff.h. */
#include "autoconfig.h"

#include "peerscope/backoff.h"

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: plenty for jitter. */
	uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

long backoff_ms(unsigned failures, long base_ms, long max_ms, uint64_t *rng)
{
	if (failures == 0 || base_ms <= 0 || max_ms <= 0)
		return 0;
	long cap = base_ms;
	for (unsigned i = 1; i < failures && cap < max_ms; i++)
		cap *= 2;
	if (cap > max_ms)
		cap = max_ms;
	return (long)(rng_next(rng) % (uint64_t)(cap + 1));
}

void backoff_bucket_init(struct backoff_bucket *b, unsigned burst, long interval_ms, int64_t now_ms)
{
	b->burst = burst ? burst : 1;
	b->tokens = b->burst;
	b->interval_ms = interval_ms > 0 ? interval_ms : 1;
	b->last_ms = now_ms;
}

long backoff_bucket_take(struct backoff_bucket *b, int64_t now_ms)
{
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) / (double)b->interval_ms;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last_ms = now_ms;
	}
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return 0;
	}
	long wait = (long)((1.0 - b->tokens) * (double)b->interval_ms);
	return wait > 0 ? wait : 1;
}

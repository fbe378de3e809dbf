/* Unit tests of the backoff with full jitter and its token bucket. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/backoff.h"

START_TEST(no_failures_no_delay)
{
	uint64_t rng = 1;

	ck_assert_int_eq(backoff_ms(0, 250, 30000, &rng), 0);
}
END_TEST

START_TEST(delay_stays_under_the_doubling_cap)
{
	uint64_t rng = 12345;

	for (unsigned f = 1; f <= 12; f++) {
		long cap = 250L << (f - 1);
		if (cap > 30000)
			cap = 30000;
		for (int i = 0; i < 500; i++) {
			long d = backoff_ms(f, 250, 30000, &rng);
			ck_assert_int_ge(d, 0);
			ck_assert_int_le(d, cap);
		}
	}
}
END_TEST

START_TEST(jitter_spreads_over_the_range)
{
	uint64_t rng = 99;
	long lo = 30000, hi = 0;
	double sum = 0;

	/* Full jitter: uniform in [0, cap]; with the cap reached the mean is
	 * about half of it and both ends of the range are visited. */
	for (int i = 0; i < 4000; i++) {
		long d = backoff_ms(40, 250, 30000, &rng);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		sum += (double)d;
	}
	ck_assert_int_lt(lo, 1500);
	ck_assert_int_gt(hi, 28500);
	ck_assert_int_gt((long)(sum / 4000), 13000);
	ck_assert_int_lt((long)(sum / 4000), 17000);
}
END_TEST

START_TEST(many_failures_do_not_overflow)
{
	uint64_t rng = 7;

	for (int i = 0; i < 100; i++) {
		long d = backoff_ms(4000000000u, 250, 30000, &rng);
		ck_assert_int_ge(d, 0);
		ck_assert_int_le(d, 30000);
	}
}
END_TEST

START_TEST(bucket_allows_a_burst_then_paces)
{
	struct backoff_bucket b;

	backoff_bucket_init(&b, 2, 500, 1000);
	ck_assert_int_eq(backoff_bucket_take(&b, 1000), 0);
	ck_assert_int_eq(backoff_bucket_take(&b, 1000), 0);
	/* Empty: the next token comes 500 ms later. */
	ck_assert_int_eq(backoff_bucket_take(&b, 1000), 500);
	ck_assert_int_eq(backoff_bucket_take(&b, 1200), 300);
	ck_assert_int_eq(backoff_bucket_take(&b, 1500), 0);
	ck_assert_int_eq(backoff_bucket_take(&b, 1500), 500);
	/* A long quiet spell refills to the burst, not beyond. */
	ck_assert_int_eq(backoff_bucket_take(&b, 100000), 0);
	ck_assert_int_eq(backoff_bucket_take(&b, 100000), 0);
	ck_assert_int_gt(backoff_bucket_take(&b, 100000), 0);
}
END_TEST

START_TEST(bucket_rate_over_time)
{
	struct backoff_bucket b;
	int taken = 0;

	backoff_bucket_init(&b, 2, 500, 0);
	/* Asking every 10 ms for 10 s: the burst plus one per 500 ms. */
	for (int64_t t = 0; t <= 10000; t += 10)
		if (backoff_bucket_take(&b, t) == 0)
			taken++;
	ck_assert_int_eq(taken, 2 + 20);
}
END_TEST

static Suite *backoff_suite(void)
{
	Suite *s = suite_create("backoff");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, no_failures_no_delay);
	tcase_add_test(tc, delay_stays_under_the_doubling_cap);
	tcase_add_test(tc, jitter_spreads_over_the_range);
	tcase_add_test(tc, many_failures_do_not_overflow);
	tcase_add_test(tc, bucket_allows_a_burst_then_paces);
	tcase_add_test(tc, bucket_rate_over_time);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(backoff_suite)

/* The pollers' Kubernetes watches against peerscope-sim when lists succeed
 * but every watch fails (here: 410 Gone over and over, the shape of a
 * history that keeps being compacted): consecutive watch failures back off
 * with growth, capped, instead of listing and watching again every few
 * milliseconds, and the source shows one steady error instead of flapping
 * between ok and failing. It recovers when the watches do. */
#include "autoconfig.h"

#include "unit.h"

#include "simrig.h"

#include "peerscope/monotime.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct simrig rig;

static const struct poller_options fast = {
        .wait_ms = 10000,
        .stream_interval_ms = 300,
        .backoff_base_ms = 50,
        .backoff_max_ms = 800,
        .request_timeout_ms = 800,
        .rate_interval_ms = 50,
        .watch_timeout_s = 1, /* the watches in flight end soon and meet the fault */
};

/* Injected faults on cluster-01's Kubernetes API since event SINCE, and the
 * newest event's number in *LAST. */
static unsigned faults_since(uint64_t since, uint64_t *last)
{
	char path[64], *answer = NULL;
	unsigned n = 0;

	snprintf(path, sizeof path, "/v1/events?since=%llu", (unsigned long long)since);
	ck_assert_int_eq(simrig_sim_ctl(&rig.sim, "GET", path, NULL, &answer), 0);
	cJSON *a = cJSON_Parse(answer), *e;
	free(answer);
	*last = since;
	cJSON_ArrayForEach(e, a)
	{
		const char *what = cJSON_GetStringValue(cJSON_GetObjectItem(e, "event"));
		const cJSON *seq = cJSON_GetObjectItem(e, "seq");
		if (cJSON_IsNumber(seq) && (uint64_t)seq->valuedouble > *last)
			*last = (uint64_t)seq->valuedouble;
		n += what && strstr(what, "fault on kube") != NULL;
	}
	cJSON_Delete(a);
	return n;
}

/* The acceptors' source failed at least (uintptr_t)ARG times in a row. */
static bool acceptors_failed(const struct store_snapshot *s, const void *arg)
{
	return s->sources[STORE_SRC_KUBE_ACCEPTORS].failures >= (uintptr_t)arg;
}

START_TEST(watch_failures_back_off)
{
	uint64_t seq = 0;

	ck_assert_int_eq(simrig_up(&rig, "1", "20", &fast), 0);
	ck_assert(simrig_wait_for(&rig, 0, simrig_all_ok, NULL, 15000));
	ck_assert_int_eq(simrig_ctl(&rig, "POST", "/v1/clusters/cluster-01/faults",
	                            "{\"listener\":\"kube\",\"watch_only\":true,"
	                            "\"error_rate\":1,\"error_code\":410}"),
	                 0);
	/* Let the backoff grow to its cap (the first 410 relists at once):
	 * five failures in a row double 50 ms up to 800 ms. Then count. */
	ck_assert(simrig_wait_for(&rig, 0, acceptors_failed, (const void *)5, 15000));
	faults_since(0, &seq);

	/* One steady error: never back to ok while the watches fail, over a
	 * window of 3 s (what is measured: the rate of watches in it). */
	int64_t end = monotime_ms() + 3000;
	unsigned samples = 0, flaps = 0;
	while (monotime_ms() < end) {
		uint64_t gen = store_generation(rig.st);
		struct store_snapshot *s = store_get(rig.st, 0);
		samples++;
		flaps += s->sources[STORE_SRC_KUBE_ACCEPTORS].state == MODEL_SOURCE_OK;
		store_snapshot_unref(s);
		store_wait(rig.st, gen, 20);
	}
	uint64_t last;
	unsigned watches = faults_since(seq, &last);
	/* Six watched kinds for 3 s: backing off to 800 ms (400 ms on average
	 * with full jitter) makes about 45 watches; retrying at once made
	 * hundreds. */
	fprintf(stderr, "# %u watches in 3 s\n", watches);
	ck_assert_msg(watches < 100, "%u watches in 3 s", watches);
	ck_assert_msg(flaps == 0, "the source was ok in %u of %u samples while its watch failed",
	              flaps, samples);
	struct store_snapshot *s = store_get(rig.st, 0);
	ck_assert_msg(strstr(s->sources[STORE_SRC_KUBE_ACCEPTORS].last_error, "410") != NULL,
	              "error: %s", s->sources[STORE_SRC_KUBE_ACCEPTORS].last_error);
	store_snapshot_unref(s);

	/* And it recovers once the watches do. */
	ck_assert_int_eq(simrig_ctl(&rig, "DELETE", "/v1/clusters/cluster-01/faults", NULL), 0);
	ck_assert_msg(simrig_wait_for(&rig, 0, simrig_all_ok, NULL, 10000), "no recovery");
	simrig_down(&rig);
}
END_TEST

static Suite *watch_suite(void)
{
	Suite *s = suite_create("watch_backoff");
	TCase *tc = tcase_create("sim");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, watch_failures_back_off);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(watch_suite)

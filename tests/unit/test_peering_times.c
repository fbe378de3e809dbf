/* consul_peerings_times_read() and consul_peerings_with_times() against the
 * decoder they stand in for: a /v1/peerings body that differs from another
 * only in its stream times has the other's shape, and the other's list with
 * its times is the list consul_decode_peerings() makes of it; a body that
 * differs in anything else has another shape. Consul computes StreamStatus
 * on read (agent/rpc/peering/service.go, reconcilePeering), so its
 * LastHeartbeat, LastReceive and LastSend move between two reads of the
 * same peerings. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/consul.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *fixture(size_t *len)
{
	return unit_fixture_read("consul", "peerings.json", len);
}

/* S with its first FROM replaced by TO; the test fails when there is none. */
static char *replaced(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t n = strlen(s), f = strlen(from), t = strlen(to);
	char *out;

	ck_assert_msg(at != NULL, "no \"%s\" to replace", from);
	out = malloc(n - f + t + 1);
	ck_assert_ptr_nonnull(out);
	memcpy(out, s, (size_t)(at - s));
	memcpy(out + (at - s), to, t);
	memcpy(out + (at - s) + t, at + f, n - (size_t)(at - s) - f + 1);
	return out;
}

static void read_ok(const char *json, struct consul_peerings_times *t)
{
	ck_assert_int_eq(consul_peerings_times_read(json, strlen(json), t), 0);
}

/* What the decoder makes of JSON is BASE with the times T read from it. */
static void patched_is_decoded(const struct model_peering_list *base, const char *json,
                               const struct consul_peerings_times *t)
{
	struct model_peering_list want, got;
	char err[256];

	ck_assert_int_eq(consul_decode_peerings(json, strlen(json), &want, err, sizeof err), 0);
	ck_assert_int_eq(consul_peerings_with_times(base, t, &got), 0);
	ck_assert_uint_eq(got.n, want.n);
	ck_assert(model_peering_list_same_but_times(&got, &want));
	for (size_t i = 0; i < want.n; i++) {
		const struct model_stream_status *a = &got.v[i].stream, *b = &want.v[i].stream;
		ck_assert_msg(a->last_heartbeat_ns == b->last_heartbeat_ns &&
		                      a->last_receive_ns == b->last_receive_ns &&
		                      a->last_send_ns == b->last_send_ns,
		              "peering %zu: the times differ from the decoder's", i);
	}
	/* The base's own strings and lists, borrowed: only the array is
	 * the copy's. */
	for (size_t i = 0; i < got.n; i++)
		ck_assert(got.v[i].name == base->v[i].name &&
		          got.v[i].stream.exported_services.v ==
		                  base->v[i].stream.exported_services.v);
	ck_assert(got.n == 0 || got.v != base->v);
	model_peering_list_free(&want);
	free(got.v);
}

START_TEST(times_only_has_the_same_shape)
{
	size_t len;
	char *a = fixture(&len), err[256];
	struct consul_peerings_times ta = {0}, tb = {0};
	struct model_peering_list base;

	ck_assert_int_eq(consul_decode_peerings(a, len, &base, err, sizeof err), 0);
	/* Every time of the fixture moved: longer, shorter, emptied. */
	char *b1 = replaced(a, "2024-05-01T10:00:00.123456789Z", "2024-05-01T10:00:15Z");
	char *b2 = replaced(b1, "2024-05-01T10:00:01Z", "2024-05-01T10:00:16.25Z");
	char *b3 = replaced(b2, "2024-05-01T09:59:59.5Z", "2024-05-01T10:00:14Z");
	char *b4 = replaced(b3, "0001-01-01T00:00:00Z", "2024-05-01T10:00:30Z");
	char *b = replaced(b4, "2024-05-01T12:30:00+02:00", "");
	read_ok(a, &ta);
	read_ok(b, &tb);
	ck_assert(ta.usable && tb.usable);
	ck_assert_uint_eq(ta.shape, tb.shape);
	/* The first and the third peering have three times each; the second's
	 * are null. */
	ck_assert_uint_eq(tb.n, 6);
	ck_assert_uint_eq(tb.v[0].peering, 0);
	ck_assert_int_eq(tb.v[0].which, CONSUL_TIME_HEARTBEAT);
	ck_assert_uint_eq(tb.v[3].peering, 2);
	ck_assert_int_eq(tb.v[5].which, CONSUL_TIME_SEND);
	ck_assert_int_eq(tb.v[5].ns, 0);
	patched_is_decoded(&base, b, &tb);
	/* And back. */
	patched_is_decoded(&base, a, &ta);
	consul_peerings_times_free(&ta);
	consul_peerings_times_free(&tb);
	model_peering_list_free(&base);
	free(b1);
	free(b2);
	free(b3);
	free(b4);
	free(b);
	free(a);
}
END_TEST

/* A copy with an answer's new times keeps its list's shape, so that the
 * two compare at once (model_peering_list_same_but_times()); a time that
 * is set or unset is more than a move, and such a copy has no shape. */
START_TEST(a_times_copy_keeps_the_shape)
{
	size_t len;
	char *a = fixture(&len), err[256];
	struct consul_peerings_times t = {0};
	struct model_peering_list base, got;

	ck_assert_int_eq(consul_decode_peerings(a, len, &base, err, sizeof err), 0);
	ck_assert_uint_eq(base.shape, 0);
	base.shape = 42;
	char *moved = replaced(a, "2024-05-01T10:00:00.123456789Z", "2024-05-01T10:00:15Z");
	read_ok(moved, &t);
	ck_assert_int_eq(consul_peerings_with_times(&base, &t, &got), 0);
	ck_assert_uint_eq(got.shape, 42);
	free(got.v);
	/* The third peering's first heartbeat: its LastHeartbeat was the zero
	 * time, a tracked stream that heard nothing yet. */
	char *set = replaced(a, "0001-01-01T00:00:00Z", "2024-05-01T10:00:30Z");
	read_ok(set, &t);
	ck_assert_int_eq(consul_peerings_with_times(&base, &t, &got), 0);
	ck_assert_uint_eq(got.shape, 0);
	ck_assert(!model_peering_list_same_but_times(&got, &base));
	free(got.v);
	consul_peerings_times_free(&t);
	model_peering_list_free(&base);
	free(set);
	free(moved);
	free(a);
}
END_TEST

/* Anything else that differs gives another shape, the keys that look like
 * the times' outside a StreamStatus included. */
START_TEST(anything_else_changes_the_shape)
{
	static const char *const edits[][2] = {
	        {"\"State\": \"ACTIVE\"", "\"State\": \"FAILING\""},
	        {"[\"api\", \"billing\"]", "[\"api\", \"billinh\"]"},
	        {"[\"web\"]", "[\"web\", \"db\"]"},
	        {"\"ModifyIndex\": 31", "\"ModifyIndex\": 32"},
	        {"\"LastHeartbeat\": null", "\"LastHeartbeat\": \"2024-05-01T10:00:00Z\""},
	        {"\"LastReceive\": \"2024-05-01T10:00:01Z\"",
	         "\"lastReceive\": \"2024-05-01T10:00:01Z\""},
	        {"\"SomeFutureCounter\": 17", "\"SomeFutureCounter\": 18"},
	        {"\"CreateIndex\": 20,", "\"CreateIndex\": 20, "},
	};
	size_t len;
	char *a = fixture(&len);
	struct consul_peerings_times ta = {0}, tb = {0};

	read_ok(a, &ta);
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		char *b = replaced(a, edits[i][0], edits[i][1]);
		read_ok(b, &tb);
		ck_assert_msg(tb.shape != ta.shape, "%s -> %s: the same shape", edits[i][0],
		              edits[i][1]);
		free(b);
	}
	/* The value of a key named as a time but not in a StreamStatus (a Meta
	 * key, a Locality's), or of a time's key spelt in another case (the
	 * decoder would read it; the body is decoded), is part of the shape. */
	static const char *const keys[][2] = {
	        {"\"env\": \"prod\"", "\"LastSend\": \"2024-05-01T08:00:00Z\""},
	        {"\"Zone\": \"eu-west-1a\"", "\"LastSend\": \"2024-05-01T08:00:00Z\""},
	        {"\"LastSend\": \"2024-05-01T09:59:59.5Z\"",
	         "\"lastSend\": \"2024-05-01T08:00:00Z\""},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char *c = replaced(a, keys[i][0], keys[i][1]);
		char *d = replaced(c, "T08:00:00Z", "T08:00:14Z");
		read_ok(c, &ta);
		read_ok(d, &tb);
		ck_assert_msg(ta.shape != tb.shape, "%s: its value is not in the shape",
		              keys[i][1]);
		free(c);
		free(d);
	}
	consul_peerings_times_free(&ta);
	consul_peerings_times_free(&tb);
	free(a);
}
END_TEST

/* A time the decoder would read otherwise, or not at all, makes the body
 * one to decode. */
START_TEST(unusable_times_are_decoded)
{
	static const char *const times[] = {
	        "2024-05-01T10:00:15\\u005a", /* an escape */
	        "yesterday",                  /* not a time */
	        "2024-05-01T10:00:15Z\\\"",   /* an escaped quote */
	        "2024-05-01T10:00:15.123456789123456789123456789123456789123456789123456789Z",
	};
	size_t len;
	char *a = fixture(&len), err[256];
	struct consul_peerings_times t = {0};
	struct model_peering_list base, out;

	ck_assert_int_eq(consul_decode_peerings(a, len, &base, err, sizeof err), 0);
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		char *b = replaced(a, "2024-05-01T10:00:01Z", times[i]);
		read_ok(b, &t);
		ck_assert_msg(!t.usable, "%s read as a time", times[i]);
		ck_assert_int_eq(consul_peerings_with_times(&base, &t, &out), -1);
		free(b);
	}
	/* A time twice in one StreamStatus, and a second StreamStatus. */
	char *twice = replaced(a, "\"LastSend\": \"2024-05-01T09:59:59.5Z\"",
	                       "\"LastSend\": \"2024-05-01T09:59:59.5Z\", \"LastSend\": \"\"");
	read_ok(twice, &t);
	ck_assert(!t.usable);
	char *second =
	        replaced(a, "\"CreateIndex\": 20,", "\"StreamStatus\": {}, \"CreateIndex\": 20,");
	read_ok(second, &t);
	ck_assert(!t.usable);
	/* A body cut inside a string, and every prefix: read, never past its end. */
	for (size_t cut = 0; cut < len; cut++)
		ck_assert_int_eq(consul_peerings_times_read(a, cut, &t), 0);
	ck_assert_int_eq(consul_peerings_times_read(a, 20, &t), 0);
	ck_assert(!t.usable);
	/* Times for a peering the base lacks. */
	struct model_peering_list none = {0};
	read_ok(a, &t);
	ck_assert_int_eq(consul_peerings_with_times(&none, &t, &out), -1);
	ck_assert_ptr_null(out.v);
	consul_peerings_times_free(&t);
	model_peering_list_free(&base);
	free(twice);
	free(second);
	free(a);
}
END_TEST

/* A body read after another is read by its time keys alone when it has
 * the other's shape and as many times, and lexed otherwise; either way
 * it reads as it reads alone. */
static void reads_as_alone(const char *json, const struct consul_peerings_times *t)
{
	struct consul_peerings_times alone = {0};

	read_ok(json, &alone);
	ck_assert_uint_eq(t->shape, alone.shape);
	ck_assert_int_eq(t->usable, alone.usable);
	ck_assert_uint_eq(t->n, alone.n);
	for (size_t i = 0; i < alone.n; i++)
		ck_assert_msg(t->v[i].peering == alone.v[i].peering &&
		                      t->v[i].which == alone.v[i].which &&
		                      t->v[i].ns == alone.v[i].ns,
		              "time %zu differs from the body's read alone", i);
	consul_peerings_times_free(&alone);
}

START_TEST(the_next_body_read_by_its_keys)
{
	size_t len;
	char *a = fixture(&len), err[256];
	struct consul_peerings_times t = {0};
	struct model_peering_list base;

	ck_assert_int_eq(consul_decode_peerings(a, len, &base, err, sizeof err), 0);
	char *b1 = replaced(a, "2024-05-01T10:00:00.123456789Z", "2024-05-01T10:00:15Z");
	char *b2 = replaced(b1, "2024-05-01T09:59:59.5Z", "2024-05-01T10:00:14.75Z");
	char *b = replaced(b2, "2024-05-01T12:30:00+02:00", "");
	read_ok(a, &t);
	ck_assert(t.quick);
	ck_assert_uint_eq(t.lexed, 1);
	/* The fixture is indented, as ?pretty and a dev agent answer: space
	 * around the colons. */
	read_ok(b, &t);
	ck_assert_uint_eq(t.lexed, 1);
	reads_as_alone(b, &t);
	patched_is_decoded(&base, b, &t);
	read_ok(a, &t);
	ck_assert_uint_eq(t.lexed, 1);
	reads_as_alone(a, &t);
	/* Another shape is lexed, and its shape is its own. */
	char *failing = replaced(b, "\"State\": \"ACTIVE\"", "\"State\": \"FAILING\"");
	read_ok(failing, &t);
	ck_assert_uint_eq(t.lexed, 2);
	reads_as_alone(failing, &t);
	/* A time's key outside a StreamStatus, or one after an escaped quote
	 * in a key of its own: the quick read would find more times than the
	 * lexer, so such a body and the next are lexed. */
	static const char *const others[] = {
	        "\"LastSend\": \"2024-05-01T08:00:00Z\"",
	        "\"x\\\"LastSend\": \"2024-05-01T08:00:00Z\"",
	};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		char *c = replaced(a, "\"env\": \"prod\"", others[i]);
		char *d = replaced(c, "2024-05-01T10:00:00.123456789Z", "2024-05-01T10:00:15Z");
		unsigned long lexed = t.lexed;
		read_ok(c, &t);
		ck_assert_msg(!t.quick, "%s: read by its keys next", others[i]);
		reads_as_alone(c, &t);
		read_ok(d, &t);
		ck_assert_uint_eq(t.lexed, lexed + 2);
		reads_as_alone(d, &t);
		free(c);
		free(d);
	}
	/* A time the decoder would not read: lexed, and not usable. */
	read_ok(a, &t);
	ck_assert(t.quick);
	char *bad = replaced(a, "2024-05-01T10:00:01Z", "2024-05-01T10:00:15\\u005a");
	read_ok(bad, &t);
	ck_assert(!t.usable && !t.quick);
	reads_as_alone(bad, &t);
	consul_peerings_times_free(&t);
	model_peering_list_free(&base);
	free(bad);
	free(failing);
	free(b1);
	free(b2);
	free(b);
	free(a);
}
END_TEST

/* The body of a large cluster's stream poll: read, and its times. */
START_TEST(many_peerings)
{
	const size_t n = 2000;
	size_t cap = n * 300, off = 0;
	char *json = malloc(cap), err[256];
	struct consul_peerings_times t = {0};
	struct model_peering_list l;

	ck_assert_ptr_nonnull(json);
	off += (size_t)snprintf(json + off, cap - off, "[");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(
		        json + off, cap - off,
		        "%s{\"ID\":\"id-%zu\",\"Name\":\"p%zu\",\"State\":\"ACTIVE\","
		        "\"StreamStatus\":{\"ImportedServices\":[\"s%zu\"],"
		        "\"LastHeartbeat\":\"2024-05-01T10:%02zu:00Z\","
		        "\"LastSend\":\"2024-05-01T10:00:%02zuZ\"}}",
		        i ? "," : "", i, i, i, i % 60, i % 60);
	off += (size_t)snprintf(json + off, cap - off, "]");
	ck_assert_int_eq(consul_decode_peerings(json, off, &l, err, sizeof err), 0);
	ck_assert_int_eq(consul_peerings_times_read(json, off, &t), 0);
	ck_assert(t.usable);
	ck_assert_uint_eq(t.n, 2 * n);
	ck_assert_uint_eq(t.v[2 * 1999 + 1].peering, 1999);
	ck_assert_int_eq(t.v[2 * 1999 + 1].which, CONSUL_TIME_SEND);
	ck_assert_int_eq(t.v[2 * 1999 + 1].ns, l.v[1999].stream.last_send_ns);
	ck_assert_int_eq(t.v[2 * 61].ns, l.v[61].stream.last_heartbeat_ns);
	/* The next poll, compact as Consul answers (agent/http.go,
	 * marshalJSON): every heartbeat moved, read by the keys alone. */
	ck_assert(t.quick);
	for (char *at = json; (at = strstr(at, "T10:")) != NULL; at += 4)
		at[4] = at[4] == '5' ? '0' : (char)(at[4] + 1);
	model_peering_list_free(&l);
	ck_assert_int_eq(consul_decode_peerings(json, off, &l, err, sizeof err), 0);
	ck_assert_int_eq(consul_peerings_times_read(json, off, &t), 0);
	ck_assert_uint_eq(t.lexed, 1);
	ck_assert(t.usable);
	for (size_t i = 0; i < n; i++)
		ck_assert(t.v[2 * i].ns == l.v[i].stream.last_heartbeat_ns &&
		          t.v[2 * i + 1].ns == l.v[i].stream.last_send_ns);
	consul_peerings_times_free(&t);
	model_peering_list_free(&l);
	free(json);
}
END_TEST

static Suite *times_suite(void)
{
	Suite *s = suite_create("peering_times");
	TCase *tc = tcase_create("times");

	tcase_add_test(tc, times_only_has_the_same_shape);
	tcase_add_test(tc, a_times_copy_keeps_the_shape);
	tcase_add_test(tc, anything_else_changes_the_shape);
	tcase_add_test(tc, unusable_times_are_decoded);
	tcase_add_test(tc, the_next_body_read_by_its_keys);
	tcase_add_test(tc, many_peerings);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(times_suite)

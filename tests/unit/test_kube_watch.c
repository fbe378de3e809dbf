/* kube watch-stream parser: events split at every byte boundary, bookmarks,
 * ERROR 410, blank lines, truncated and invalid events. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/kube.h"
#include "unit.h"

static char *slurp(const char *name, size_t *len)
{
	return unit_fixture_read("kube", name, len);
}

/* What the callback saw, as one line per event. */
struct seen {
	char log[2048];
	int stop_after; /* return 1 after this many events (0: never) */
	int count;
	struct kube_object kept; /* the last ADDED object, moved out */
};

static int record(struct kube_event *ev, void *ctx)
{
	struct seen *s = ctx;
	static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
	size_t n = strlen(s->log);

	if (ev->type == KUBE_EVENT_ERROR)
		snprintf(s->log + n, sizeof s->log - n, "ERROR %d %s\n", ev->status.code,
		         ev->status.reason);
	else if (ev->type == KUBE_EVENT_BOOKMARK)
		snprintf(s->log + n, sizeof s->log - n, "BOOKMARK %s\n", ev->resource_version);
	else
		snprintf(s->log + n, sizeof s->log - n, "%s %s %s %s\n", names[ev->type],
		         kube_object_meta(&ev->object)->name, ev->resource_version,
		         ev->object.kind <= KUBE_PEERING_DIALER
		                 ? model_cond_name(ev->object.u.peering.synced.status)
		                 : "");
	if (ev->type == KUBE_EVENT_ADDED) {
		/* Taking the object: move it out and leave a zeroed one. */
		kube_object_clear(&s->kept);
		s->kept = ev->object;
		memset(&ev->object, 0, sizeof ev->object);
	}
	s->count++;
	return s->stop_after && s->count >= s->stop_after;
}

static const char expected_acceptors[] = "ADDED cluster-02 101 \n"
                                         "MODIFIED cluster-02 102 True\n"
                                         "BOOKMARK 150\n"
                                         "DELETED cluster-02 160 \n";

/* Feeds TEXT cut at A and B (A <= B), then finishes. */
static void feed3(struct kube_watch_parser *p, const char *text, size_t len, size_t a, size_t b,
                  struct seen *s)
{
	char err[512];

	ck_assert_int_eq(kube_watch_parser_feed(p, text, a, record, s, err, sizeof err), 0);
	ck_assert_int_eq(kube_watch_parser_feed(p, text + a, b - a, record, s, err, sizeof err), 0);
	ck_assert_int_eq(kube_watch_parser_feed(p, text + b, len - b, record, s, err, sizeof err),
	                 0);
	ck_assert_int_eq(kube_watch_parser_finish(p, record, s, err, sizeof err), 0);
}

/* Feeds TEXT in pieces of CHUNK bytes, then finishes; all must succeed. */
static void feed_all(struct kube_watch_parser *p, const char *text, size_t len, size_t chunk,
                     struct seen *s)
{
	char err[512];

	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		ck_assert_int_eq(
		        kube_watch_parser_feed(p, text + off, n, record, s, err, sizeof err), 0);
	}
	ck_assert_int_eq(kube_watch_parser_finish(p, record, s, err, sizeof err), 0);
}

START_TEST(test_every_split)
{
	size_t len;
	char *text = slurp("watch-acceptors.ndjson", &len);

	/* Every pair of cut points over the stream: three chunks each time,
	 * cutting inside keys, strings, escapes, UTF-8 and at newlines. */
	for (size_t a = 0; a <= len; a += 7) {
		for (size_t b = a; b <= len; b += 13) {
			struct seen s = {0};
			struct kube_watch_parser *p =
			        kube_watch_parser_new(KUBE_PEERING_ACCEPTOR, 0);
			ck_assert_ptr_nonnull(p);
			feed3(p, text, len, a, b, &s);
			ck_assert_msg(!strcmp(s.log, expected_acceptors), "cut at %zu,%zu:\n%s", a,
			              b, s.log);
			ck_assert_str_eq(kube_watch_parser_resource_version(p), "160");
			ck_assert(!kube_watch_parser_expired(p));
			ck_assert_uint_eq(kube_watch_parser_events(p), 4);
			kube_object_clear(&s.kept);
			kube_watch_parser_free(p);
		}
	}
	free(text);
}
END_TEST

START_TEST(test_byte_by_byte)
{
	size_t len;
	char *text = slurp("watch-acceptors.ndjson", &len);
	struct seen s = {0};
	struct kube_watch_parser *p = kube_watch_parser_new(KUBE_PEERING_ACCEPTOR, 0);

	feed_all(p, text, len, 1, &s);
	ck_assert_str_eq(s.log, expected_acceptors);
	/* The ADDED object survived its event because it was moved out. */
	ck_assert_str_eq(s.kept.u.peering.spec_secret.name, "peering-token");
	kube_object_clear(&s.kept);
	kube_watch_parser_free(p);
	free(text);
}
END_TEST

START_TEST(test_expired)
{
	size_t len;
	char *text = slurp("watch-expired.ndjson", &len);
	struct seen s = {0};
	struct kube_watch_parser *p = kube_watch_parser_new(KUBE_PEERING_DIALER, 0);

	feed_all(p, text, len, len, &s);
	ck_assert_str_eq(s.log, "ADDED cluster-01 7 \nERROR 410 Expired\n");
	ck_assert(kube_watch_parser_expired(p));
	ck_assert_str_eq(kube_watch_parser_resource_version(p), "7");
	kube_object_clear(&s.kept);
	kube_watch_parser_free(p);
	free(text);
}
END_TEST

START_TEST(test_last_event_without_newline)
{
	const char *text = "\r\n{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":"
	                   "{\"resourceVersion\":\"9\"}}}\r\n   \n{\"type\":\"BOOKMARK\","
	                   "\"object\":{\"metadata\":{\"resourceVersion\":\"10\"}}}";
	char err[256];
	struct seen s = {0};
	struct kube_watch_parser *p = kube_watch_parser_new(KUBE_MESH, 0);

	ck_assert_int_eq(kube_watch_parser_feed(p, text, strlen(text), record, &s, err, sizeof err),
	                 0);
	ck_assert_str_eq(s.log, "BOOKMARK 9\n");
	ck_assert_int_eq(kube_watch_parser_finish(p, record, &s, err, sizeof err), 0);
	ck_assert_str_eq(s.log, "BOOKMARK 9\nBOOKMARK 10\n");
	ck_assert_str_eq(kube_watch_parser_resource_version(p), "10");
	kube_watch_parser_free(p);
}
END_TEST

START_TEST(test_truncated_stream)
{
	const char *text = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"m\"}}}\n"
	                   "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"na";
	char err[256];
	struct seen s = {0};
	struct kube_watch_parser *p = kube_watch_parser_new(KUBE_MESH, 0);

	ck_assert_int_eq(kube_watch_parser_feed(p, text, strlen(text), record, &s, err, sizeof err),
	                 0);
	ck_assert_int_eq(kube_watch_parser_finish(p, record, &s, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "watch of Mesh, event 2"));
	ck_assert_ptr_nonnull(strstr(err, "truncated"));
	kube_object_clear(&s.kept);
	kube_watch_parser_free(p);
}
END_TEST

START_TEST(test_bad_events)
{
	static const struct {
		const char *line;
		const char *why;
	} cases[] = {
	        {"{\"type\":\"ADDED\",,}\n", "invalid JSON at byte 17"},
	        {"{\"type\":\"RENAMED\",\"object\":{}}\n", "unknown event type \"RENAMED\""},
	        {"{\"object\":{}}\n", "unknown event type \"(none)\""},
	        {"{\"type\":\"ADDED\",\"object\":null}\n", "ADDED event without an object"},
	        {"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Secret\",\"metadata\":{\"name\":\"x\"}"
	         "}}\n",
	         "ADDED event: expected a Mesh, got a Secret"},
	        {"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Mesh\"}}\n",
	         "ERROR event: expected a Status object, got a Mesh"},
	        {"[1,2]\n", "not a JSON object"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[512];
		struct seen s = {0};
		struct kube_watch_parser *p = kube_watch_parser_new(KUBE_MESH, 0);
		ck_assert_int_eq(kube_watch_parser_feed(p, cases[i].line, strlen(cases[i].line),
		                                        record, &s, err, sizeof err),
		                 -1);
		ck_assert_msg(strstr(err, cases[i].why) != NULL, "case %zu: %s", i, err);
		ck_assert_ptr_nonnull(strstr(err, "watch of Mesh, event 1: "));
		ck_assert_int_eq(s.count, 0);
		kube_watch_parser_free(p);
	}
}
END_TEST

START_TEST(test_stop_and_resume)
{
	size_t len;
	char *text = slurp("watch-acceptors.ndjson", &len), err[256];
	struct seen s = {.stop_after = 1};
	struct kube_watch_parser *p = kube_watch_parser_new(KUBE_PEERING_ACCEPTOR, 0);

	/* The callback stops after the first event; the rest stays buffered
	 * and comes out with the next feed. */
	ck_assert_int_eq(kube_watch_parser_feed(p, text, len, record, &s, err, sizeof err), 1);
	ck_assert_str_eq(s.log, "ADDED cluster-02 101 \n");
	s.stop_after = 0;
	ck_assert_int_eq(kube_watch_parser_feed(p, "", 0, record, &s, err, sizeof err), 0);
	ck_assert_str_eq(s.log, expected_acceptors);
	kube_object_clear(&s.kept);
	kube_watch_parser_free(p);
	free(text);
}
END_TEST

START_TEST(test_line_limit)
{
	char err[256], big[300];
	struct seen s = {0};
	struct kube_watch_parser *p = kube_watch_parser_new(KUBE_MESH, 256);

	memset(big, ' ', sizeof big);
	big[0] = '{';
	ck_assert_int_eq(kube_watch_parser_feed(p, big, sizeof big, record, &s, err, sizeof err),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than 256 bytes"));
	kube_watch_parser_free(p);
}
END_TEST

static Suite *watch_suite(void)
{
	Suite *s = suite_create("kube_watch");
	TCase *t = tcase_create("parser");

	tcase_add_test(t, test_every_split);
	tcase_add_test(t, test_byte_by_byte);
	tcase_add_test(t, test_expired);
	tcase_add_test(t, test_last_event_without_newline);
	tcase_add_test(t, test_truncated_stream);
	tcase_add_test(t, test_bad_events);
	tcase_add_test(t, test_stop_and_resume);
	tcase_add_test(t, test_line_limit);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN(watch_suite)

/* Shared entry point for the Check unit-test programs.
 *
 * Every program under tests/unit defines one or more suite constructors and
 * ends with UNIT_MAIN(suite_a, suite_b, ...). The test driver sets
 * CK_TAP_LOG_FILE_NAME=- so each case is reported as one TAP line. */
#ifndef PEERSCOPE_TESTS_UNIT_H
#define PEERSCOPE_TESTS_UNIT_H

#include <check.h>
#include <stdlib.h>

#define UNIT_MAIN(...)                                                                             \
	static Suite *(*const unit_suites[])(void) = {__VA_ARGS__};                                \
	int main(void)                                                                             \
	{                                                                                          \
		SRunner *sr = srunner_create(NULL);                                                \
		for (size_t i = 0; i < sizeof unit_suites / sizeof unit_suites[0]; i++)            \
			srunner_add_suite(sr, unit_suites[i]());                                   \
		srunner_run_all(sr, CK_ENV);                                                       \
		int failed = srunner_ntests_failed(sr);                                            \
		srunner_free(sr);                                                                  \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                       \
	}

/* Path of a fixture file, from the PS_FIXTURES directory the harness sets. */
const char *unit_fixture(const char *name);

/* The whole file at PATH, NUL-terminated, its length in *LEN; the test fails
 * when it cannot be read. The caller frees it. */
char *unit_slurp(const char *path, size_t *len);

/* The same for the fixture DIR/NAME. */
char *unit_fixture_read(const char *dir, const char *name, size_t *len);

/* cJSON's allocations watched from unit_watch_frees(TEXT) (which must
 * outlive the watch) to unit_watch_frees_end(): unit_frees_with_text() is
 * how many blocks cJSON freed meanwhile that still held TEXT. No cJSON
 * allocation may outlive the watch (unit_frees.c). */
void unit_watch_frees(const char *text);
int unit_frees_with_text(void);
void unit_watch_frees_end(void);

#endif

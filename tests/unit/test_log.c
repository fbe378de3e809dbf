/* log: line format, levels, escaping, the terminal switch, redaction of URLs
 * and headers, and whole lines when several threads log at once. */
#include "unit.h"

#include "peerscope/log.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[64];

static void setup(void)
{
	snprintf(path, sizeof path, "/tmp/log-test-%ld.log", (long)getpid());
	unlink(path);
}

static void teardown(void)
{
	unlink(path);
}

static char *slurp(const char *p)
{
	static char buf[1 << 20];
	FILE *f = fopen(p, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(file_lines_and_levels)
{
	char err[256];
	struct log_sink *sink = log_open(path, LOG_LEVEL_INFO, err, sizeof err);
	struct stat st;

	ck_assert_msg(sink != NULL, "%s", err);
	log_info(sink, "cluster %s is %s", "east", "up");
	log_debug(sink, "not written");
	log_error(sink, "two\nlines\tand a tab");
	/* A server's error body: C1 CSI, a bidi override, a bad byte. */
	log_warn(sink, "said: %s",
	         "a\xc2\x9b"
	         "2Jb\xe2\x80\xae"
	         "c\xff");
	log_set_level(sink, LOG_LEVEL_DEBUG);
	log_debug(sink, "now written");
	log_close(sink);

	const char *text = slurp(path);
	ck_assert_msg(strstr(text, "Z info  cluster east is up\n"), "%s", text);
	ck_assert_msg(!strstr(text, "not written"), "%s", text);
	ck_assert_msg(strstr(text, "Z error two\\nlines\\tand a tab\n"), "%s", text);
	ck_assert_msg(strstr(text, "Z debug now written\n"), "%s", text);
	ck_assert_msg(strstr(text, "Z warn  said: a\\u009b2Jb\\u202ec\xef\xbf\xbd\n"), "%s", text);
	/* 2026-11-28T01:02:03.456Z */
	ck_assert_int_eq(text[4], '-');
	ck_assert_int_eq(text[10], 'T');
	ck_assert_int_eq(text[19], '.');
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

START_TEST(open_failure_names_the_file)
{
	char err[256];

	ck_assert_ptr_null(log_open("/nonexistent/dir/x.log", LOG_LEVEL_INFO, err, sizeof err));
	ck_assert_str_eq(err, "log file /nonexistent/dir/x.log: No such file or directory");
}
END_TEST

/* A NULL sink writes nothing anywhere: not to stdout or stderr (both go to
 * the fixture's file meanwhile), not to a file in the current folder. */
START_TEST(null_sink_is_silent)
{
	char dir[] = "/tmp/log-null-XXXXXX", cwd[4096];
	int out = dup(1), err = dup(2);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	struct stat st;

	ck_assert(out >= 0 && err >= 0 && fd >= 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	fflush(stdout);
	fflush(stderr);
	dup2(fd, 1);
	dup2(fd, 2);
	ck_assert_int_eq(chdir(dir), 0);

	log_error(NULL, "nothing %d", 1);
	log_warn(NULL, "nothing %d", 2);
	log_info(NULL, "nothing %d", 3);
	log_set_level(NULL, LOG_LEVEL_DEBUG);
	log_debug(NULL, "nothing %d", 4);
	log_terminal_suspend(NULL, true);
	log_error(NULL, "nothing %d", 5);
	log_terminal_suspend(NULL, false);
	log_close(NULL);

	fflush(stdout);
	fflush(stderr);
	ck_assert_int_eq(chdir(cwd), 0);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(fd);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_msg(st.st_size == 0, "%lld bytes on stdout or stderr: %s", (long long)st.st_size,
	              slurp(path));
	ck_assert_msg(rmdir(dir) == 0, "something was written in the current folder");
}
END_TEST

START_TEST(terminal_suspended)
{
	int saved = dup(2);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert(saved >= 0 && fd >= 0);
	fflush(stderr);
	dup2(fd, 2);
	close(fd);
	struct log_sink *sink = log_open(NULL, LOG_LEVEL_INFO, NULL, 0);
	ck_assert_ptr_nonnull(sink);
	log_info(sink, "before");
	log_terminal_suspend(sink, true);
	log_info(sink, "while the dashboard runs");
	log_terminal_suspend(sink, false);
	log_info(sink, "after");
	log_close(sink);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);

	const char *text = slurp(path);
	ck_assert_msg(strstr(text, "before") && strstr(text, "after"), "%s", text);
	ck_assert_msg(!strstr(text, "dashboard"), "%s", text);
}
END_TEST

START_TEST(level_names)
{
	enum log_level l = LOG_LEVEL_ERROR;

	ck_assert(log_level_parse("DEBUG", &l));
	ck_assert_int_eq(l, LOG_LEVEL_DEBUG);
	ck_assert(!log_level_parse("loud", &l));
	ck_assert_int_eq(l, LOG_LEVEL_DEBUG);
	ck_assert_str_eq(log_level_name(LOG_LEVEL_WARN), "warn");
}
END_TEST

#define THREADS 4
#define LINES   500

static void *writer(void *arg)
{
	struct log_sink *sink = arg;

	for (int i = 0; i < LINES; i++)
		log_info(sink, "thread %p line %04d %s", (void *)pthread_self(), i,
		         "................................................................");
	return NULL;
}

START_TEST(threads_write_whole_lines)
{
	char err[256];
	struct log_sink *sink = log_open(path, LOG_LEVEL_INFO, err, sizeof err);
	pthread_t t[THREADS];

	ck_assert_ptr_nonnull(sink);
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer, sink), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	log_close(sink);

	char *text = slurp(path), *save = NULL;
	int lines = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		ck_assert_msg(strstr(l, " info  thread ") && strstr(l, "...............$") == NULL,
		              "%s", l);
		size_t len = strlen(l);
		ck_assert_msg(len > 64 && l[len - 1] == '.', "torn line: %s", l);
		lines++;
	}
	ck_assert_int_eq(lines, THREADS * LINES);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, file_lines_and_levels);
	tcase_add_test(tc, open_failure_names_the_file);
	tcase_add_test(tc, null_sink_is_silent);
	tcase_add_test(tc, terminal_suspended);
	tcase_add_test(tc, level_names);
	tcase_add_test(tc, threads_write_whole_lines);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(log_suite)

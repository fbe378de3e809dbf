/* heap.c: once large answers (64 KiB or more) have stopped coming for a
 * second, the allocator gives back to the system the pages it holds free
 * between live blocks (malloc_trim), once; small answers, however many,
 * never lead to a trim. The heap is fragmented on purpose: many small
 * blocks, all freed but one in 64, so that most pages are free but none is
 * at the top, where glibc would give it back by itself. And each thread
 * allocates from an arena of its own, more threads than glibc's eight per
 * core included, so that none waits on another's lock. */
#include "autoconfig.h"

#include "unit.h"

#include "heap.h"
#include "peerscope/monotime.h"

#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCKS 100000
#define BLOCK  256

/* The sanitizers bring allocators of their own: glibc's is not the one to
 * watch there. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OTHER_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define OTHER_ALLOCATOR 1
#endif
#endif

static long resident_kib(void)
{
	long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld %ld", &size, &resident), 2);
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Frees all of V's blocks but one in 64. */
static void **fragmented(void)
{
	void **v = malloc(BLOCKS * sizeof *v);

	ck_assert_ptr_nonnull(v);
	for (size_t i = 0; i < BLOCKS; i++) {
		v[i] = malloc(BLOCK);
		ck_assert_ptr_nonnull(v[i]);
		memset(v[i], 1, BLOCK);
	}
	for (size_t i = 0; i < BLOCKS; i++)
		if (i % 64)
			free(v[i]);
	return v;
}

static void release(void **v)
{
	for (size_t i = 0; i < BLOCKS; i += 64)
		free(v[i]);
	free(v);
}

/* heap_settle() until it trims, LIMIT_MS at most: whether it did. */
static bool settled(int64_t limit_ms)
{
	int64_t end = monotime_ms() + limit_ms;

	while (monotime_ms() < end) {
		if (heap_settle())
			return true;
		usleep(20000);
	}
	return false;
}

START_TEST(trims_once_large_answers_stop)
{
	void **v = fragmented();
	long before = resident_kib();

	heap_answered(300 << 10);
	int64_t t0 = monotime_ms();
	ck_assert_msg(!heap_settle(), "no trim while large answers come");
	ck_assert_msg(settled(5000), "a trim once they stopped");
	ck_assert_int_ge(monotime_ms() - t0, 1000);
#if defined(HAVE_MALLOC_TRIM) && !defined(OTHER_ALLOCATOR)
	long after = resident_kib();
	ck_assert_msg(before - after > 10240, "%ld KiB given back of %ld", before - after, before);
#else
	(void)before;
#endif
	ck_assert_msg(!heap_settle(), "one trim for one quiet spell");
	release(v);
}
END_TEST

START_TEST(small_answers_never_trim)
{
	void **v = fragmented();
	long before = resident_kib();

	for (int i = 0; i < 1000; i++)
		heap_answered(20 << 10);
	ck_assert_msg(!settled(1500), "20 MiB of small answers: a trim");
#if defined(HAVE_MALLOC_TRIM) && !defined(OTHER_ALLOCATOR)
	ck_assert_msg(before - resident_kib() < 2048, "%ld KiB given back",
	              before - resident_kib());
#else
	(void)before;
#endif
	release(v);
}
END_TEST

#define THREADS 40

static pthread_barrier_t allocated;

/* A thread's first block takes its arena; it stays alive until every
 * thread has taken one, so that none is handed an arena another left. */
static void *allocator(void *arg)
{
	void *p = malloc(64);

	(void)arg;
	ck_assert_ptr_nonnull(p);
	pthread_barrier_wait(&allocated);
	free(p);
	return NULL;
}

#if defined(HAVE_MALLOC_INFO) && !defined(OTHER_ALLOCATOR)
/* How many arenas glibc has: one <heap nr="..."> in malloc_info() each. */
static int arenas(void)
{
	char *xml = NULL, *at;
	size_t len = 0;
	int n = 0;
	FILE *f = open_memstream(&xml, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(malloc_info(0, f), 0);
	fclose(f);
	for (at = xml; (at = strstr(at, "<heap nr=")); at++)
		n++;
	free(xml);
	return n;
}
#endif

START_TEST(each_thread_has_an_arena)
{
	pthread_t t[THREADS];

	heap_setup();
	ck_assert_int_eq(pthread_barrier_init(&allocated, NULL, THREADS + 1), 0);
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, allocator, NULL), 0);
	pthread_barrier_wait(&allocated);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&allocated);
#if defined(HAVE_MALLOC_INFO) && !defined(OTHER_ALLOCATOR)
	/* The main arena and one for each thread. */
	ck_assert_int_ge(arenas(), THREADS + 1);
#endif
}
END_TEST

static Suite *heap_suite(void)
{
	Suite *s = suite_create("heap");
	TCase *tc = tcase_create("trim");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, trims_once_large_answers_stop);
	tcase_add_test(tc, small_answers_never_trim);
	suite_add_tcase(s, tc);
	tc = tcase_create("arenas");
	tcase_add_test(tc, each_thread_has_an_arena);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(heap_suite)

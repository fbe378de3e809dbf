/* heap.c: once 256 KiB of answers have come in, the allocator gives back to
 * the system the pages it holds free between live blocks (malloc_trim);
 * before that mark it is left alone. The heap is fragmented on purpose:
 * many small blocks, all freed but one in 64, so that most pages are free
 * but none is at the top, where glibc would give it back by itself. */
#include "autoconfig.h"

#include "unit.h"

#include "heap.h"

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

START_TEST(trims_once_a_quarter_mib_of_answers_came)
{
#if !defined(HAVE_MALLOC_TRIM) || defined(OTHER_ALLOCATOR)
	heap_answered(300 << 10);
	return;
#endif
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
	long before = resident_kib();
	heap_answered(100 << 10);
	heap_answered(100 << 10);
	long held = resident_kib();
	ck_assert_msg(before - held < 2048, "200 KiB of answers: %ld KiB given back already",
	              before - held);
	heap_answered(100 << 10);
	long after = resident_kib();
	ck_assert_msg(before - after > 10240, "300 KiB of answers: %ld KiB given back of %ld",
	              before - after, before);
	for (size_t i = 0; i < BLOCKS; i += 64)
		free(v[i]);
	free(v);
}
END_TEST

static Suite *heap_suite(void)
{
	Suite *s = suite_create("heap");
	TCase *tc = tcase_create("trim");

	tcase_add_test(tc, trims_once_a_quarter_mib_of_answers_came);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(heap_suite)

/* peerscope: the allocator's settings and when it gives memory back.
 *
 * Every poller thread allocates, and glibc's allocator keeps what they
 * free for reuse. Two settings and one habit keep the dashboard's
 * footprint close to what it holds:
 * - no more than two arenas (by default each thread that allocates gets
 *   its own, up to eight per core, and each keeps what it freed: 16
 *   pollers held 370 MB free of 455);
 * - every block of 128 KiB or more (a response body, a list of thousands)
 *   mapped on its own, so that freeing it gives the memory back at once
 *   (the threshold would otherwise grow to the largest block freed);
 * - after each 256 KiB of answers, malloc_trim(): the many small blocks
 *   a decode and its TLS records leave free between live ones are
 *   returned (at 8 clusters × 2,000 services, 4.6 MiB of 18 resident,
 *   measured with gdb calling it by hand). A trim takes 0.03 to 4 ms
 *   (the first ones, with the start-up's heap, are the longest): about
 *   ten at that start-up, then, idle, one every 5 to 10 s as the stream
 *   polls' answers add up. */
#include "autoconfig.h"

#include "heap.h"

#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif
#include <stdatomic.h>

#define TRIM_EVERY ((size_t)256 << 10)

static atomic_size_t since_trim;

void heap_setup(void)
{
#if defined(HAVE_MALLOPT) && defined(M_ARENA_MAX) && defined(M_MMAP_THRESHOLD)
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

void heap_answered(size_t bytes)
{
#ifdef HAVE_MALLOC_TRIM
	size_t before = atomic_fetch_add(&since_trim, bytes);

	if (before < TRIM_EVERY && before + bytes >= TRIM_EVERY) {
		malloc_trim(0);
		atomic_store(&since_trim, 0);
	}
#else
	(void)bytes;
#endif
}

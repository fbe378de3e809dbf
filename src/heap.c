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
 * - once large answers (64 KiB or more: the services lists, a start) have
 *   stopped coming for a second, one malloc_trim(): the many small blocks
 *   their decoding and its TLS records left free between live ones go
 *   back (at 8 clusters × 2,000 services, 4.6 MiB of 18 resident). Not
 *   more often: a trim walks the whole heap (milliseconds at 16 × 10,000)
 *   and the pages it gives back are faulted in again by the next
 *   allocations; trimming after every 256 KiB of answers, stream polls
 *   included, nearly doubled the idle CPU at 16 and 64 clusters. */
#include "autoconfig.h"

#include "heap.h"

#include "peerscope/monotime.h"

#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif
#include <stdatomic.h>
#include <stdint.h>

#define LARGE_ANSWER ((size_t)64 << 10)
#define QUIET_MS     1000

static _Atomic int64_t last_large_ms; /* when the last large answer came; 0: none */
static _Atomic int64_t trimmed_for;   /* the last_large_ms a trim followed */

void heap_setup(void)
{
#if defined(HAVE_MALLOPT) && defined(M_ARENA_MAX) && defined(M_MMAP_THRESHOLD)
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

void heap_answered(size_t bytes)
{
	if (bytes >= LARGE_ANSWER)
		atomic_store(&last_large_ms, monotime_ms());
}

bool heap_settle(void)
{
	int64_t last = atomic_load(&last_large_ms);
	int64_t done = atomic_load(&trimmed_for);

	if (!last || done == last || monotime_ms() - last < QUIET_MS)
		return false;
	/* One thread trims for each quiet spell. */
	if (!atomic_compare_exchange_strong(&trimmed_for, &done, last))
		return false;
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
	return true;
}

/* peerscope: the allocator's settings and when it gives memory back.
 *
 * Every poller thread allocates, and glibc's allocator keeps what they
 * free for reuse. Two settings and one habit keep the dashboard's
 * footprint close to what it holds, and its threads out of each other's
 * way:
 * - an arena for each thread, up to HEAP_ARENAS: glibc gives each thread
 *   that allocates its own only up to eight per core, and the pollers are
 *   one per cluster, 64 of them on two cores. Threads that share an arena
 *   wait on its lock, and they all wake on the same instants of the
 *   periodic requests' grid: with two arenas, an idle 16-cluster dashboard
 *   waited on one 52 times in 30 s, each wait a sleep and a wake-up more
 *   of its thread, one of them 20 ms long. What each arena keeps free is
 *   bounded: the top of its heap goes back past 128 KiB, the holes below
 *   it at each trim; RSS grew by about 0.5 MiB at 8 clusters and 4 MiB at
 *   64 (doc/performance.md). Two arenas were set here when 16 pollers that
 *   decoded whole trees held 370 MB free of 455; the lists are scanned
 *   since, and the heap trimmed.
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

/* Threads beyond it share. glibc fixes its limit the first time a thread
 * wants an arena of its own (malloc/arena.c, arena_get2): it is set before
 * any thread starts. */
#define HEAP_ARENAS  512
#define LARGE_ANSWER ((size_t)64 << 10)
#define QUIET_MS     1000

static _Atomic int64_t last_large_ms; /* when the last large answer came; 0: none */
static _Atomic int64_t trimmed_for;   /* the last_large_ms a trim followed */

void heap_setup(void)
{
#if defined(HAVE_MALLOPT) && defined(M_ARENA_MAX) && defined(M_MMAP_THRESHOLD)
	mallopt(M_ARENA_MAX, HEAP_ARENAS);
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

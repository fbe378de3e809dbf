/* peerscope: what glibc's allocator is told, for a process of one poller
 * thread per cluster (heap.c). */
#ifndef PEERSCOPE_HEAP_H
#define PEERSCOPE_HEAP_H

#include <stdbool.h>
#include <stddef.h>

/* At start, before any thread: an arena for each thread (up to 512), and
 * every block of 128 KiB or more mapped on its own. */
void heap_setup(void);
/* An answer of BYTES was received and decoded, and its buffers freed.
 * Any thread. */
void heap_answered(size_t bytes);
/* Once large answers (64 KiB or more) have stopped coming for a second,
 * the first call gives back to the system what the allocator holds free
 * (malloc_trim) and returns true; any other returns false at once. Any
 * thread; the pollers call it each time round (http_multi_run). */
bool heap_settle(void);

#endif

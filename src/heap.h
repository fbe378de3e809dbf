/* peerscope: what glibc's allocator is told, for a process of one poller
 * thread per cluster (heap.c). */
#ifndef PEERSCOPE_HEAP_H
#define PEERSCOPE_HEAP_H

#include <stddef.h>

/* At start, before any thread: at most two arenas, and every block of
 * 128 KiB or more mapped on its own. */
void heap_setup(void);
/* An answer of BYTES was received and decoded, and its buffers freed.
 * After each 256 KiB of answers, the allocator gives back to the system what
 * it holds free (malloc_trim), from the thread that crossed the mark. Any
 * thread. */
void heap_answered(size_t bytes);

#endif

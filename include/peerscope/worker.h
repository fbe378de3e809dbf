/* worker: the one thread that runs operations (ops.h).
 *
 * The UI thread never waits on the network, so it hands an operation to the
 * worker in two moves: worker_plan() (the worker reads and plans; the UI
 * shows the plan in a confirmation) and worker_run() (the worker carries the
 * plan out, step by step). The command-line subcommands use the same two
 * moves and wait with worker_wait().
 *
 * Progress goes where every other change goes: each step's start and end is
 * an event in the store's activity log, and every change of the worker's
 * state (a step's live note during a wait, too) wakes the store's readers;
 * readers copy the state with worker_state() and compare its seq. The
 * worker never touches the screen.
 *
 * One operation at a time: a plan or run asked for while another is under
 * way is refused (false). worker_cancel() stops a running wait within tens
 * of milliseconds; what was created stays. Every function may be called
 * from any thread. */
#ifndef PEERSCOPE_WORKER_H
#define PEERSCOPE_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "peerscope/ops.h"

enum worker_phase {
	WORKER_IDLE,     /* nothing asked, or the last plan was dropped */
	WORKER_PLANNING, /* reading what the operation would do */
	WORKER_PLANNED,  /* a plan waits for worker_run() or worker_drop() */
	WORKER_RUNNING,
	WORKER_DONE, /* the last run ended: see the status */
};
const char *worker_phase_name(enum worker_phase p);

/* Called on the worker thread after each change of a running operation
 * (the command line prints its step lines from here). */
typedef void (*worker_progress_fn)(void *ctx, const struct ops_status *st, size_t step);

struct worker;

/* Starts the thread. ENV is borrowed and must outlive the worker; its store
 * (may be NULL) gets the events and wake-ups. FN (may be NULL) sees every
 * progress. NULL when the thread cannot start. */
struct worker *worker_start(const struct ops_env *env, worker_progress_fn fn, void *ctx);
/* Cancels what runs, joins the thread, frees everything. NULL is fine. */
void worker_stop(struct worker *w);

/* Plans REQ. False when an operation is being planned or run. */
bool worker_plan(struct worker *w, const struct ops_request *req);
/* Runs the plan that waits (WORKER_PLANNED). False when there is none, it
 * was refused, or something runs. */
bool worker_run(struct worker *w);
/* Forgets a plan that waits (the operator said no). */
void worker_drop(struct worker *w);
/* Stops the running operation at its next wait or request. */
void worker_cancel(struct worker *w);

/* A copy of the worker's state. PLAN (may be NULL) receives a deep copy of
 * the plan of the current operation, when there is one (free it with
 * ops_plan_free()); STATUS (may be NULL) the status of the running or last
 * run. Returns the phase; *SEQ (may be NULL) changes with every change. */
enum worker_phase worker_state(struct worker *w, struct ops_plan *plan, struct ops_status *status,
                               uint64_t *seq);
/* Waits until the state's seq differs from SEQ or TIMEOUT_MS passes (-1:
 * forever). Returns the seq then. */
uint64_t worker_wait(struct worker *w, uint64_t seq, long timeout_ms);

#endif

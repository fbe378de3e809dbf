/* session: one running peerscope, with one open and one close.
 *
 * A session owns what the dashboard, --once, `check`, the command-line
 * operations, the demo and the test rig all need: the configuration's
 * clusters with their connections (conn.h), the store, the pollers that
 * keep it current, the operations worker (worker.h) with its view of the
 * clusters (ops.h) and the audit log. Callers say which parts they use.
 *
 * The pollers start in session_open, or, with defer_pollers, when the
 * caller says (session_start_pollers): the dashboard draws its first frame,
 * every cluster's row waiting, before a poller thread competes with it for
 * a core.
 *
 * Connections open where they cannot hold anyone up: with pollers, each
 * cluster's connection (a kubeconfig exec credential plugin, the lookup of
 * the Consul Service behind the API server's proxy) is opened on that
 * cluster's own poller thread, after the thread has published the cluster
 * as loading; the first frame never waits for a slow cluster. Without
 * pollers (an operation on the command line), a cluster's connection is
 * opened the first time an operation asks for that cluster, so `peerscope
 * peer A B` touches only A and B.
 *
 * Closing cancels every request in flight and every exec credential plugin
 * still running, then stops the worker and the pollers and frees
 * everything, in that order; it returns in milliseconds whatever the
 * clusters (and their plugins) do. */
#ifndef PEERSCOPE_SESSION_H
#define PEERSCOPE_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "peerscope/ops.h"
#include "peerscope/poller.h"
#include "peerscope/worker.h"

struct config;
struct log_sink;
struct session;
struct store;

struct session_options {
	bool pollers; /* keep the store current (dashboard, --once, check) */
	/* With pollers: session_open does not start them, the caller does
	 * (session_start_pollers). */
	bool defer_pollers;
	bool worker; /* run operations (dashboard, the operation subcommands) */
	/* The pollers' settings; their log is the session's. */
	struct poller_options poll;
	/* The audit log: NULL for the configuration's (audit_log, else the
	 * XDG default); "" for none (tests). Opened only with a worker. */
	const char *audit_path;
	/* The worker's progress, on the worker thread (the command line prints
	 * its step lines here); NULL: none. */
	worker_progress_fn progress;
	void *progress_ctx;
	long op_poll_ms; /* first interval of an operation's waits; 0: default */
	/* How long opening a cluster's connection may wait for an exec
	 * credential plugin, from session_open (--once's deadline); 0: the
	 * plugin's own limit of 30 s. session_close stops a plugin at once. */
	long connect_timeout_ms;
};

/* Opens a session on CFG (borrowed: it must outlive the session) with LOG
 * (may be NULL). 0, or -1 with a sentence in ERR (out of memory, a thread
 * that cannot start, an audit log that cannot be opened). */
int session_open(const struct config *cfg, struct log_sink *log, const struct session_options *opt,
                 struct session **out, char *err, size_t errlen);
/* Starts the pollers of a session opened with pollers and defer_pollers.
 * 0 once they run (a second call does nothing), and 0 for a session without
 * pollers; -1 when they cannot start (out of memory, a thread that cannot
 * start: none runs, and a later call tries again). Any thread; until they
 * run, the operations read the clusters they ask for afresh, as without
 * pollers. */
int session_start_pollers(struct session *s);
/* NULL is fine; the pollers started or not. */
void session_close(struct session *s);

const struct config *session_config(const struct session *s);
struct store *session_store(const struct session *s);   /* NULL without pollers */
struct worker *session_worker(const struct session *s); /* NULL without a worker */
struct log_sink *session_log(const struct session *s);
/* The clusters' names, in configuration (store) order. */
const char *const *session_names(const struct session *s);
size_t session_count(const struct session *s);
/* Whether cluster I may be changed: not read-only. */
bool session_writable(const struct session *s, size_t i);
/* Asks every poller to fetch everything again now; nothing before they
 * start. */
void session_refresh(struct session *s);
/* The screen shows every cluster's state: the held sources
 * (store_src_held()) may start (poller_release_held()). Any thread. */
void session_state_shown(struct session *s);
/* The operations' view of the clusters, for ops_plan()/ops_run() on the
 * caller's own thread (tests); the worker uses the same. */
const struct ops_env *session_ops_env(const struct session *s);
/* The path of the audit log, "" when there is none. */
const char *session_audit_path(const struct session *s);

#endif

/* What the files of the ops module share: the run of one operation, its
 * step tables, and the helpers every step uses to read, write (with the
 * audit log) and wait. */
#ifndef PEERSCOPE_OPS_INTERNAL_H
#define PEERSCOPE_OPS_INTERNAL_H

#include <stdarg.h>

#include "peerscope/consul.h"
#include "peerscope/http.h"
#include "peerscope/kube.h"
#include "peerscope/ops.h"

/* One side of the peering during a plan or a run. */
struct side {
	const struct ops_cluster *c;
	const char *peer; /* the peer name here: the CR's and Consul's name */
	bool kube;        /* through the Kubernetes API, else Consul's */
};

/* What a step's check or act says. */
enum step_result {
	STEP_ALREADY, /* check: nothing to do */
	STEP_TODO,    /* check: will act (the note says how) */
	STEP_OK,      /* act: done */
	STEP_FAIL,    /* the note, message and fix say why */
	STEP_TIMEOUT,
	STEP_CANCEL,
};

struct run;

struct step_def {
	/* The step's title and the cluster it acts on. */
	void (*title)(struct run *r, struct ops_step *s);
	/* Reads only: ALREADY, TODO (note and, when planning, the changes it
	 * would send) or FAIL (a refusal when planning). */
	enum step_result (*check)(struct run *r, struct ops_step *s);
	/* Does it: OK, FAIL, TIMEOUT or CANCEL. NULL: a pure check. */
	enum step_result (*act)(struct run *r, struct ops_step *s);
};

struct op_def {
	enum ops_kind kind;
	/* Resolves the sides and names, refusing what cannot be done. */
	int (*resolve)(struct run *r);
	const struct step_def *const *steps;
	size_t nsteps;
};

struct run {
	const struct ops_env *env;
	const struct op_def *def;
	struct ops_plan *plan; /* being filled while planning; read-only later */
	struct ops_status *st; /* NULL while planning */
	bool planning;
	const atomic_bool *cancel;
	ops_progress_fn fn;
	void *ctx;
	struct side a, b; /* acceptor, dialer */
	long wait_ms;
	/* The peering token, in memory only while it is moved; wiped at the
	 * end. */
	char *token;
	size_t token_len;
	/* Scratch shared by the steps of one run. */
	char copy_rv[128]; /* B's Secret copy after the exchange */
	char old_rv[128];  /* A's token Secret before a regeneration */
	uint64_t target_version;
	bool regenerating;    /* the acceptor's new token is not yet moved */
	bool secret_chosen;   /* the operator named the Secret: keep it or refuse */
	int64_t step_wall_ns; /* when the running step began, wall clock */
};

/* ---------------------------------------------------------------- run.c */

const struct ops_cluster *ops_find_cluster(const struct ops_env *env, const char *name);
/* The step's failure: NOTE for the step line, and the run's message and
 * fix. Returns STEP_FAIL. */
enum step_result ops_fail(struct run *r, struct ops_step *s, const char *fix, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* A failed request: the server's words in the note and message, and what to
 * do about it from its status (RBAC, ACL, webhook) in the fix. */
enum step_result ops_fail_http(struct run *r, struct ops_step *s, const struct side *sd,
                               const char *doing, const struct http_error *err);
/* Sets the step's note. */
void ops_note(struct ops_step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A fact for the plan's notes (planning only). */
void ops_plan_note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A change the plan would send (planning only); BODY is copied. */
void ops_plan_change(struct run *r, const struct side *sd, const char *body, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Records a mutating request in the audit log and the activity log. */
void ops_audit(struct run *r, const struct side *sd, const char *verb, const char *kind,
               const char *name, int rc, const struct http_error *err);

/* Writes with the audit log. 0, or -1 with ERR. kube_create_if_absent
 * answers 0 also when the object exists (409 AlreadyExists), with
 * *created false. */
int ops_kube_create(struct run *r, const struct side *sd, enum kube_kind kind, const char *name,
                    const char *body, bool *created, struct http_error *err);
int ops_kube_patch(struct run *r, const struct side *sd, enum kube_kind kind, const char *name,
                   const char *patch, struct http_error *err);
int ops_kube_delete(struct run *r, const struct side *sd, enum kube_kind kind, const char *name,
                    struct http_error *err);
int ops_consul_token(struct run *r, const struct side *sd, struct http_error *err);
int ops_consul_establish(struct run *r, const struct side *sd, struct http_error *err);
int ops_consul_delete(struct run *r, const struct side *sd, struct http_error *err);

/* Reads. The peering named PEER on the side (0, 1 with *out filled, or -1
 * with ERR). */
int ops_read_peering(const struct side *sd, struct model_peering *out, struct http_error *err);
/* The side's peering CR (acceptor or dialer): 0 absent, 1 read, -1 error. */
int ops_read_cr(const struct side *sd, enum kube_kind kind, struct kube_object *out,
                struct http_error *err);

/* Waits until CHECK says done (1) or failed (-1), polling. CHECK writes what
 * it saw into SEEN for the timeout message. */
typedef int (*ops_wait_fn)(struct run *r, struct ops_step *s, char *seen, size_t seenlen);
enum step_result ops_wait(struct run *r, struct ops_step *s, const char *what, ops_wait_fn check);
/* True once the operation was cancelled. */
bool ops_cancelled(const struct run *r);
/* A read inside a wait failed: a passing failure (no answer, 5xx, 429)
 * becomes what was seen and the wait goes on (0); any other fails the step
 * (-1). */
int ops_wait_read_failed(struct run *r, struct ops_step *s, const struct side *sd,
                         const char *doing, const struct http_error *err, char *seen, size_t len);
/* Keeps the live part of a wait's note up to date for the progress view. */
void ops_progress_note(struct run *r, struct ops_step *s, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* The token: replaces what the run holds (wiping it), taking BUF over. */
void ops_token_set(struct run *r, char *buf, size_t len);
void ops_token_clear(struct run *r);

/* ------------------------------------------------------------ prereqs.c */

/* The plan's pre-step: the prerequisites checks that guard the operation,
 * on its clusters' newest snapshots. A fail refuses the plan (refusal,
 * reason with the check's id and evidence, fix); a warn is a plan note.
 * 0, or -1 when out of memory. */
int ops_prereqs(struct run *r);

/* ----------------------------------------------------------- the tables */

extern const struct op_def ops_def_peer;
extern const struct op_def ops_def_acceptor;
extern const struct op_def ops_def_exchange;
extern const struct op_def ops_def_dialer;
extern const struct op_def ops_def_regenerate;
extern const struct op_def ops_def_unpeer;

/* ------------------------------------------------------ shared resolution */

/* Fills the sides from the request: A accepts, B dials; names default to
 * the other cluster's name; refuses unknown, unreachable or read-only
 * clusters and names Consul would refuse. NEED_A / NEED_B: which sides the
 * operation touches (a side it only reads may be read-only). */
int ops_resolve_sides(struct run *r, bool write_a, bool write_b);
/* Finds the existing pair of A and B whatever the order the operator gave
 * (unpeer, regenerate), swapping them so that A accepts. None: a refusal,
 * or with MISSING_OK a note (unpeer: nothing left to delete is done). */
int ops_resolve_existing(struct run *r, bool missing_ok);

#endif

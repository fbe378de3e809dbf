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
	/* The admin partition it acts in (the plan's, resolved); "": none is
	 * sent. */
	const char *partition;
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
struct cJSON;

/* The mesh operations' resource: a consul-k8s custom resource or Consul's
 * config entry (entry.c). */
enum ops_res_kind {
	OPS_RES_PROXY_DEFAULTS,
	OPS_RES_SERVICE_DEFAULTS,
	OPS_RES_MESH,
	OPS_RES_EXPORTS,
	OPS_RES_INTENTIONS,
};

struct ops_res {
	enum ops_res_kind kind;
	char name[OPS_SERVICE_MAX]; /* Consul's name of the entry */
	bool kube;                  /* through the custom resource, else Consul's entry */
	char cr[OPS_SERVICE_MAX];   /* the CR's name */
	bool located;               /* read at least once: KUBE is known */
	bool exists;
	struct cJSON *doc; /* as read (the CR or the entry); NULL: absent */
	char rv[128];      /* the CR's resourceVersion */
	uint64_t index;    /* the entry's ModifyIndex */
	/* KUBE and Consul's entry is not the controller's of this cluster
	 * (written outside Kubernetes, or by another datacenter's controller):
	 * consul-k8s never writes an edit of the CR into it. ENTRY_DC is its
	 * Meta's source datacenter ("" none). */
	bool foreign;
	char entry_dc[64];
	/* KUBE and the CR carries consul.hashicorp.com/migrate-entry: "true",
	 * with which consul-k8s refuses every change that makes the CR differ
	 * from the entry (MigrationFailedError): a change removes it. */
	bool migrate;
	/* The ACL default policy Consul reported with the read ("allow",
	 * "deny", "" unknown). */
	char default_policy[8];
};

/* What an edit of a resource says. */
enum ops_res_edit {
	OPS_RES_FAIL = -1, /* refused: the step's note says why (ops_fail) */
	OPS_RES_SAME = 0,  /* already so */
	OPS_RES_CHANGED,   /* DOC was changed */
	OPS_RES_EMPTY,     /* nothing would be left: delete the resource */
};

/* Brings DOC (the CR's spec, camelCase, when KUBE; else the entry,
 * PascalCase; an empty object for an absent resource) to what the
 * operation wants. Reads keys case-insensitively, so a check can run it on
 * Consul's entry to see whether a CR's change has reached Consul. */
typedef enum ops_res_edit (*ops_res_edit_fn)(struct run *r, struct ops_step *s, struct cJSON *doc,
                                             bool kube);

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
	char copy_rv[128]; /* B's Secret copy after the exchange, or as unpeer read it */
	char copy_uid[64]; /* and its uid, as unpeer read it */
	/* The PeeringAcceptor's [0] and PeeringDialer's [1] uids, as unpeer's
	 * checks read them: the deletes are tied to those objects. */
	char end_uid[2][64];
	bool copy_absent; /* the exchange's check found no copy: it is created, never replaced */
	char old_rv[128]; /* A's token Secret before a regeneration */
	uint64_t target_version;
	bool regenerating;    /* the acceptor's new token is not yet moved */
	bool secret_chosen;   /* the operator named the Secret: keep it or refuse */
	bool dialer_seen;     /* the dialer step's check found the PeeringDialer */
	int64_t step_wall_ns; /* when the running step began, wall clock */
	/* The newest snapshots of the two clusters, read once per plan
	 * (ops_snapshot); released when the plan is made. */
	struct store_snapshot *snaps[2];
	char snap_names[2][OPS_NAME_MAX];
	bool snaps_read;
	/* The mesh operations. */
	struct ops_res res;
	ops_res_edit_fn edit;
	bool deleted;                     /* the write removed the resource */
	bool replaces;                    /* the edit changes an existing source: asks first */
	char consumer_peer[OPS_NAME_MAX]; /* r->b's name for A, when B is the consumer */
	long instances;                   /* of the exported service; -1 not known */
	bool no_peering;                  /* A has no peering named req.peer */
	char resume[256];                 /* the command that resumes it (ops_resume_hint) */
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
/* Refuses the plan (planning): HOW, the reason from FMT and FIX, each made
 * safe to show (they may quote a server or the command line). Returns -1. */
int ops_refuse(struct run *r, enum ops_refusal how, const char *fix, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Sets the step's note. */
void ops_note(struct ops_step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A fact for the plan's notes (planning only). */
void ops_plan_note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A change the plan would send (planning only); BODY is copied. */
void ops_plan_change(struct run *r, const struct side *sd, const char *body, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* BODY as indented JSON, two spaces a level (a body that is not JSON as
 * it is); malloc'd. */
char *ops_pretty(const char *body);

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
/* ops_kube_delete() of the object as read (uid, resourceVersion; each NULL
 * or "": not checked): one changed since fails with status 409. */
int ops_kube_delete_if(struct run *r, const struct side *sd, enum kube_kind kind, const char *name,
                       const char *uid, const char *rv, struct http_error *err);
int ops_consul_token(struct run *r, const struct side *sd, struct http_error *err);
int ops_consul_establish(struct run *r, const struct side *sd, struct http_error *err);
int ops_consul_delete(struct run *r, const struct side *sd, struct http_error *err);

/* Reads. The peering named PEER on the side (0, 1 with *out filled, or -1
 * with ERR). */
int ops_read_peering(const struct side *sd, struct model_peering *out, struct http_error *err);
/* TERMINATED, or being deleted (DELETING, or DeletedAt set): a new token
 * cannot revive it. */
bool ops_peering_dead(const struct model_peering *p);
/* The fix for a token Consul refused ("a new peering token must be
 * generated"): regenerate, unless an end is TERMINATED or being deleted,
 * which a new token cannot revive (unpeer, then peer). Reads both ends. */
void ops_token_refused_fix(struct run *r, char *fix, size_t len);
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
/* Tells the run's listener that step STEP (OPS_MAX_STEPS: the whole run) moved. */
void ops_progress(struct run *r, size_t step);
/* Keeps the live part of a wait's note up to date for the progress view. */
void ops_progress_note(struct run *r, struct ops_step *s, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* The token: replaces what the run holds (wiping it), taking BUF over. */
void ops_token_set(struct run *r, char *buf, size_t len);
void ops_token_clear(struct run *r);

/* ------------------------------------------------------------ prereqs.c */

/* Cluster NAME's newest snapshot, one of the plan's two clusters (A, and
 * B unless the operation has one cluster), read once per plan through
 * ops_env.snapshots; NULL when nothing was read of it, or not planning. */
const struct store_snapshot *ops_snapshot(struct run *r, const char *name);
/* Every configured cluster's newest snapshot into OUT[0..env->n) (one
 * reference each, NULL for none), for a fix that names another cluster;
 * false when there is no way to read them. */
bool ops_snapshots_all(struct run *r, struct store_snapshot **out);
/* Drops the plan's snapshots. */
void ops_snapshots_release(struct run *r);

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
extern const struct op_def ops_def_gateway_mode;
extern const struct op_def ops_def_ptmg;
extern const struct op_def ops_def_export;
extern const struct op_def ops_def_unexport;
extern const struct op_def ops_def_allow;
extern const struct op_def ops_def_deny;

/* "peerscope export C S --to P" for a mesh operation (mesh.c). */
void ops_mesh_hint(const struct ops_request *q, char *buf, size_t len);

/* ---------------------------------------------------------- partition.c */

/* Planning: the admin partition each side acts in, from the request and
 * the clusters' snapshots, into the plan; refuses (and returns -1) a
 * partition a side cannot act in. Running: the plan's. Then points the
 * sides at them. */
int ops_resolve_partitions(struct run *r);
/* The same for the one cluster of a mesh operation (side A, from
 * --partition): the partition its configuration is read and written in. */
int ops_resolve_partition_one(struct run *r);
/* The request's cluster A as the operator named it: "cluster-01", or
 * "cluster-01/team-a" with --partition. Returns BUF. */
const char *ops_req_label(const struct ops_request *q, char *buf, size_t len);
/* "cluster-01", or "cluster-01/team-a" for a side that acts in a named
 * partition (as --once's table writes them). Returns BUF. */
const char *ops_side_label(const struct side *sd, char *buf, size_t len);

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

/* ------------------------------------------------------ mesh (entry.c) */

/* Resolves the mesh operation's one cluster (A) as side r->a: known,
 * writable, reachable. */
int ops_resolve_one(struct run *r);

/* Finds where r->res lives on SD (the CR when the kind is served and no
 * entry written outside Kubernetes stands in the way, else Consul's entry)
 * and reads it. 0, or -1 with ERR. */
int ops_res_read(struct run *r, const struct side *sd, struct http_error *err);
/* A step's check: reads the resource, applies r->edit to a copy and, when
 * something changes, puts the change (what is sent, and the diff before ->
 * after) in the plan. ALREADY, TODO or FAIL. */
enum step_result ops_res_check(struct run *r, struct ops_step *s, const struct side *sd);
/* A step's act: reads, edits and writes, tied to what was read (the
 * resourceVersion, Consul's ?cas=); a concurrent change is read again once
 * and the edit made again on it, so the other writer's change stays. */
enum step_result ops_res_write(struct run *r, struct ops_step *s, const struct side *sd);
/* The step that writes r->res on side A (mesh.c), and the one that waits
 * until a CR's change has reached Consul (the controller wrote the entry),
 * failing on Synced=False. */
extern const struct step_def ops_step_res_write;
extern const struct step_def ops_step_res_synced;
/* Export, unexport, allow, deny: checks the service and the peer names,
 * resolves cluster A and sets the resource (exports.c). */
int ops_resolve_service_peer(struct run *r, enum ops_res_kind kind, const char *name);
void ops_res_clear(struct ops_res *res);
/* "ProxyDefaults global" / "proxy-defaults global". */
const char *ops_res_label(const struct ops_res *res, char *buf, size_t len);

/* The mesh gateways of SD: how many are registered and how many pass
 * their checks. 0, or -1 with ERR. */
int ops_gateways(const struct side *sd, unsigned *total, unsigned *passing, struct http_error *err);
/* The configured cluster at the other end of SD's peering PEER, and its
 * name for SD (NAME, LEN): 1 found, 0 not a configured cluster or no such
 * peering, -1 with ERR when SD's peering could not be read. */
int ops_peer_cluster(struct run *r, const struct side *sd, const char *peer,
                     const struct ops_cluster **out, char *name, size_t len,
                     struct http_error *err);
/* A JSON merge patch (RFC 7386) from OLD to NEW; NULL when out of memory. */
struct cJSON *ops_merge_patch(const struct cJSON *old, const struct cJSON *now);
/* Lines "  kept", "- removed", "+ added" from BEFORE to AFTER (either may
 * be ""); malloc'd, NULL when out of memory. */
char *ops_diff(const char *before, const char *after);

#endif

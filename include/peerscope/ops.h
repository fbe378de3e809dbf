/* ops: the operations that change clusters, as small state machines of
 * idempotent steps.
 *
 * An operation is planned, then run. ops_plan() only reads: it resolves the
 * two clusters and the names, runs the prerequisites checks that guard the
 * operation (preflight.h, on the snapshots ops_env.snapshots gives: peering
 * disabled in the Helm values, an old Consul, ...), checks what it can see
 * (a cluster unreachable or read-only, a peering already ACTIVE, a name
 * Consul would refuse) and refuses with a reason and a fix,
 * or lists its steps with what each would do now ("create", "exists,
 * Synced: nothing to do") and the changes it would send (manifests and
 * Consul requests, secrets redacted): the confirmation dialog and --dry-run
 * show that. ops_run() carries the plan out: each step reads the current
 * state before it acts, so running an operation again after a failure, a
 * timeout or a cancel continues from the first step not yet done, never
 * creates a second resource and never replaces a token that is still valid.
 * Creates are create-if-absent; updates carry the resourceVersion and a 409
 * re-reads once and retries.
 *
 * Each side of a peering is reached through its Kubernetes API (the
 * consul-k8s custom resources, the token in a Secret) when the cluster has a
 * kube context, else through Consul's HTTP API (POST /v1/peering/token and
 * /v1/peering/establish, the token kept in memory only); mixed pairs work.
 *
 * Admin partitions (Consul Enterprise): a side acts in one partition. On
 * Kubernetes that is the partition its consul-k8s runs in (the Helm
 * release's global.adminPartitions.name): the PeeringAcceptor and
 * PeeringDialer have no partition field, their controller makes the
 * peering with its own Consul client, so a request for another partition
 * is refused, naming the configured cluster whose consul-k8s runs there
 * when there is one. On a Consul-only cluster the requested partition goes
 * with every Consul request (the token's and establish's Partition,
 * ?partition= on the reads and the delete). A partition other than
 * default on Consul CE is refused; without partitions nothing changes.
 *
 * Every request that changes something is written to the audit log (audit.h)
 * and the activity log; the token is in memory only while it is moved, and
 * wiped. Errors are the server's own words plus what to do.
 *
 * Threads: ops_plan() and ops_run() block on the network; they run on the
 * worker thread (worker.h) or a command-line subcommand's thread, never on
 * the UI thread. CANCEL stops a wait (and a request in flight) within a few
 * tens of milliseconds; what was created stays. */
#ifndef PEERSCOPE_OPS_H
#define PEERSCOPE_OPS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/model.h"

struct audit;
struct consul_client;
struct http_client;
struct log_sink;
struct store;
struct store_snapshot;

/* ------------------------------------------------------------- operations */

enum ops_kind {
	OPS_PEER,       /* acceptor, token, exchange, dialer, both ends ACTIVE */
	OPS_ACCEPTOR,   /* the acceptor on A for peer B, and its token */
	OPS_EXCHANGE,   /* A's token Secret copied to B */
	OPS_DIALER,     /* the dialer on B for peer A */
	OPS_REGENERATE, /* a new token, exchanged, the dialer established again */
	OPS_UNPEER,     /* dialer, acceptor and peerscope's Secret copy deleted */
	/* The mesh configuration of one cluster (mesh.c, exports.c,
	 * intentions.c): the consul-k8s custom resource when the cluster has a
	 * kube context and the kind is served, else Consul's config entry. */
	OPS_GATEWAY_MODE,          /* ProxyDefaults global, or a service's ServiceDefaults */
	OPS_PEER_THROUGH_GATEWAYS, /* Mesh mesh spec.peering.peerThroughMeshGateways */
	OPS_EXPORT,                /* a service for a consumer peer in ExportedServices default */
	OPS_UNEXPORT,
	OPS_ALLOW, /* a source {name "*", peer, action allow} on the service's ServiceIntentions */
	OPS_DENY,
	OPS_KIND_COUNT
};

/* "peer", "acceptor", "exchange", "dialer", "regenerate", "unpeer",
 * "gateway-mode", "peer-through-gateways", "export", "unexport", "allow",
 * "deny". */
const char *ops_kind_name(enum ops_kind k);
/* The operation named NAME; -1 when none. */
int ops_kind_parse(const char *name, enum ops_kind *k);
/* True for the operations on one cluster's mesh configuration. */
bool ops_kind_is_mesh(enum ops_kind k);

#define OPS_NAME_MAX          64 /* a Consul peer name is at most 63 bytes */
#define OPS_SERVICE_MAX       256
#define OPS_SECRET_NAME_MAX   254 /* a Kubernetes object name is at most 253 */
#define OPS_DEFAULT_WAIT_MS   120000L
#define OPS_TOKEN_KEY         "data"
#define OPS_SECRET_PREFIX     "peering-token-"
/* The label peerscope puts on the token Secrets it writes: unpeer deletes a
 * Secret copy only when it carries it. */
#define OPS_MANAGED_LABEL     MODEL_KUBE_MANAGED_LABEL
#define OPS_MANAGED_VALUE     MODEL_KUBE_MANAGED_VALUE
#define OPS_COPIED_ANNOTATION "peerscope/copied-from"

/* What the operator asks for. A is the accepting cluster and B the dialing
 * one; for unpeer and regenerate the order may be either: the plan finds
 * which side accepts. The mesh operations act on cluster A only: SERVICE
 * (gateway-mode: "" for the whole cluster), PEER (export, unexport, allow,
 * deny: the consumer or source peer as A names it) and VALUE ("local",
 * "remote"; "on", "off"). */
struct ops_request {
	enum ops_kind kind;
	char a[OPS_NAME_MAX];
	char b[OPS_NAME_MAX];
	char name[OPS_NAME_MAX];        /* the peer name on A; "": B's cluster name */
	char dialer_name[OPS_NAME_MAX]; /* the peer name on B; "": A's cluster name */
	/* The token Secret; "": peering-token-<name>, or the first free
	 * variant when another acceptor of A already uses that one. */
	char secret_name[OPS_SECRET_NAME_MAX];
	long wait_ms; /* each wait's deadline; 0: OPS_DEFAULT_WAIT_MS */
	char service[OPS_SERVICE_MAX];
	char peer[OPS_NAME_MAX];
	char value[16];
	/* Consul Enterprise: the admin partition the peering is made in on A
	 * and on B; "": the cluster's own (its consul-k8s's on Kubernetes, its
	 * ACL token's on a Consul-only cluster). See "Admin partitions". */
	char partition[OPS_NAME_MAX];
	char dialer_partition[OPS_NAME_MAX];
};

/* --------------------------------------------------------------- clusters */

/* One cluster as an operation sees it. Everything is borrowed: the clients
 * are the session's, shared with the pollers (an http client may be used by
 * several threads). */
struct ops_cluster {
	const char *name;
	const char *context; /* "" or NULL: a Consul-only cluster */
	const char *ns;      /* where the custom resources and Secrets live */
	bool readonly;
	struct http_client *kube; /* NULL: Consul-only, or see kube_error */
	struct consul_client *consul;
	const char *kube_error; /* why kube is NULL although a context is set */
	const char *consul_error;
};

struct ops_env {
	/* The cluster named NAME with its connection open (this may wait for
	 * its poller to open it, or open it); NULL when the configuration has
	 * no cluster of that name. Called on the operation's thread. */
	const struct ops_cluster *(*cluster)(void *ctx, const char *name);
	void *ctx;
	const char *const *names; /* every configured cluster, for messages */
	size_t n;
	struct audit *audit;   /* NULL: no audit log (tests) */
	struct store *store;   /* NULL: no activity log */
	struct log_sink *log;  /* NULL: none */
	long poll_ms;          /* first interval of a wait; 0: 100 ms */
	const char *operation; /* for the audit log; NULL: the kind's name */
	/* The newest snapshots of the clusters NAMES[0..N-1] into OUT (one
	 * reference each; NULL for a cluster nothing was read of), for the
	 * prerequisites checks every plan runs first: the running pollers'
	 * (the dashboard), else read fresh by pollers started for the
	 * purpose; waits up to TIMEOUT_MS, or until *CANCEL (may be NULL),
	 * for every source to answer. Called on the operation's thread.
	 * NULL: no prerequisites checks. */
	void (*snapshots)(void *ctx, const char *const *names, size_t n, long timeout_ms,
	                  const atomic_bool *cancel, struct store_snapshot **out);
};

/* ------------------------------------------------------------------ steps */

enum ops_step_state {
	OPS_STEP_PENDING, /* not reached yet */
	OPS_STEP_TODO,    /* plan: will act */
	OPS_STEP_RUNNING,
	OPS_STEP_DONE,
	OPS_STEP_SKIPPED, /* already so: nothing done */
	OPS_STEP_FAILED,
	OPS_STEP_STOPPED, /* cancelled */
};
const char *ops_step_state_name(enum ops_step_state s);

#define OPS_MAX_STEPS 10

struct ops_step {
	char title[320];  /* "PeeringAcceptor cluster-03 on cluster-01" */
	char cluster[64]; /* where it acts; "" for both */
	enum ops_step_state state;
	/* Plan: what it would do. Run: what it did, or why it failed, with
	 * what was last seen for a wait. */
	char note[640];
	int64_t elapsed_ms;
};

/* One request the plan would send. */
struct ops_change {
	char cluster[64];
	char what[256]; /* "create PeeringAcceptor consul/cluster-03", "POST /v1/peering/token" */
	char *body;     /* the manifest or request body, secrets redacted; NULL: none */
	/* The resource before -> after, as lines "  same", "- gone", "+ new"
	 * (the mesh operations); NULL: none. */
	char *diff;
};

/* ------------------------------------------------------------------- plan */

enum ops_refusal {
	OPS_GO,
	OPS_REFUSE_RULE,    /* a rule or the clusters' state forbids it: exit 1 */
	OPS_REFUSE_USAGE,   /* unknown cluster, read-only, bad name: exit 2 */
	OPS_REFUSE_STOPPED, /* cancelled while planning: nothing done, exit 1 */
};

struct ops_plan {
	struct ops_request req; /* resolved: sides, names and secret name filled */
	char title[320];        /* "Peer cluster-01 with cluster-03" */
	enum ops_refusal refusal;
	char reason[768];
	char fix[384];
	/* Facts and warnings to show before going on ("Secret peering-token-x
	 * is used by PeeringAcceptor y: using peering-token-x-2"). */
	struct model_strv notes;
	/* Unpeer: what goes away, one line each. */
	struct model_strv preview;
	/* What to run next, each "A B" of a peering whose token to
	 * regenerate (peer-through-gateways: a token carries the addresses it
	 * was made with). */
	struct model_strv followups;
	struct ops_step steps[OPS_MAX_STEPS];
	size_t nsteps;
	struct ops_change *changes;
	size_t nchanges;
	/* Something is deleted or overwritten: ask first, and a command line
	 * without --yes and without a terminal refuses. */
	bool destructive;
	char confirm_word[OPS_NAME_MAX]; /* unpeer: the peer name to type */
	/* A's side of the pair is the acceptor of an existing peering with
	 * the same name but was found on the other cluster: the plan swapped
	 * A and B (unpeer, regenerate). */
	bool swapped;
	/* The admin partition each side acts in, A's then B's, as resolved:
	 * sent with each Consul request to an Enterprise server; "" when none
	 * is sent (Consul CE; a Consul-only cluster's token's own). */
	char partition[2][OPS_NAME_MAX];
};

/* Plans REQ. Returns 0 (see out->refusal), or -1 when out of memory (the
 * prerequisites checks too: no plan goes without them). OUT is
 * zeroed first; free it with ops_plan_free(). */
int ops_plan(const struct ops_env *env, const struct ops_request *req, struct ops_plan *out);
/* ops_plan() that CANCEL (may be NULL) stops: the waits and the steps left
 * end early and the plan is refused with OPS_REFUSE_STOPPED ("stopped
 * before any change"). */
int ops_plan_cancellable(const struct ops_env *env, const struct ops_request *req,
                         const atomic_bool *cancel, struct ops_plan *out);
void ops_plan_free(struct ops_plan *p);
/* Deep copy; 0, or -1 when out of memory (DST is then empty). */
int ops_plan_copy(struct ops_plan *dst, const struct ops_plan *src);

/* -------------------------------------------------------------------- run */

enum ops_outcome {
	OPS_RUNNING,
	OPS_OK,
	OPS_FAILED,
	OPS_TIMEOUT,
	OPS_CANCELLED,
	OPS_REFUSED,
};
const char *ops_outcome_name(enum ops_outcome o);

/* One end of the peering, as it was last seen. */
struct ops_end {
	char cluster[64];
	char partition[OPS_NAME_MAX]; /* its admin partition; "" on Consul CE */
	char name[OPS_NAME_MAX];      /* the peer name there */
	bool present;
	char state[24];           /* "ACTIVE", ..., "" when absent */
	int64_t heartbeat_age_ms; /* -1: none */
	size_t exported, imported;
};

struct ops_status {
	char id[48]; /* "20261204T181101Z-4f2a9c": the audit log's op id */
	enum ops_kind kind;
	char title[320];
	struct ops_step steps[OPS_MAX_STEPS];
	size_t nsteps;
	size_t current; /* the step running or last run */
	enum ops_outcome outcome;
	char message[1024]; /* the end, or the failure in the server's words */
	char fix[384];      /* what to do about a failure; "" when nothing */
	int64_t elapsed_ms;
	struct ops_end ends[2];  /* A, B */
	unsigned audit_failures; /* lines the audit log could not take */
};

/* Called on the running thread when step STEP changed (or STEP ==
 * OPS_MAX_STEPS: the operation ended). */
typedef void (*ops_progress_fn)(void *ctx, const struct ops_status *st, size_t step);

/* Runs PLAN (which must not be refused). Returns the outcome, also in
 * out->outcome. */
enum ops_outcome ops_run(const struct ops_env *env, const struct ops_plan *plan,
                         const atomic_bool *cancel, ops_progress_fn fn, void *ctx,
                         struct ops_status *out);

/* "peerscope peer A B" for the operation of PLAN: what to run again to
 * continue after a stop. Returns BUF. */
const char *ops_resume_hint(const struct ops_plan *plan, char *buf, size_t len);

#endif

/* store: the one place where live data meets the UI.
 *
 * The store keeps, for each configured cluster, the newest snapshot of what
 * is known about it. A snapshot is immutable once published and
 * reference-counted: the poller of a cluster builds a new one, publishes it
 * (a pointer swap under the store's mutex that also bumps a generation
 * counter), and every reader that took a reference keeps a consistent view
 * for as long as it holds it.
 *
 * The bulky parts of a snapshot (the peering list, the gateway instances,
 * the custom resources...) are store_parts: immutable, reference-counted
 * payloads. A poller that publishes after one source changed builds a new
 * part for that source only and shares the others with the previous
 * snapshot, so a publish costs a few pointer copies, not a deep copy.
 *
 * Waking the UI: store_wake_fd() is the read end of a non-blocking pipe. A
 * publish or a new event writes one byte only when no wake-up is already
 * pending, so a burst of a thousand publishes wakes the reader a handful of
 * times; the reader calls store_wake_drain() and then reads everything new.
 *
 * The activity log is a bounded ring of events (state changes across all
 * clusters, action progress), each with a sequence number, so readers can
 * ask for what came after the last one they saw.
 *
 * Thread safety: every function may be called from any thread, except that
 * a snapshot under construction belongs to its builder until published.
 */
#ifndef PEERSCOPE_STORE_H
#define PEERSCOPE_STORE_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/model.h"

/* --------------------------------------------------------------- sources */

/* Every source of data a cluster has: one endpoint, watch or poll loop.
 * Each keeps its own status, so one failing source is shown as such while
 * the others stay fresh. */
enum store_src {
	STORE_SRC_IDENTITY,            /* agent self/version + status/leader (rare) */
	STORE_SRC_PEERINGS,            /* /v1/peerings, blocking */
	STORE_SRC_STREAM,              /* /v1/peerings, plain poll: State, StreamStatus */
	STORE_SRC_GATEWAYS,            /* /v1/health/service/mesh-gateway, blocking */
	STORE_SRC_EXPORTS,             /* /v1/config/exported-services/default, blocking */
	STORE_SRC_MESH,                /* /v1/config/mesh/mesh, blocking */
	STORE_SRC_PROXY_DEFAULTS,      /* /v1/config/proxy-defaults/global, blocking */
	STORE_SRC_SERVICE_DEFAULTS,    /* /v1/config/service-defaults, blocking */
	STORE_SRC_INTENTIONS,          /* /v1/config/service-intentions, blocking */
	STORE_SRC_SERVICES,            /* /v1/internal/ui/services, blocking */
	STORE_SRC_ACL,                 /* ACL token, its grants, servers' versions (rare) */
	STORE_SRC_PARTITIONS,          /* /v1/partitions, for partitions: all (rare, Enterprise) */
	STORE_SRC_KUBE_CRDS,           /* discovery of consul.hashicorp.com (rare) */
	STORE_SRC_KUBE_ACCEPTORS,      /* PeeringAcceptors, list + watch */
	STORE_SRC_KUBE_DIALERS,        /* PeeringDialers, list + watch */
	STORE_SRC_KUBE_MESHES,         /* Mesh CRs, list + watch */
	STORE_SRC_KUBE_EXPORTS,        /* ExportedServices CRs, list + watch */
	STORE_SRC_KUBE_PROXY_DEFAULTS, /* ProxyDefaults CRs, list + watch */
	STORE_SRC_KUBE_INTENTIONS,     /* ServiceIntentions CRs, list + watch */
	STORE_SRC_KUBE_SECRETS,        /* Secrets labelled peering-token=true */
	STORE_SRC_KUBE_HELM,           /* the consul chart's Helm release values (rare) */
	STORE_SRC_KUBE_ACCESS,         /* access reviews (rare) */
	STORE_SRC_KUBE_CONTROLLERS,    /* the connect-injector Deployments, list + watch */
	STORE_SRC_COUNT
};

/* Stable snake_case name: "identity", "peerings", "kube_acceptors", ... */
const char *store_src_name(enum store_src src);
/* True for the sources read from the Kubernetes API. */
bool store_src_is_kube(enum store_src src);
/* True for the sources the panes' state does not wait for, read at the
 * dashboard's start only once every cluster's other sources have answered
 * and the screen shows them: the two only the prerequisite checks read
 * (acl, kube_access), and the Helm release (kube_helm), which the checks
 * read and which names a cluster's admin partition (join.c waits for it
 * there alone). */
bool store_src_held(enum store_src src);

/* What is known about how fresh one source is. */
struct store_source {
	/* UNKNOWN: not answered yet; OK; STALE: the last fetch failed and the
	 * data is from an earlier one; ERROR: failed, no data; FORBIDDEN,
	 * UNSUPPORTED: as in the model. */
	enum model_source_state state;
	bool enabled;          /* false: not polled (no kube context, for instance) */
	bool stale;            /* data shown is older than the source's last attempt */
	int64_t last_ok_ns;    /* end of the last successful fetch; 0: never */
	int64_t last_error_ns; /* when last_error happened; 0: never */
	unsigned failures;     /* consecutive failures; 0 after a success */
	long http_status;      /* of the last fetch; 0 for no response */
	/* The last error, kept after a recovery so it can still be shown; it
	 * names the cluster and URL and never holds a secret. "" for none. */
	char last_error[384];
};

/* ------------------------------------------------------------------ parts */

/* An immutable, reference-counted payload: a decoded list or entry. */
struct store_part;

/* Wraps DATA, which the part owns from now on and frees with FREE_FN when
 * the last reference goes. On allocation failure FREE_FN(DATA) is called
 * and NULL returned. */
struct store_part *store_part_new(void *data, void (*free_fn)(void *data));
struct store_part *store_part_ref(struct store_part *p);
void store_part_unref(struct store_part *p); /* NULL is fine */
const void *store_part_data(const struct store_part *p);

/* Parts for the payloads a snapshot points at. Each takes a malloc'd
 * container (and the malloc'd array inside it) and frees both, with every
 * element, when the last reference goes; on allocation failure it frees
 * them at once and returns NULL. */
struct store_service_defaults;
struct store_kube_peerings;
struct store_kube_secrets;
struct store_kube_meshes;
struct store_kube_exports;
struct store_kube_proxy_defaults;
struct store_intentions;
struct store_kube_intentions;
struct store_part *store_part_identity(struct model_cluster_identity *id);
struct store_part *store_part_peerings(struct model_peering_list *l);
/* A part of list L, whose entries borrow every string and list from those
 * of BASE's list (a part of store_part_peerings() or of this), as
 * consul_peerings_with_times() makes them: the part takes L's array, and
 * holds the part that owns the strings as long as it lives. L's shape, or
 * a new one. NULL when out of memory (L's array is freed). */
struct store_part *store_part_peerings_over(const struct model_peering_list *l,
                                            struct store_part *base);
struct store_part *store_part_instances(struct model_instance_list *l);
struct store_part *store_part_exports(struct model_exported_services_entry *e);
struct store_part *store_part_mesh(struct model_mesh_entry *e);
struct store_part *store_part_proxy_defaults(struct model_proxy_defaults_entry *e);
struct store_part *store_part_service_defaults(struct store_service_defaults *l);
struct store_part *store_part_services(struct model_service_summary_list *l);
struct store_part *store_part_kube_peerings(struct store_kube_peerings *l);
struct store_part *store_part_kube_secrets(struct store_kube_secrets *l);
struct store_part *store_part_kube_meshes(struct store_kube_meshes *l);
struct store_part *store_part_kube_exports(struct store_kube_exports *l);
struct store_part *store_part_kube_proxy_defaults(struct store_kube_proxy_defaults *l);
struct store_part *store_part_helm(struct model_kube_helm *h);
struct store_part *store_part_acl(struct model_acl_facts *f);
struct store_part *store_part_kube_access(struct model_kube_access *a);
struct store_part *store_part_partitions(struct model_strv *names);
struct store_part *store_part_intentions(struct store_intentions *l);
struct store_part *store_part_kube_intentions(struct store_kube_intentions *l);
struct store_kube_deployments;
struct store_part *store_part_kube_deployments(struct store_kube_deployments *l);

/* -------------------------------------------------------------- snapshots */

/* Lists held by a snapshot. Every pointer below is valid for the life of the
 * snapshot and never NULL once store_snapshot_new() returned: an absent list
 * is an empty one. */
struct store_kube_peerings {
	struct model_kube_peering *v;
	size_t n;
};
struct store_kube_secrets {
	struct model_kube_secret *v;
	size_t n;
};
struct store_kube_meshes {
	struct model_kube_mesh *v;
	size_t n;
};
struct store_kube_exports {
	struct model_kube_exported_services *v;
	size_t n;
};
struct store_kube_proxy_defaults {
	struct model_kube_proxy_defaults *v;
	size_t n;
};
struct store_service_defaults {
	struct model_service_defaults_entry *v;
	size_t n;
};
/* The service-intentions entries, and the ACL default policy the read
 * reported (X-Consul-Default-ACL-Policy: "allow", "deny", "" unknown): what
 * decides a call no intention matches. */
struct store_intentions {
	struct model_service_intentions_entry *v;
	size_t n;
	char default_policy[8];
};
struct store_kube_intentions {
	struct model_kube_service_intentions *v;
	size_t n;
};
/* The Deployments labelled component=connect-injector (the consul-k8s
 * controllers); when the API server refused to list or watch them (403,
 * 404), none, and REFUSED holds its answer: a refusal is an answer, not a
 * failure of the source. "" otherwise. */
struct store_kube_deployments {
	struct model_kube_deployment *v;
	size_t n;
	char *refused;
};

/* Which consul.hashicorp.com kinds the API server serves. */
struct store_crds {
	bool group_served;
	char version[32]; /* preferred version, "" when not served */
	bool peering_acceptors;
	bool peering_dialers;
	bool meshes;
	bool exported_services;
	bool proxy_defaults;
	bool service_defaults;
	bool service_intentions;
};

/* Everything known about one cluster at one moment. Readers never change
 * it; they hold a reference (store_get) and release it (store_snapshot_unref).
 */
struct store_snapshot {
	/* Set by store_publish(). */
	uint64_t generation; /* the store's generation this snapshot made */
	uint64_t seq;        /* 1, 2, ... per cluster */
	int64_t published_ns;

	/* Configuration: who this cluster is for the operator. */
	size_t index;               /* position in the configuration */
	const char *name;           /* cluster name */
	const char *context;        /* kube context, "" for a Consul-only cluster */
	const char *consul_address; /* "" when reached through the service proxy */
	bool consul_via_proxy;
	bool readonly;
	/* The exec credential plugin the cluster's connection is running
	 * while it opens ("aws"); "" otherwise. */
	char exec_plugin[128];

	/* Consul. */
	bool consul_reachable; /* the last request to Consul got an answer */
	bool has_identity;
	const struct model_cluster_identity *identity;
	const struct model_peering_list *peerings;  /* structure + stream health */
	const struct model_instance_list *gateways; /* mesh-gateway instances */
	bool has_exports;                           /* the exported-services entry exists */
	const struct model_exported_services_entry *exports;
	bool has_mesh; /* the mesh entry exists */
	const struct model_mesh_entry *mesh;
	bool has_proxy_defaults;
	const struct model_proxy_defaults_entry *proxy_defaults;
	const struct store_service_defaults *service_defaults;
	/* Local and imported services (imported ones carry peer_name). */
	const struct model_service_summary_list *services;
	/* The admin partitions read, each list above holding the records of
	 * all of them (each record names its partition); empty when the
	 * cluster reads only its token's partition (Consul CE, or no
	 * partitions configured). */
	const struct model_strv *partitions;
	const struct store_intentions *intentions;

	/* Kubernetes. */
	bool kube_configured; /* the cluster has a kube context */
	bool kube_reachable;  /* the last request to the API server got an answer */
	struct store_crds crds;
	const struct store_kube_peerings *acceptors;
	const struct store_kube_peerings *dialers;
	const struct store_kube_secrets *token_secrets; /* names and keys, never values */
	const struct store_kube_meshes *kube_meshes;
	const struct store_kube_exports *kube_exports;
	const struct store_kube_proxy_defaults *kube_proxy_defaults;
	const struct store_kube_intentions *kube_intentions;
	bool has_helm; /* a deployed release of the consul chart was read */
	const struct model_kube_helm *helm;

	/* Prerequisites (rare): Consul's ACL answers and servers' versions;
	 * Kubernetes' access reviews. */
	const struct model_acl_facts *acl;
	const struct model_kube_access *kube_access;
	/* The consul-k8s controllers' Deployments, watched. */
	const struct store_kube_deployments *controllers;

	struct store_source sources[STORE_SRC_COUNT];

	/* Private: the reference count and what the snapshot holds. */
	atomic_uint refs_;
	struct store_part *held_[STORE_SRC_COUNT];
	char *strings_; /* name, context, consul_address */
};

/* A new snapshot with one reference, for the builder to fill: the list
 * pointers point at shared empty lists and may be replaced by store_hold()
 * payloads. NULL when out of memory. */
struct store_snapshot *store_snapshot_new(size_t index, const char *name, const char *context,
                                          const char *consul_address);
/* A new snapshot for the same cluster that shares every part of PREV (one
 * more reference each) and copies its scalars and source statuses; publish
 * fields are reset. NULL when out of memory. */
struct store_snapshot *store_snapshot_derive(const struct store_snapshot *prev);
/* Keeps a reference to part P for the life of the snapshot, dropping the
 * one held for the same SLOT (a store_src) before; returns the payload, or
 * NULL when P is NULL. Only the builder calls it, before publishing. */
const void *store_hold(struct store_snapshot *s, enum store_src slot, struct store_part *p);
/* The part S holds for SLOT; NULL: none. For its builder. */
struct store_part *store_held(const struct store_snapshot *s, enum store_src slot);
struct store_snapshot *store_snapshot_ref(const struct store_snapshot *s);
void store_snapshot_unref(const struct store_snapshot *s); /* NULL is fine */

/* Age of the data of SRC at NOW_NS, in ms; -1 when it never succeeded. */
int64_t store_source_age_ms(const struct store_snapshot *s, enum store_src src, int64_t now_ns);
/* The staleness rule of a side (Consul, or Kubernetes when KUBE): it is
 * stale when it stopped answering (consul_reachable or kube_reachable is
 * false) after one of its enabled sources had answered. A source still
 * waiting on a long poll after a reconnection does not make a reachable
 * side stale, and a side that never answered is not stale but waiting or
 * down. The age is that of the side's newest data, in ms at NOW_NS (0 when
 * that is in the future); -1 when the side is not stale. */
int64_t store_side_stale_age_ms(const struct store_snapshot *s, bool kube, int64_t now_ns);
/* store_side_stale_age_ms() >= 0, for readers that need no age. */
bool store_side_stale(const struct store_snapshot *s, bool kube);
/* True when every enabled source has answered (successfully or not). */
bool store_snapshot_answered(const struct store_snapshot *s);
/* The same but for the held sources (store_src_held): the state the
 * panes show is all in. */
bool store_snapshot_state_answered(const struct store_snapshot *s);
/* True when some enabled source's last fetch failed. */
bool store_snapshot_failing(const struct store_snapshot *s);
/* True when A and B (NULL: none) hold the same data for a reader: the same
 * parts, flags and source statuses; they may differ in publish fields and
 * in the times of successes (a source that answered again with the same
 * data). A reader that showed A need not look at B. */
bool store_snapshot_same(const struct store_snapshot *a, const struct store_snapshot *b);
/* True when A and B hold the same data but for the peerings' stream times
 * (model_peering_list_same_but_times): a live peering's heartbeat, receive
 * and send move on every answer and change nothing else. True as well when
 * store_snapshot_same() is. */
bool store_snapshot_same_but_times(const struct store_snapshot *a, const struct store_snapshot *b);

/* ------------------------------------------------------------------ events */

enum store_event_level {
	STORE_EV_INFO,
	STORE_EV_WARN,
	STORE_EV_ERROR,
};

/* One line of the activity log. Texts are copies, cut to fit. */
struct store_event {
	uint64_t seq; /* 1, 2, ...; increases by one per event */
	int64_t time_ns;
	enum store_event_level level;
	char cluster[64];  /* "" for an event about no one cluster */
	char subject[128]; /* what it is about: a peering, a source; may be "" */
	char text[256];
};

/* ------------------------------------------------------------------- store */

struct store;

/* A store for NCLUSTERS clusters and an event ring of EVENT_CAPACITY
 * entries (0: 512). NULL when out of memory or the pipe cannot be made. */
struct store *store_new(size_t nclusters, size_t event_capacity);
/* Drops every snapshot and closes the pipe; no thread may use it anymore. */
void store_free(struct store *st);
size_t store_cluster_count(const struct store *st);

/* Publishes SNAP as the newest snapshot of its cluster (snap->index),
 * taking over the caller's reference: the caller must not touch it
 * afterwards. Sets generation, seq and published_ns, then wakes readers.
 * Returns the new generation. */
uint64_t store_publish(struct store *st, struct store_snapshot *snap);
/* The newest snapshot of cluster I with one more reference, or NULL when
 * none was published yet. */
struct store_snapshot *store_get(struct store *st, size_t i);
/* The newest snapshot of every cluster, taken together under the lock, so
 * they belong to one generation, returned in *gen. OUT has room for
 * store_cluster_count() entries; missing ones are NULL. Release each. */
void store_get_all(struct store *st, struct store_snapshot **out, uint64_t *gen);
uint64_t store_generation(struct store *st);

/* Read end of the wake pipe, for poll(): readable when something changed. */
int store_wake_fd(const struct store *st);
/* Empties the pipe and re-arms the wake-up; call when the fd was readable,
 * before reading the store. Returns the current generation. */
uint64_t store_wake_drain(struct store *st);
/* Wakes the readers without a new snapshot or event: something outside the
 * store changed that they show (an operation's progress). */
void store_wake(struct store *st);
/* A reader that a publish would not show anything new tells the store so,
 * and is then not woken for it: until SAME_NS (store_now_ns()'s clock; 0:
 * no more), a publish whose snapshot has the same data as its cluster's
 * previous one (store_snapshot_same()), and until TIMES_NS one that differs
 * from it only in stream times (store_snapshot_same_but_times()), does not
 * wake the reader. Any other publish, an event and store_wake() wake it as
 * always; every snapshot is published all the same. */
void store_quiet_until(struct store *st, int64_t same_ns, int64_t times_ns);
/* How many bytes were written to the pipe so far (wake-ups sent). */
uint64_t store_wakeups(struct store *st);
/* Waits until the generation is above GEN or TIMEOUT_MS passes (-1:
 * forever). Returns the generation then. For headless readers and tests. */
uint64_t store_wait(struct store *st, uint64_t gen, long timeout_ms);
/* Takes the newest snapshots of the clusters WHICH[0..N-1] (NULL: every
 * cluster, N ignored) into OUT (one entry each, NULL or references the call
 * releases first) until every one has answered (store_snapshot_answered),
 * TIMEOUT_MS passes, or *CANCEL (may be NULL) becomes true. OUT then holds
 * one reference each (NULL: none published). Returns true when every one
 * answered. */
bool store_wait_answered(struct store *st, const size_t *which, size_t n,
                         struct store_snapshot **out, long timeout_ms, const atomic_bool *cancel);

/* Appends an event (formatted text) and wakes readers. Returns its seq. */
uint64_t store_event(struct store *st, enum store_event_level level, const char *cluster,
                     const char *subject, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
uint64_t store_eventv(struct store *st, enum store_event_level level, const char *cluster,
                      const char *subject, const char *fmt, va_list ap)
        __attribute__((format(printf, 5, 0)));
/* Copies up to MAX events with seq > AFTER, oldest first, into OUT;
 * returns how many. Events pushed out of the ring are gone. */
size_t store_events_since(struct store *st, uint64_t after, struct store_event *out, size_t max);
/* Seq of the newest event, 0 when none. */
uint64_t store_last_event(struct store *st);

/* Wall-clock time in ns (CLOCK_REALTIME), the clock snapshots use. */
int64_t store_now_ns(void);

#endif

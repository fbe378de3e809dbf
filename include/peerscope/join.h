/* join: pure functions from the clusters' snapshots to what the operator
 * looks at: peering pairs with both ends, the service x peer matrix, and the
 * mesh gateways of each cluster with their effective mode.
 *
 * No I/O, no clock (the caller passes NOW), no locks. A struct join_view
 * borrows strings and structs from the snapshots it was built from: keep
 * those references until join_view_free().
 *
 * Matching the two ends of a peering (cluster A's peering named "b-alias"
 * with cluster B's named "a-alias"), first rule that applies:
 *   1. ids: the dialer's PeerID is the acceptor's ID;
 *   2. datacenters: each side's Remote.Datacenter is the other's datacenter;
 *   3. names: A's peering (or CR) is named after cluster B (its configured
 *      name or its datacenter) and B's after A.
 * An end is a peer name in a cluster AND an admin partition (Consul
 * Enterprise): rules 2 and 3 also need each side's Remote.Partition, when
 * set, to be the other end's partition. A Consul peering is in its
 * Partition; a PeeringAcceptor or PeeringDialer in the partition of the
 * cluster's consul-k8s (Helm global.adminPartitions.name), which is where
 * its controller makes the peering. An empty partition (Consul CE) is the
 * default one.
 * A peering named after a configured cluster that has no matching end there
 * is paired with an absent end in that cluster (asymmetric); one that
 * matches no configured cluster at all is one-sided.
 */
#ifndef PEERSCOPE_JOIN_H
#define PEERSCOPE_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/model.h"
#include "peerscope/store.h"

/* "No cluster": the other end of a one-sided pair. */
#define JOIN_NONE ((size_t)-1)

/* Default age after which an ACTIVE peering's last heartbeat is stale.
 * Consul sends heartbeats every 15 s. */
#define JOIN_DEFAULT_HEARTBEAT_STALE_MS 60000L

struct join_options {
	long heartbeat_stale_ms; /* 0: JOIN_DEFAULT_HEARTBEAT_STALE_MS */
};

/* ------------------------------------------------------------ peering pairs */

/* Flags of a pair; several may be set. */
enum join_flag {
	/* ACTIVE on one side, TERMINATED, DELETING or absent on the other. */
	JOIN_F_ASYMMETRIC = 1u << 0,
	/* ACTIVE, and the last heartbeat is older than the threshold (or
	 * never came). */
	JOIN_F_HEARTBEAT_STALE = 1u << 1,
	/* A PeeringAcceptor or PeeringDialer of the pair has Synced=False. */
	JOIN_F_NOT_SYNCED = 1u << 2,
	/* The dialer's token Secret (spec.peer.secret) is not in its cluster,
	 * or lacks the key. */
	JOIN_F_TOKEN_MISSING = 1u << 3,
	/* The other end is not among the configured clusters. */
	JOIN_F_ONE_SIDED = 1u << 4,
	/* A side is FAILING, TERMINATED or DELETING. */
	JOIN_F_STATE_BAD = 1u << 5,
	/* Some data of a side is stale (its source's last fetch failed). */
	JOIN_F_DATA_STALE = 1u << 6,
	/* A CR exists but Consul has no peering of that name (yet). */
	JOIN_F_CR_WITHOUT_PEERING = 1u << 7,
	/* Not known yet: an end has no Consul peering in a cluster whose
	 * peerings have not been read (or, for a one-sided pair, a configured
	 * cluster has not said who it is). Such a pair is not a problem: a side
	 * whose data has not arrived is not a side that lacks the peering. */
	JOIN_F_LOADING = 1u << 8,
};

/* One end of a pair: what one cluster knows about the peering. */
struct join_end {
	size_t cluster; /* index of the snapshot; JOIN_NONE when not configured */
	const struct store_snapshot *snap; /* NULL when cluster is JOIN_NONE */
	/* The peer name on this side (Consul's Name, the CR's metadata.name);
	 * "" when this end is absent. */
	const char *name;
	/* Its admin partition as Consul names it; "" on Consul CE. */
	const char *partition;
	const struct model_peering *peering;    /* NULL: none in Consul */
	const struct model_kube_peering *cr;    /* acceptor or dialer, or NULL */
	const struct model_kube_secret *secret; /* the CR's token Secret, or NULL */
	bool present;                           /* peering or cr is set */
	/* This end's cluster has no peerings read yet (no snapshot, or its
	 * peerings source never answered with data): an absent end is not
	 * known to be absent. */
	bool loading;
	bool acceptor; /* role known from the CR, or PeerID empty on an ID match */
	bool dialer;
	/* Age of the last heartbeat received, ms; -1 when none. */
	int64_t heartbeat_age_ms;
	/* Age of the last message received (LastReceive), ms; -1 when none. */
	int64_t receive_age_ms;
};

struct join_pair {
	/* Stable across updates, for keeping the cursor: "<a>|<b>" with the
	 * two cluster names in configuration order, or "<a>/<peer name>|" for
	 * a one-sided pair; "#<peer name>" is appended to a second pair between
	 * the same clusters. An end in an admin partition other than default
	 * writes its cluster "<cluster>/<partition>" (both ends then). */
	char id[200];
	/* Both configured: a.cluster < b.cluster (either may be absent).
	 * One-sided: a is the present end, b.cluster is JOIN_NONE. */
	struct join_end a;
	struct join_end b;
	/* For a one-sided pair: what A's peering says about the other side. */
	const char *remote_datacenter;
	unsigned flags; /* enum join_flag */
	bool healthy;   /* both ends ACTIVE, no flag except DATA_STALE */
	/* The most important problem in one line ("dialer token Secret
	 * peering-token missing on cluster-03"), "" when healthy; for a
	 * loading pair what it waits for ("cluster-03 has not answered yet"). */
	char problem[256];
};

/* ------------------------------------------------------ service x peer matrix */

enum join_cell_state {
	JOIN_CELL_OK,           /* exported here, imported there */
	JOIN_CELL_NOT_IMPORTED, /* exported, but the peer does not have it */
	JOIN_CELL_NOT_EXPORTED, /* imported there, no longer exported here */
	JOIN_CELL_PEER_UNKNOWN, /* exported to a peer not among the clusters */
	JOIN_CELL_NO_PEERING,   /* exported to a name with no peering here */
	/* Not known yet: the importing cluster's services (or a side's
	 * peerings) have not been read. Not a problem. */
	JOIN_CELL_UNKNOWN,
};
/* "ok", "not_imported", "not_exported", "peer_unknown", "no_peering",
 * "unknown". */
const char *join_cell_state_name(enum join_cell_state s);

/* Whether a peer's services may call a service, by the service-intentions
 * of the cluster that has it and its default policy (join_intent.c). */
enum join_intent {
	JOIN_INTENT_UNKNOWN,         /* the intentions were not read */
	JOIN_INTENT_ALLOWED,         /* an intention allows every service of the peer */
	JOIN_INTENT_ALLOWED_DEFAULT, /* none matches; the default policy is allow */
	JOIN_INTENT_SOME,            /* only named services, or L7 permissions */
	JOIN_INTENT_DENIED,          /* an intention denies */
	JOIN_INTENT_NO_INTENTION,    /* none matches; the default policy is deny */
};
/* "allowed", "allowed by default", "some services", "denied", "no
 * intention", "unknown". */
const char *join_intent_name(enum join_intent i);
/* Calls go through (or it is not known that they do not). */
bool join_intent_ok(enum join_intent i);

/* The intention that decided, when one did. Borrowed from the snapshot. */
struct join_intent_match {
	const char *destination; /* the entry's name, or "*" */
	const char *source;      /* the source's name, or "*" */
	enum model_intention_action action;
};

/* Whether service SOURCE (NULL: any service) of peer PEER may call SERVICE
 * on cluster S: Consul's service-intentions entries (the CRs when Consul's
 * could not be read) matched by Consul's precedence, else the default
 * policy. M (may be NULL) receives the match. */
enum join_intent join_intention(const struct store_snapshot *s, const char *service,
                                const char *peer, const char *source, struct join_intent_match *m);
/* The default policy the intentions read reported: "allow", "deny", "". */
const char *join_default_policy(const struct store_snapshot *s);

/* One (service, exporting cluster, consumer peer) combination. */
struct join_export {
	char id[200];          /* "<from>/<service>|<peer>", stable */
	const char *service;   /* the service name ("*" never appears: expanded) */
	size_t from;           /* exporting cluster */
	const char *partition; /* exporting admin partition; "" on Consul CE */
	const char *peer;      /* the consumer, as the exporting cluster names it */
	size_t to;             /* importing cluster, JOIN_NONE when unknown */
	bool exported;         /* the exporting cluster's entry lists it */
	bool imported;         /* the importing cluster lists it from this peer */
	bool wildcard;         /* exported through Name "*" */
	unsigned instances;    /* imported instances, from the importer's summary */
	unsigned healthy;      /* imported instances with no critical check */
	enum join_cell_state state;
	/* Consul Enterprise: the exporting partition has no mesh gateway
	 * registered in it (the specification requires one in the partition
	 * of the exported services and their exported-services entry). Known
	 * once the gateways were read; a problem of the row. */
	bool no_partition_gateway;
	/* May the consumer's services call it (the exporting cluster's
	 * intentions for source peer PEER)? */
	enum join_intent intent;
	/* The importing end's admin partition (the partition of TO's peering
	 * with the exporter); "" on Consul CE and when TO is unknown. */
	const char *to_partition;
};

/* ------------------------------------------------------------------- gateways */

/* Where a cluster's effective mesh gateway mode comes from. */
enum join_mode_source {
	JOIN_MODE_DEFAULT,          /* nothing set: Consul's default for peering */
	JOIN_MODE_PROXY_DEFAULTS,   /* the proxy-defaults entry (or its CR) */
	JOIN_MODE_SERVICE_DEFAULTS, /* a service's service-defaults */
	JOIN_MODE_UPSTREAM_DEFAULTS,
	JOIN_MODE_UPSTREAM_OVERRIDE,
};
const char *join_mode_source_name(enum join_mode_source s);

struct join_gateways {
	size_t cluster;
	const struct model_instance_list *instances; /* borrowed */
	unsigned total;
	unsigned healthy;         /* passing */
	enum model_mgw_mode mode; /* cluster-wide: proxy-defaults, else remote */
	enum join_mode_source mode_source;
	bool peer_through_mesh_gateways; /* Consul's mesh entry, else the CR */
	/* Peer names (borrowed) whose traffic these gateways carry: every
	 * peering of the cluster that is not being deleted or terminated. */
	const char **peers;
	size_t npeers;
	/* Services whose service-defaults or upstream settings differ from
	 * the cluster-wide mode. */
	size_t noverrides;
};

/* -------------------------------------------------------------------- view */

struct join_view {
	struct join_pair *pairs;
	size_t npairs;
	struct join_export *exports; /* sorted by service, then from, then peer */
	size_t nexports;
	/* The exports, and the pairs, are the cache's (join_build_cached), not
	 * the view's: join_view_free() leaves them, and the cache's next build
	 * changes them, so the view is freed before it. */
	bool exports_borrowed;
	bool pairs_borrowed;
	struct join_gateways *gateways; /* one per cluster with a snapshot */
	size_t ngateways;
	unsigned pairs_active; /* pairs with both ends ACTIVE */
	/* Unhealthy pairs + export mismatches, none of them from data not
	 * read yet (JOIN_F_LOADING, JOIN_CELL_UNKNOWN). */
	unsigned problems;
	/* Changes whenever a cached build computed the exports anew, stays when
	 * it reused them (equal: the exports are the same as the last build's);
	 * 0 from join_build(). */
	uint64_t exports_gen;
	/* When the passing of time alone next changes the view (a heartbeat
	 * grows stale, the age in a problem's text counts), in the clock of
	 * NOW; 0: never. */
	int64_t next_change_ns;
};

/* Joins SNAPS (index i = cluster i; NULL entries are clusters with no data
 * yet). Returns 0, or -1 when out of memory (out is then empty). */
int join_build(const struct store_snapshot *const *snaps, size_t n, int64_t now_ns,
               const struct join_options *opt, struct join_view *out);
void join_view_free(struct join_view *v);

/* The admin partition a cluster's consul-k8s runs in, where its
 * PeeringAcceptors and PeeringDialers make their peerings: the Helm
 * release's global.adminPartitions.name when admin partitions are enabled,
 * else "" (the default partition, or Consul CE). */
const char *join_kube_partition(const struct store_snapshot *s);
/* A and B name the same partition ("" and "default" do). */
bool join_partition_eq(const char *a, const char *b);
/* The cluster (an index of SNAPS[0..N), not S itself) whose consul-k8s runs
 * in admin partition PART of the Consul that S reads (the same datacenter,
 * and the same leader when both know one), with admin partitions enabled
 * in its Helm release: where a PeeringAcceptor or PeeringDialer makes its
 * peering in PART. JOIN_NONE when no snapshot says so. */
size_t join_kube_cluster_in_partition(const struct store_snapshot *const *snaps, size_t n,
                                      const struct store_snapshot *s, const char *part);

/* The problem of an export row that is not its cell state: the Enterprise
 * rule broken ("no mesh gateway in partition team-a, which exports
 * ledger"), in BUF; NULL when there is none. */
#define JOIN_PROBLEM_MAX 192
const char *join_export_problem(const struct join_export *x, char *buf, size_t len);

/* ------------------------------------------------------------ the cache */

/* What a reader that joins again and again (the dashboard) keeps from one
 * build to the next, so that a build costs in proportion to what changed:
 * each cluster's index of the services it imports, rebuilt only when that
 * cluster's services list changed, and the exports, reused as they are
 * while no list they come from changed and every pair has the same ends.
 * The cache holds a reference to the snapshots of its last build. A view
 * from join_build_cached() borrows from the cache too: free it before the
 * next build with the same cache. One cache, one thread at a time. */
struct join_cache;
struct join_cache_stats {
	unsigned index_builds;   /* import indexes built (one per cluster and services list) */
	unsigned exports_builds; /* builds that computed the exports */
	unsigned exports_reused; /* builds that reused the last build's exports */
	/* Exported rows made: a build keeps the rows of a cluster's exports
	 * towards a pair end while nothing they are made from changed. */
	unsigned long rows_made;
	unsigned pairs_reused; /* builds that judged the last build's pairs again */
};
struct join_cache *join_cache_new(void);    /* NULL when out of memory */
void join_cache_free(struct join_cache *c); /* NULL is fine */
/* join_build() with what CACHE kept from the last build. */
int join_build_cached(struct join_cache *cache, const struct store_snapshot *const *snaps, size_t n,
                      int64_t now_ns, const struct join_options *opt, struct join_view *out);
struct join_cache_stats join_cache_stats(const struct join_cache *c);

/* The pair whose id is ID, or NULL. */
const struct join_pair *join_find_pair(const struct join_view *v, const char *id);
/* The exports of SERVICE from cluster FROM (one per consumer), a run of
 * v->exports found by binary search: *N of them from the one returned
 * (NULL and 0 when none). */
const struct join_export *join_find_exports(const struct join_view *v, const char *service,
                                            size_t from, size_t *n);

/* The effective mesh gateway mode of the upstream UPSTREAM (NULL: any) of
 * service SERVICE (NULL: cluster-wide) towards PEER (NULL: any) on one
 * cluster: an upstream override for that service and peer, then the
 * service's upstream defaults, then its own mode, then proxy-defaults, then
 * Consul's default for peering (remote). Consul's entries win over the CRs,
 * which are used when Consul could not be read. */
enum model_mgw_mode join_effective_mode(const struct store_snapshot *s, const char *service,
                                        const char *upstream, const char *peer,
                                        enum join_mode_source *source);

/* Age in ms of a peering's last heartbeat at NOW_NS; -1 when none. */
int64_t join_heartbeat_age_ms(const struct model_peering *p, int64_t now_ns);

#endif

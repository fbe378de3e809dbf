/* poller: one background thread per cluster that keeps the store current.
 *
 * Each thread drives one http_multi holding all of its cluster's requests
 * at once:
 *   - Consul blocking queries (doc/api-contract.md §5) for peerings,
 *     mesh-gateway health, the exported-services, mesh, proxy-defaults and
 *     service-defaults entries and the UI service summaries: the index is
 *     reset when it goes backwards and is never sent as 0 after a response,
 *     re-requests are rate-limited by a token bucket, and the read timeout
 *     is above wait + wait/16;
 *   - a plain poll of /v1/peerings every stream interval, because State
 *     (ACTIVE, FAILING) and the StreamStatus times never wake a blocking
 *     query;
 *   - Kubernetes list then watch (resourceVersion, bookmarks, a relist on
 *     410, a new watch when the server ends one, a failed watch resumed
 *     from its resourceVersion) for PeeringAcceptors, PeeringDialers,
 *     Meshes, ExportedServices, ProxyDefaults, the Secrets labelled
 *     consul.hashicorp.com/peering-token=true and, in the chart's
 *     namespace, the Deployments labelled component=connect-injector (the
 *     consul-k8s controllers), whose refused list (403) is
 *     an answer kept for the checks, and whose watch it refuses is polled;
 *   - a GET of the API server's /version every stream interval, because a
 *     watch is silent while nothing changes: when it gets no answer, every
 *     Kubernetes source is marked stale with its error until the API server
 *     answers again, and then every watch starts over;
 *   - rarely, the cluster's identity (version, datacenter, leader),
 *     whether the consul.hashicorp.com CRDs are served, and the values of
 *     the consul chart's Helm release where its Secret is readable.
 * After every round of network activity that changed something, the thread
 * publishes a new snapshot (sharing unchanged parts with the previous one)
 * and logs state changes to the store's activity log.
 *
 * Failures are state: each source keeps its last success, last error and
 * failure count; a failing source retries with exponential backoff and full
 * jitter (backoff.h), capped (30 s by default). A cluster that is down
 * delays no other.
 * poller_stop() ends every thread in a few milliseconds, long polls or not.
 */
#ifndef PEERSCOPE_POLLER_H
#define PEERSCOPE_POLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct log_sink;
struct consul_client;
struct http_client;

#define POLLER_DEFAULT_WAIT_MS         300000L /* blocking query wait */
#define POLLER_DEFAULT_STREAM_MS       5000L   /* stream-health poll */
#define POLLER_DEFAULT_IDENTITY_MS     300000L /* identity and CRD refresh */
#define POLLER_DEFAULT_BACKOFF_BASE_MS 250L
#define POLLER_DEFAULT_BACKOFF_MAX_MS  30000L
#define POLLER_DEFAULT_WATCH_S         300
#define POLLER_DEFAULT_RATE_BURST      4
#define POLLER_DEFAULT_RATE_MS         500L   /* one re-request per this, after the burst */
#define POLLER_DEFAULT_REQUEST_MS      10000L /* plain requests: total timeout */
/* What a cluster's answers in flight may hold in bodies at once, whatever
 * it sends (each endpoint has its own, smaller cap too): with the copy a
 * growing body makes, a cluster costs at most twice this, plus a watch
 * event of at most KUBE_MAX_EVENT (twice) per watched kind. */
#define POLLER_CLUSTER_BUDGET          ((size_t)48 << 20)

/* Every field may be 0 for its default. */
struct poller_options {
	long wait_ms;
	long stream_interval_ms;
	/* The stream poll of a cluster that is steady: every peering ACTIVE
	 * (or TERMINATED, DELETING: only a write changes those), and nothing
	 * but stream times changed for this long. Rounded up to a whole number
	 * of stream intervals, so that it stays on their grid. 0, or no more
	 * than stream_interval_ms: every stream interval. */
	long steady_interval_ms;
	/* How often a Kubernetes API server that answers is probed (GET
	 * /version): rounded up to a whole number of stream intervals, so that
	 * a probe goes with a stream poll. While it does not answer, every
	 * stream interval. 0: every stream interval. */
	long probe_interval_ms;
	long identity_interval_ms;
	long backoff_base_ms;
	long backoff_max_ms;
	int watch_timeout_s;
	unsigned rate_burst;
	long rate_interval_ms;
	long request_timeout_ms;
	struct log_sink *log; /* NULL: no logging */
	/* For readers that want one answer of each source (--once, check,
	 * an operation's snapshots): a source that answered is not asked
	 * again (no blocking re-request, no watch after the list), the
	 * stream-health poll takes the peerings source's answer instead of
	 * a request of its own, and no liveness probe is sent. */
	bool once;
	/* Sources not read at all (bit 1u << enum store_src): they stay
	 * disabled in the snapshots. */
	unsigned skip;
	/* Kubernetes sources that stand in for a Consul one (kube_meshes for
	 * mesh, kube_exported_services for exported_services,
	 * kube_proxy_defaults for proxy_defaults, kube_intentions for
	 * intentions), read only once that Consul source failed without data
	 * (bit 1u << enum store_src): disabled until then. */
	unsigned lazy;
	/* The held sources (store_src_held(): the checks' and the Helm
	 * release), held at the start until every cluster's other sources
	 * have answered (not with once), also wait for
	 * poller_release_held(): the dashboard calls it once its screen shows
	 * those answers, so that their requests do not take the cores from
	 * the frame that draws them. 2 s after the start they go all the
	 * same. */
	bool hold_for_reader;
};

/* What a poller needs to know about one cluster. Pointers are borrowed and
 * must outlive the poller. */
struct poller_cluster {
	const char *name;
	const char *context;        /* "" or NULL: no Kubernetes */
	const char *consul_address; /* shown; "" or NULL: through the proxy */
	/* Namespace to watch custom resources and Secrets in; NULL or "": all
	 * namespaces. */
	const char *ns;
	/* Namespace of the consul chart's Helm release, read rarely for its
	 * values; NULL or "": not read. */
	const char *release_ns;
	bool readonly;
	/* Consul Enterprise admin partitions to read (borrowed), or every one
	 * /v1/partitions lists when partitions_all; ignored on Consul CE. */
	char *const *partitions;
	size_t npartitions;
	bool partitions_all;
	struct consul_client *consul; /* NULL: Consul could not be set up */
	const char *consul_error;     /* why, when consul is NULL */
	/* Consul with the mesh gateways' token, asked about its grants; NULL
	 * with gateway_error "" when none is configured. */
	struct consul_client *gateway_consul;
	const char *gateway_error;
	struct http_client *kube; /* NULL: no Kubernetes */
	const char *kube_error;   /* why, when a context is set but kube is NULL */
	/* NULL, or called first thing on the cluster's own thread, after it
	 * published the cluster with nothing answered yet, to set the fields
	 * above (the clients and their errors): a slow connection (an exec
	 * credential plugin, a Service lookup) then delays this cluster only,
	 * and never the first frame. */
	void (*connect)(void *ctx, size_t index, struct poller_cluster *pc);
	void *connect_ctx;
	/* The exec credential plugin connect runs ("aws"), shown in the
	 * snapshots until it returns; NULL: none. Copied. */
	const char *exec_plugin;
};

struct poller;

/* Starts one thread per cluster, publishing into ST (which must have room
 * for N clusters, index i = clusters[i]). NULL when out of memory or a
 * thread cannot start (nothing is left running then). */
struct poller *poller_start(struct store *st, const struct poller_cluster *clusters, size_t n,
                            const struct poller_options *opt);
/* Asks every thread to fetch everything again now (sources that wait in a
 * backoff retry at once). Any thread. */
void poller_refresh(struct poller *p);
/* The reader has shown every cluster's answers (hold_for_reader): the held
 * sources may start once every cluster's other sources answered too. Any
 * thread; once is enough, more are harmless. NULL is fine. */
void poller_release_held(struct poller *p);
/* Stops and joins every thread, then frees the poller. Returns within a few
 * milliseconds even with long polls in flight. NULL is fine. */
void poller_stop(struct poller *p);

#endif

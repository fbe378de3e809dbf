/* poller: what the module's files share (the state of a cluster's thread
 * and of each of its sources) and what each file offers the others. Not
 * part of the public interface.
 *
 * Each cluster thread owns everything it touches: its http_multi, one
 * struct poller_src per store source, and a private working snapshot that
 * is never published itself; publishing derives a copy of it (sharing the
 * parts) and hands that to the store. The only state shared with other
 * threads is the stop and refresh flags and the store.
 *
 * poller.c         the threads, their loop, publishing, start and stop
 * poller_consul.c  Consul sources: blocking queries, the stream poll, identity
 * poller_kube.c    Kubernetes sources: discovery, list/watch (the controllers'
 *                  Deployments among them), Helm, liveness
 * poller_src.c     the status of a source and the working snapshot
 * poller_checks.c  the prerequisites sources: ACL answers, servers' versions,
 *                  access reviews
 * poller_diff.c    the activity-log events of a publish (pure)
 * poller_part.c    Consul Enterprise admin partitions: the partitions read,
 *                  one query per partition for the partitioned sources, and
 *                  their answers merged into one list each
 * poller.c calls the others; the source files call poller_src.c; nothing
 * calls back up.
 */
#ifndef PEERSCOPE_POLLER_SRC_H
#define PEERSCOPE_POLLER_SRC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "peerscope/backoff.h"
#include "peerscope/consul.h"
#include "peerscope/http.h"
#include "peerscope/kube.h"
#include "peerscope/poller.h"
#include "peerscope/store.h"

/* next_ms of a source that has nothing scheduled. */
#define POLLER_NEVER INT64_MAX

enum poller_src_kind {
	POLLER_SK_CONSUL, /* blocking query */
	POLLER_SK_STREAM, /* plain poll on a timer */
	POLLER_SK_IDENTITY,
	POLLER_SK_CRDS,
	POLLER_SK_KUBE,       /* list then watch */
	POLLER_SK_HELM,       /* list the release Secrets, then read each */
	POLLER_SK_ACL,        /* token/self, authorize, members (poller_checks.c) */
	POLLER_SK_ACCESS,     /* access reviews (poller_checks.c) */
	POLLER_SK_PARTITIONS, /* GET /v1/partitions (poller_part.c) */
};

struct poller_cl;
struct poller_checks;
struct poller_part;

struct poller_src {
	enum store_src id;
	enum poller_src_kind kind;
	struct poller_cl *cl;
	struct http_xfer *x; /* in flight, or NULL */
	int64_t next_ms;     /* monotonic time of the next start; POLLER_NEVER: none */
	struct backoff_bucket bucket;
	struct store_source st;
	uint64_t hash; /* of the last body stored in this source's slot */
	bool has_hash;
	/* The peerings: the shape of that body (consul_peerings_times_read();
	 * 0: it could not be read) and the list it was installed as; NULL:
	 * none to compare with. */
	uint64_t shape;
	const struct model_peering_list *shaped;
	bool unreachable; /* marked stale because the cluster stopped answering */
	int step;         /* identity, CRDs: which request of the sequence */
	uint64_t index;   /* Consul blocking index */
	/* Kubernetes */
	enum kube_kind kkind;
	bool listed;
	/* The last watch failed: the next one resumes from rv with a short
	 * timeout, so that its end proves the recovery within a second (a
	 * healthy watch may stay silent for minutes). */
	bool resume;
	/* Watches fail one after the other while their lists succeed: a list
	 * then leaves the source's failure count and error as they are, so
	 * the backoff grows and the error stays. A clean end of a watch
	 * clears it. expired: 410s in a row. */
	bool watch_failing;
	unsigned expired;
	char *rv;
	struct kube_watch_parser *wp;
	struct store_part **objs; /* one part per object, each a struct kube_object */
	size_t nobjs, capobjs;
	bool objs_changed;
	bool waiting; /* a lazy source, disabled until its Consul source fails */
	/* A source the panes' state does not wait for (store_src_held():
	 * acl and kube_access, some fifty requests a cluster, and the Helm
	 * release), held at the dashboard's start until the cluster's other
	 * sources have answered (poller.c, release_held). */
	bool held;
	/* Admin partitions (poller_part.c). A cluster-wide source with fanout
	 * set is not requested: one source per partition read (part set)
	 * does its work, keeping the last body it got, and the cluster-wide
	 * one only shows their status together. */
	bool fanout;
	struct poller_part *part;
	char *body;
	size_t body_len;
	bool body_present;
	/* The controllers' Deployments: the API server's refusal to list them,
	 * kept as the answer (NULL: none); while it refuses the watch only, the
	 * list is polled every stream interval until this monotonic time. */
	char *refused;
	int64_t poll_until_ms;
};

/* The sources of one admin partition: only the partitioned ones enabled. */
struct poller_part {
	char *name;
	struct poller_src src[STORE_SRC_COUNT];
};

struct poller_cl {
	struct poller *p;
	size_t index;
	struct poller_cluster cfg;
	struct http_multi *m;
	pthread_t thread;
	bool started;
	atomic_bool refresh;
	uint64_t rng;
	struct poller_src src[STORE_SRC_COUNT];
	struct store_snapshot *work;  /* private: never published itself */
	struct store_snapshot *last;  /* the newest published, one reference */
	struct store_snapshot *empty; /* points at the shared empty lists */
	bool dirty;                   /* something to publish */
	bool index_reset;             /* an index went backwards: restart the queries */
	bool reconnected;             /* Consul answers again: restart the queries */
	/* Kubernetes liveness: a GET of /version once the API server has
	 * been silent for the probe interval, plus what every other
	 * Kubernetes request learns (poller_kube_probe()). */
	struct http_xfer *probe;
	int64_t probe_next_ms;
	int64_t kube_heard_ms; /* the API server's last answer, event or bookmark */
	bool probe_forced;     /* the next probe goes even if it was heard since */
	bool kube_down;        /* the API server stopped answering */
	bool kube_reconnected; /* it answers again: restart the watches */
	bool soft;             /* only success times changed */
	int64_t last_pub_ms;
	/* When a publish last showed more than new stream times: a steady
	 * cluster is one where this is long ago (poller_stream_period()). */
	int64_t moved_ms;
	/* Its newest publish holds a PENDING peering; and another cluster's
	 * peerings moved since (wake_pending() in poller.c). */
	atomic_bool pending;
	atomic_bool peer_moved;
	int64_t hold_until_ms;                /* held sources start by then in any case */
	bool answered;                        /* every source but the held ones answered once */
	struct model_cluster_identity *ident; /* identity being assembled */
	struct kube_discovery disc;
	struct model_kube_helm *helm; /* the newest release read so far */
	uint64_t helm_key; /* the release Secrets it was read from (kube_helm_decode_list) */
	struct poller_checks *checks; /* the prerequisites being read (poller_checks.c) */
	struct poller_part *parts;    /* the partitions read, one query each */
	size_t nparts;
	struct model_strv discovered;       /* /v1/partitions, for partitions: all */
	struct consul_peerings_times times; /* scratch of the peerings' answers */
};

struct poller {
	struct store *st;
	struct poller_options o;
	atomic_bool stop;
	/* Clusters not yet answered (poller_cl.answered), and the reader
	 * with o.hold_for_reader until poller_release_held(): the held
	 * sources of all wait for the last. */
	atomic_size_t unanswered;
	atomic_bool reader_released;
	size_t n;
	struct poller_cl *cl;
};

static inline struct log_sink *poller_log(const struct poller_cl *c)
{
	return c->p->o.log;
}

/* --------------------------------------------------------- poller_src.c */

/* Every source of the cluster, the cluster-wide ones first, then those of
 * each partition (disabled ones included): for loops over all of them. */
size_t poller_nsrc(const struct poller_cl *c);
struct poller_src *poller_src_nth(struct poller_cl *c, size_t j);

/* The next start of S in DELAY_MS (0: at once). */
void poller_src_schedule(struct poller_src *s, long delay_ms);
/* The next start of S, a periodic request, on the grid of PERIOD_MS: see
 * poller_period_next(). */
void poller_src_every(struct poller_src *s, long period_ms);
/* The first multiple of PERIOD_MS on the monotonic clock at least half a
 * period after NOW. Every cluster thread's periodic requests (the stream
 * polls, the Kubernetes probes, the identity refreshes) fall on the same
 * instants: each thread wakes once a period for all of them, and their
 * answers reach the screen together, in one wake-up of the UI. */
int64_t poller_period_next(int64_t now, long period_ms);
/* The first multiple of PERIOD_MS on the monotonic clock at or after T. */
int64_t poller_grid_ceil(int64_t t, long period_ms);
/* How long after its answer the stream poll of C goes again, on the grid
 * (poller_src_every()): every stream interval, or every steady interval
 * while C is steady, that is when every peering is ACTIVE (or PENDING,
 * DELETING, TERMINATED) and nothing but stream times moved for a steady
 * interval (poller_moved()). An ACTIVE stream's only news is then its next
 * heartbeat, which Consul sends every 15 s
 * (agent/grpc-external/services/peerstream/server.go); a PENDING one's,
 * that a dialer connected, which a dialer among the clusters shows
 * (poller.c, wake_pending()). */
long poller_stream_period(const struct poller_cl *c, int64_t now);
/* A publish of C at NOW showed more than new stream times: its stream
 * polls go every stream interval again, the next one at that grid's next
 * instant, even one the answer being published put a steady interval
 * away. */
void poller_moved(struct poller_cl *c, int64_t now);
/* Whether L holds a PENDING peering: a token that waits for its dialer. */
bool poller_peerings_pending(const struct model_peering_list *l);
/* After a success: the next request may go when the bucket allows. */
void poller_src_again(struct poller_src *s);
/* S answered with HTTP_STATUS; CHANGED: its data changed (publish now).
 * The stream poll answering unmarks the Consul sources marked stale. */
void poller_src_ok(struct poller_src *s, long http_status, bool changed);
/* S's data is new but the source still fails (a list between failing
 * watches): published, the failure and its backoff kept. */
void poller_src_data(struct poller_src *s);
/* S failed with STATUS (0: no answer): counted, logged once, shown with
 * TEXT, retried after a backoff. The stream poll getting no answer marks
 * every other Consul source stale. */
void poller_src_fail_text(struct poller_src *s, long status, const char *text);
void poller_src_fail(struct poller_src *s, const struct http_error *err);
/* The Kubernetes source that stands in for the Consul source ID when it
 * cannot be read (kube_meshes for mesh, ...); STORE_SRC_COUNT: none. */
enum store_src poller_fallback_of(enum store_src id);
/* S failed without data: a lazy source that stands in for it is enabled
 * and starts at once. */
void poller_src_wake_fallback(struct poller_src *s);
/* The state a failure with STATUS leaves S in. */
enum model_source_state poller_fail_state(const struct poller_src *s, long status);
/* Points the working snapshot's field for ID at part P (NULL: empty);
 * PRESENT tells an entry from a 404 (absent). */
void poller_install(struct poller_cl *c, enum store_src id, struct store_part *p, bool present);

/* ------------------------------------------------------ poller_consul.c */

/* Starts S's request: a blocking query (POLLER_SK_CONSUL), the plain poll
 * (POLLER_SK_STREAM) or the identity sequence. 0, or -1 with ERR. */
int poller_consul_start(struct poller_src *s, struct http_error *err);
int poller_identity_start(struct poller_src *s, struct http_error *err);
/* The index went backwards or Consul answers again: every blocking query
 * starts over. */
void poller_consul_restart(struct poller_cl *c);

/* -------------------------------------------------------- poller_kube.c */

int poller_kube_start(struct poller_src *s, struct http_error *err);
int poller_crds_start(struct poller_src *s, struct http_error *err);
int poller_helm_start(struct poller_src *s, struct http_error *err);
/* Sends the liveness probe when it is due at NOW (monotonic ms). */
void poller_kube_probe(struct poller_cl *c, int64_t now);
/* The API server answers again after a silence: every watch starts over. */
void poller_kube_restart(struct poller_cl *c);
/* Installs S's objects as a new list part in the working snapshot. */
int poller_kube_list_install(struct poller_cl *c, struct poller_src *s);
/* Frees what a Kubernetes source holds (objects, resourceVersion, parser). */
void poller_kube_src_free(struct poller_src *s);
/* What one finished Kubernetes request says about the API server's
 * liveness. */
void poller_kube_observe(struct poller_cl *c, int rc, const struct http_response *resp,
                         const struct http_error *err);

/* ------------------------------------------------------ poller_checks.c */

/* Start the "acl" (Consul) and "kube_access" (Kubernetes) sequences. */
int poller_acl_start(struct poller_src *s, struct http_error *err);
int poller_access_start(struct poller_src *s, struct http_error *err);
/* Frees the cluster's scratch of the two sequences. */
void poller_checks_free(struct poller_cl *c);

/* -------------------------------------------------------- poller_part.c */

/* True for the sources read once per partition. */
bool poller_part_id(enum store_src id);
/* Chooses the partitions to read (the configured ones, or those of
 * /v1/partitions with partitions: all, on an Enterprise server only) and
 * sets the sources up for them when they changed. */
void poller_part_update(struct poller_cl *c);
int poller_partitions_start(struct poller_src *s, struct http_error *err);
/* S (of a partition) got BODY (PRESENT false: a 404): keeps it and
 * installs the merged answers of every partition for S's slot. 0, or -1
 * with WHY when a body does not decode. */
int poller_part_install(struct poller_src *s, const char *body, size_t len, bool present, char *why,
                        size_t whylen);
/* The status of each fanned-out source from its partitions' sources. */
void poller_part_status(struct poller_cl *c);
void poller_part_free(struct poller_cl *c);

/* -------------------------------------------------------- poller_diff.c */

/* Adds to ST's activity log, for CLUSTER, what changed from OLD to NEW:
 * peerings that appeared, changed state or were removed, mesh gateways
 * registered, changing health or deregistered. Nothing when OLD is NULL or
 * its source never answered (the first list is no news). */
void poller_diff(struct store *st, const char *cluster, const struct store_snapshot *old,
                 const struct store_snapshot *new);

#endif

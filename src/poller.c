/* poller: the cluster threads, their loop, publishing, start and stop.
 * See include/peerscope/poller.h, and src/poller_src.h for how the
 * module's files share the work. */
#include "autoconfig.h"

#include "peerscope/poller.h"

#include "poller_src.h"

#include "peerscope/backoff.h"
#include "peerscope/http.h"
#include "peerscope/kube.h"
#include "peerscope/log.h"
#include "peerscope/monotime.h"
#include "peerscope/redact.h"
#include "peerscope/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest sleep of a cluster thread when nothing is due: answers, libcurl's
 * own timers, a refresh and a stop wake it earlier. It bounds how long a
 * readiness libcurl's poll misses goes unnoticed: with 60 s, a cluster that
 * came back once stayed STALE over 30 s under a sanitizer's load. It was
 * 1 s, and that second's wake-up, with libcurl's check of every open
 * connection, was most of an idle cluster thread's CPU; 5 s is the stream
 * poll's own interval, which wakes the thread anyway. A steady cluster's
 * stream poll goes every steady interval: its sleep may last as long
 * (wait_cap()), as nothing of it is coming back. */
#define POLL_CAP_MS 5000
/* The longest the held sources (held_at_start()) wait for the cluster's
 * other sources at the start (a server that takes connections and never answers). */
#define HOLD_MAX_MS 2000

/* ---------------------------------------------------------- the source table */

/* What kind of source each store source is, by its id. */
static const struct {
	enum poller_src_kind kind;
	enum kube_kind kkind;
} src_table[STORE_SRC_COUNT] = {
        [STORE_SRC_IDENTITY] = {POLLER_SK_IDENTITY, 0},
        [STORE_SRC_PEERINGS] = {POLLER_SK_CONSUL, 0},
        [STORE_SRC_STREAM] = {POLLER_SK_STREAM, 0},
        [STORE_SRC_GATEWAYS] = {POLLER_SK_CONSUL, 0},
        [STORE_SRC_EXPORTS] = {POLLER_SK_CONSUL, 0},
        [STORE_SRC_MESH] = {POLLER_SK_CONSUL, 0},
        [STORE_SRC_PROXY_DEFAULTS] = {POLLER_SK_CONSUL, 0},
        [STORE_SRC_SERVICE_DEFAULTS] = {POLLER_SK_CONSUL, 0},
        [STORE_SRC_INTENTIONS] = {POLLER_SK_CONSUL, 0},
        [STORE_SRC_SERVICES] = {POLLER_SK_CONSUL, 0},
        [STORE_SRC_ACL] = {POLLER_SK_ACL, 0},
        [STORE_SRC_PARTITIONS] = {POLLER_SK_PARTITIONS, 0},
        [STORE_SRC_KUBE_CRDS] = {POLLER_SK_CRDS, 0},
        [STORE_SRC_KUBE_ACCEPTORS] = {POLLER_SK_KUBE, KUBE_PEERING_ACCEPTOR},
        [STORE_SRC_KUBE_DIALERS] = {POLLER_SK_KUBE, KUBE_PEERING_DIALER},
        [STORE_SRC_KUBE_MESHES] = {POLLER_SK_KUBE, KUBE_MESH},
        [STORE_SRC_KUBE_EXPORTS] = {POLLER_SK_KUBE, KUBE_EXPORTED_SERVICES},
        [STORE_SRC_KUBE_PROXY_DEFAULTS] = {POLLER_SK_KUBE, KUBE_PROXY_DEFAULTS},
        [STORE_SRC_KUBE_INTENTIONS] = {POLLER_SK_KUBE, KUBE_SERVICE_INTENTIONS},
        [STORE_SRC_KUBE_SECRETS] = {POLLER_SK_KUBE, KUBE_SECRET},
        [STORE_SRC_KUBE_HELM] = {POLLER_SK_HELM, KUBE_SECRET},
        [STORE_SRC_KUBE_ACCESS] = {POLLER_SK_ACCESS, 0},
        [STORE_SRC_KUBE_CONTROLLERS] = {POLLER_SK_KUBE, KUBE_DEPLOYMENT},
};

static int src_start(struct poller_src *s, struct http_error *err)
{
	switch (s->kind) {
	case POLLER_SK_CONSUL:
	case POLLER_SK_STREAM:
		return poller_consul_start(s, err);
	case POLLER_SK_IDENTITY:
		return poller_identity_start(s, err);
	case POLLER_SK_CRDS:
		return poller_crds_start(s, err);
	case POLLER_SK_KUBE:
		return poller_kube_start(s, err);
	case POLLER_SK_HELM:
		return poller_helm_start(s, err);
	case POLLER_SK_ACL:
		return poller_acl_start(s, err);
	case POLLER_SK_ACCESS:
		return poller_access_start(s, err);
	case POLLER_SK_PARTITIONS:
		return poller_partitions_start(s, err);
	}
	return -1;
}

/* Re-requests of long polls and watches go through the bucket; timers and
 * retries after a failure do not. */
static bool uses_bucket(const struct poller_src *s)
{
	return (s->kind == POLLER_SK_CONSUL || s->kind == POLLER_SK_KUBE) && s->st.failures == 0;
}

/* A source that answered is done when one answer is all that is wanted;
 * the stream poll's answer is then the peerings source's. */
static bool done_once(const struct poller_src *s)
{
	return s->cl->p->o.once &&
	       (s->id == STORE_SRC_STREAM || (s->st.failures == 0 && s->st.last_ok_ns != 0));
}

static void src_tick(struct poller_src *s, int64_t now)
{
	struct http_error err;

	if (!s->st.enabled || s->fanout || s->x || s->held || s->next_ms > now)
		return;
	if (done_once(s)) {
		s->next_ms = POLLER_NEVER; /* nothing to wake up for */
		return;
	}
	if (uses_bucket(s)) {
		long w = backoff_bucket_take(&s->bucket, now);
		if (w > 0) {
			s->next_ms = now + w;
			return;
		}
	}
	http_error_clear(&err);
	s->next_ms = POLLER_NEVER;
	if (src_start(s, &err) != 0)
		poller_src_fail(s, &err);
}

/* ------------------------------------------------------------------ publish */

/* Whether the peerings of SNAP, C's next publish, differ from those of its
 * last in more than stream times, once they have answered before. */
static bool peerings_moved(const struct poller_cl *c, const struct store_snapshot *snap)
{
	return c->last && c->last->sources[STORE_SRC_PEERINGS].last_ok_ns != 0 &&
	       !model_peering_list_same_but_times(c->last->peerings, snap->peerings);
}

/* C's peerings moved: one may be a dialer that connected to a cluster
 * whose peering waits PENDING for it. Consul turns that one ACTIVE only
 * when it is read (poller_src.c, peering_settled()), so each cluster that
 * holds a PENDING peering polls its stream health every stream interval
 * again, from the next instant (poller_moved()). Clusters without one are
 * not woken. */
static void wake_pending(struct poller_cl *c)
{
	struct poller *p = c->p;

	for (size_t i = 0; i < p->n; i++) {
		struct poller_cl *d = &p->cl[i];
		if (d == c || !d->m || !atomic_load(&d->pending))
			continue;
		atomic_store(&d->peer_moved, true);
		http_multi_wakeup(d->m);
	}
}

static void publish(struct poller_cl *c)
{
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct poller_src *s = &c->src[i];
		if (s->kind == POLLER_SK_KUBE && s->objs_changed && poller_kube_list_install(c, s))
			log_error(poller_log(c), "%s: out of memory publishing %s", c->cfg.name,
			          store_src_name(s->id));
	}
	poller_part_status(c);
	for (size_t i = 0; i < STORE_SRC_COUNT; i++)
		c->work->sources[i] = c->src[i].st;
	struct store_snapshot *snap = store_snapshot_derive(c->work);
	if (!snap) {
		log_error(poller_log(c), "%s: out of memory publishing a snapshot", c->cfg.name);
		return;
	}
	poller_diff(c->p->st, c->cfg.name, c->last, snap);
	if (!store_snapshot_same_but_times(c->last, snap))
		poller_moved(c, monotime_ms());
	bool moved = peerings_moved(c, snap);
	atomic_store(&c->pending, poller_peerings_pending(snap->peerings));
	store_snapshot_unref(c->last);
	c->last = store_snapshot_ref(snap);
	store_publish(c->p->st, snap);
	c->dirty = false;
	c->soft = false;
	c->last_pub_ms = monotime_ms();
	if (moved && !c->p->o.once)
		wake_pending(c);
}

/* ------------------------------------------------------------------ thread */

/* The held sources (store_src_held(): those only the checks read, some
 * fifty requests a cluster, the access reviews one after the other, and
 * the Helm release) start once every other source of every cluster has
 * answered or failed, or HOLD_MAX_MS after the start: at 8 clusters they
 * took the two cores from the lists the screen waits for (all data on
 * screen at 8 x 2,000: 159 ms with the checks' sources from the start; 174
 * and 203 with the release from the start, 117 and 118 held, which is
 * some 2.3 MB to inflate a cluster). With o.hold_for_reader they also wait
 * until the reader has drawn those answers (poller_release_held()):
 * released with the last answer, they still ran beside the frame that
 * shows it. A reader that wants one answer of each does not hold them. */
static bool held_at_start(const struct poller_src *s)
{
	return store_src_held(s->id);
}

/* One of those the held sources wait for is done (cluster SELF, or the
 * reader: NULL); the last wakes every other cluster thread. */
static void count_out(struct poller *p, const struct poller_cl *self)
{
	if (atomic_fetch_sub(&p->unanswered, 1) != 1)
		return;
	for (size_t i = 0; i < p->n; i++)
		if (&p->cl[i] != self && p->cl[i].m)
			http_multi_wakeup(p->cl[i].m);
}

/* Counts the cluster out once its sources but the held ones answered; the
 * last cluster wakes the others. */
static void note_answered(struct poller_cl *c)
{
	if (c->answered)
		return;
	for (size_t k = 0; k < STORE_SRC_COUNT; k++) {
		const struct poller_src *s = &c->src[k];
		if (s->st.enabled && !s->held && !s->waiting && !s->fanout &&
		    s->st.state == MODEL_SOURCE_UNKNOWN)
			return;
	}
	c->answered = true;
	count_out(c->p, c);
}

static void release_held(struct poller_cl *c, int64_t now, bool force)
{
	bool held = false;

	note_answered(c);
	for (size_t k = 0; k < STORE_SRC_COUNT; k++)
		held |= c->src[k].held;
	bool all = atomic_load(&c->p->unanswered) == 0;
	if (!held || (!force && now < c->hold_until_ms && !all))
		return;
	for (size_t k = 0; k < STORE_SRC_COUNT; k++) {
		struct poller_src *s = &c->src[k];
		if (s->held) {
			s->held = false;
			s->next_ms = now;
		}
	}
	log_debug(poller_log(c), "%s: the held sources start: %s", c->cfg.name,
	          force  ? "a refresh"
	          : !all ? "the longest hold is over"
	          : c->p->o.hold_for_reader
	                  ? "every cluster's other sources answered and the reader showed them"
	                  : "every cluster's other sources answered");
}

static void refresh_all(struct poller_cl *c, int64_t now)
{
	release_held(c, now, true);
	for (size_t j = 0; j < poller_nsrc(c); j++) {
		struct poller_src *s = poller_src_nth(c, j);
		if (s->st.enabled && !s->fanout && !s->x)
			s->next_ms = now;
	}
	if (!c->probe) {
		c->probe_next_ms = now;
		c->probe_forced = true;
	}
}

/* Only success times changed: publish them at most once per half stream
 * interval, so idle clusters do not wake the UI for nothing. Half: the
 * periodic requests answer a few milliseconds after their instant on the
 * grid (poller_period_next()), sometimes sooner than a period after the
 * last publish, and they should not wait for it. */
static int64_t soft_due(const struct poller_cl *c)
{
	return c->last_pub_ms + c->p->o.stream_interval_ms / 2;
}

/* The longest sleep of C at NOW: POLL_CAP_MS, or the stream poll's period
 * when it is longer, that is while C is steady (poller_stream_period()). */
static long wait_cap(const struct poller_cl *c, int64_t now)
{
	long period = poller_stream_period(c, now);

	return period > POLL_CAP_MS ? period : POLL_CAP_MS;
}

static long next_wait(struct poller_cl *c, int64_t now)
{
	int64_t next = now + wait_cap(c, now);

	for (size_t j = 0; j < poller_nsrc(c); j++) {
		const struct poller_src *s = poller_src_nth(c, j);
		if (s->st.enabled && !s->fanout && !s->x && s->next_ms < next)
			next = s->next_ms;
		if (s->held && c->hold_until_ms < next)
			next = c->hold_until_ms;
	}
	if (c->probe_next_ms < next && !c->probe && c->cfg.kube && !c->p->o.once)
		next = c->probe_next_ms;
	if (c->soft) {
		int64_t due = soft_due(c);
		if (due < next)
			next = due;
	}
	return next <= now ? 0 : (long)(next - now);
}

static void src_setup_all(struct poller_cl *c);

/* The thread of C carries C's name, cut to what the kernel keeps (15
 * bytes): top -H and htop show which cluster's thread spends what. */
static void name_thread(const struct poller_cl *c)
{
#ifdef HAVE_PTHREAD_SETNAME_NP
	char name[16];

	snprintf(name, sizeof name, "%s", c->cfg.name);
	(void)pthread_setname_np(pthread_self(), name);
#else
	(void)c;
#endif
}

static void *cl_main(void *arg)
{
	struct poller_cl *c = arg;
	struct poller *p = c->p;

	name_thread(c);

	publish(c); /* the cluster exists, nothing answered yet */
	if (c->cfg.connect) {
		c->cfg.connect(c->cfg.connect_ctx, c->index, &c->cfg);
		c->cfg.connect = NULL;
		c->work->exec_plugin[0] = '\0';
		src_setup_all(c);
		c->dirty = true; /* a source that cannot run shows why at once */
	}
	while (!atomic_load(&p->stop)) {
		int64_t now = monotime_ms();
		if (atomic_exchange(&c->refresh, false))
			refresh_all(c, now);
		if (atomic_exchange(&c->peer_moved, false) &&
		    poller_peerings_pending(c->work->peerings)) {
			log_debug(poller_log(c),
			          "%s: another cluster's peerings moved: "
			          "the stream polls go every refresh again",
			          c->cfg.name);
			poller_moved(c, now);
		}
		release_held(c, now, false);
		for (size_t j = 0; j < poller_nsrc(c); j++)
			src_tick(poller_src_nth(c, j), now);
		poller_kube_probe(c, now);
		if (c->dirty)
			publish(c);
		if (http_multi_run(c->m, next_wait(c, monotime_ms())) < 0) {
			log_error(poller_log(c), "%s: libcurl's multi interface failed",
			          c->cfg.name);
			break;
		}
		if (atomic_load(&p->stop))
			break;
		if (c->index_reset || c->reconnected)
			poller_consul_restart(c);
		if (c->kube_reconnected)
			poller_kube_restart(c);
		now = monotime_ms();
		if (c->dirty || (c->soft && now >= soft_due(c)))
			publish(c);
	}
	return NULL;
}

/* ------------------------------------------------------------- start, stop */

/* MS rounded up to a whole number of INTERVALs, at least one: a period
 * that stays on the stream polls' grid. */
static long whole_intervals(long ms, long interval)
{
	return ms <= interval ? interval : (ms + interval - 1) / interval * interval;
}

static void opts_defaults(struct poller_options *o)
{
	if (o->wait_ms <= 0)
		o->wait_ms = POLLER_DEFAULT_WAIT_MS;
	if (o->stream_interval_ms <= 0)
		o->stream_interval_ms = POLLER_DEFAULT_STREAM_MS;
	o->steady_interval_ms = whole_intervals(o->steady_interval_ms, o->stream_interval_ms);
	o->probe_interval_ms = whole_intervals(o->probe_interval_ms, o->stream_interval_ms);
	if (o->identity_interval_ms <= 0)
		o->identity_interval_ms = POLLER_DEFAULT_IDENTITY_MS;
	if (o->backoff_base_ms <= 0)
		o->backoff_base_ms = POLLER_DEFAULT_BACKOFF_BASE_MS;
	if (o->backoff_max_ms <= 0)
		o->backoff_max_ms = POLLER_DEFAULT_BACKOFF_MAX_MS;
	if (o->watch_timeout_s <= 0)
		o->watch_timeout_s = POLLER_DEFAULT_WATCH_S;
	if (o->rate_burst == 0)
		o->rate_burst = POLLER_DEFAULT_RATE_BURST;
	if (o->rate_interval_ms <= 0)
		o->rate_interval_ms = POLLER_DEFAULT_RATE_MS;
	if (o->request_timeout_ms <= 0)
		o->request_timeout_ms = POLLER_DEFAULT_REQUEST_MS;
}

/* Sources that cannot run (no client) answer at once with the reason. */
static void src_setup(struct poller_cl *c, struct poller_src *s, size_t i, int64_t now)
{
	const struct poller_cluster *pc = &c->cfg;
	bool kube = store_src_is_kube((enum store_src)i);

	s->id = (enum store_src)i;
	s->kind = src_table[i].kind;
	s->kkind = src_table[i].kkind;
	s->cl = c;
	s->next_ms = now;
	s->st.enabled = true;
	s->waiting = false;
	s->held = false;
	backoff_bucket_init(&s->bucket, c->p->o.rate_burst, c->p->o.rate_interval_ms, now);
	if ((c->p->o.skip >> i) & 1u) {
		s->st.enabled = false;
		return;
	}
	if (kube && (!pc->context || !*pc->context)) {
		s->st.enabled = false;
		return;
	}
	if (s->kind == POLLER_SK_HELM && (!pc->release_ns || !*pc->release_ns)) {
		s->st.enabled = false;
		return;
	}
	if (s->kind == POLLER_SK_PARTITIONS && !pc->partitions_all) {
		s->st.enabled = false;
		return;
	}
	/* Connecting on this thread: enabled, not answered, not started. */
	if (pc->connect) {
		s->next_ms = POLLER_NEVER;
		return;
	}
	const char *why =
	        kube ? (pc->kube ? NULL : pc->kube_error) : (pc->consul ? NULL : pc->consul_error);
	if (kube ? !pc->kube : !pc->consul) {
		s->st.state = MODEL_SOURCE_ERROR;
		s->st.failures = 1;
		s->st.last_error_ns = store_now_ns();
		snprintf(s->st.last_error, sizeof s->st.last_error, "%s",
		         why && *why ? why : "no client for this cluster");
		s->next_ms = POLLER_NEVER;
		return;
	}
	/* Read only if the Consul source it stands in for fails. */
	if ((c->p->o.lazy >> i) & 1u) {
		s->st.enabled = false;
		s->waiting = true;
		s->next_ms = POLLER_NEVER;
		return;
	}
	if (held_at_start(s) && !c->p->o.once) {
		s->held = true;
		s->next_ms = POLLER_NEVER;
		c->hold_until_ms = now + HOLD_MAX_MS;
	}
}

static void src_setup_all(struct poller_cl *c)
{
	int64_t now = monotime_ms();

	for (size_t k = 0; k < STORE_SRC_COUNT; k++)
		src_setup(c, &c->src[k], k, now);
	/* A Consul source that failed at once (no client) needs its stand-in. */
	for (size_t k = 0; k < STORE_SRC_COUNT; k++)
		if (c->src[k].st.enabled && c->src[k].st.failures && !c->src[k].st.last_ok_ns)
			poller_src_wake_fallback(&c->src[k]);
}

static int cl_init(struct poller *p, struct poller_cl *c, size_t i, const struct poller_cluster *pc)
{
	c->p = p;
	c->index = i;
	c->cfg = *pc;
	atomic_init(&c->refresh, false);
	atomic_init(&c->pending, false);
	atomic_init(&c->peer_moved, false);
	c->rng = (uint64_t)store_now_ns() ^ ((uint64_t)(i + 1) << 32) ^ (uint64_t)(uintptr_t)c;
	c->m = http_multi_new();
	if (c->m)
		http_multi_set_budget(c->m, POLLER_CLUSTER_BUDGET);
	c->ident = calloc(1, sizeof *c->ident);
	c->helm = calloc(1, sizeof *c->helm);
	/* What the snapshot holds is shown: never a credential. */
	char address[512];
	redact_url(pc->consul_address, address, sizeof address);
	c->work = store_snapshot_new(i, pc->name, pc->context, address);
	c->empty = store_snapshot_new(i, "", "", "");
	if (!c->m || !c->ident || !c->helm || !c->work || !c->empty)
		return -1;
	c->work->readonly = pc->readonly;
	if (pc->connect && pc->exec_plugin)
		snprintf(c->work->exec_plugin, sizeof c->work->exec_plugin, "%s", pc->exec_plugin);
	src_setup_all(c);
	return 0;
}

static void cl_free(struct poller_cl *c)
{
	poller_part_free(c);
	http_multi_free(c->m);
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct poller_src *s = &c->src[i];
		poller_kube_src_free(s);
	}
	if (c->ident) {
		model_cluster_identity_clear(c->ident);
		free(c->ident);
	}
	kube_discovery_clear(&c->disc);
	if (c->helm) {
		model_kube_helm_clear(c->helm);
		free(c->helm);
	}
	poller_checks_free(c);
	consul_peerings_times_free(&c->times);
	store_snapshot_unref(c->work);
	store_snapshot_unref(c->last);
	store_snapshot_unref(c->empty);
}

struct poller *poller_start(struct store *st, const struct poller_cluster *clusters, size_t n,
                            const struct poller_options *opt)
{
	struct poller *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->st = st;
	if (opt)
		p->o = *opt;
	opts_defaults(&p->o);
	atomic_init(&p->stop, false);
	atomic_init(&p->unanswered, n + (p->o.hold_for_reader ? 1 : 0));
	atomic_init(&p->reader_released, false);
	p->n = n;
	p->cl = calloc(n ? n : 1, sizeof *p->cl);
	if (!p->cl)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (cl_init(p, &p->cl[i], i, &clusters[i]))
			goto fail;
	for (size_t i = 0; i < n; i++) {
		if (pthread_create(&p->cl[i].thread, NULL, cl_main, &p->cl[i]) != 0)
			goto fail;
		p->cl[i].started = true;
	}
	return p;
fail:
	poller_stop(p);
	return NULL;
}

void poller_refresh(struct poller *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		atomic_store(&p->cl[i].refresh, true);
		if (p->cl[i].m)
			http_multi_wakeup(p->cl[i].m);
	}
}

void poller_release_held(struct poller *p)
{
	if (p && p->o.hold_for_reader && !atomic_exchange(&p->reader_released, true))
		count_out(p, NULL);
}

void poller_stop(struct poller *p)
{
	if (!p)
		return;
	atomic_store(&p->stop, true);
	for (size_t i = 0; p->cl && i < p->n; i++)
		if (p->cl[i].m)
			http_multi_wakeup(p->cl[i].m);
	for (size_t i = 0; p->cl && i < p->n; i++)
		if (p->cl[i].started)
			pthread_join(p->cl[i].thread, NULL);
	for (size_t i = 0; p->cl && i < p->n; i++)
		cl_free(&p->cl[i]);
	free(p->cl);
	free(p);
}

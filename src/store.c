/* store: snapshots, generations, the wake pipe and the activity log. */
#include "autoconfig.h"

#include "peerscope/store.h"

#include "peerscope/monotime.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ sources */

static const char *const src_names[STORE_SRC_COUNT] = {
        [STORE_SRC_IDENTITY] = "identity",
        [STORE_SRC_PEERINGS] = "peerings",
        [STORE_SRC_STREAM] = "stream_health",
        [STORE_SRC_GATEWAYS] = "gateways",
        [STORE_SRC_EXPORTS] = "exported_services",
        [STORE_SRC_MESH] = "mesh",
        [STORE_SRC_PROXY_DEFAULTS] = "proxy_defaults",
        [STORE_SRC_SERVICE_DEFAULTS] = "service_defaults",
        [STORE_SRC_INTENTIONS] = "service_intentions",
        [STORE_SRC_SERVICES] = "services",
        [STORE_SRC_ACL] = "acl",
        [STORE_SRC_PARTITIONS] = "partitions",
        [STORE_SRC_KUBE_CRDS] = "kube_crds",
        [STORE_SRC_KUBE_ACCEPTORS] = "kube_acceptors",
        [STORE_SRC_KUBE_DIALERS] = "kube_dialers",
        [STORE_SRC_KUBE_MESHES] = "kube_meshes",
        [STORE_SRC_KUBE_EXPORTS] = "kube_exported_services",
        [STORE_SRC_KUBE_PROXY_DEFAULTS] = "kube_proxy_defaults",
        [STORE_SRC_KUBE_INTENTIONS] = "kube_intentions",
        [STORE_SRC_KUBE_SECRETS] = "kube_token_secrets",
        [STORE_SRC_KUBE_HELM] = "kube_helm",
        [STORE_SRC_KUBE_ACCESS] = "kube_access",
        [STORE_SRC_KUBE_CONTROLLERS] = "kube_controllers",
};

const char *store_src_name(enum store_src src)
{
	if ((unsigned)src >= STORE_SRC_COUNT)
		return "unknown";
	return src_names[src];
}

/* The Kubernetes sources are the last ones, from STORE_SRC_KUBE_CRDS on. */
_Static_assert(STORE_SRC_PARTITIONS + 1 == STORE_SRC_KUBE_CRDS &&
                       STORE_SRC_KUBE_CONTROLLERS + 1 == STORE_SRC_COUNT,
               "store_src_is_kube: the Kubernetes sources are the last ones");

bool store_src_is_kube(enum store_src src)
{
	return src >= STORE_SRC_KUBE_CRDS && src < STORE_SRC_COUNT;
}

bool store_src_held(enum store_src src)
{
	return src == STORE_SRC_ACL || src == STORE_SRC_KUBE_ACCESS || src == STORE_SRC_KUBE_HELM;
}

int64_t store_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* -------------------------------------------------------------------- parts */

struct store_part {
	atomic_uint refs;
	void *data;
	void (*free_fn)(void *data);
};

struct store_part *store_part_new(void *data, void (*free_fn)(void *data))
{
	struct store_part *p = malloc(sizeof *p);

	if (!p) {
		if (free_fn)
			free_fn(data);
		return NULL;
	}
	atomic_init(&p->refs, 1);
	p->data = data;
	p->free_fn = free_fn;
	return p;
}

struct store_part *store_part_ref(struct store_part *p)
{
	if (p)
		atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
}

void store_part_unref(struct store_part *p)
{
	if (!p)
		return;
	/* acq_rel: the last owner must see every write made before the other
	 * owners let go. */
	if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (p->free_fn)
		p->free_fn(p->data);
	free(p);
}

const void *store_part_data(const struct store_part *p)
{
	return p ? p->data : NULL;
}

/* ---------------------------------------------------------------- snapshots */

/* Shared empty lists: what a snapshot points at before a source answered. */
static const struct model_cluster_identity empty_identity = {0};
static const struct model_peering_list empty_peerings = {0};
static const struct model_instance_list empty_instances = {0};
static const struct model_exported_services_entry empty_exports = {0};
static const struct model_mesh_entry empty_mesh = {0};
static const struct model_proxy_defaults_entry empty_proxy_defaults = {0};
static const struct store_service_defaults empty_service_defaults = {0};
static const struct model_service_summary_list empty_services = {0};
static const struct store_kube_peerings empty_kube_peerings = {0};
static const struct store_kube_secrets empty_kube_secrets = {0};
static const struct store_kube_meshes empty_kube_meshes = {0};
static const struct store_kube_exports empty_kube_exports = {0};
static const struct store_kube_proxy_defaults empty_kube_proxy_defaults = {0};
static const struct model_kube_helm empty_helm = {0};
static const struct model_acl_facts empty_acl = {0};
static const struct model_kube_access empty_kube_access = {0};
static const struct model_strv empty_partitions = {0};
static const struct store_intentions empty_intentions = {0};
static const struct store_kube_intentions empty_kube_intentions = {0};
static const struct store_kube_deployments empty_kube_deployments = {.refused = (char *)""};

static void snapshot_point_empty(struct store_snapshot *s)
{
	s->identity = &empty_identity;
	s->peerings = &empty_peerings;
	s->gateways = &empty_instances;
	s->exports = &empty_exports;
	s->mesh = &empty_mesh;
	s->proxy_defaults = &empty_proxy_defaults;
	s->service_defaults = &empty_service_defaults;
	s->services = &empty_services;
	s->acceptors = &empty_kube_peerings;
	s->dialers = &empty_kube_peerings;
	s->token_secrets = &empty_kube_secrets;
	s->kube_meshes = &empty_kube_meshes;
	s->kube_exports = &empty_kube_exports;
	s->kube_proxy_defaults = &empty_kube_proxy_defaults;
	s->helm = &empty_helm;
	s->acl = &empty_acl;
	s->kube_access = &empty_kube_access;
	s->partitions = &empty_partitions;
	s->intentions = &empty_intentions;
	s->kube_intentions = &empty_kube_intentions;
	s->controllers = &empty_kube_deployments;
}

/* One allocation holds the three configuration strings, one after another. */
static char *pack_strings(const char *name, const char *context, const char *address,
                          const char **pname, const char **pcontext, const char **paddress)
{
	size_t ln = strlen(name) + 1, lc = strlen(context) + 1, la = strlen(address) + 1;
	char *buf = malloc(ln + lc + la);

	if (!buf)
		return NULL;
	memcpy(buf, name, ln);
	memcpy(buf + ln, context, lc);
	memcpy(buf + ln + lc, address, la);
	*pname = buf;
	*pcontext = buf + ln;
	*paddress = buf + ln + lc;
	return buf;
}

struct store_snapshot *store_snapshot_new(size_t index, const char *name, const char *context,
                                          const char *consul_address)
{
	struct store_snapshot *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->strings_ = pack_strings(name ? name : "", context ? context : "",
	                           consul_address ? consul_address : "", &s->name, &s->context,
	                           &s->consul_address);
	if (!s->strings_) {
		free(s);
		return NULL;
	}
	atomic_init(&s->refs_, 1);
	s->index = index;
	s->consul_via_proxy = !consul_address || !*consul_address;
	s->kube_configured = context && *context;
	snapshot_point_empty(s);
	for (size_t i = 0; i < STORE_SRC_COUNT; i++)
		s->sources[i].enabled = true;
	return s;
}

struct store_snapshot *store_snapshot_derive(const struct store_snapshot *prev)
{
	struct store_snapshot *s = malloc(sizeof *s);

	if (!s)
		return NULL;
	/* Scalars, sources and the list pointers are copied as they are: the
	 * lists live in parts, which get one more reference below. */
	memcpy(s, prev, sizeof *s);
	s->strings_ = pack_strings(prev->name, prev->context, prev->consul_address, &s->name,
	                           &s->context, &s->consul_address);
	if (!s->strings_) {
		free(s);
		return NULL;
	}
	atomic_init(&s->refs_, 1);
	s->generation = 0;
	s->seq = 0;
	s->published_ns = 0;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++)
		store_part_ref(s->held_[i]);
	return s;
}

struct store_part *store_held(const struct store_snapshot *s, enum store_src slot)
{
	return (unsigned)slot < STORE_SRC_COUNT ? s->held_[slot] : NULL;
}

const void *store_hold(struct store_snapshot *s, enum store_src slot, struct store_part *p)
{
	if ((unsigned)slot >= STORE_SRC_COUNT)
		return NULL;
	store_part_ref(p);
	store_part_unref(s->held_[slot]);
	s->held_[slot] = p;
	return store_part_data(p);
}

struct store_snapshot *store_snapshot_ref(const struct store_snapshot *s)
{
	/* The reference count is the one field readers may change. */
	struct store_snapshot *m = (struct store_snapshot *)s;

	if (m)
		atomic_fetch_add_explicit(&m->refs_, 1, memory_order_relaxed);
	return m;
}

void store_snapshot_unref(const struct store_snapshot *s)
{
	struct store_snapshot *m = (struct store_snapshot *)s;

	if (!m)
		return;
	if (atomic_fetch_sub_explicit(&m->refs_, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++)
		store_part_unref(m->held_[i]);
	free(m->strings_);
	free(m);
}

int64_t store_source_age_ms(const struct store_snapshot *s, enum store_src src, int64_t now_ns)
{
	if ((unsigned)src >= STORE_SRC_COUNT || s->sources[src].last_ok_ns == 0)
		return -1;
	int64_t d = now_ns - s->sources[src].last_ok_ns;
	return d < 0 ? 0 : d / 1000000;
}

int64_t store_side_stale_age_ms(const struct store_snapshot *s, bool kube, int64_t now_ns)
{
	int64_t newest = 0;

	if (kube ? s->kube_reachable : s->consul_reachable)
		return -1;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++)
		if (s->sources[i].enabled && store_src_is_kube((enum store_src)i) == kube &&
		    s->sources[i].last_ok_ns > newest)
			newest = s->sources[i].last_ok_ns;
	if (!newest)
		return -1;
	return now_ns > newest ? (now_ns - newest) / 1000000 : 0;
}

bool store_side_stale(const struct store_snapshot *s, bool kube)
{
	return store_side_stale_age_ms(s, kube, 0) >= 0;
}

static bool answered(const struct store_snapshot *s, bool held)
{
	for (size_t i = 0; i < STORE_SRC_COUNT; i++)
		if (s->sources[i].enabled && s->sources[i].state == MODEL_SOURCE_UNKNOWN &&
		    (held || !store_src_held((enum store_src)i)))
			return false;
	return true;
}

bool store_snapshot_answered(const struct store_snapshot *s)
{
	return answered(s, true);
}

bool store_snapshot_state_answered(const struct store_snapshot *s)
{
	return answered(s, false);
}

static bool source_same(const struct store_source *a, const struct store_source *b)
{
	return a->state == b->state && a->enabled == b->enabled && a->stale == b->stale &&
	       (a->last_ok_ns != 0) == (b->last_ok_ns != 0) &&
	       a->last_error_ns == b->last_error_ns && a->failures == b->failures &&
	       a->http_status == b->http_status && !strcmp(a->last_error, b->last_error);
}

static bool crds_same(const struct store_crds *a, const struct store_crds *b)
{
	return a->group_served == b->group_served && !strcmp(a->version, b->version) &&
	       a->peering_acceptors == b->peering_acceptors &&
	       a->peering_dialers == b->peering_dialers && a->meshes == b->meshes &&
	       a->exported_services == b->exported_services &&
	       a->proxy_defaults == b->proxy_defaults && a->service_defaults == b->service_defaults;
}

/* Same as store_snapshot_same(); with TIMES, the peerings' lists may be
 * other parts that differ only in their stream times. */
static bool same(const struct store_snapshot *a, const struct store_snapshot *b, bool times)
{
	if (a == b)
		return true;
	if (!a || !b || a->index != b->index)
		return false;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		if (!source_same(&a->sources[i], &b->sources[i]))
			return false;
		if (a->held_[i] == b->held_[i])
			continue;
		if (!times || i != STORE_SRC_PEERINGS ||
		    !model_peering_list_same_but_times(a->peerings, b->peerings))
			return false;
	}
	return a->consul_reachable == b->consul_reachable && a->has_identity == b->has_identity &&
	       a->has_exports == b->has_exports && a->has_mesh == b->has_mesh &&
	       a->has_proxy_defaults == b->has_proxy_defaults &&
	       a->kube_configured == b->kube_configured && a->kube_reachable == b->kube_reachable &&
	       a->has_helm == b->has_helm && a->consul_via_proxy == b->consul_via_proxy &&
	       a->readonly == b->readonly && crds_same(&a->crds, &b->crds) &&
	       !strcmp(a->name, b->name) && !strcmp(a->context, b->context) &&
	       !strcmp(a->consul_address, b->consul_address) &&
	       !strcmp(a->exec_plugin, b->exec_plugin);
}

bool store_snapshot_same(const struct store_snapshot *a, const struct store_snapshot *b)
{
	return same(a, b, false);
}

bool store_snapshot_same_but_times(const struct store_snapshot *a, const struct store_snapshot *b)
{
	return same(a, b, true);
}

bool store_snapshot_failing(const struct store_snapshot *s)
{
	for (size_t i = 0; i < STORE_SRC_COUNT; i++)
		if (s->sources[i].enabled && s->sources[i].failures > 0)
			return true;
	return false;
}

/* -------------------------------------------------------------------- store */

struct store {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* generation moved: for store_wait() */
	size_t n;
	struct store_snapshot **snaps; /* newest per cluster, one reference each */
	uint64_t *seqs;
	uint64_t generation;
	int wake_rd, wake_wr;
	atomic_bool wake_pending; /* a byte is in the pipe, unread */
	/* Until then a publish of the same data, or of new stream times only,
	 * does not wake the reader: store_quiet_until(). */
	_Atomic int64_t quiet_same_ns, quiet_times_ns;
	atomic_uint_fast64_t wakeups;
	struct store_event *ring;
	size_t cap;
	uint64_t last_seq; /* seq of the newest event; ring[(seq - 1) % cap] */
};

static int make_pipe(int fds[2])
{
	if (pipe(fds) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		int fl = fcntl(fds[i], F_GETFL);
		if (fl < 0 || fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) != 0 ||
		    fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0) {
			close(fds[0]);
			close(fds[1]);
			return -1;
		}
	}
	return 0;
}

struct store *store_new(size_t nclusters, size_t event_capacity)
{
	struct store *st = calloc(1, sizeof *st);
	int fds[2];

	if (!st)
		return NULL;
	st->n = nclusters;
	st->cap = event_capacity ? event_capacity : 512;
	st->snaps = calloc(nclusters ? nclusters : 1, sizeof *st->snaps);
	st->seqs = calloc(nclusters ? nclusters : 1, sizeof *st->seqs);
	st->ring = calloc(st->cap, sizeof *st->ring);
	if (!st->snaps || !st->seqs || !st->ring || make_pipe(fds) != 0)
		goto fail;
	st->wake_rd = fds[0];
	st->wake_wr = fds[1];
	atomic_init(&st->wake_pending, false);
	atomic_init(&st->quiet_same_ns, 0);
	atomic_init(&st->quiet_times_ns, 0);
	atomic_init(&st->wakeups, 0);
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->changed, NULL);
	return st;
fail:
	free(st->snaps);
	free(st->seqs);
	free(st->ring);
	free(st);
	return NULL;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		store_snapshot_unref(st->snaps[i]);
	close(st->wake_rd);
	close(st->wake_wr);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->changed);
	free(st->snaps);
	free(st->seqs);
	free(st->ring);
	free(st);
}

static void wake(struct store *st);

void store_wake(struct store *st)
{
	wake(st);
}

size_t store_cluster_count(const struct store *st)
{
	return st->n;
}

/* One byte unless one is already waiting to be read: wake-ups coalesce. */
static void wake(struct store *st)
{
	if (atomic_exchange(&st->wake_pending, true))
		return;
	ssize_t w;
	do {
		w = write(st->wake_wr, "", 1);
	} while (w < 0 && errno == EINTR);
	/* EAGAIN means the pipe is full: the reader is woken anyway. */
	atomic_fetch_add(&st->wakeups, 1);
}

void store_quiet_until(struct store *st, int64_t same_ns, int64_t times_ns)
{
	atomic_store(&st->quiet_same_ns, same_ns);
	atomic_store(&st->quiet_times_ns, times_ns);
}

uint64_t store_publish(struct store *st, struct store_snapshot *snap)
{
	struct store_snapshot *old = NULL, *mine = NULL;
	uint64_t gen;

	if (!snap)
		return store_generation(st);
	if (snap->index >= st->n) {
		store_snapshot_unref(snap);
		return store_generation(st);
	}
	pthread_mutex_lock(&st->lock);
	gen = ++st->generation;
	snap->generation = gen;
	snap->seq = ++st->seqs[snap->index];
	snap->published_ns = store_now_ns();
	old = st->snaps[snap->index];
	st->snaps[snap->index] = snap;
	bool quiet_same = snap->published_ns < atomic_load(&st->quiet_same_ns);
	bool quiet_times = snap->published_ns < atomic_load(&st->quiet_times_ns);
	if (quiet_same || quiet_times)
		mine = store_snapshot_ref(snap);
	pthread_cond_broadcast(&st->changed);
	pthread_mutex_unlock(&st->lock);
	/* Compared out of the lock: a peering's lists of services may be long. */
	bool wakes = !((quiet_times && same(old, mine, true)) ||
	               (quiet_same && !quiet_times && same(old, mine, false)));
	store_snapshot_unref(mine);
	/* Readers may still hold the old one; this drops only the store's. */
	store_snapshot_unref(old);
	if (wakes)
		wake(st);
	return gen;
}

struct store_snapshot *store_get(struct store *st, size_t i)
{
	struct store_snapshot *s = NULL;

	if (i >= st->n)
		return NULL;
	pthread_mutex_lock(&st->lock);
	s = store_snapshot_ref(st->snaps[i]);
	pthread_mutex_unlock(&st->lock);
	return s;
}

void store_get_all(struct store *st, struct store_snapshot **out, uint64_t *gen)
{
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->n; i++)
		out[i] = store_snapshot_ref(st->snaps[i]);
	if (gen)
		*gen = st->generation;
	pthread_mutex_unlock(&st->lock);
}

uint64_t store_generation(struct store *st)
{
	uint64_t g;

	pthread_mutex_lock(&st->lock);
	g = st->generation;
	pthread_mutex_unlock(&st->lock);
	return g;
}

int store_wake_fd(const struct store *st)
{
	return st->wake_rd;
}

uint64_t store_wake_drain(struct store *st)
{
	char buf[64];

	/* Read, then clear the flag, then read the generation. A publish whose
	 * wake() found the flag still set is counted in that generation; one
	 * that found it cleared writes a fresh byte. Cleared before the read,
	 * the read could take the byte of a publish racing with it and leave
	 * the flag set with the pipe empty: no later change would wake. */
	while (read(st->wake_rd, buf, sizeof buf) > 0)
		;
	atomic_store(&st->wake_pending, false);
	return store_generation(st);
}

uint64_t store_wakeups(struct store *st)
{
	return atomic_load(&st->wakeups);
}

static void deadline_after(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

uint64_t store_wait(struct store *st, uint64_t gen, long timeout_ms)
{
	struct timespec dl;
	uint64_t g;

	if (timeout_ms >= 0)
		deadline_after(&dl, timeout_ms);
	pthread_mutex_lock(&st->lock);
	while (st->generation <= gen) {
		int rc = timeout_ms < 0 ? pthread_cond_wait(&st->changed, &st->lock)
		                        : pthread_cond_timedwait(&st->changed, &st->lock, &dl);
		if (rc == ETIMEDOUT)
			break;
	}
	g = st->generation;
	pthread_mutex_unlock(&st->lock);
	return g;
}

/* The longest single wait while a cancel flag is watched. */
#define ANSWERED_SLICE_MS 100

bool store_wait_answered(struct store *st, const size_t *which, size_t n,
                         struct store_snapshot **out, long timeout_ms, const atomic_bool *cancel)
{
	int64_t deadline = monotime_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	uint64_t gen = 0;

	if (!which)
		n = st->n;
	for (;;) {
		bool all = true;
		for (size_t k = 0; k < n; k++) {
			store_snapshot_unref(out[k]);
			out[k] = NULL;
		}
		/* One generation for all: the snapshots belong together. */
		pthread_mutex_lock(&st->lock);
		for (size_t k = 0; k < n; k++) {
			size_t i = which ? which[k] : k;
			out[k] = i < st->n ? store_snapshot_ref(st->snaps[i]) : NULL;
		}
		gen = st->generation;
		pthread_mutex_unlock(&st->lock);
		for (size_t k = 0; k < n; k++)
			all = all && out[k] && store_snapshot_answered(out[k]);
		int64_t left = monotime_left_ms(deadline);
		if (all || left <= 0 || (cancel && atomic_load(cancel)))
			return all;
		if (cancel && left > ANSWERED_SLICE_MS)
			left = ANSWERED_SLICE_MS;
		store_wait(st, gen, (long)left);
	}
}

/* ------------------------------------------------------------------- events */

static void copy_text(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

uint64_t store_eventv(struct store *st, enum store_event_level level, const char *cluster,
                      const char *subject, const char *fmt, va_list ap)
{
	struct store_event ev = {.level = level, .time_ns = store_now_ns()};
	uint64_t seq;

	copy_text(ev.cluster, sizeof ev.cluster, cluster);
	copy_text(ev.subject, sizeof ev.subject, subject);
	vsnprintf(ev.text, sizeof ev.text, fmt, ap);
	pthread_mutex_lock(&st->lock);
	seq = ev.seq = ++st->last_seq;
	st->ring[(seq - 1) % st->cap] = ev;
	pthread_mutex_unlock(&st->lock);
	wake(st);
	return seq;
}

uint64_t store_event(struct store *st, enum store_event_level level, const char *cluster,
                     const char *subject, const char *fmt, ...)
{
	va_list ap;
	uint64_t seq;

	va_start(ap, fmt);
	seq = store_eventv(st, level, cluster, subject, fmt, ap);
	va_end(ap);
	return seq;
}

size_t store_events_since(struct store *st, uint64_t after, struct store_event *out, size_t max)
{
	size_t k = 0;

	pthread_mutex_lock(&st->lock);
	uint64_t first = st->last_seq > st->cap ? st->last_seq - st->cap + 1 : 1;
	if (after + 1 > first)
		first = after + 1;
	for (uint64_t seq = first; seq <= st->last_seq && k < max; seq++)
		out[k++] = st->ring[(seq - 1) % st->cap];
	pthread_mutex_unlock(&st->lock);
	return k;
}

uint64_t store_last_event(struct store *st)
{
	uint64_t s;

	pthread_mutex_lock(&st->lock);
	s = st->last_seq;
	pthread_mutex_unlock(&st->lock);
	return s;
}

/* -------------------------------------------------------------- typed parts */

/* A free function per payload type: contents, then the container. */
#define STORE_LIST_FREE(fname, type, clear)                                                        \
	static void fname(void *data)                                                              \
	{                                                                                          \
		type *l = data;                                                                    \
		if (!l)                                                                            \
			return;                                                                    \
		for (size_t i = 0; i < l->n; i++)                                                  \
			clear(&l->v[i]);                                                           \
		free(l->v);                                                                        \
		free(l);                                                                           \
	}

#define STORE_ONE_FREE(fname, type, clear)                                                         \
	static void fname(void *data)                                                              \
	{                                                                                          \
		type *e = data;                                                                    \
		if (!e)                                                                            \
			return;                                                                    \
		clear(e);                                                                          \
		free(e);                                                                           \
	}

STORE_ONE_FREE(free_identity, struct model_cluster_identity, model_cluster_identity_clear)
STORE_LIST_FREE(free_peerings, struct model_peering_list, model_peering_clear)
STORE_LIST_FREE(free_instances, struct model_instance_list, model_service_instance_clear)
STORE_ONE_FREE(free_exports, struct model_exported_services_entry,
               model_exported_services_entry_clear)
STORE_ONE_FREE(free_mesh, struct model_mesh_entry, model_mesh_entry_clear)
STORE_ONE_FREE(free_proxy_defaults, struct model_proxy_defaults_entry,
               model_proxy_defaults_entry_clear)
STORE_ONE_FREE(free_helm, struct model_kube_helm, model_kube_helm_clear)
STORE_ONE_FREE(free_acl, struct model_acl_facts, model_acl_facts_clear)
STORE_ONE_FREE(free_kube_access, struct model_kube_access, model_kube_access_clear)
STORE_LIST_FREE(free_service_defaults, struct store_service_defaults,
                model_service_defaults_entry_clear)
static void free_services(void *data)
{
	model_service_summary_list_free(data);
	free(data);
}
STORE_LIST_FREE(free_kube_peerings, struct store_kube_peerings, model_kube_peering_clear)
STORE_LIST_FREE(free_kube_secrets, struct store_kube_secrets, model_kube_secret_clear)
STORE_LIST_FREE(free_kube_meshes, struct store_kube_meshes, model_kube_mesh_clear)
STORE_LIST_FREE(free_kube_exports, struct store_kube_exports, model_kube_exported_services_clear)
STORE_LIST_FREE(free_kube_proxy_defaults, struct store_kube_proxy_defaults,
                model_kube_proxy_defaults_clear)
STORE_LIST_FREE(free_intentions, struct store_intentions, model_service_intentions_entry_clear)
STORE_LIST_FREE(free_kube_intentions, struct store_kube_intentions,
                model_kube_service_intentions_clear)

struct store_part *store_part_identity(struct model_cluster_identity *id)
{
	return store_part_new(id, free_identity);
}

static uint64_t new_shape(void)
{
	static atomic_uint_fast64_t shapes;

	return atomic_fetch_add(&shapes, 1) + 1;
}

struct store_part *store_part_peerings(struct model_peering_list *l)
{
	if (l && !l->shape)
		l->shape = new_shape();
	return store_part_new(l, free_peerings);
}

/* A list whose entries borrow their strings and lists from those of
 * OWNER's list, a part of store_part_peerings(): the array is its own. */
struct peerings_over {
	struct model_peering_list l; /* first: the part's data is the list */
	struct store_part *owner;
};

static void free_peerings_over(void *data)
{
	struct peerings_over *o = data;

	free(o->l.v);
	store_part_unref(o->owner);
	free(o);
}

struct store_part *store_part_peerings_over(const struct model_peering_list *l,
                                            struct store_part *base)
{
	struct peerings_over *o = malloc(sizeof *o);

	if (!o) {
		free(l->v);
		return NULL;
	}
	o->l = *l;
	if (!o->l.shape)
		o->l.shape = new_shape();
	/* Over a list that is itself over another: the owner of the strings,
	 * so that no chain of lists grows from one answer to the next. */
	if (base->free_fn == free_peerings_over)
		base = ((struct peerings_over *)base->data)->owner;
	o->owner = store_part_ref(base);
	return store_part_new(o, free_peerings_over);
}

struct store_part *store_part_instances(struct model_instance_list *l)
{
	return store_part_new(l, free_instances);
}

struct store_part *store_part_exports(struct model_exported_services_entry *e)
{
	return store_part_new(e, free_exports);
}

struct store_part *store_part_mesh(struct model_mesh_entry *e)
{
	return store_part_new(e, free_mesh);
}

struct store_part *store_part_proxy_defaults(struct model_proxy_defaults_entry *e)
{
	return store_part_new(e, free_proxy_defaults);
}

struct store_part *store_part_service_defaults(struct store_service_defaults *l)
{
	return store_part_new(l, free_service_defaults);
}

struct store_part *store_part_services(struct model_service_summary_list *l)
{
	return store_part_new(l, free_services);
}

struct store_part *store_part_kube_peerings(struct store_kube_peerings *l)
{
	return store_part_new(l, free_kube_peerings);
}

struct store_part *store_part_kube_secrets(struct store_kube_secrets *l)
{
	return store_part_new(l, free_kube_secrets);
}

struct store_part *store_part_kube_meshes(struct store_kube_meshes *l)
{
	return store_part_new(l, free_kube_meshes);
}

struct store_part *store_part_kube_exports(struct store_kube_exports *l)
{
	return store_part_new(l, free_kube_exports);
}

struct store_part *store_part_kube_proxy_defaults(struct store_kube_proxy_defaults *l)
{
	return store_part_new(l, free_kube_proxy_defaults);
}

struct store_part *store_part_helm(struct model_kube_helm *h)
{
	return store_part_new(h, free_helm);
}

struct store_part *store_part_acl(struct model_acl_facts *f)
{
	return store_part_new(f, free_acl);
}

struct store_part *store_part_kube_access(struct model_kube_access *a)
{
	return store_part_new(a, free_kube_access);
}

static void free_partitions(void *d)
{
	model_strv_clear(d);
	free(d);
}

struct store_part *store_part_partitions(struct model_strv *names)
{
	return store_part_new(names, free_partitions);
}

struct store_part *store_part_intentions(struct store_intentions *l)
{
	return store_part_new(l, free_intentions);
}

struct store_part *store_part_kube_intentions(struct store_kube_intentions *l)
{
	return store_part_new(l, free_kube_intentions);
}

static void free_kube_deployments(void *data)
{
	struct store_kube_deployments *l = data;

	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		model_kube_deployment_clear(&l->v[i]);
	free(l->v);
	free(l->refused);
	free(l);
}

struct store_part *store_part_kube_deployments(struct store_kube_deployments *l)
{
	return store_part_new(l, free_kube_deployments);
}

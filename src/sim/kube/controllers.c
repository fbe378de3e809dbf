/* peerscope-sim: the consul-k8s controllers (API.md §6.5, §6.6, §6.8).
 *
 * One thread serves every cluster, as a controller manager with a work
 * queue per cluster: changes in the cluster's event ring enqueue the objects
 * the real controllers watch (the CR itself; for a labelled token Secret the
 * acceptors whose status names it and the dialers whose spec names it), and
 * failed reconciles come back with exponential backoff. A reconcile reads the
 * CR under the world lock, talks to the cluster's Consul through its HTTP
 * API with the lock released (simc_call takes it itself), then writes
 * Kubernetes under the lock again. */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

/* Retry backoff, nominal (divided by --speed). The peering controllers
 * keep controller-runtime's DefaultControllerRateLimiter: per item 5 ms
 * doubling up to 1,000 s (client-go util/workqueue/default_rate_limiters.go
 * ItemExponentialFailureRateLimiter; its overall 10 qps bucket is not
 * simulated). consul-k8s gives its config-entry controllers 200 ms doubling
 * to 5 s (control-plane/controllers/configentries). */
#define CTL_BACKOFF_BASE_MS 5

#define CTL_BACKOFF_MAX_MS (1000 * 1000)

#define CTL_ENTRY_BACKOFF_BASE_MS 200

#define CTL_ENTRY_BACKOFF_MAX_MS 5000

#define CTL_IDLE_WAIT_MS 5000 /* changes broadcast; this is a safety net */

struct ctl_item {
	int rt;
	char ns[64];
	char name[254];
	int64_t due_ms; /* monotonic */
	int failures;
};

struct ctl_queue {
	struct ctl_item *items;
	size_t n, cap;
	uint64_t seen_rv; /* events up to here have been enqueued */
	bool primed;      /* the initial list has been enqueued */
};

struct simk_controllers {
	pthread_t thread;
	struct ctl_queue queues[SIM_MAX_CLUSTERS];
};

enum ctl_kind {
	CTL_ACCEPTOR,
	CTL_DIALER,
	CTL_ENTRY,
	CTL_NONE,
};

/* ------------------------------------------------------------------ queue */

static enum ctl_kind kind_of(const struct simk_state *k, int rt)
{
	const struct simk_rtype *t = simk_rtype(k, rt);

	if (!t || !t->crd)
		return CTL_NONE;
	if (strcmp(t->kind, "PeeringAcceptor") == 0)
		return CTL_ACCEPTOR;
	if (strcmp(t->kind, "PeeringDialer") == 0)
		return CTL_DIALER;
	return CTL_ENTRY;
}

/* Adds (rt, ns, name) due now; an item already queued becomes due now. */
static void enqueue(struct ctl_queue *q, int rt, const char *ns, const char *name)
{
	int64_t now = sim_mono_ms();
	struct ctl_item *it;

	for (size_t i = 0; i < q->n; i++) {
		it = &q->items[i];
		if (it->rt == rt && strcmp(it->ns, ns) == 0 && strcmp(it->name, name) == 0) {
			it->due_ms = now;
			return;
		}
	}
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		struct ctl_item *p = realloc(q->items, cap * sizeof *p);

		/* Without memory the item is dropped; the next event on the
		 * object enqueues it again. */
		if (!p)
			return;
		q->items = p;
		q->cap = cap;
	}
	it = &q->items[q->n++];
	memset(it, 0, sizeof *it);
	it->rt = rt;
	snprintf(it->ns, sizeof it->ns, "%s", ns);
	snprintf(it->name, sizeof it->name, "%s", name);
	it->due_ms = now;
}

static void enqueue_all_crs(struct sim_cluster *c, struct ctl_queue *q)
{
	for (struct simk_obj *o = c->kube->objs; o; o = o->next)
		if (kind_of(c->kube, o->rt) != CTL_NONE)
			enqueue(q, o->rt, o->ns, o->name);
}

/* A labelled token Secret changed: who watches it. */
static void enqueue_for_secret(struct sim_cluster *c, struct ctl_queue *q, const cJSON *secret)
{
	const char *label = simk_label(secret, SIMK_TOKEN_LABEL);
	const char *ns = simk_str(secret, "metadata.namespace");
	const char *name = simk_str(secret, "metadata.name");

	if (!label || strcmp(label, "true") != 0 || !ns || !name)
		return;
	for (struct simk_obj *o = c->kube->objs; o; o = o->next) {
		enum ctl_kind kind = kind_of(c->kube, o->rt);
		const char *ref = NULL;

		if (kind == CTL_ACCEPTOR)
			ref = simk_str(o->json, "status.secret.name");
		else if (kind == CTL_DIALER)
			ref = simk_str(o->json, "spec.peer.secret.name");
		if (ref && strcmp(ref, name) == 0 && strcmp(o->ns, ns) == 0)
			enqueue(q, o->rt, o->ns, o->name);
	}
}

/* Reads the cluster's new events into its queue. Lock held. The
 * controllers run in the connect-injector's pod
 * (control-plane/subcommand/inject-connect/v1controllers.go registers them
 * with the webhooks on one manager): while it is down its queue is gone,
 * and when it starts again the manager's first list enqueues every
 * resource, Terminating ones included, whose finalizers then complete. */
static void collect(struct sim_cluster *c, struct ctl_queue *q)
{
	struct simk_state *k = c->kube;

	if (k->injector_down) {
		q->n = 0;
		q->primed = false;
		return;
	}
	if (!q->primed || q->seen_rv < simk_oldest_rv(k)) {
		enqueue_all_crs(c, q);
		q->primed = true;
		q->seen_rv = k->rv;
		return;
	}
	for (size_t i = simk_events_after(k, q->seen_rv); i < k->ev_count; i++) {
		const struct simk_event *ev = simk_event_at(k, i);

		if (kind_of(k, ev->rt) != CTL_NONE)
			enqueue(q, ev->rt, simk_str(ev->obj, "metadata.namespace"),
			        simk_str(ev->obj, "metadata.name"));
		else if (ev->rt == SIMK_RT_SECRETS)
			enqueue_for_secret(c, q, ev->obj);
	}
	q->seen_rv = k->rv;
}

/* ------------------------------------------------------------------ loop */

static bool reconcile(struct sim_cluster *c, const struct ctl_item *it)
{
	switch (kind_of(c->kube, it->rt)) {
	case CTL_ACCEPTOR:
	case CTL_DIALER:
		return simk_reconcile_peering(c, it->rt, it->ns, it->name);
	case CTL_ENTRY:
		return simk_reconcile_entry(c, it->rt, it->ns, it->name);
	default:
		return true;
	}
}

/* The cluster and queue index of the earliest item; -1 when none. */
static int earliest(struct sim_world *w, struct simk_controllers *ctl, size_t *idx, int64_t *due)
{
	int best = -1;

	*due = INT64_MAX;
	for (int i = 0; i < w->nclusters; i++) {
		struct ctl_queue *q = &ctl->queues[i];

		if (!w->clusters[i].running || !w->clusters[i].kube ||
		    !w->clusters[i].install.connect_inject_enabled)
			continue;
		for (size_t j = 0; j < q->n; j++)
			if (q->items[j].due_ms < *due) {
				*due = q->items[j].due_ms;
				*idx = j;
				best = i;
			}
	}
	return best;
}

static struct ctl_item *find_item(struct ctl_queue *q, const struct ctl_item *key)
{
	for (size_t j = 0; j < q->n; j++)
		if (q->items[j].rt == key->rt && strcmp(q->items[j].ns, key->ns) == 0 &&
		    strcmp(q->items[j].name, key->name) == 0)
			return &q->items[j];
	return NULL;
}

int64_t simk_controller_backoff_ms(bool config_entry, int failures)
{
	int64_t base = config_entry ? CTL_ENTRY_BACKOFF_BASE_MS : CTL_BACKOFF_BASE_MS;
	int64_t max = config_entry ? CTL_ENTRY_BACKOFF_MAX_MS : CTL_BACKOFF_MAX_MS;
	int64_t d = base << (failures < 0 ? 0 : failures > 30 ? 30 : failures);

	return d > max ? max : d;
}

static void run_one(struct sim_world *w, struct simk_controllers *ctl, int ci, size_t idx)
{
	struct ctl_queue *q = &ctl->queues[ci];
	struct ctl_item item = q->items[idx], *again;
	int64_t delay;

	/* The item leaves the queue while it runs; an event during the run
	 * enqueues it afresh, as controller-runtime's dirty set does. */
	q->items[idx] = q->items[--q->n];
	/* A controller whose CRD is not installed does not run. */
	if (!simk_served(&w->clusters[ci], item.rt))
		return;
	pthread_mutex_unlock(&w->lock);
	if (reconcile(&w->clusters[ci], &item)) {
		pthread_mutex_lock(&w->lock);
		return;
	}
	pthread_mutex_lock(&w->lock);
	/* A failure comes back with exponential backoff. */
	delay = simk_controller_backoff_ms(kind_of(w->clusters[ci].kube, item.rt) == CTL_ENTRY,
	                                   item.failures);
	again = find_item(q, &item);
	if (!again) {
		enqueue(q, item.rt, item.ns, item.name);
		again = find_item(q, &item);
		if (!again)
			return;
		again->due_ms = sim_mono_ms() + sim_scaled_ms(w, delay);
	}
	again->failures = item.failures + 1;
}

static void *controllers_main(void *arg)
{
	struct sim_world *w = arg;
	struct simk_controllers *ctl = w->controllers;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		int64_t due, now;
		size_t idx = 0;
		int ci;

		for (int i = 0; i < w->nclusters; i++) {
			if (!w->clusters[i].kube)
				continue;
			simk_helm_refresh(&w->clusters[i]);
			simk_injector_sync(&w->clusters[i]);
			collect(&w->clusters[i], &ctl->queues[i]);
		}
		ci = earliest(w, ctl, &idx, &due);
		now = sim_mono_ms();
		if (ci >= 0 && due <= now) {
			run_one(w, ctl, ci, idx);
			continue;
		}
		sim_wait(w, due < now + CTL_IDLE_WAIT_MS ? due : now + CTL_IDLE_WAIT_MS);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int simk_controllers_start(struct sim_world *w)
{
	struct simk_controllers *ctl = calloc(1, sizeof *ctl);

	if (!ctl)
		return -1;
	w->controllers = ctl;
	if (pthread_create(&ctl->thread, NULL, controllers_main, w) != 0) {
		w->controllers = NULL;
		free(ctl);
		return -1;
	}
	return 0;
}

/* Called with world->stopping set (or about to be): wakes and joins. */
void simk_controllers_stop(struct sim_world *w)
{
	struct simk_controllers *ctl = w->controllers;

	if (!ctl)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	sim_changed(w);
	pthread_mutex_unlock(&w->lock);
	pthread_join(ctl->thread, NULL);
	for (int i = 0; i < SIM_MAX_CLUSTERS; i++)
		free(ctl->queues[i].items);
	free(ctl);
	w->controllers = NULL;
}

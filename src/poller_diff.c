/* poller, the activity log of a publish: one diff over keyed items, filled
 * in for peerings and for mesh gateways by a small descriptor each. Pure
 * apart from the events it adds to the store. See src/poller_src.h.
 *
 * An item is known by its admin partition and its name: Consul Enterprise
 * may hold a peering (or a gateway's service ID) of the same name in two
 * partitions, which are two items, and an event about an item that has a
 * partition names it. */
#include "autoconfig.h"

#include "poller_src.h"

#include "peerscope/model.h"
#include "peerscope/store.h"

#include <stdio.h>
#include <string.h>

struct diff_out {
	struct store *st;
	const char *cluster;
};

/* One kind of keyed item a snapshot holds as an array. */
struct diff_kind {
	enum store_src src; /* the source whose first answer is no news */
	size_t size;        /* of one item */
	/* The list itself (its identity: the same list is no change), its
	 * items and their number. */
	const void *(*list)(const struct store_snapshot *s, const void **items, size_t *n);
	const char *(*key)(const void *item);
	const char *(*partition)(const void *item); /* NULL or "": none (CE) */
	int (*state)(const void *item);             /* a change of state is an event */
	void (*added)(const struct diff_out *o, const void *item);
	void (*changed)(const struct diff_out *o, const void *was, const void *now);
	void (*removed)(const struct diff_out *o, const void *item);
};

static const void *item_at(const struct diff_kind *k, const void *items, size_t i)
{
	return (const char *)items + i * k->size;
}

/* The partition an item is in: "" and "default" are the same one (a CE
 * record has none, an Enterprise record of the default partition names
 * it). */
static const char *part_of(const struct diff_kind *k, const void *item)
{
	const char *p = k->partition(item);

	return p && *p && strcmp(p, "default") != 0 ? p : "";
}

/* The item of ITEMS[0..N) that is ITEM: the same name in the same
 * partition. */
static const void *find(const struct diff_kind *k, const void *items, size_t n, const void *item)
{
	const char *key = k->key(item), *part = part_of(k, item);

	for (size_t i = 0; i < n; i++) {
		const void *it = item_at(k, items, i);
		if (strcmp(k->key(it), key) == 0 && strcmp(part_of(k, it), part) == 0)
			return it;
	}
	return NULL;
}

/* " in partition P" for an item that has one, else "". */
static const char *in_part(const char *partition, char *buf, size_t len)
{
	if (!partition || !*partition)
		return "";
	snprintf(buf, len, " in partition %s", partition);
	return buf;
}

/* Items of NEW in their order (added or changed), then those of OLD that
 * are gone, in theirs. */
static void diff_kind_run(const struct diff_kind *k, const struct diff_out *o,
                          const struct store_snapshot *old, const struct store_snapshot *new)
{
	const void *ov, *nv;
	size_t on, nn;

	/* A list its source has not read yet (the first answer, or every
	 * partition's when a cluster starts reading partitions) says nothing
	 * about what came or went. */
	if (!old || old->sources[k->src].last_ok_ns == 0 || new->sources[k->src].last_ok_ns == 0)
		return;
	if (k->list(old, &ov, &on) == k->list(new, &nv, &nn))
		return;
	for (size_t i = 0; i < nn; i++) {
		const void *it = item_at(k, nv, i);
		const void *was = find(k, ov, on, it);
		if (!was)
			k->added(o, it);
		else if (k->state(was) != k->state(it))
			k->changed(o, was, it);
	}
	for (size_t i = 0; i < on; i++) {
		const void *it = item_at(k, ov, i);
		if (!find(k, nv, nn, it))
			k->removed(o, it);
	}
}

/* ---------------------------------------------------------------- peerings */

static const void *peering_list(const struct store_snapshot *s, const void **items, size_t *n)
{
	*items = s->peerings->v;
	*n = s->peerings->n;
	return s->peerings;
}

static const char *peering_key(const void *item)
{
	return ((const struct model_peering *)item)->name;
}

static const char *peering_partition(const void *item)
{
	return ((const struct model_peering *)item)->partition;
}

static int peering_state(const void *item)
{
	return (int)((const struct model_peering *)item)->state;
}

static void peering_added(const struct diff_out *o, const void *item)
{
	const struct model_peering *p = item;
	char in[96];

	store_event(o->st, STORE_EV_INFO, o->cluster, p->name, "peering %s%s appeared (%s)",
	            p->name, in_part(p->partition, in, sizeof in),
	            model_peering_state_name(p->state));
}

static void peering_changed(const struct diff_out *o, const void *was, const void *now)
{
	const struct model_peering *w = was, *p = now;
	bool bad = p->state == MODEL_PEERING_FAILING || p->state == MODEL_PEERING_TERMINATED;
	char in[96];

	store_event(o->st, bad ? STORE_EV_WARN : STORE_EV_INFO, o->cluster, p->name,
	            "peering %s%s %s -> %s", p->name, in_part(p->partition, in, sizeof in),
	            model_peering_state_name(w->state), model_peering_state_name(p->state));
}

static void peering_removed(const struct diff_out *o, const void *item)
{
	const struct model_peering *p = item;
	char in[96];

	store_event(o->st, STORE_EV_INFO, o->cluster, p->name, "peering %s%s removed", p->name,
	            in_part(p->partition, in, sizeof in));
}

/* ------------------------------------------------------------ mesh gateways */

static const void *gateway_list(const struct store_snapshot *s, const void **items, size_t *n)
{
	*items = s->gateways->v;
	*n = s->gateways->n;
	return s->gateways;
}

static const char *gateway_key(const void *item)
{
	return ((const struct model_service_instance *)item)->service_id;
}

static const char *gateway_partition(const void *item)
{
	return ((const struct model_service_instance *)item)->partition;
}

static int gateway_state(const void *item)
{
	return (int)((const struct model_service_instance *)item)->health;
}

static void gateway_added(const struct diff_out *o, const void *item)
{
	const struct model_service_instance *g = item;
	char in[96];

	store_event(o->st, STORE_EV_INFO, o->cluster, g->service_id,
	            "mesh gateway %s%s registered (%s)", g->service_id,
	            in_part(g->partition, in, sizeof in), model_health_name(g->health));
}

static void gateway_changed(const struct diff_out *o, const void *was, const void *now)
{
	const struct model_service_instance *w = was, *g = now;
	char in[96];

	store_event(o->st, g->health == MODEL_HEALTH_PASSING ? STORE_EV_INFO : STORE_EV_WARN,
	            o->cluster, g->service_id, "mesh gateway %s%s %s -> %s", g->service_id,
	            in_part(g->partition, in, sizeof in), model_health_name(w->health),
	            model_health_name(g->health));
}

static void gateway_removed(const struct diff_out *o, const void *item)
{
	const struct model_service_instance *g = item;
	char in[96];

	store_event(o->st, STORE_EV_WARN, o->cluster, g->service_id,
	            "mesh gateway %s%s deregistered", g->service_id,
	            in_part(g->partition, in, sizeof in));
}

/* ------------------------------------------------------------------- kinds */

static const struct diff_kind kinds[] = {
        {
                .src = STORE_SRC_PEERINGS,
                .size = sizeof(struct model_peering),
                .list = peering_list,
                .key = peering_key,
                .partition = peering_partition,
                .state = peering_state,
                .added = peering_added,
                .changed = peering_changed,
                .removed = peering_removed,
        },
        {
                .src = STORE_SRC_GATEWAYS,
                .size = sizeof(struct model_service_instance),
                .list = gateway_list,
                .key = gateway_key,
                .partition = gateway_partition,
                .state = gateway_state,
                .added = gateway_added,
                .changed = gateway_changed,
                .removed = gateway_removed,
        },
};

void poller_diff(struct store *st, const char *cluster, const struct store_snapshot *old,
                 const struct store_snapshot *new)
{
	const struct diff_out o = {.st = st, .cluster = cluster};

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		diff_kind_run(&kinds[i], &o, old, new);
}

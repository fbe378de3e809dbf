/* view path: how a call from a service of the importing cluster reaches a
 * service it imports, hop by hop, and how the peering's control plane
 * connects; each hop with its address and health, the first broken one
 * marked with why.
 *
 * The data path (doc/api-contract.md §3.4, §4.1; the specification's
 * "Mesh gateway modes"): the caller's sidecar goes to its own cluster's mesh
 * gateway in mode local, or straight to the exporting cluster's in mode
 * remote (the default); that gateway hands the call to the service's
 * instances, which let it in when an intention (or the default policy)
 * allows the peer. The control plane: the dialing servers reach the
 * accepting cluster through its mesh gateways when it peers through them,
 * else at the servers' addresses the token carries. */
#include "autoconfig.h"

#include "peerscope/view.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hop {
	bool arrow; /* a hop of the call after the caller's sidecar */
	char what[320];
	char health[96];
	bool broken;
	char why[320];
};

#define MAX_HOPS 8

struct path {
	struct hop v[MAX_HOPS];
	size_t n;
	char head[400];
};

static struct hop *hop(struct path *p)
{
	struct hop *h = &p->v[p->n < MAX_HOPS - 1 ? p->n++ : MAX_HOPS - 1];

	memset(h, 0, sizeof *h);
	return h;
}

static const struct join_pair *pair_of(const struct join_view *j, size_t a, size_t b)
{
	for (size_t i = 0; j && i < j->npairs; i++) {
		const struct join_pair *p = &j->pairs[i];
		if ((p->a.cluster == a && p->b.cluster == b) ||
		    (p->a.cluster == b && p->b.cluster == a))
			return p;
	}
	return NULL;
}

static const struct join_end *end_on(const struct join_pair *p, size_t c)
{
	return p->a.cluster == c ? &p->a : &p->b;
}

/* The first passing gateway of S, else the first; *PASSING how many pass. */
static const struct model_service_instance *gateway(const struct store_snapshot *s,
                                                    unsigned *passing)
{
	const struct model_service_instance *first = NULL;

	*passing = 0;
	for (size_t i = 0; i < s->gateways->n; i++) {
		const struct model_service_instance *g = &s->gateways->v[i];
		if (g->health == MODEL_HEALTH_PASSING && !(*passing)++)
			first = g;
	}
	return first ? first : s->gateways->n ? &s->gateways->v[0] : NULL;
}

static void gateway_hop(struct path *p, const struct store_snapshot *s, bool lan, const char *role,
                        const char *why_none)
{
	unsigned passing;
	const struct model_service_instance *g = gateway(s, &passing);
	const struct model_address *a = g ? (lan ? &g->lan : &g->wan) : NULL;
	struct hop *h = hop(p);

	h->arrow = true;
	if (!g) {
		snprintf(h->what, sizeof h->what, "no mesh gateway (%s, %s)", s->name, role);
		snprintf(h->health, sizeof h->health, "none");
		h->broken = true;
		snprintf(h->why, sizeof h->why, "%s: %s has no registered mesh gateway", why_none,
		         s->name);
		return;
	}
	snprintf(h->what, sizeof h->what, "%s %s:%d (%s, %s)", g->service_id,
	         a && *a->address ? a->address : g->address, a && *a->address ? a->port : g->port,
	         s->name, role);
	snprintf(h->health, sizeof h->health, "%s", model_health_name(g->health));
	if (passing == 0) {
		h->broken = true;
		snprintf(h->why, sizeof h->why, "%s: %s's mesh gateway%s %s", why_none, s->name,
		         s->gateways->n > 1 ? "s are" : " is", model_health_name(g->health));
	}
}

static const struct model_service_summary *summary(const struct store_snapshot *s,
                                                   const char *service, const char *peer)
{
	for (size_t i = 0; i < s->services->n; i++) {
		const struct model_service_summary *x = &s->services->v[i];
		if (!strcmp(x->name, service) && !strcmp(x->peer_name, peer))
			return x;
	}
	return NULL;
}

/* Is SERVICE exported by S to PEER (by name or "*"), from the default
 * partition? */
static bool exported(const struct join_view *j, size_t from, const char *service, const char *peer)
{
	size_t n;
	const struct join_export *v = join_find_exports(j, service, from, &n);

	for (size_t i = 0; i < n; i++)
		if (v[i].exported && !strcmp(v[i].peer, peer) &&
		    join_partition_eq(v[i].partition, ""))
			return true;
	return false;
}

static void export_hops(struct path *p, const struct view_input *in, size_t from, size_t to,
                        const char *service, const char *peer, const struct join_pair *pr)
{
	const struct store_snapshot *f = in->snaps[from];
	struct hop *h = hop(p);

	snprintf(h->what, sizeof h->what, "peering %s %s %s", f->name, in->ascii ? "<->" : "\u2194",
	         in->snaps[to]->name);
	if (!pr || !end_on(pr, from)->peering || !end_on(pr, to)->peering) {
		snprintf(h->health, sizeof h->health, "absent");
		h->broken = true;
		snprintf(h->why, sizeof h->why, "no peering between %s and %s", f->name,
		         in->snaps[to]->name);
	} else {
		enum model_peering_state sa = end_on(pr, from)->peering->state,
		                         sb = end_on(pr, to)->peering->state;
		snprintf(h->health, sizeof h->health, "%s", model_peering_state_name(sa));
		if (sa != MODEL_PEERING_ACTIVE || sb != MODEL_PEERING_ACTIVE) {
			h->broken = true;
			snprintf(h->why, sizeof h->why, "the peering is %s on %s and %s on %s",
			         model_peering_state_name(sa), f->name,
			         model_peering_state_name(sb), in->snaps[to]->name);
		}
	}
	h = hop(p);
	snprintf(h->what, sizeof h->what, "export: %s exports %s to peer %s", f->name, service,
	         peer);
	if (exported(in->join, from, service, peer)) {
		snprintf(h->health, sizeof h->health, "ok");
	} else {
		snprintf(h->health, sizeof h->health, "missing");
		h->broken = true;
		snprintf(h->why, sizeof h->why, "export missing: %s does not export %s to %s",
		         f->name, service, peer);
	}
}

/* The data path: mode, gateways, instances, intention. */
static void data_hops(struct path *p, const struct view_input *in, size_t from, size_t to,
                      const char *service, const char *peer, const struct join_pair *pr)
{
	const struct store_snapshot *f = in->snaps[from], *t = in->snaps[to];
	enum join_mode_source src;
	enum model_mgw_mode mode = join_effective_mode(t, NULL, NULL, NULL, &src);
	struct hop *h;

	snprintf(p->head + strlen(p->head), sizeof p->head - strlen(p->head), "    mode %s (%s)",
	         mode == MODEL_MGW_DEFAULT ? "remote" : model_mgw_mode_name(mode),
	         join_mode_source_name(src));
	h = hop(p);
	snprintf(h->what, sizeof h->what, "sidecar of a caller (%s)", t->name);
	snprintf(h->health, sizeof h->health, "-");
	if (mode == MODEL_MGW_NONE) {
		h->broken = true;
		snprintf(h->why, sizeof h->why,
		         "mode none: invalid for mesh gateways with cluster peering connections");
	}
	if (mode == MODEL_MGW_LOCAL)
		gateway_hop(p, t, true, "local", "mode local without a local gateway");
	gateway_hop(p, f, false, mode == MODEL_MGW_LOCAL ? "its gateway" : "remote",
	            "gateway critical");
	/* The instances: what the importing side sees of them. */
	const char *their = pr ? end_on(pr, to)->name : NULL;
	const struct model_service_summary *imp = their ? summary(t, service, their) : NULL;
	const struct model_service_summary *loc = summary(f, service, "");
	unsigned n = imp ? imp->instance_count : loc ? loc->instance_count : 0;
	unsigned crit = imp ? imp->checks_critical : loc ? loc->checks_critical : 0;
	h = hop(p);
	h->arrow = true;
	snprintf(h->what, sizeof h->what, "%s %s%u (%s)", service, in->ascii ? "x" : "\u00d7", n,
	         f->name);
	snprintf(h->health, sizeof h->health, "%s",
	         n == 0      ? "none"
	         : crit >= n ? "critical"
	                     : "ok");
	if (n == 0 || crit >= n) {
		h->broken = true;
		snprintf(h->why, sizeof h->why, "%s has no healthy instance of %s", f->name,
		         service);
	}
	/* The intention on the exporting side. */
	struct join_intent_match m;
	enum join_intent it = join_intention(f, service, peer, NULL, &m);
	h = hop(p);
	if (m.destination)
		snprintf(h->what, sizeof h->what, "intention: %s %s %s from peer %s", m.destination,
		         m.action == MODEL_INTENTION_ALLOW  ? "allows"
		         : m.action == MODEL_INTENTION_DENY ? "denies"
		                                            : "has L7 permissions for",
		         m.source, peer);
	else
		snprintf(h->what, sizeof h->what, "intention: none for peer %s; default policy %s",
		         peer, *join_default_policy(f) ? join_default_policy(f) : "not known");
	snprintf(h->health, sizeof h->health, "%s", join_intent_name(it));
	if (!join_intent_ok(it) && it != JOIN_INTENT_SOME) {
		h->broken = true;
		snprintf(h->why, sizeof h->why, "%s",
		         it == JOIN_INTENT_DENIED ? "an intention denies the peer"
		                                  : "no intention allows the peer and the default "
		                                    "policy is deny");
	}
}

static bool ptmg(const struct store_snapshot *s)
{
	if (s->has_mesh || s->sources[STORE_SRC_MESH].last_ok_ns)
		return s->has_mesh && s->mesh->peer_through_mesh_gateways;
	return s->kube_meshes->n > 0 && s->kube_meshes->v[0].peer_through_mesh_gateways;
}

/* The control plane: the dialer's servers to the acceptor. */
static void control_hop(struct path *p, const struct view_input *in, const struct join_pair *pr)
{
	struct hop *h;

	if (!pr || !pr->a.peering || !pr->b.peering)
		return;
	const struct join_end *dialer = pr->a.peering->peer_server_addresses.n ? &pr->a : &pr->b;
	const struct join_end *acc = dialer == &pr->a ? &pr->b : &pr->a;
	const struct store_snapshot *as = in->snaps[acc->cluster], *ds = in->snaps[dialer->cluster];
	const struct model_strv *addrs = &dialer->peering->peer_server_addresses;
	char list[200] = "";
	size_t used = 0;

	for (size_t i = 0; i < addrs->n && used < sizeof list; i++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
		                         addrs->v[i]);
	h = hop(p);
	if (ptmg(as))
		snprintf(h->what, sizeof h->what,
		         "control plane: %s dials %s through its mesh gateways (PTMG on)%s%s",
		         ds->name, as->name, *list ? ": " : "", list);
	else
		snprintf(h->what, sizeof h->what,
		         "control plane: %s dials %s's servers at the token's addresses%s%s",
		         ds->name, as->name, *list ? ": " : "", list);
	snprintf(h->health, sizeof h->health, "%s",
	         model_peering_state_name(dialer->peering->state));
}

static void build(struct path *p, const struct view_input *in, size_t from, size_t to,
                  const char *service, const char *peer)
{
	const struct join_pair *pr = pair_of(in->join, from, to);

	memset(p, 0, sizeof *p);
	snprintf(p->head, sizeof p->head, "%s: %s %s %s", service, in->snaps[to]->name,
	         in->ascii ? "->" : "\u2192", in->snaps[from]->name);
	export_hops(p, in, from, to, service, peer, pr);
	data_hops(p, in, from, to, service, peer, pr);
	control_hop(p, in, pr);
}

static bool usable(const struct view_input *in, size_t from, size_t to)
{
	return from < in->n && to < in->n && from != to && in->snaps[from] && in->snaps[to];
}

/* Appends to BUF (LEN bytes, *USED of them used); cut when full. */
__attribute__((format(printf, 4, 5))) static void put(char *buf, size_t len, size_t *used,
                                                      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	*used = n < 0 ? len : *used + (size_t)n;
}

int view_path(const struct view_input *in, size_t from, size_t to, const char *service,
              const char *peer, char **out)
{
	char buf[MAX_HOPS * 720 + 512];
	size_t used = 0;
	struct path p;
	bool marked = false;

	if (!usable(in, from, to))
		return view_append(out, "No traffic path: the data of both clusters is needed.\n");
	/* One string, one append: a matrix has many cells. */
	build(&p, in, from, to, service, peer);
	put(buf, sizeof buf, &used, "Traffic path\n%s\n", p.head);
	for (size_t i = 0; i < p.n; i++) {
		const struct hop *h = &p.v[i];
		const char *mark = " ";
		if (h->broken && !marked)
			mark = in->ascii ? "X" : "\u2717";
		put(buf, sizeof buf, &used, " %s %s %s  [%s]\n", mark,
		    h->arrow ? (in->ascii ? "->" : "\u2500\u25b6") : "  ", h->what, h->health);
		if (h->broken && !marked) {
			put(buf, sizeof buf, &used, "     first broken hop: %s\n", h->why);
			marked = true;
		}
	}
	if (!marked)
		put(buf, sizeof buf, &used, "     every hop works\n");
	return view_append(out, "%s", buf);
}

bool view_path_ok(const struct view_input *in, size_t from, size_t to, const char *service,
                  const char *peer, char *why, size_t len)
{
	struct path p;

	why[0] = '\0';
	if (!usable(in, from, to))
		return false;
	build(&p, in, from, to, service, peer);
	for (size_t i = 0; i < p.n; i++)
		if (p.v[i].broken) {
			snprintf(why, len, "%s", p.v[i].why);
			return false;
		}
	return true;
}

/* preflight: the checks of a peering pair, where both ends matter. */
#include "autoconfig.h"

#include "preflight_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cluster_of(const struct join_end *e)
{
	return e->snap ? e->snap->name : "?";
}

/* One-sided pairs have no second configured cluster: nothing to compare. */
static bool unpaired(const struct pf_pair *c, struct pf_draft *r)
{
	const struct join_pair *p = c->p;

	if (p->b.cluster != JOIN_NONE && p->a.snap && p->b.snap)
		return false;
	pf_verdict(r, PREFLIGHT_SKIP, "the peer %s is not a configured cluster",
	           *p->a.name ? p->a.name : p->b.name);
	return true;
}

/* -------------------------------------------------------------- versions */

/* Appends one end's versions; false when a version is too old. */
static bool end_versions(struct pf_draft *r, const struct join_end *e, bool *known)
{
	const struct store_snapshot *s = e->snap;
	bool ok, recent = true;

	if (!s->has_identity) {
		*known = false;
		pf_more(r, "%s Consul not read", s->name);
		return true;
	}
	recent = preflight_version_at_least(s->identity->version, 1, 14, 0, &ok) || !ok;
	pf_more(r, "%s Consul %s", s->name, s->identity->version);
	if (s->has_helm) {
		bool k8s = preflight_version_at_least(s->helm->chart_version, 1, 0, 0, &ok) || !ok;
		pf_more(r, ", consul-k8s %s", s->helm->chart_version);
		recent = recent && k8s;
	}
	return recent;
}

void pf_pair_versions(const struct pf_pair *c, struct pf_draft *r)
{
	bool known = true, recent;

	if (unpaired(c, r))
		return;
	pf_required(r, "Consul >= 1.14, consul-k8s >= 1.0.0 on both ends");
	pf_verdict(r, PREFLIGHT_OK, "%s", "");
	recent = end_versions(r, &c->p->a, &known);
	pf_more(r, "; ");
	recent = end_versions(r, &c->p->b, &known) && recent;
	if (!recent) {
		r->verdict = PREFLIGHT_FAIL;
		pf_fix(r,
		       "upgrade the older end (consul-version, consul-k8s-version on its cluster)");
	} else if (!known) {
		r->verdict = PREFLIGHT_UNKNOWN;
		pf_fix(r, "see the consul-version check of the end not read");
	}
}

/* ------------------------------------------------------- through gateways */

/* The end's cluster peers through mesh gateways; false in *known when
 * neither the mesh entry nor the Mesh resource was read. */
static bool end_ptmg(const struct pf_pair *c, const struct join_end *e, bool *known)
{
	const struct store_snapshot *s = e->snap;

	*known = pf_has_data(s, STORE_SRC_MESH) || pf_has_data(s, STORE_SRC_KUBE_MESHES);
	for (size_t i = 0; c->in->join && i < c->in->join->ngateways; i++)
		if (c->in->join->gateways[i].cluster == e->cluster)
			return c->in->join->gateways[i].peer_through_mesh_gateways;
	return false;
}

void pf_pair_ptmg(const struct pf_pair *c, struct pf_draft *r)
{
	const struct join_pair *p = c->p;
	bool ka, kb, a, b;

	if (unpaired(c, r))
		return;
	a = end_ptmg(c, &p->a, &ka);
	b = end_ptmg(c, &p->b, &kb);
	if (!ka || !kb) {
		pf_verdict(r, PREFLIGHT_UNKNOWN, "the mesh entry of %s was not read",
		           cluster_of(ka ? &p->b : &p->a));
		pf_fix(r, "see the mesh-peer-through-gateways check of %s",
		       cluster_of(ka ? &p->b : &p->a));
		return;
	}
	pf_required(r, "the same on both ends");
	pf_seen(r, "%s %s, %s %s", cluster_of(&p->a), a ? "true" : "false", cluster_of(&p->b),
	        b ? "true" : "false");
	pf_verdict(r, a == b ? PREFLIGHT_OK : PREFLIGHT_WARN,
	           "mesh Peering.PeerThroughMeshGateways: %s", r->seen);
	if (a != b)
		pf_fix(r,
		       "apply the Mesh resource with spec.peering.peerThroughMeshGateways: true on "
		       "%s, as on %s",
		       cluster_of(a ? &p->b : &p->a), cluster_of(a ? &p->a : &p->b));
}

/* ---------------------------------------------------------------- exports */

static bool end_active(const struct join_end *e)
{
	return e->peering && e->peering->state == MODEL_PEERING_ACTIVE;
}

/* The export crosses this pair: from one end's cluster to the other's,
 * under the name that end gives the peering. */
static bool crosses(const struct join_pair *p, const struct join_export *x)
{
	return (x->from == p->a.cluster && x->to == p->b.cluster && !strcmp(x->peer, p->a.name)) ||
	       (x->from == p->b.cluster && x->to == p->a.cluster && !strcmp(x->peer, p->b.name));
}

void pf_exports_imported(const struct pf_pair *c, struct pf_draft *r)
{
	const struct join_pair *p = c->p;
	const struct join_view *j = c->in->join;
	const struct join_export *first = NULL, *waiting = NULL;
	size_t n = 0, missing = 0, unknown = 0;

	if (unpaired(c, r))
		return;
	if (!end_active(&p->a) || !end_active(&p->b)) {
		const struct join_end *e = end_active(&p->a) ? &p->b : &p->a;
		pf_verdict(r, PREFLIGHT_SKIP,
		           "the peering is %s on %s; services flow once it is ACTIVE",
		           e->peering ? model_peering_state_name(e->peering->state) : "absent",
		           cluster_of(e));
		return;
	}
	pf_verdict(r, PREFLIGHT_OK, "%s", "");
	for (size_t i = 0; j && i < c->nexports; i++) {
		const struct join_export *x = &j->exports[c->exports[i]];
		if (!x->exported || !crosses(p, x))
			continue;
		n++;
		if (x->state == JOIN_CELL_NOT_IMPORTED && !missing++)
			first = x;
		if (x->state == JOIN_CELL_UNKNOWN && !unknown++)
			waiting = x;
		pf_more(r, "%s%s %s -> %s %s", n > 1 ? "; " : "", x->service,
		        c->in->snaps[x->from]->name, c->in->snaps[x->to]->name,
		        x->state == JOIN_CELL_NOT_IMPORTED ? "not imported"
		        : x->state == JOIN_CELL_UNKNOWN    ? "not read yet"
		                                           : "imported");
		if (x->state == JOIN_CELL_OK)
			pf_more(r, " (%u/%u)", x->healthy, x->instances);
	}
	if (n == 0) {
		pf_verdict(r, PREFLIGHT_SKIP, "nothing is exported over this peering");
		return;
	}
	pf_seen(r, "%zu of %zu imported", n - missing - unknown, n);
	pf_required(r, "every exported service imported");
	if (!missing && unknown) {
		r->verdict = PREFLIGHT_UNKNOWN;
		pf_fix(r, "wait until %s has answered: its services are not read yet",
		       c->in->snaps[waiting->to]->name);
		return;
	}
	if (!missing)
		return;
	r->verdict = PREFLIGHT_WARN;
	pf_fix(r,
	       "check that %s has instances on %s and that %s's mesh gateway passes; %s lists it "
	       "once Consul sends it",
	       first->service, c->in->snaps[first->from]->name, c->in->snaps[first->from]->name,
	       c->in->snaps[first->to]->name);
}

/* ------------------------------------------------------------ dialer Secret */

static const char *secret_keys(const struct model_kube_secret *s, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->nkeys && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
		                         s->keys[i].key);
	return s->nkeys ? buf : "none";
}

/* Judges one dialer end; false when it found a problem (r says which). */
static bool dialer_end(const struct join_end *e, const struct join_end *other, struct pf_draft *r)
{
	const struct model_kube_peering *cr = e->cr;
	const struct model_kube_secret *sec = e->secret;
	char keys[200], kc[200];

	if (!pf_has_data(e->snap, STORE_SRC_KUBE_SECRETS)) {
		pf_unread(e->snap, STORE_SRC_KUBE_SECRETS, "the token Secrets", r);
		return false;
	}
	pf_seen(r, "%s", cr->spec_secret.name);
	if (!sec) {
		pf_verdict(r, PREFLIGHT_FAIL,
		           "PeeringDialer %s/%s spec.peer.secret %s: no such Secret on %s",
		           cr->meta.ns, cr->meta.name, cr->spec_secret.name, cluster_of(e));
		pf_fix(r,
		       "copy the token Secret from %s (its PeeringAcceptor's Secret) to %s, "
		       "namespace %s, keeping the label " MODEL_KUBE_TOKEN_LABEL "=true",
		       other->snap ? cluster_of(other) : "the accepting cluster", cluster_of(e),
		       cr->meta.ns);
		return false;
	}
	if (!model_kube_secret_find(sec, cr->spec_secret.key)) {
		pf_verdict(r, PREFLIGHT_FAIL, "Secret %s/%s on %s has no key %s (keys: %s)",
		           sec->meta.ns, sec->meta.name, cluster_of(e), cr->spec_secret.key,
		           secret_keys(sec, keys, sizeof keys));
		pf_fix(r,
		       "%s edit peeringdialer %s: spec.peer.secret.key must name the key holding "
		       "the token",
		       pf_kubectl(e->snap, kc, sizeof kc), cr->meta.name);
		return false;
	}
	const struct model_kube_peering *acc =
	        other->cr && other->acceptor && other->cr->has_latest_version ? other->cr : NULL;
	const char *ver = sec->meta.peering_version;
	if (acc && ver && *ver && strtoull(ver, NULL, 10) < acc->latest_version) {
		pf_verdict(
		        r, PREFLIGHT_FAIL,
		        "Secret %s/%s on %s carries peering-version %s; PeeringAcceptor %s on %s "
		        "is at latestPeeringVersion %llu",
		        sec->meta.ns, sec->meta.name, cluster_of(e), ver, acc->meta.name,
		        cluster_of(other), (unsigned long long)acc->latest_version);
		pf_fix(r, "copy the acceptor's current token Secret from %s to %s again",
		       cluster_of(other), cluster_of(e));
		return false;
	}
	if (!sec->token_label) {
		pf_verdict(r, PREFLIGHT_WARN,
		           "Secret %s/%s on %s lacks the label " MODEL_KUBE_TOKEN_LABEL
		           "=true: the "
		           "dialer does not see it change",
		           sec->meta.ns, sec->meta.name, cluster_of(e));
		pf_fix(r, "%s label secret %s " MODEL_KUBE_TOKEN_LABEL "=true",
		       pf_kubectl(e->snap, kc, sizeof kc), sec->meta.name);
		return false;
	}
	pf_more(r, "%sSecret %s/%s on %s has key %s", *r->evidence ? "; " : "", sec->meta.ns,
	        sec->meta.name, cluster_of(e), cr->spec_secret.key);
	if (ver && *ver)
		pf_more(r, ", peering-version %s", ver);
	return true;
}

void pf_dialer_secret(const struct pf_pair *c, struct pf_draft *r)
{
	const struct join_end *ends[2] = {&c->p->a, &c->p->b};
	bool any = false;

	pf_required(r, "the Secret with the key, as current as the acceptor");
	for (int i = 0; i < 2; i++) {
		const struct join_end *e = ends[i];
		if (!e->present || !e->dialer || !e->cr || !e->snap)
			continue;
		if (!any)
			pf_verdict(r, PREFLIGHT_OK, "%s", "");
		any = true;
		if (!dialer_end(e, ends[1 - i], r))
			return;
	}
	if (!any)
		pf_verdict(r, PREFLIGHT_SKIP, "no PeeringDialer in this pair");
}

/* ------------------------------------------------------------- one-sided */

static bool end_live(const struct join_end *e)
{
	if (!e->present)
		return false;
	if (!e->peering)
		return true; /* a CR waiting for Consul */
	return e->peering->state != MODEL_PEERING_DELETING &&
	       e->peering->state != MODEL_PEERING_TERMINATED;
}

static const char *end_state(const struct join_end *e)
{
	if (!e->present)
		return "absent";
	return e->peering ? model_peering_state_name(e->peering->state) : "CR only";
}

void pf_one_sided(const struct pf_pair *c, struct pf_draft *r)
{
	const struct join_pair *p = c->p;
	long limit = c->in->opt && c->in->opt->one_sided_ms ? c->in->opt->one_sided_ms
	                                                    : PREFLIGHT_DEFAULT_ONE_SIDED_MS;
	const struct join_end *here, *there;
	char kc[200];

	if (unpaired(c, r))
		return;
	pf_required(r, "both ends within %lds", limit / 1000);
	pf_seen(r, "%s %s, %s %s", cluster_of(&p->a), end_state(&p->a), cluster_of(&p->b),
	        end_state(&p->b));
	if (end_live(&p->a) == end_live(&p->b)) {
		bool leftover = p->a.present || p->b.present;
		pf_verdict(r, end_live(&p->a) || !leftover ? PREFLIGHT_OK : PREFLIGHT_WARN, "%s",
		           r->seen);
		if (r->verdict == PREFLIGHT_WARN)
			pf_fix(r, "delete what is left of the peering on both ends");
		return;
	}
	here = end_live(&p->a) ? &p->a : &p->b;
	there = here == &p->a ? &p->b : &p->a;
	if (there->present) {
		pf_verdict(r, PREFLIGHT_WARN, "%s; %s deleted its end", r->seen, cluster_of(there));
		pf_fix(r, "delete the peering %s on %s too (its PeeringAcceptor or PeeringDialer)",
		       here->name, cluster_of(here));
		return;
	}
	int64_t since = here->cr ? here->cr->meta.created_ns : 0;
	if (!since) {
		pf_verdict(r, PREFLIGHT_UNKNOWN,
		           "%s; since when is not known (no custom resource with a creation time)",
		           r->seen);
		pf_fix(r,
		       "create the other end on %s, or delete the peering %s on %s if none is "
		       "coming",
		       cluster_of(there), here->name, cluster_of(here));
		return;
	}
	int64_t age_ms = (c->in->now_ns - since) / 1000000;
	pf_verdict(r, age_ms < limit ? PREFLIGHT_OK : PREFLIGHT_WARN, "%s for %llds", r->seen,
	           (long long)(age_ms / 1000));
	if (r->verdict == PREFLIGHT_OK) {
		pf_more(r, " (within %lds to create the other end)", limit / 1000);
		return;
	}
	pf_fix(r,
	       "create the other end on %s (%s with the token Secret from %s), or %s delete the "
	       "one-sided %s",
	       cluster_of(there), here->acceptor ? "a PeeringDialer" : "a PeeringAcceptor",
	       cluster_of(here->acceptor ? here : there), pf_kubectl(here->snap, kc, sizeof kc),
	       here->dialer ? "PeeringDialer" : "PeeringAcceptor");
}

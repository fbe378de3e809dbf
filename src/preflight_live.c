/* preflight: struct preflight_live derived from a snapshot's
 * prerequisites (the "acl", "kube_access" and "kube_controllers" sources,
 * and the mesh gateways' Proxy.Config), for callers that give none. The live struct
 * only points into the snapshot and into the buffers here. */
#include "autoconfig.h"

#include "preflight_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Why SRC of S has no data yet, in BUF. */
static const char *src_why(const struct store_snapshot *s, enum store_src src, const char *what,
                           char *buf, size_t len)
{
	const struct store_source *x = &s->sources[src];

	if (!x->enabled && x->state == MODEL_SOURCE_UNKNOWN)
		snprintf(buf, len, "%s is not read for this cluster", what);
	else if (*x->last_error)
		snprintf(buf, len, "%s could not be read: %s", what, x->last_error);
	else
		snprintf(buf, len, "%s has not answered yet", what);
	return buf;
}

static void acl_part(const struct store_snapshot *s, struct pf_live_buf *b)
{
	const struct model_acl_facts *f = s->acl;
	struct preflight_live *l = &b->live;

	if (!pf_has_data(s, STORE_SRC_ACL)) {
		l->acl_why = src_why(s, STORE_SRC_ACL, "GET /v1/acl/token/self", b->acl_why,
		                     sizeof b->acl_why);
		l->servers_why = src_why(s, STORE_SRC_ACL, "GET /v1/agent/members", b->servers_why,
		                         sizeof b->servers_why);
		return;
	}
	l->acl_known = f->acl_known;
	l->acl_enabled = f->acl_enabled;
	for (size_t i = 0; i < f->nprincipals; i++) {
		const struct model_acl_principal *m = &f->principals[i];
		b->principals[i] = (struct preflight_principal){
		        .who = m->who,
		        .gateway = m->gateway,
		        .token = m->has_token ? &m->token : NULL,
		        .error = m->error,
		        .checks = m->checks,
		        .nchecks = m->nchecks,
		};
	}
	l->principals = b->principals;
	l->nprincipals = f->nprincipals;
	l->server_versions = f->servers_known ? &f->servers : NULL;
	l->servers_why = f->servers_error;
}

static void access_part(const struct store_snapshot *s, struct pf_live_buf *b)
{
	const struct model_kube_access *a = s->kube_access;
	struct preflight_live *l = &b->live;

	if (!pf_has_data(s, STORE_SRC_KUBE_ACCESS)) {
		l->access_why = src_why(s, STORE_SRC_KUBE_ACCESS, "the SelfSubjectAccessReviews",
		                        b->access_why, sizeof b->access_why);
		return;
	}
	for (size_t i = 0; i < a->nreviews; i++) {
		const struct model_access_review *m = &a->reviews[i];
		b->access[i] = (struct preflight_access){m->verb, m->group, m->resource,
		                                         m->subresource, m->allowed};
	}
	l->access_known = a->reviews_known;
	l->access = b->access;
	l->naccess = a->nreviews;
	l->access_why = a->reviews_error;
}

/* The connect-injector Deployments, and the controllers' image: the first
 * container's of the first that has one. */
static void controllers_part(const struct store_snapshot *s, struct pf_live_buf *b)
{
	const struct store_kube_deployments *d = s->controllers;
	struct preflight_live *l = &b->live;

	if (!pf_has_data(s, STORE_SRC_KUBE_CONTROLLERS)) {
		l->controllers_why = src_why(s, STORE_SRC_KUBE_CONTROLLERS,
		                             "the list of the connect-injector Deployments",
		                             b->controllers_why, sizeof b->controllers_why);
		l->controller_why = l->controllers_why;
		return;
	}
	if (d->refused && *d->refused) {
		snprintf(b->controllers_why, sizeof b->controllers_why,
		         "the connect-injector Deployments could not be listed: %s", d->refused);
		l->controllers_why = b->controllers_why;
		l->controller_why = d->refused;
		return;
	}
	l->controllers_known = true;
	l->controllers = d->v;
	l->ncontrollers = d->n;
	l->controller_image = "";
	for (size_t i = 0; i < d->n; i++) {
		if (!d->v[i].image || !*d->v[i].image)
			continue;
		l->controller_image = d->v[i].image;
		snprintf(b->image_where, sizeof b->image_where, "Deployment %s/%s", d->v[i].meta.ns,
		         d->v[i].meta.name);
		l->controller_where = b->image_where;
		break;
	}
}

static void gateways_part(const struct store_snapshot *s, struct pf_live_buf *b)
{
	const struct model_instance_list *g = s->gateways;

	if (!pf_has_data(s, STORE_SRC_GATEWAYS))
		return;
	for (size_t i = 0; i < g->n; i++) {
		const char *pod = model_meta_get(&g->v[i].meta, "pod-name");
		b->configs[i] = (struct preflight_gateway_config){
		        .instance = pod && *pod ? pod : g->v[i].service_id,
		        .config = &g->v[i].proxy_config,
		};
	}
	b->live.gateway_configs_known = true;
	b->live.gateway_configs = b->configs;
	b->live.ngateway_configs = g->n;
}

int pf_live_from_snapshot(const struct store_snapshot *s, struct pf_live_buf *b)
{
	memset(b, 0, sizeof *b);
	b->principals = calloc(s->acl->nprincipals + 1, sizeof *b->principals);
	b->access = calloc(s->kube_access->nreviews + 1, sizeof *b->access);
	b->configs = calloc(s->gateways->n + 1, sizeof *b->configs);
	if (!b->principals || !b->access || !b->configs) {
		pf_live_buf_free(b);
		return -1;
	}
	acl_part(s, b);
	access_part(s, b);
	controllers_part(s, b);
	gateways_part(s, b);
	return 0;
}

void pf_live_buf_free(struct pf_live_buf *b)
{
	free(b->principals);
	free(b->access);
	free(b->configs);
	memset(b, 0, sizeof *b);
}

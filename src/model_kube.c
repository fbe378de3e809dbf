/* model, Kubernetes side: releasing what the structs own. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "peerscope/model.h"

const char *model_cond_name(enum model_cond c)
{
	switch (c) {
	case MODEL_COND_TRUE:
		return "True";
	case MODEL_COND_FALSE:
		return "False";
	case MODEL_COND_UNKNOWN:
		return "Unknown";
	case MODEL_COND_UNSET:
		break;
	}
	return "";
}

void model_kube_meta_clear(struct model_kube_meta *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->ns);
	free(m->uid);
	free(m->resource_version);
	free(m->peering_version);
	memset(m, 0, sizeof *m);
}

static void synced_clear(struct model_kube_synced *s)
{
	free(s->reason);
	free(s->message);
	memset(s, 0, sizeof *s);
}

static void secret_ref_clear(struct model_kube_secret_ref *r)
{
	free(r->name);
	free(r->key);
	free(r->backend);
	free(r->resource_version);
	memset(r, 0, sizeof *r);
}

void model_kube_peering_clear(struct model_kube_peering *p)
{
	if (!p)
		return;
	model_kube_meta_clear(&p->meta);
	secret_ref_clear(&p->spec_secret);
	secret_ref_clear(&p->status_secret);
	synced_clear(&p->synced);
	free(p->legacy_message);
	memset(p, 0, sizeof *p);
}

void model_kube_secret_clear(struct model_kube_secret *s)
{
	if (!s)
		return;
	model_kube_meta_clear(&s->meta);
	free(s->type);
	for (size_t i = 0; i < s->nkeys; i++)
		free(s->keys[i].key);
	free(s->keys);
	memset(s, 0, sizeof *s);
}

void model_kube_deployment_clear(struct model_kube_deployment *d)
{
	if (!d)
		return;
	model_kube_meta_clear(&d->meta);
	free(d->available_reason);
	free(d->available_message);
	free(d->image);
	memset(d, 0, sizeof *d);
}

const struct model_kube_secret_key *model_kube_secret_find(const struct model_kube_secret *s,
                                                           const char *key)
{
	for (size_t i = 0; i < s->nkeys; i++)
		if (s->keys[i].key && !strcmp(s->keys[i].key, key))
			return &s->keys[i];
	return NULL;
}

static void entry_head_clear(struct model_kube_entry_head *h)
{
	model_kube_meta_clear(&h->meta);
	synced_clear(&h->synced);
	h->last_synced_ns = 0;
}

void model_kube_mesh_clear(struct model_kube_mesh *m)
{
	if (!m)
		return;
	entry_head_clear(&m->head);
	memset(m, 0, sizeof *m);
}

void model_kube_exported_services_clear(struct model_kube_exported_services *e)
{
	if (!e)
		return;
	entry_head_clear(&e->head);
	for (size_t i = 0; i < e->nservices; i++)
		model_export_service_clear(&e->services[i]);
	free(e->services);
	memset(e, 0, sizeof *e);
}

void model_kube_proxy_defaults_clear(struct model_kube_proxy_defaults *p)
{
	if (!p)
		return;
	entry_head_clear(&p->head);
	memset(p, 0, sizeof *p);
}

void model_kube_service_intentions_clear(struct model_kube_service_intentions *s)
{
	if (!s)
		return;
	entry_head_clear(&s->head);
	free(s->destination);
	free(s->destination_ns);
	for (size_t i = 0; i < s->nsources; i++)
		model_intention_source_clear(&s->sources[i]);
	free(s->sources);
	memset(s, 0, sizeof *s);
}

void model_kube_service_defaults_clear(struct model_kube_service_defaults *s)
{
	if (!s)
		return;
	entry_head_clear(&s->head);
	free(s->protocol);
	for (size_t i = 0; i < s->noverrides; i++)
		model_upstream_override_clear(&s->overrides[i]);
	free(s->overrides);
	memset(s, 0, sizeof *s);
}

void model_kube_helm_clear(struct model_kube_helm *h)
{
	if (!h)
		return;
	free(h->release);
	free(h->ns);
	free(h->status);
	free(h->chart_version);
	free(h->app_version);
	free(h->image);
	free(h->datacenter);
	free(h->mesh_gateway_service_type);
	free(h->admin_partition_name);
	memset(h, 0, sizeof *h);
}

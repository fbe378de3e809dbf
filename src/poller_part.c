/* poller, Consul Enterprise admin partitions: which partitions a cluster
 * reads, one query per partition for the peerings, the stream poll, the
 * mesh gateways, the exported-services entry and the services, and their
 * answers merged into the one list each of the snapshot, every record
 * naming its partition. See src/poller_src.h.
 *
 * Consul takes the partition as ?partition= on every one of these reads
 * (agent/http.go parseEntMetaPartition; api/api.go QueryOptions.Partition)
 * and names each partition's exported-services entry after the partition
 * (agent/structs/config_entry_exports.go). Consul CE refuses the parameter
 * (agent/http_ce.go), so it is sent only once the identity says
 * Enterprise; until then, and on CE, the cluster-wide sources read the
 * token's own partition as before. The mesh, proxy-defaults and
 * service-defaults entries stay cluster-wide reads of that partition. */
#include "autoconfig.h"

#include "poller_src.h"

#include "peerscope/consul.h"
#include "peerscope/http.h"
#include "peerscope/log.h"
#include "peerscope/monotime.h"
#include "peerscope/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ iteration */

bool poller_part_id(enum store_src id)
{
	return id == STORE_SRC_PEERINGS || id == STORE_SRC_STREAM || id == STORE_SRC_GATEWAYS ||
	       id == STORE_SRC_EXPORTS || id == STORE_SRC_SERVICES;
}

/* ------------------------------------------------------------- the parts */

static void part_free(struct poller_cl *c, struct poller_part *pt)
{
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct poller_src *s = &pt->src[i];
		if (s->x)
			http_multi_remove(c->m, s->x);
		s->x = NULL;
		free(s->body);
		s->body = NULL;
	}
	free(pt->name);
	pt->name = NULL;
}

void poller_part_free(struct poller_cl *c)
{
	for (size_t k = 0; k < c->nparts; k++)
		part_free(c, &c->parts[k]);
	free(c->parts);
	c->parts = NULL;
	c->nparts = 0;
	model_strv_clear(&c->discovered);
}

static int part_init(struct poller_cl *c, struct poller_part *pt, const char *name, int64_t now)
{
	memset(pt, 0, sizeof *pt);
	pt->name = strdup(name);
	if (!pt->name)
		return -1;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct poller_src *s = &pt->src[i];
		s->id = (enum store_src)i;
		s->cl = c;
		s->part = pt;
		s->next_ms = POLLER_NEVER;
		if (!poller_part_id(s->id))
			continue;
		s->kind = s->id == STORE_SRC_STREAM ? POLLER_SK_STREAM : POLLER_SK_CONSUL;
		s->st.enabled = true;
		s->next_ms = now;
		backoff_bucket_init(&s->bucket, c->p->o.rate_burst, c->p->o.rate_interval_ms, now);
	}
	return 0;
}

/* The partitions to read now: none unless the server is Enterprise. */
static void wanted(const struct poller_cl *c, const char *const **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	if (!c->cfg.consul || !consul_client_enterprise(c->cfg.consul))
		return;
	if (c->cfg.npartitions) {
		*v = (const char *const *)c->cfg.partitions;
		*n = c->cfg.npartitions;
	} else if (c->cfg.partitions_all) {
		*v = (const char *const *)c->discovered.v;
		*n = c->discovered.n;
	}
}

static bool same_parts(const struct poller_cl *c, const char *const *v, size_t n)
{
	if (n != c->nparts)
		return false;
	for (size_t k = 0; k < n; k++)
		if (strcmp(v[k], c->parts[k].name) != 0)
			return false;
	return true;
}

static void install_names(struct poller_cl *c)
{
	struct model_strv *names = calloc(1, sizeof *names);
	bool ok = names != NULL;

	for (size_t k = 0; ok && k < c->nparts; k++)
		ok = model_strv_push(names, c->parts[k].name) == 0;
	if (!ok) {
		if (names)
			model_strv_clear(names);
		free(names);
		log_error(poller_log(c), "%s: out of memory listing partitions", c->cfg.name);
		return;
	}
	struct store_part *p = store_part_partitions(names);
	poller_install(c, STORE_SRC_PARTITIONS, p, true);
	store_part_unref(p);
}

static void merge_all(struct poller_cl *c)
{
	static const enum store_src slots[] = {STORE_SRC_PEERINGS, STORE_SRC_GATEWAYS,
	                                       STORE_SRC_EXPORTS, STORE_SRC_SERVICES};
	char why[256];

	for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
		if (c->nparts == 0) {
			poller_install(c, slots[i], NULL, false);
			continue;
		}
		if (poller_part_install(&c->parts[0].src[slots[i]], NULL, 0, false, why,
		                        sizeof why))
			log_error(poller_log(c), "%s: %s", c->cfg.name, why);
	}
}

void poller_part_update(struct poller_cl *c)
{
	const char *const *v;
	size_t n;
	int64_t now = monotime_ms();

	wanted(c, &v, &n);
	if (same_parts(c, v, n))
		return;
	struct poller_part *parts = n ? calloc(n, sizeof *parts) : NULL;
	if (n && !parts) {
		log_error(poller_log(c), "%s: out of memory reading partitions", c->cfg.name);
		return;
	}
	for (size_t k = 0; k < n; k++)
		if (part_init(c, &parts[k], v[k], now)) {
			for (size_t j = 0; j <= k; j++)
				free(parts[j].name);
			free(parts);
			log_error(poller_log(c), "%s: out of memory reading partitions",
			          c->cfg.name);
			return;
		}
	for (size_t k = 0; k < c->nparts; k++)
		part_free(c, &c->parts[k]);
	free(c->parts);
	c->parts = parts;
	c->nparts = n;
	/* The cluster-wide sources stop (or start again) reading the token's
	 * partition; what they had is replaced by the partitions' answers. */
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct poller_src *s = &c->src[i];
		if (!poller_part_id(s->id) || !s->st.enabled)
			continue;
		if (s->x)
			http_multi_remove(c->m, s->x);
		s->x = NULL;
		s->fanout = n > 0;
		s->index = 0;
		s->has_hash = false;
		s->next_ms = n ? POLLER_NEVER : now;
		if (n)
			s->st = (struct store_source){.enabled = true};
	}
	install_names(c);
	merge_all(c);
	if (n)
		store_event(c->p->st, STORE_EV_INFO, c->cfg.name, "partitions",
		            "reading %zu admin partition%s", n, n == 1 ? "" : "s");
	c->dirty = true;
}

/* ------------------------------------------------------ /v1/partitions */

static void partitions_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct poller_src *s = ctx;
	struct poller_cl *c = s->cl;
	struct model_strv names = {0};
	char why[384];

	s->x = NULL;
	c->work->consul_reachable = resp->status != 0;
	if (rc != 0) {
		poller_src_fail(s, err);
		return;
	}
	if (consul_decode_partitions(resp->body ? resp->body : "", resp->body_len, &names, why,
	                             sizeof why)) {
		http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
		poller_src_fail(s, err);
		return;
	}
	bool changed = names.n != c->discovered.n;
	for (size_t i = 0; !changed && i < names.n; i++)
		changed = strcmp(names.v[i], c->discovered.v[i]) != 0;
	model_strv_clear(&c->discovered);
	c->discovered = names;
	poller_src_ok(s, resp->status, changed);
	poller_src_every(s, c->p->o.identity_interval_ms);
	poller_part_update(c);
}

int poller_partitions_start(struct poller_src *s, struct http_error *err)
{
	struct poller_cl *c = s->cl;

	/* Only an Enterprise server has partitions: ask once the identity
	 * says so. */
	if (!c->work->has_identity) {
		poller_src_schedule(s, 200);
		return 0;
	}
	if (!consul_client_enterprise(c->cfg.consul)) {
		poller_src_fail_text(s, 0,
		                     "partitions: all, but this Consul is not Enterprise: it has "
		                     "no admin partitions");
		return 0;
	}
	struct http_request req = {.path = CONSUL_PATH_PARTITIONS,
	                           .timeout_ms = c->p->o.request_timeout_ms,
	                           .max_body = consul_max_body(CONSUL_PATH_PARTITIONS)};
	s->x = http_multi_add(c->m, consul_http(c->cfg.consul), &req, partitions_done, s, err);
	return s->x ? 0 : -1;
}

/* ------------------------------------------------------------- merging */

/* Appends the N elements of SRC (size ESZ each) to *DST (*DN elements),
 * taking them over: SRC's array is freed, its elements now belong to DST.
 * -1 when out of memory (SRC is left as it was). */
static int take(void **dst, size_t *dn, void *src, size_t n, size_t esz)
{
	if (!n) {
		free(src);
		return 0;
	}
	char *grown = realloc(*dst, (*dn + n) * esz);
	if (!grown)
		return -1;
	memcpy(grown + *dn * esz, src, n * esz);
	*dst = grown;
	*dn += n;
	free(src);
	return 0;
}

/* Sets *FIELD to NAME when the server left it empty. */
static int name_it(char **field, const char *name)
{
	if (*field && **field)
		return 0;
	char *copy = strdup(name);
	if (!copy)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

static int merge_peerings(struct poller_cl *c, struct store_part **out, char *why, size_t n)
{
	struct model_peering_list *all = calloc(1, sizeof *all);

	if (!all)
		goto nomem;
	for (size_t k = 0; k < c->nparts; k++) {
		const struct poller_src *s = &c->parts[k].src[STORE_SRC_PEERINGS];
		struct model_peering_list one = {0};
		if (!s->body_present)
			continue;
		if (consul_decode_peerings(s->body, s->body_len, &one, why, n))
			goto fail;
		for (size_t i = 0; i < one.n; i++)
			if (name_it(&one.v[i].partition, c->parts[k].name))
				goto one_nomem;
		if (take((void **)&all->v, &all->n, one.v, one.n, sizeof *one.v) == 0)
			continue;
	one_nomem:
		model_peering_list_free(&one);
		goto nomem;
	}
	*out = store_part_peerings(all);
	return *out ? 0 : -1;
nomem:
	snprintf(why, n, "out of memory");
fail:
	if (all)
		model_peering_list_free(all);
	free(all);
	return -1;
}

static int merge_instances(struct poller_cl *c, struct store_part **out, char *why, size_t n)
{
	struct model_instance_list *all = calloc(1, sizeof *all);

	if (!all)
		goto nomem;
	for (size_t k = 0; k < c->nparts; k++) {
		const struct poller_src *s = &c->parts[k].src[STORE_SRC_GATEWAYS];
		struct model_instance_list one = {0};
		if (!s->body_present)
			continue;
		if (consul_decode_health_service(s->body, s->body_len, &one, why, n))
			goto fail;
		for (size_t i = 0; i < one.n; i++)
			if (name_it(&one.v[i].partition, c->parts[k].name))
				goto one_nomem;
		if (take((void **)&all->v, &all->n, one.v, one.n, sizeof *one.v) == 0)
			continue;
	one_nomem:
		model_instance_list_free(&one);
		goto nomem;
	}
	*out = store_part_instances(all);
	return *out ? 0 : -1;
nomem:
	snprintf(why, n, "out of memory");
fail:
	if (all)
		model_instance_list_free(all);
	free(all);
	return -1;
}

static int merge_services(struct poller_cl *c, struct store_part **out, char *why, size_t n)
{
	struct model_service_summary_list *all = calloc(1, sizeof *all);

	if (!all) {
		snprintf(why, n, "out of memory");
		return -1;
	}
	/* Every partition's summaries into one list (and its blocks). */
	for (size_t k = 0; k < c->nparts; k++) {
		const struct poller_src *s = &c->parts[k].src[STORE_SRC_SERVICES];
		if (s->body_present &&
		    consul_decode_ui_services_into(s->body, s->body_len, c->parts[k].name, all, why,
		                                   n)) {
			model_service_summary_list_free(all);
			free(all);
			return -1;
		}
	}
	*out = store_part_services(all);
	return *out ? 0 : -1;
}

/* Appends ",NAME" (NAME alone first) to *LIST; NAME NULL: only makes sure
 * *LIST is a string. */
static int names_add(char **list, const char *name)
{
	size_t had = *list ? strlen(*list) : 0, add = name ? strlen(name) : 0;
	char *grown = realloc(*list, had + add + 2);

	if (!grown)
		return -1;
	if (!had)
		grown[0] = '\0';
	if (name && *name)
		snprintf(grown + had, add + 2, "%s%s", had ? "," : "", name);
	*list = grown;
	return 0;
}

/* The entries of every partition as one: their services, each naming the
 * partition of its entry. *PRESENT: some partition has an entry. */
static int merge_exports(struct poller_cl *c, struct store_part **out, bool *present, char *why,
                         size_t n)
{
	struct model_exported_services_entry *all = calloc(1, sizeof *all);

	*present = false;
	if (!all)
		goto nomem;
	for (size_t k = 0; k < c->nparts; k++) {
		const struct poller_src *s = &c->parts[k].src[STORE_SRC_EXPORTS];
		struct model_exported_services_entry one = {0};
		if (!s->body_present)
			continue;
		if (consul_decode_exported_services_entry(s->body, s->body_len, &one, why, n))
			goto fail;
		*present = true;
		if (!all->head.kind && name_it(&all->head.kind, one.head.kind))
			goto one_nomem;
		if (names_add(&all->head.name, one.head.name))
			goto one_nomem;
		for (size_t i = 0; i < one.nservices; i++)
			if (name_it(&one.services[i].partition, c->parts[k].name))
				goto one_nomem;
		if (take((void **)&all->services, &all->nservices, one.services, one.nservices,
		         sizeof *one.services) == 0) {
			one.services = NULL;
			one.nservices = 0;
			model_exported_services_entry_clear(&one);
			continue;
		}
	one_nomem:
		model_exported_services_entry_clear(&one);
		goto nomem;
	}
	/* Strings are never NULL in the model. */
	if (name_it(&all->head.kind, "exported-services") || names_add(&all->head.name, NULL) ||
	    name_it(&all->head.partition, "") || name_it(&all->head.ns, ""))
		goto nomem;
	*out = store_part_exports(all);
	return *out ? 0 : -1;
nomem:
	snprintf(why, n, "out of memory");
fail:
	if (all)
		model_exported_services_entry_clear(all);
	free(all);
	return -1;
}

int poller_part_install(struct poller_src *s, const char *body, size_t len, bool present, char *why,
                        size_t whylen)
{
	struct poller_cl *c = s->cl;
	enum store_src slot = s->id == STORE_SRC_STREAM ? STORE_SRC_PEERINGS : s->id;
	struct poller_src *keep = &s->part->src[slot];
	struct store_part *p = NULL;
	bool any = true;
	int rc;

	free(keep->body);
	keep->body = NULL;
	keep->body_len = 0;
	keep->body_present = false;
	if (present) { /* else a 404: the partition has no such entry */
		keep->body = malloc(len + 1);
		if (!keep->body) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		memcpy(keep->body, body ? body : "", len);
		keep->body[len] = '\0';
		keep->body_len = len;
		keep->body_present = true;
	}
	*why = '\0';
	switch (slot) {
	case STORE_SRC_PEERINGS:
		rc = merge_peerings(c, &p, why, whylen);
		break;
	case STORE_SRC_GATEWAYS:
		rc = merge_instances(c, &p, why, whylen);
		break;
	case STORE_SRC_SERVICES:
		rc = merge_services(c, &p, why, whylen);
		break;
	case STORE_SRC_EXPORTS:
		rc = merge_exports(c, &p, &any, why, whylen);
		break;
	default:
		snprintf(why, whylen, "%s is not read per partition", store_src_name(slot));
		return -1;
	}
	if (rc) {
		if (!*why)
			snprintf(why, whylen, "out of memory");
		return -1;
	}
	poller_install(c, slot, p, any);
	store_part_unref(p);
	return 0;
}

/* ------------------------------------------------------------- status */

static int rank(const struct store_source *st)
{
	switch (st->state) {
	case MODEL_SOURCE_OK:
		return 0;
	case MODEL_SOURCE_UNKNOWN:
		return 1;
	case MODEL_SOURCE_STALE:
		return 2;
	default:
		return 3;
	}
}

void poller_part_status(struct poller_cl *c)
{
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct poller_src *m = &c->src[i];
		if (!m->fanout || !c->nparts)
			continue;
		const struct poller_part *worst = &c->parts[0];
		int64_t oldest = worst->src[i].st.last_ok_ns;
		for (size_t k = 1; k < c->nparts; k++) {
			const struct store_source *st = &c->parts[k].src[i].st;
			if (rank(st) > rank(&worst->src[i].st))
				worst = &c->parts[k];
			if (st->last_ok_ns < oldest)
				oldest = st->last_ok_ns;
		}
		m->st = worst->src[i].st;
		m->st.enabled = true;
		if (m->st.state == MODEL_SOURCE_OK)
			m->st.last_ok_ns = oldest;
		if (*m->st.last_error) {
			char tmp[sizeof m->st.last_error];
			snprintf(tmp, sizeof tmp, "%s", m->st.last_error);
			int w = snprintf(m->st.last_error, sizeof m->st.last_error,
			                 "partition %.63s: ", worst->name);
			if (w > 0 && (size_t)w < sizeof m->st.last_error) {
				size_t l = strnlen(tmp, sizeof m->st.last_error - (size_t)w - 1);
				memcpy(m->st.last_error + w, tmp, l);
				m->st.last_error[(size_t)w + l] = '\0';
			}
		}
	}
}

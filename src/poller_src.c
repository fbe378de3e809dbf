/* poller: the status of one source (success, failure and its backoff, the
 * marks of a side that stopped answering) and the working snapshot it
 * fills. The other files of the poller call down into this one; it calls
 * none of them. See src/poller_src.h. */
#include "autoconfig.h"

#include "poller_src.h"

#include "peerscope/backoff.h"
#include "peerscope/http.h"
#include "peerscope/log.h"
#include "peerscope/monotime.h"
#include "peerscope/store.h"

#include <stdio.h>

/* The sources of C one after another: the cluster's, then each read
 * partition's (poller_part.c). */
size_t poller_nsrc(const struct poller_cl *c)
{
	return STORE_SRC_COUNT * (1 + c->nparts);
}

struct poller_src *poller_src_nth(struct poller_cl *c, size_t j)
{
	if (j < STORE_SRC_COUNT)
		return &c->src[j];
	j -= STORE_SRC_COUNT;
	return &c->parts[j / STORE_SRC_COUNT].src[j % STORE_SRC_COUNT];
}

/* ------------------------------------------------------ Consul reachability */

static bool is_consul(const struct poller_src *s)
{
	return s->kind == POLLER_SK_CONSUL || s->kind == POLLER_SK_IDENTITY ||
	       s->kind == POLLER_SK_ACL;
}

/* The plain poll of Consul got no answer: a long poll in flight may still
 * wait minutes for its timeout, so the data of every other Consul source is
 * marked stale now. The mark goes at the next answer. */
static void consul_unreachable(struct poller_cl *c, bool down)
{
	for (size_t j = 0; j < poller_nsrc(c); j++) {
		struct poller_src *o = poller_src_nth(c, j);
		if (!is_consul(o) || !o->st.enabled || o->fanout)
			continue;
		if (down && o->st.state == MODEL_SOURCE_OK) {
			o->st.state = MODEL_SOURCE_STALE;
			o->st.stale = true;
			o->unreachable = true;
		} else if (!down && o->unreachable) {
			c->reconnected = true;
			o->st.state = o->st.failures ? poller_fail_state(o, o->st.http_status)
			                             : MODEL_SOURCE_OK;
			o->st.stale = o->st.failures > 0;
			o->unreachable = false;
		}
	}
	c->dirty = true;
}

/* ----------------------------------------------------------- source status */

void poller_src_schedule(struct poller_src *s, long delay_ms)
{
	s->next_ms = monotime_ms() + (delay_ms > 0 ? delay_ms : 0);
}

int64_t poller_period_next(int64_t now, long period_ms)
{
	if (period_ms <= 0)
		return now;
	int64_t next = (now / period_ms + 1) * period_ms;
	if (next - now < period_ms / 2)
		next += period_ms;
	return next;
}

int64_t poller_grid_ceil(int64_t t, long period_ms)
{
	if (period_ms <= 0)
		return t;
	int64_t q = t / period_ms;
	return (q * period_ms < t ? q + 1 : q) * period_ms;
}

void poller_src_every(struct poller_src *s, long period_ms)
{
	s->next_ms = poller_period_next(monotime_ms(), period_ms);
}

/* Consul computes ACTIVE and FAILING on read, from its stream tracker
 * (agent/rpc/peering/service.go, reconcilePeering): a PENDING or
 * ESTABLISHING peering turns ACTIVE, and an ACTIVE one FAILING, without a
 * write, so that only a stream poll sees it. DELETING and TERMINATED are
 * written, and what follows them too. A PENDING peering waits for its
 * dialer, for as long as the token goes unused: it counts as settled, and
 * a dialer seen to establish wakes its polls (poller.c, wake_pending()). */
static bool peering_settled(const struct model_peering *p)
{
	return p->state == MODEL_PEERING_ACTIVE || p->state == MODEL_PEERING_DELETING ||
	       p->state == MODEL_PEERING_TERMINATED || p->state == MODEL_PEERING_PENDING;
}

bool poller_peerings_pending(const struct model_peering_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (l->v[i].state == MODEL_PEERING_PENDING)
			return true;
	return false;
}

long poller_stream_period(const struct poller_cl *c, int64_t now)
{
	const struct poller_options *o = &c->p->o;
	const struct model_peering_list *l = c->work->peerings;

	if (o->steady_interval_ms <= o->stream_interval_ms ||
	    now - c->moved_ms < o->steady_interval_ms)
		return o->stream_interval_ms;
	for (size_t i = 0; l && i < l->n; i++)
		if (!peering_settled(&l->v[i]))
			return o->stream_interval_ms;
	return o->steady_interval_ms;
}

void poller_moved(struct poller_cl *c, int64_t now)
{
	int64_t next = poller_period_next(now, c->p->o.stream_interval_ms);

	c->moved_ms = now;
	for (size_t j = 0; j < poller_nsrc(c); j++) {
		struct poller_src *s = poller_src_nth(c, j);
		/* Not one that waits out its backoff, nor one in flight. */
		if (s->kind == POLLER_SK_STREAM && s->st.enabled && !s->x && !s->fanout &&
		    s->st.failures == 0 && s->next_ms != POLLER_NEVER && s->next_ms > next)
			s->next_ms = next;
	}
}

/* After a success: the next request may go when the bucket allows. */
void poller_src_again(struct poller_src *s)
{
	s->next_ms = monotime_ms();
}

void poller_src_ok(struct poller_src *s, long http_status, bool changed)
{
	struct store_source *st = &s->st;
	bool was_bad = st->state != MODEL_SOURCE_OK;

	s->unreachable = false;
	if (s->kind == POLLER_SK_STREAM)
		consul_unreachable(s->cl, false);

	if (st->failures > 0 && st->last_ok_ns != 0)
		store_event(s->cl->p->st, STORE_EV_INFO, s->cl->cfg.name, store_src_name(s->id),
		            "%s recovered", store_src_name(s->id));
	st->state = MODEL_SOURCE_OK;
	st->stale = false;
	st->failures = 0;
	st->http_status = http_status;
	st->last_ok_ns = store_now_ns();
	if (changed || was_bad)
		s->cl->dirty = true;
	else
		s->cl->soft = true;
}

void poller_src_data(struct poller_src *s)
{
	s->st.last_ok_ns = store_now_ns();
	s->cl->dirty = true;
}

enum model_source_state poller_fail_state(const struct poller_src *s, long status)
{
	if (s->st.last_ok_ns != 0)
		return MODEL_SOURCE_STALE;
	if (status == 401 || status == 403)
		return MODEL_SOURCE_FORBIDDEN;
	if (status == 404 || status == 405)
		return MODEL_SOURCE_UNSUPPORTED;
	return MODEL_SOURCE_ERROR;
}

enum store_src poller_fallback_of(enum store_src id)
{
	switch (id) {
	case STORE_SRC_MESH:
		return STORE_SRC_KUBE_MESHES;
	case STORE_SRC_EXPORTS:
		return STORE_SRC_KUBE_EXPORTS;
	case STORE_SRC_PROXY_DEFAULTS:
		return STORE_SRC_KUBE_PROXY_DEFAULTS;
	case STORE_SRC_INTENTIONS:
		return STORE_SRC_KUBE_INTENTIONS;
	default:
		return STORE_SRC_COUNT;
	}
}

void poller_src_wake_fallback(struct poller_src *s)
{
	enum store_src f = poller_fallback_of(s->id);

	if (f == STORE_SRC_COUNT || !s->cl->src[f].waiting)
		return;
	s->cl->src[f].waiting = false;
	s->cl->src[f].st.enabled = true;
	s->cl->src[f].next_ms = monotime_ms();
}

void poller_src_fail_text(struct poller_src *s, long status, const char *text)
{
	struct poller_cl *c = s->cl;
	struct store_source *st = &s->st;

	if (st->last_ok_ns == 0)
		poller_src_wake_fallback(s);
	st->failures++;
	st->http_status = status;
	st->last_error_ns = store_now_ns();
	snprintf(st->last_error, sizeof st->last_error, "%s", text);
	st->state = poller_fail_state(s, status);
	st->stale = st->last_ok_ns != 0;
	if (s->kind == POLLER_SK_STREAM && status == 0)
		consul_unreachable(c, true);
	if (st->failures == 1) {
		store_event(c->p->st, STORE_EV_WARN, c->cfg.name, store_src_name(s->id), "%s: %s",
		            store_src_name(s->id), text);
		log_warn(poller_log(c), "%s: %s: %s", c->cfg.name, store_src_name(s->id), text);
	}
	const struct poller_options *o = &c->p->o;
	long d = backoff_ms(st->failures, o->backoff_base_ms, o->backoff_max_ms, &c->rng);
	/* A server that says no keeps saying no: wait the longest. */
	if (st->state == MODEL_SOURCE_FORBIDDEN || st->state == MODEL_SOURCE_UNSUPPORTED)
		d = o->backoff_max_ms;
	poller_src_schedule(s, d);
	c->dirty = true;
}

void poller_src_fail(struct poller_src *s, const struct http_error *err)
{
	char buf[512];

	http_error_format(err, buf, sizeof buf);
	poller_src_fail_text(s, err->status, buf);
}

/* ------------------------------------------------------- working snapshot */

/* Points the working snapshot's field for ID at part P (NULL: empty). */
void poller_install(struct poller_cl *c, enum store_src id, struct store_part *p, bool present)
{
	struct store_snapshot *w = c->work;
	enum store_src slot = id == STORE_SRC_STREAM ? STORE_SRC_PEERINGS : id;
	const void *d = store_hold(w, slot, p);
	const struct store_snapshot *empty = c->empty;

	switch (slot) {
	case STORE_SRC_PEERINGS:
		w->peerings = d ? d : empty->peerings;
		/* Whoever installed it says what its shape is (poller_consul.c). */
		c->src[STORE_SRC_PEERINGS].shaped = NULL;
		break;
	case STORE_SRC_GATEWAYS:
		w->gateways = d ? d : empty->gateways;
		break;
	case STORE_SRC_EXPORTS:
		w->exports = d ? d : empty->exports;
		w->has_exports = present && d;
		break;
	case STORE_SRC_MESH:
		w->mesh = d ? d : empty->mesh;
		w->has_mesh = present && d;
		break;
	case STORE_SRC_PROXY_DEFAULTS:
		w->proxy_defaults = d ? d : empty->proxy_defaults;
		w->has_proxy_defaults = present && d;
		break;
	case STORE_SRC_SERVICE_DEFAULTS:
		w->service_defaults = d ? d : empty->service_defaults;
		break;
	case STORE_SRC_SERVICES:
		w->services = d ? d : empty->services;
		break;
	case STORE_SRC_INTENTIONS:
		w->intentions = d ? d : empty->intentions;
		break;
	case STORE_SRC_KUBE_INTENTIONS:
		w->kube_intentions = d ? d : empty->kube_intentions;
		break;
	case STORE_SRC_IDENTITY:
		w->identity = d ? d : empty->identity;
		w->has_identity = d != NULL;
		break;
	case STORE_SRC_KUBE_ACCEPTORS:
		w->acceptors = d ? d : empty->acceptors;
		break;
	case STORE_SRC_KUBE_DIALERS:
		w->dialers = d ? d : empty->dialers;
		break;
	case STORE_SRC_KUBE_MESHES:
		w->kube_meshes = d ? d : empty->kube_meshes;
		break;
	case STORE_SRC_KUBE_EXPORTS:
		w->kube_exports = d ? d : empty->kube_exports;
		break;
	case STORE_SRC_KUBE_PROXY_DEFAULTS:
		w->kube_proxy_defaults = d ? d : empty->kube_proxy_defaults;
		break;
	case STORE_SRC_KUBE_SECRETS:
		w->token_secrets = d ? d : empty->token_secrets;
		break;
	case STORE_SRC_KUBE_HELM:
		w->helm = d ? d : empty->helm;
		w->has_helm = present && d;
		break;
	case STORE_SRC_ACL:
		w->acl = d ? d : empty->acl;
		break;
	case STORE_SRC_KUBE_ACCESS:
		w->kube_access = d ? d : empty->kube_access;
		break;
	case STORE_SRC_PARTITIONS:
		w->partitions = d ? d : empty->partitions;
		break;
	case STORE_SRC_KUBE_CONTROLLERS:
		w->controllers = d ? d : empty->controllers;
		break;
	default:
		break;
	}
}

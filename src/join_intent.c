/* join: whether a peer's services may call a service, from the cluster's
 * service-intentions and its default policy, as Consul decides it.
 *
 * Consul matches the intentions of a destination by precedence (Consul's
 * agent/structs/config_entry_intentions.go, computeIntentionPrecedence):
 * with one namespace, an exact destination and an exact source (9) before
 * an exact destination and any source "*" (8), then the wildcard
 * destination "*" with an exact source (6) and with "*" (5). A source from
 * a peer matches only when its Peer is that peer. The first match decides:
 * its Action, or, with L7 Permissions, per request. No match: the default
 * policy, the ACL default policy (agent/agent_endpoint.go,
 * AgentConnectAuthorize: "Default behavior configured by ACLs"); with ACLs
 * off it is allow. */
#include "autoconfig.h"

#include "peerscope/join.h"

#include <string.h>

const char *join_intent_name(enum join_intent i)
{
	switch (i) {
	case JOIN_INTENT_ALLOWED:
		return "allowed";
	case JOIN_INTENT_ALLOWED_DEFAULT:
		return "allowed by default";
	case JOIN_INTENT_SOME:
		return "some services";
	case JOIN_INTENT_DENIED:
		return "denied";
	case JOIN_INTENT_NO_INTENTION:
		return "no intention";
	case JOIN_INTENT_UNKNOWN:
		break;
	}
	return "unknown";
}

bool join_intent_ok(enum join_intent i)
{
	return i == JOIN_INTENT_ALLOWED || i == JOIN_INTENT_ALLOWED_DEFAULT ||
	       i == JOIN_INTENT_UNKNOWN;
}

static bool eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool read_ok(const struct store_snapshot *s, enum store_src src)
{
	return s->sources[src].last_ok_ns != 0;
}

/* One destination's sources, from Consul's entry or the CR. */
struct dest {
	const char *name;
	const struct model_intention_source *v;
	size_t n;
};

/* The destination NAME's sources; false when there is no entry for it. */
static bool find_dest(const struct store_snapshot *s, bool consul, const char *name, struct dest *d)
{
	if (consul) {
		for (size_t i = 0; i < s->intentions->n; i++) {
			const struct model_service_intentions_entry *e = &s->intentions->v[i];
			if (eq(e->head.name, name)) {
				*d = (struct dest){e->head.name, e->sources, e->nsources};
				return true;
			}
		}
		return false;
	}
	for (size_t i = 0; i < s->kube_intentions->n; i++) {
		const struct model_kube_service_intentions *e = &s->kube_intentions->v[i];
		if (eq(e->destination, name)) {
			*d = (struct dest){e->destination, e->sources, e->nsources};
			return true;
		}
	}
	return false;
}

/* The source of D named NAME from PEER, or NULL. */
static const struct model_intention_source *find_source(const struct dest *d, const char *name,
                                                        const char *peer)
{
	for (size_t i = 0; i < d->n; i++)
		if (eq(d->v[i].name, name) && eq(d->v[i].peer, peer))
			return &d->v[i];
	return NULL;
}

/* A source of D from PEER other than "*" that allows (some of its
 * services are let through). */
static bool named_allow(const struct dest *d, const char *peer)
{
	for (size_t i = 0; i < d->n; i++)
		if (eq(d->v[i].peer, peer) && !eq(d->v[i].name, "*") &&
		    d->v[i].action != MODEL_INTENTION_DENY)
			return true;
	return false;
}

static enum join_intent decide(const struct model_intention_source *x, const struct dest *d,
                               struct join_intent_match *m)
{
	if (m) {
		m->destination = d->name;
		m->source = x->name;
		m->action = x->action;
	}
	if (x->action == MODEL_INTENTION_ALLOW)
		return JOIN_INTENT_ALLOWED;
	if (x->action == MODEL_INTENTION_DENY)
		return JOIN_INTENT_DENIED;
	return JOIN_INTENT_SOME; /* L7 permissions decide per request */
}

enum join_intent join_intention(const struct store_snapshot *s, const char *service,
                                const char *peer, const char *source, struct join_intent_match *m)
{
	bool consul = read_ok(s, STORE_SRC_INTENTIONS);
	const char *names[2] = {service, "*"};
	bool some = false;

	if (m)
		memset(m, 0, sizeof *m);
	if (!consul && !read_ok(s, STORE_SRC_KUBE_INTENTIONS))
		return JOIN_INTENT_UNKNOWN;
	/* Destination exact, then "*"; in each, the source exact, then "*". */
	for (int k = 0; k < 2; k++) {
		struct dest d;
		const struct model_intention_source *x;
		if (!find_dest(s, consul, names[k], &d))
			continue;
		if (source && !eq(source, "*") && (x = find_source(&d, source, peer)))
			return decide(x, &d, m);
		if ((x = find_source(&d, "*", peer)))
			return decide(x, &d, m);
		some = some || (!source && named_allow(&d, peer));
	}
	const char *policy = s->intentions->default_policy;
	if (!strcmp(policy, "allow"))
		return JOIN_INTENT_ALLOWED_DEFAULT;
	if (some)
		return JOIN_INTENT_SOME;
	/* Every answer of Consul 1.9+ carries the policy; without it the
	 * outcome is not known. */
	return strcmp(policy, "deny") ? JOIN_INTENT_UNKNOWN : JOIN_INTENT_NO_INTENTION;
}

const char *join_default_policy(const struct store_snapshot *s)
{
	return read_ok(s, STORE_SRC_INTENTIONS) ? s->intentions->default_policy : "";
}

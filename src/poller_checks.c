/* poller, the prerequisites sources: what the checks need beyond the rest
 * of a snapshot, asked rarely (every identity interval), each as a short
 * sequence of requests on the cluster's own thread.
 *
 * "acl" (Consul): GET /v1/acl/token/self and POST
 * /v1/internal/acl/authorize for peerscope's token, GET /v1/agent/members
 * for the servers' versions, then the same two questions with the mesh
 * gateways' token when consul.gateway_token_file names it
 * (doc/api-contract.md §4.4, §6). "kube_access" (Kubernetes): whether
 * peerscope may use each verb on each resource it reads and writes, from
 * one SelfSubjectRulesReview in the release namespace, and a
 * SelfSubjectAccessReview for what those rules cannot tell (§7.6).
 *
 * A refusal (401, 403, 404, any HTTP error status) is an answer: it is
 * kept as the reason the fact is unknown, and the source stays ok, so a
 * token without a right never marks the cluster down. Only a request that
 * gets no answer at all fails the source. See src/poller_src.h. */
#include "autoconfig.h"

#include "poller_src.h"

#include "peerscope/codec.h"
#include "peerscope/consul.h"
#include "peerscope/http.h"
#include "peerscope/kube.h"
#include "peerscope/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SSAR_PATH "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
#define SSRR_PATH "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"

/* Access reviews in flight at once, on the cluster's one connection to its
 * API server: under client-go's default burst of 10 requests. One after
 * the other, the 42 reviews of a cluster were 42 round trips (and as many
 * wake-ups of its thread) every identity interval. */
#define REVIEWS_AT_ONCE 8

/* An access review in flight: the context of its transfer. */
struct review_call {
	struct poller_src *s; /* NULL: the slot is free */
	size_t i;             /* which of the reviews */
};

/* What one cluster's two sequences assemble before they publish it. */
struct poller_checks {
	struct model_acl_facts acl;
	struct model_kube_access access;
	bool acl_published, access_published; /* a part of each is installed */
	char *body;                           /* of the acl request in flight */
	/* The access reviews of a round: those the rules did not answer
	 * (ASK, NASK of them), sent up to next_review; answered (by the rules
	 * or a review), in flight. A round ends once none is in flight; OVER
	 * when it ends early (an answer every other would repeat, or none),
	 * LOST with the error of a request that got no answer. */
	struct review_call calls[REVIEWS_AT_ONCE];
	size_t *ask, nask;
	size_t next_review, answered, inflight;
	bool over, lost;
	struct http_error lost_err;
};

/* ----------------------------------------------------------------- helpers */

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...)
{
	va_list ap;
	char buf[640];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return strdup(buf);
}

/* The answer of a request that got one but failed: its status and the
 * server's words, which name the permission a 403 lacks. */
static char *refusal(const char *what, const struct http_response *resp,
                     const struct http_error *err)
{
	return dupf("%s: HTTP %ld%s%s", what, resp->status, err->message[0] ? ": " : "",
	            err->message);
}

static struct poller_checks *scratch(struct poller_cl *c)
{
	if (!c->checks)
		c->checks = calloc(1, sizeof *c->checks);
	return c->checks;
}

static void body_set(struct poller_checks *k, char *body)
{
	if (k->body)
		codec_wipe_free(k->body);
	k->body = body;
}

void poller_checks_free(struct poller_cl *c)
{
	struct poller_checks *k = c->checks;

	if (!k)
		return;
	model_acl_facts_clear(&k->acl);
	model_kube_access_clear(&k->access);
	body_set(k, NULL);
	free(k->ask);
	free(k);
	c->checks = NULL;
}

typedef void done_fn(void *ctx, int rc, struct http_response *resp, struct http_error *err);

static int checks_send(struct poller_src *s, struct http_client *hc, const char *method,
                       const char *path, const char *body, done_fn *fn, struct http_error *err)
{
	struct poller_cl *c = s->cl;
	struct http_request req = {
	        .method = method,
	        .path = path,
	        .body = body,
	        .timeout_ms = c->p->o.request_timeout_ms,
	        /* Consul's answers by endpoint, the API server's one object. */
	        .max_body = !strncmp(path, "/v1/", 4) ? consul_max_body(path) : KUBE_MAX_OBJECT,
	};

	s->x = http_multi_add(c->m, hc, &req, fn, s, err);
	return s->x ? 0 : -1;
}

/* Hands P (a part just made, or NULL when out of memory) to the working
 * snapshot and ends the sequence until the next identity interval. */
static void finish(struct poller_src *s, struct store_part *p)
{
	struct poller_cl *c = s->cl;

	if (!p) {
		poller_src_fail_text(s, 0, "out of memory");
		return;
	}
	poller_install(c, s->id, p, true);
	store_part_unref(p);
	poller_src_ok(s, 200, true);
	poller_src_every(s, c->p->o.identity_interval_ms);
}

/* Ends the sequence when its answers say what the part held says: that
 * part stays, and the snapshot with it (src/model_same.c). */
static void keep(struct poller_src *s)
{
	poller_src_ok(s, 200, false);
	poller_src_every(s, s->cl->p->o.identity_interval_ms);
}

/* --------------------------------------------------------------------- ACL */

/* What peerscope's token is asked (doc/peerscope-checks.7): the
 * specification's three grants, and what the operations need. Consul
 * answers peering and mesh with the operator rule when the token has no
 * peering or mesh rule (acl/policy_authorizer.go). */
static const struct {
	const char *resource, *segment, *access;
} grants[] = {
        {"service", CONSUL_MESH_GATEWAY_SERVICE, "write"},
        {"service", "", "read"},
        {"mesh", "", "write"},
        {"peering", "", "read"},
        {"peering", "", "write"},
};
#define NGRANTS (sizeof grants / sizeof grants[0])

enum acl_step {
	ACL_SELF,
	ACL_AUTHORIZE,
	ACL_MEMBERS,
	ACL_GW_SELF,
	ACL_GW_AUTHORIZE
};

static void acl_done(void *ctx, int rc, struct http_response *resp, struct http_error *err);

/* The client a step asks with: the mesh gateways' token for theirs. */
static struct consul_client *acl_client(const struct poller_src *s)
{
	return s->step >= ACL_GW_SELF ? s->cl->cfg.gateway_consul : s->cl->cfg.consul;
}

static int acl_request(struct poller_src *s, const char *endpoint, const char *body,
                       struct http_error *err)
{
	struct consul_client *cc = acl_client(s);
	char *path = consul_path(cc, endpoint, NULL);
	int rc;

	if (!path) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	rc = checks_send(s, consul_http(cc), body ? "POST" : "GET", path, body, acl_done, err);
	free(path);
	return rc;
}

/* The principal a step is about: peerscope's token first, then the
 * gateways'. */
static struct model_acl_principal *principal_of(const struct poller_src *s)
{
	struct model_acl_facts *f = &s->cl->checks->acl;
	size_t i = s->step >= ACL_GW_SELF ? 1 : 0;

	return i < f->nprincipals ? &f->principals[i] : NULL;
}

static int principal_add(struct model_acl_facts *f, const char *who, bool gateway)
{
	struct model_acl_principal *p = &f->principals[f->nprincipals];

	p->who = strdup(who);
	p->gateway = gateway;
	if (!p->who)
		return -1;
	f->nprincipals++;
	return 0;
}

int poller_acl_start(struct poller_src *s, struct http_error *err)
{
	struct poller_checks *k = scratch(s->cl);

	if (!k) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	model_acl_facts_clear(&k->acl);
	k->acl.principals = calloc(2, sizeof *k->acl.principals);
	if (!k->acl.principals || principal_add(&k->acl, "peerscope's token", false)) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	s->step = ACL_SELF;
	return acl_request(s, CONSUL_PATH_ACL_TOKEN_SELF, NULL, err);
}

static int authorize_start(struct poller_src *s, struct http_error *err)
{
	struct poller_checks *k = s->cl->checks;
	struct model_acl_principal *p = principal_of(s);

	p->checks = calloc(NGRANTS, sizeof *p->checks);
	if (!p->checks)
		goto nomem;
	p->nchecks = NGRANTS;
	for (size_t i = 0; i < NGRANTS; i++) {
		struct model_acl_check *a = &p->checks[i];
		a->resource = strdup(grants[i].resource);
		a->segment = strdup(grants[i].segment);
		a->access = strdup(grants[i].access);
		if (!a->resource || !a->segment || !a->access)
			goto nomem;
	}
	body_set(k, consul_encode_authorize(p->checks, p->nchecks));
	if (!k->body)
		goto nomem;
	s->step = s->step >= ACL_GW_SELF ? ACL_GW_AUTHORIZE : ACL_AUTHORIZE;
	return acl_request(s, CONSUL_PATH_ACL_AUTHORIZE, k->body, err);
nomem:
	http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
	return -1;
}

static void acl_finish(struct poller_src *s)
{
	struct poller_checks *k = s->cl->checks;
	struct model_acl_facts *f;

	body_set(k, NULL);
	if (k->acl_published && model_acl_facts_same(s->cl->work->acl, &k->acl)) {
		model_acl_facts_clear(&k->acl);
		keep(s);
		return;
	}
	f = malloc(sizeof *f);
	if (!f) {
		finish(s, NULL);
		return;
	}
	*f = k->acl;
	memset(&k->acl, 0, sizeof k->acl);
	k->acl_published = true;
	finish(s, store_part_acl(f));
}

static int members_start(struct poller_src *s, struct http_error *err)
{
	s->step = ACL_MEMBERS;
	return acl_request(s, CONSUL_PATH_AGENT_MEMBERS, NULL, err);
}

#define GATEWAY_WHO "the mesh gateways' token (consul.gateway_token_file)"

/* After the members: the mesh gateways' token, when one is configured;
 * else the end. 0, or -1 with ERR. */
static int gateway_start(struct poller_src *s, struct http_error *err)
{
	struct poller_cl *c = s->cl;
	struct model_acl_facts *f = &c->checks->acl;
	const char *why = c->cfg.gateway_error;

	if (!f->acl_enabled || (!c->cfg.gateway_consul && !(why && *why))) {
		acl_finish(s);
		return 0;
	}
	if (principal_add(f, GATEWAY_WHO, true)) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (!c->cfg.gateway_consul) {
		f->principals[1].error = strdup(why);
		acl_finish(s);
		return 0;
	}
	s->step = ACL_GW_SELF;
	return acl_request(s, CONSUL_PATH_ACL_TOKEN_SELF, NULL, err);
}

/* After a principal's token/self and authorize: the next question. */
static int after_principal(struct poller_src *s, struct http_error *err)
{
	if (s->step >= ACL_GW_SELF) {
		acl_finish(s);
		return 0;
	}
	return members_start(s, err);
}

/* GET /v1/acl/token/self answered. 401 "ACL support disabled": ACLs are
 * off; a 403 ("ACL not found"): the token is unknown to Consul. */
static int self_answer(struct poller_src *s, int rc, struct http_response *resp,
                       struct http_error *err)
{
	struct poller_checks *k = s->cl->checks;
	struct model_acl_principal *p = principal_of(s);
	char why[384];

	if (s->step == ACL_SELF) {
		k->acl.acl_known = true;
		k->acl.acl_enabled = !(rc != 0 && consul_acl_disabled(err));
		if (!k->acl.acl_enabled)
			return members_start(s, err);
	}
	if (rc != 0) {
		p->error = refusal("GET " CONSUL_PATH_ACL_TOKEN_SELF, resp, err);
		return p->error ? after_principal(s, err) : -1;
	}
	if (consul_decode_acl_token(resp->body, resp->body_len, &p->token, why, sizeof why)) {
		p->error = dupf("GET " CONSUL_PATH_ACL_TOKEN_SELF ": %s", why);
		return p->error ? after_principal(s, err) : -1;
	}
	p->has_token = true;
	return authorize_start(s, err);
}

static int authorize_answer(struct poller_src *s, int rc, struct http_response *resp,
                            struct http_error *err)
{
	struct model_acl_principal *p = principal_of(s);
	char why[384];

	if (rc != 0)
		p->error = refusal("POST " CONSUL_PATH_ACL_AUTHORIZE, resp, err);
	else if (consul_decode_authorize(resp->body, resp->body_len, p->checks, p->nchecks, why,
	                                 sizeof why))
		p->error = dupf("POST " CONSUL_PATH_ACL_AUTHORIZE ": %s", why);
	if (p->error) {
		for (size_t i = 0; i < p->nchecks; i++)
			model_acl_check_clear(&p->checks[i]);
		free(p->checks);
		p->checks = NULL;
		p->nchecks = 0;
	}
	return after_principal(s, err);
}

/* GET /v1/agent/members answered: the servers among the members this
 * token may see (each member needs node:read on its node, agent/acl.go
 * filterMembers). */
static int members_answer(struct poller_src *s, int rc, struct http_response *resp,
                          struct http_error *err)
{
	struct model_acl_facts *f = &s->cl->checks->acl;
	char why[384];

	if (rc != 0)
		f->servers_error = refusal("GET " CONSUL_PATH_AGENT_MEMBERS, resp, err);
	else if (consul_decode_members(resp->body, resp->body_len, &f->servers, why, sizeof why))
		f->servers_error = dupf("GET " CONSUL_PATH_AGENT_MEMBERS ": %s", why);
	else if (f->servers.n == 0)
		f->servers_error = dupf("GET " CONSUL_PATH_AGENT_MEMBERS " lists no server%s",
		                        f->acl_enabled ? " this token may read (node:read on the "
		                                         "servers' nodes)"
		                                       : "");
	else
		f->servers_known = true;
	return gateway_start(s, err);
}

static void acl_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct poller_src *s = ctx;
	struct poller_cl *c = s->cl;
	int next;

	s->x = NULL;
	c->work->consul_reachable = resp->status != 0;
	if (resp->status == 0) {
		body_set(c->checks, NULL);
		poller_src_fail(s, err);
		return;
	}
	if (s->step == ACL_SELF || s->step == ACL_GW_SELF) {
		next = self_answer(s, rc, resp, err);
		/* The body of token/self holds the token's SecretID; the
		 * decoder kept all but it. */
		if (resp->body)
			codec_wipe(resp->body, resp->body_len);
	} else if (s->step == ACL_AUTHORIZE || s->step == ACL_GW_AUTHORIZE) {
		next = authorize_answer(s, rc, resp, err);
	} else {
		next = members_answer(s, rc, resp, err);
	}
	if (next != 0) {
		body_set(c->checks, NULL);
		poller_src_fail(s, err);
	}
}

/* ------------------------------------------------------------- Kubernetes */

/* The resources peerscope reads (list, watch: cluster-wide, as the pollers
 * do) and writes (get, create, update, patch, delete: in the cluster's
 * namespace, where the operations act). */
static const struct {
	const char *group, *resource;
} resources[] = {
        {KUBE_GROUP, "peeringacceptors"},
        {KUBE_GROUP, "peeringdialers"},
        {"", "secrets"},
        {KUBE_GROUP, "meshes"},
        {KUBE_GROUP, "proxydefaults"},
        {KUBE_GROUP, "exportedservices"},
};
static const char *const verbs[] = {"get", "list", "watch", "create", "update", "patch", "delete"};
/* The service proxy to Consul: the verb follows the method (§7.7). */
static const char *const proxy_verbs[] = {"get", "create", "update", "delete"};

#define NRES   (sizeof resources / sizeof resources[0])
#define NVERBS (sizeof verbs / sizeof verbs[0])
#define NPROXY (sizeof proxy_verbs / sizeof proxy_verbs[0])
#define NPLAIN (NRES * NVERBS)

static const char *release_ns(const struct poller_cl *c)
{
	return c->cfg.release_ns ? c->cfg.release_ns : "";
}

/* Review I: the plain ones, then the service proxy's. */
static int review_fill(const struct poller_cl *c, size_t i, struct model_access_review *a)
{
	bool proxy = i >= NPLAIN;
	const char *verb = proxy ? proxy_verbs[i - NPLAIN] : verbs[i % NVERBS];
	bool cluster_wide = !proxy && (!strcmp(verb, "list") || !strcmp(verb, "watch"));

	a->verb = strdup(verb);
	a->group = strdup(proxy ? "" : resources[i / NVERBS].group);
	a->resource = strdup(proxy ? "services" : resources[i / NVERBS].resource);
	a->subresource = strdup(proxy ? "proxy" : "");
	a->ns = strdup(cluster_wide ? "" : release_ns(c));
	return a->verb && a->group && a->resource && a->subresource && a->ns ? 0 : -1;
}

static void review_done(void *ctx, int rc, struct http_response *resp, struct http_error *err);

/* Sends review I in CALL, a free slot. */
static int review_send(struct poller_src *s, struct review_call *call, size_t i,
                       struct http_error *err)
{
	struct poller_cl *c = s->cl;
	const struct model_access_review *a = &c->checks->access.reviews[i];
	char *body = kube_body_access_review(a->ns, a->verb, a->group, a->resource, a->subresource);
	struct http_request req = {
	        .method = "POST",
	        .path = SSAR_PATH,
	        .body = body,
	        .timeout_ms = c->p->o.request_timeout_ms,
	        .max_body = KUBE_MAX_OBJECT,
	};
	struct http_xfer *x;

	if (!body) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	x = http_multi_add(c->m, c->cfg.kube, &req, review_done, call, err);
	free(body); /* the transfer keeps a copy */
	if (!x)
		return -1;
	call->s = s;
	call->i = i;
	s->x = x; /* in flight: the poller does not start the source again */
	return 0;
}

/* Sends the round's next reviews, until REVIEWS_AT_ONCE are in flight or
 * every one has been sent. */
static int reviews_send(struct poller_src *s, struct http_error *err)
{
	struct poller_checks *k = s->cl->checks;

	for (size_t j = 0; j < REVIEWS_AT_ONCE && k->next_review < k->nask; j++) {
		if (k->calls[j].s)
			continue;
		if (review_send(s, &k->calls[j], k->ask[k->next_review], err))
			return -1;
		k->next_review++;
		k->inflight++;
	}
	return 0;
}

/* Sends the first reviews of those to ask. */
static int reviews_start(struct poller_src *s, struct http_error *err)
{
	struct poller_checks *k = s->cl->checks;

	if (reviews_send(s, err) == 0)
		return 0;
	if (!k->inflight)
		return -1;
	/* Those sent end the round; it fails then. */
	k->over = k->lost = true;
	k->lost_err = *err;
	return 0;
}

static void access_finish(struct poller_src *s);

/* The caller's rules in the release namespace answer its reviews there,
 * allowed or denied, and deny the cluster-wide ones they do not allow
 * there: the rules of a namespace are those granted in it and those granted
 * cluster-wide (the RBAC authorizer's RulesFor). A cluster-wide review the
 * rules allow may be allowed in that namespace alone, and is asked; so is
 * every review when the rules are not all there (an authorizer that cannot
 * list them, a webhook's) or did not come (refused, not served, not
 * understood): the reviews tell then, as they did before. */
static void rules_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct poller_src *s = ctx;
	struct poller_cl *c = s->cl;
	struct poller_checks *k = c->checks;
	struct model_kube_access *a = &k->access;
	struct kube_rules rules;
	char why[384];

	s->x = NULL;
	poller_kube_observe(c, rc, resp, err);
	if (resp->status == 0) {
		poller_src_fail(s, err);
		return;
	}
	bool known = rc == 0 &&
	             !kube_rules_review_decode(resp->body, resp->body_len, &rules, why, sizeof why);
	if (known && rules.incomplete) {
		kube_rules_clear(&rules);
		known = false;
	}
	for (size_t i = 0; i < a->nreviews; i++) {
		struct model_access_review *r = &a->reviews[i];
		bool allowed = known && kube_rules_allow(&rules, r->verb, r->group, r->resource,
		                                         r->subresource);
		if (!known || (allowed && !*r->ns)) {
			k->ask[k->nask++] = i;
			continue;
		}
		r->allowed = allowed;
		k->answered++;
	}
	if (known)
		kube_rules_clear(&rules);
	if (k->nask == 0) {
		a->reviews_known = true;
		access_finish(s);
		return;
	}
	http_error_clear(err);
	if (reviews_start(s, err))
		poller_src_fail(s, err);
}

int poller_access_start(struct poller_src *s, struct http_error *err)
{
	struct poller_cl *c = s->cl;
	struct poller_checks *k = scratch(c);
	size_t n = NPLAIN + (c->work->consul_via_proxy ? NPROXY : 0);

	if (!k) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	model_kube_access_clear(&k->access);
	k->access.reviews = calloc(n, sizeof *k->access.reviews);
	if (!k->access.reviews) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		k->access.nreviews = i + 1; /* cleared with the rest, even half filled */
		if (review_fill(c, i, &k->access.reviews[i])) {
			http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
			return -1;
		}
	}
	free(k->ask);
	if (!(k->ask = calloc(n, sizeof *k->ask))) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	k->nask = k->next_review = k->answered = k->inflight = 0;
	k->over = k->lost = false;
	/* The API server requires a namespace for the rules: without one,
	 * every review asks on its own. */
	if (!*release_ns(c)) {
		for (size_t i = 0; i < n; i++)
			k->ask[k->nask++] = i;
		return reviews_start(s, err);
	}
	char *body = kube_body_rules_review(release_ns(c));
	if (!body) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	int rc = checks_send(s, c->cfg.kube, "POST", SSRR_PATH, body, rules_done, err);
	free(body); /* the transfer keeps a copy */
	return rc;
}

static void access_finish(struct poller_src *s)
{
	struct poller_checks *k = s->cl->checks;
	struct model_kube_access *a;

	if (k->access_published && model_kube_access_same(s->cl->work->kube_access, &k->access)) {
		model_kube_access_clear(&k->access);
		keep(s);
		return;
	}
	a = malloc(sizeof *a);
	if (!a) {
		finish(s, NULL);
		return;
	}
	*a = k->access;
	memset(&k->access, 0, sizeof k->access);
	k->access_published = true;
	finish(s, store_part_kube_access(a));
}

/* Takes the answer to one review of the round, sends the next, and once
 * none is in flight ends the round: the source fails when a request got no
 * answer; an answer that is a refusal, or that says nothing, is the reason
 * every review is unknown (every other would say the same); else each
 * review has its answer. */
static void review_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct review_call *call = ctx;
	struct poller_src *s = call->s;
	struct poller_cl *c = s->cl;
	struct poller_checks *k = c->checks;
	struct model_kube_access *a = &k->access;
	struct http_error sent;
	char why[384];

	call->s = NULL;
	k->inflight--;
	poller_kube_observe(c, rc, resp, err);
	if (k->over) {
		/* The round ends with what ended it. */
	} else if (resp->status == 0) {
		k->over = k->lost = true;
		k->lost_err = *err;
	} else if (rc == 0 &&
	           !kube_access_review_decode(resp->body, resp->body_len,
	                                      &a->reviews[call->i].allowed, why, sizeof why)) {
		k->answered++;
	} else {
		a->reviews_error = rc == 0 ? dupf("POST " SSAR_PATH ": %s", why)
		                           : refusal("POST " SSAR_PATH, resp, err);
		k->over = true;
	}
	if (!k->over && reviews_send(s, &sent) != 0) {
		k->over = k->lost = true;
		k->lost_err = sent;
	}
	if (k->inflight)
		return;
	s->x = NULL;
	if (k->lost) {
		poller_src_fail(s, &k->lost_err);
		return;
	}
	if (k->over) {
		for (size_t i = 0; i < a->nreviews; i++)
			model_access_review_clear(&a->reviews[i]);
		a->nreviews = 0;
	} else {
		a->reviews_known = k->answered == a->nreviews;
	}
	access_finish(s);
}

/* preflight: the checks of access: Consul ACL grants, asked of Consul
 * (/v1/acl/token/self, /v1/internal/acl/authorize), never read from the
 * rules; and peerscope's own Kubernetes access (SelfSubjectRulesReview,
 * SelfSubjectAccessReview).
 * Their answers come in struct preflight_live. */
#include "autoconfig.h"

#include "preflight_internal.h"

#include "peerscope/redact.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------- ACL */

#define ACL_BY_HAND "check by hand: consul acl token read -self -expanded"

/* Unknown: WHY, or "not fetched yet: PENDING". */
static void not_known(struct pf_draft *r, const char *why, const char *pending)
{
	if (why && *why)
		pf_verdict(r, PREFLIGHT_UNKNOWN, "%s", why);
	else
		pf_verdict(r, PREFLIGHT_UNKNOWN, "not fetched yet: %s", pending);
}

static bool acl_ready(const struct pf_cluster *c, struct pf_draft *r, const char *pending)
{
	const struct preflight_live *l = c->live;

	if (!l->acl_known) {
		not_known(r, l->acl_why, pending);
		pf_fix(r, ACL_BY_HAND);
		return false;
	}
	if (!l->acl_enabled) {
		pf_verdict(r, PREFLIGHT_SKIP,
		           "ACLs are disabled (GET /v1/acl/token/self: ACL support disabled)");
		return false;
	}
	return true;
}

static const struct preflight_principal *principal(const struct preflight_live *l, bool gateway)
{
	for (size_t i = 0; i < l->nprincipals; i++)
		if (l->principals[i].gateway == gateway)
			return &l->principals[i];
	return NULL;
}

static void token_links(struct pf_draft *r, const char *what, const struct model_acl_link *v,
                        size_t n)
{
	for (size_t i = 0; i < n; i++)
		pf_more(r, "%s%s", i ? ", " : what, v[i].name && *v[i].name ? v[i].name : v[i].id);
}

static const struct model_acl_check *answer(const struct preflight_principal *p,
                                            const char *resource, const char *access)
{
	for (size_t i = 0; p && i < p->nchecks; i++)
		if (p->checks[i].resource && p->checks[i].access &&
		    !strcmp(p->checks[i].resource, resource) &&
		    !strcmp(p->checks[i].access, access))
			return &p->checks[i];
	return NULL;
}

/* What the operations need of peerscope's own token, when the cluster may
 * be changed: peering:write (Consul falls back on operator:write when the
 * token has no peering rule, acl/policy_authorizer.go). */
static void own_writes(const struct pf_cluster *c, const struct preflight_principal *p,
                       struct pf_draft *r)
{
	const struct model_acl_check *w = answer(p, "peering", "write");

	if (!w || c->s->readonly)
		return;
	pf_more(r, "; peering:write %s", w->allow ? "allowed" : "denied");
	if (w->allow)
		return;
	r->verdict = PREFLIGHT_WARN;
	pf_seen(r, "peering:write denied");
	pf_required(r, "peering:write for the operations");
	pf_fix(r, "grant peerscope's token peering = \"write\" (the peering operations need it), "
	          "or mark the cluster readonly: true in peerscope's configuration");
}

void pf_acl_token(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct preflight_principal *p;

	if (!acl_ready(c, r, "GET /v1/acl/token/self"))
		return;
	p = principal(c->live, false);
	if (!p || (!p->token && !p->error)) {
		pf_verdict(r, PREFLIGHT_UNKNOWN, "peerscope's token was not read");
		pf_fix(r, ACL_BY_HAND);
		return;
	}
	if (!p->token) {
		pf_verdict(r, PREFLIGHT_FAIL, "%s", p->error);
		pf_fix(r, "give peerscope a token Consul knows (consul.token_file in its "
		          "configuration)");
		return;
	}
	pf_seen(r, "%s", p->token->accessor_id);
	pf_verdict(r, PREFLIGHT_OK, "GET /v1/acl/token/self: AccessorID %s%s%s",
	           p->token->accessor_id, *p->token->description ? ", " : "",
	           p->token->description);
	token_links(r, "; policies ", p->token->policies, p->token->npolicies);
	token_links(r, "; roles ", p->token->roles, p->token->nroles);
	if (p->error)
		pf_more(r, "; %s", p->error);
	own_writes(c, p, r);
}

/* Why the mesh gateways' token cannot be asked about: with consul-k8s's
 * system ACLs each gateway pod logs in through the component auth method
 * and keeps the token it gets in the pod
 * (charts/consul/templates/mesh-gateway-deployment.yaml, -login-auth-method;
 * control-plane/subcommand/server-acl-init: role <fullname>-mesh-gateway-acl-role,
 * policy mesh-gateway-policy). */
static void gateway_unreadable(const struct pf_cluster *c, struct pf_draft *r, char *fix,
                               size_t fixlen)
{
	const struct store_snapshot *s = c->s;
	const char *rel = pf_release(s);
	char full[80];

	/* consul.fullname: the release name when it holds "consul", else
	 * <release>-consul (charts/consul/templates/_helpers.tpl). */
	snprintf(full, sizeof full, "%.60s%s", rel, strstr(rel, "consul") ? "" : "-consul");
	if (s->has_helm && s->helm->manage_system_acls) {
		pf_more(r,
		        "; the mesh gateways' token cannot be read: each gateway pod logs in "
		        "through the auth method %s-k8s-component-auth-method and keeps its "
		        "token in the pod",
		        full);
		snprintf(fix, fixlen,
		         "check by hand: consul acl role read -name %s-mesh-gateway-acl-role "
		         "-expanded (consul-k8s makes its policy mesh-gateway-policy), or give "
		         "peerscope a gateway's token (consul.gateway_token_file)",
		         full);
		return;
	}
	pf_more(r, "; the mesh gateways' token is not known to peerscope");
	snprintf(fix, fixlen,
	         "give peerscope the mesh gateways' token (consul.gateway_token_file in its "
	         "configuration), or check by hand with it: consul acl token read -self -expanded");
}

/* Asks every principal's answers for RESOURCE:ACCESS. A gateway token
 * denied fails (the specification's grant); peerscope's own token denied
 * warns (its operations will be refused); without the gateways' token the
 * grant is unknown. */
static void grant(const struct pf_cluster *c, struct pf_draft *r, const char *resource,
                  const char *access, const char *segment, const char *fix)
{
	const struct preflight_live *l = c->live;
	char pending[200], hand[480];
	size_t asked = 0, answered = 0, denied = 0;
	bool gateway_denied = false, gateway_asked = false;
	const struct preflight_principal *gw = principal(l, true);

	snprintf(pending, sizeof pending, "POST /v1/internal/acl/authorize %s:%s%s%s", resource,
	         access, *segment ? " on " : "", segment);
	if (!acl_ready(c, r, pending))
		return;
	pf_required(r, "%s:%s%s%s", resource, access, *segment ? " on " : "", segment);
	pf_verdict(r, PREFLIGHT_OK, "POST /v1/internal/acl/authorize %s:%s:", resource, access);
	for (size_t i = 0; i < l->nprincipals; i++) {
		const struct preflight_principal *p = &l->principals[i];
		const struct model_acl_check *a = answer(p, resource, access);
		if (!a) {
			if (p->error)
				pf_more(r, "%s %s: %s", asked++ ? "," : "", p->who, p->error);
			continue;
		}
		pf_more(r, "%s %s %s", asked++ ? "," : "", p->who, a->allow ? "allowed" : "denied");
		answered++;
		gateway_asked |= p->gateway;
		if (a->allow)
			continue;
		if (!denied++)
			pf_seen(r, "denied to %s", p->who);
		gateway_denied |= p->gateway;
	}
	if (!asked) {
		not_known(r, NULL, pending);
		pf_fix(r, ACL_BY_HAND);
		return;
	}
	if (!answered) {
		r->verdict = PREFLIGHT_UNKNOWN;
		pf_fix(r, ACL_BY_HAND);
		return;
	}
	if (!gw)
		gateway_unreadable(c, r, hand, sizeof hand);
	else
		snprintf(hand, sizeof hand,
		         "make the mesh gateways' token readable and valid "
		         "(consul.gateway_token_file), or " ACL_BY_HAND);
	if (denied) {
		r->verdict = gateway_denied ? PREFLIGHT_FAIL : PREFLIGHT_WARN;
		pf_fix(r, "%s", fix);
		return;
	}
	if (gateway_asked) {
		pf_seen(r, "allowed");
		return;
	}
	r->verdict = PREFLIGHT_UNKNOWN;
	pf_seen(r, "gateways' token not read");
	pf_fix(r, "%s", hand);
}

void pf_acl_service_write(const struct pf_cluster *c, struct pf_draft *r)
{
	grant(c, r, "service", "write", "mesh-gateway",
	      "grant the mesh gateways' token service \"mesh-gateway\" { policy = \"write\" } "
	      "(global.acls.manageSystemACLs=true makes that policy)");
}

void pf_acl_service_read(const struct pf_cluster *c, struct pf_draft *r)
{
	grant(c, r, "service", "read", "",
	      "grant the token service_prefix \"\" { policy = \"read\" } (every service of the "
	      "partition)");
}

void pf_acl_mesh_write(const struct pf_cluster *c, struct pf_draft *r)
{
	grant(c, r, "mesh", "write", "",
	      "grant the mesh gateways' token mesh = \"write\" (Consul then issues the gateway's "
	      "leaf certificate)");
}

/* ------------------------------------------------------------ Kubernetes */

static const struct preflight_access *review(const struct preflight_live *l, const char *verb,
                                             const char *resource, const char *sub)
{
	for (size_t i = 0; i < l->naccess; i++) {
		const struct preflight_access *a = &l->access[i];
		if (a->verb && a->resource && !strcmp(a->verb, verb) &&
		    !strcmp(a->resource, resource) &&
		    !strcmp(a->subresource ? a->subresource : "", sub))
			return a;
	}
	return NULL;
}

/* READ verbs denied fail (peerscope cannot show them), WRITE verbs denied
 * warn (its operations will be refused). */
static void rbac(const struct pf_cluster *c, struct pf_draft *r, const char *const *resources,
                 size_t n, const char *sub, const char *const *read, const char *const *write,
                 const char *grant_fix)
{
	const struct store_snapshot *s = c->s;
	const struct preflight_live *l = c->live;
	size_t asked = 0, read_denied = 0, write_denied = 0;
	char kc[200];

	if (pf_no_kube(s, r))
		return;
	if (!l->access_known) {
		if (l->access_why && *l->access_why)
			pf_verdict(r, PREFLIGHT_UNKNOWN, "%s", l->access_why);
		else
			pf_verdict(r, PREFLIGHT_UNKNOWN,
			           "not fetched yet: access reviews of %s%s%s%s", resources[0],
			           n > 1 ? ", " : "", n > 1 ? resources[1] : "",
			           n > 2 ? ", ..." : "");
		pf_fix(r, "check by hand: %s auth can-i --list", pf_kubectl(s, kc, sizeof kc));
		return;
	}
	pf_verdict(r, PREFLIGHT_OK, "access reviews:");
	for (int pass = 0; pass < 2; pass++)
		for (const char *const *v = pass ? write : read; v && *v; v++)
			for (size_t i = 0; i < n; i++) {
				const struct preflight_access *a = review(l, *v, resources[i], sub);
				if (!a)
					continue;
				asked++;
				if (a->allowed)
					continue;
				pf_more(r, " %s %s%s%s denied;", *v, resources[i], *sub ? "/" : "",
				        sub);
				if (pass)
					write_denied++;
				else
					read_denied++;
			}
	if (!asked) {
		pf_verdict(r, PREFLIGHT_UNKNOWN, "not fetched yet: access reviews of %s",
		           resources[0]);
		pf_fix(r, "check by hand: %s auth can-i --list", pf_kubectl(s, kc, sizeof kc));
		return;
	}
	pf_seen(r, "%zu of %zu denied", read_denied + write_denied, asked);
	pf_required(r, "every verb allowed");
	if (!read_denied && !write_denied) {
		pf_more(r, " %zu verb%s allowed", asked, asked == 1 ? "" : "s");
		return;
	}
	r->verdict = read_denied ? PREFLIGHT_FAIL : PREFLIGHT_WARN;
	pf_fix(r, "%s create role peerscope %s, and a rolebinding of it to peerscope's user",
	       pf_kubectl(s, kc, sizeof kc), grant_fix);
}

static const char *const reads[] = {"get", "list", "watch", NULL};
static const char *const writes[] = {"create", "update", "patch", "delete", NULL};

void pf_rbac_peering(const struct pf_cluster *c, struct pf_draft *r)
{
	static const char *const res[] = {"peeringacceptors", "peeringdialers", "secrets"};

	rbac(c, r, res, 3, "", reads, writes,
	     "--verb=get,list,watch,create,update,patch,delete "
	     "--resource=peeringacceptors.consul.hashicorp.com,peeringdialers.consul.hashicorp.com,"
	     "secrets");
}

void pf_rbac_config_entries(const struct pf_cluster *c, struct pf_draft *r)
{
	static const char *const res[] = {"meshes", "proxydefaults", "exportedservices"};

	rbac(c, r, res, 3, "", reads, writes,
	     "--verb=get,list,watch,create,update,patch,delete "
	     "--resource=meshes.consul.hashicorp.com,proxydefaults.consul.hashicorp.com,"
	     "exportedservices.consul.hashicorp.com");
}

void pf_rbac_service_proxy(const struct pf_cluster *c, struct pf_draft *r)
{
	static const char *const res[] = {"services"};
	static const char *const get[] = {"get", NULL};
	static const char *const post[] = {"create", NULL};

	if (pf_no_kube(c->s, r))
		return;
	if (!c->s->consul_via_proxy) {
		char shown[512];
		redact_url(c->s->consul_address, shown, sizeof shown);
		pf_verdict(r, PREFLIGHT_SKIP, "Consul is reached directly at %s", shown);
		return;
	}
	rbac(c, r, res, 1, "proxy", get, post, "--verb=get,create --resource=services/proxy");
}

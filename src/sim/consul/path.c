/* peerscope-sim, Consul half: the cross-peer data path, which Consul's API
 * does not carry, as the control API's probe reports it: a simulated call
 * from a service of one cluster to a service it imports from a peer, hop by
 * hop, and the verdict of the destination's intentions. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

/* One hop of the path: where the call goes and whether it gets through. */
static void hop(cJSON *hops, const char *what, const struct sim_cluster *c, const char *name,
                const char *address, const char *health, const char *broken)
{
	cJSON *h = cJSON_CreateObject();

	if (!h)
		return;
	cJSON_AddStringToObject(h, "hop", what);
	cJSON_AddStringToObject(h, "cluster", c->name);
	if (name)
		cJSON_AddStringToObject(h, "name", name);
	if (address)
		cJSON_AddStringToObject(h, "address", address);
	if (health)
		cJSON_AddStringToObject(h, "health", health);
	cJSON_AddBoolToObject(h, "ok", !broken);
	if (broken)
		cJSON_AddStringToObject(h, "broken", broken);
	cJSON_AddItemToArray(hops, h);
}

/* The first passing gateway of C's partition PART, else the first one. */
static const struct simc_inst *gateway_of(const struct sim_cluster *c, const char *part)
{
	const struct simc_service *g = simc_service_find_in(c->consul, part, "mesh-gateway");

	for (int i = 0; g && i < g->ninst; i++)
		if (!strcmp(g->inst[i].status, "passing"))
			return &g->inst[i];
	return g && g->ninst ? &g->inst[0] : NULL;
}

/* The verdict of DST's intentions for a call to SVC from service FROM of
 * the peer DST knows as PEER_ON_DST (agent/structs/config_entry_intentions.go:
 * sources by precedence, exact names before "*"; the entry for SVC, else the
 * wildcard entry; none matching: the default, which follows the ACL default
 * policy: deny with ACLs on, allow without). Fills the intention object I;
 * true when the call is allowed. */
static bool intention_verdict(struct sim_cluster *dst, const char *dpart, const char *svc,
                              const char *from, const char *peer_on_dst, cJSON *i)
{
	const char *names[] = {svc, "*"};

	for (int k = 0; k < 2; k++) {
		const struct simc_config *e =
		        simc_config_find(dst->consul, dpart, "service-intentions", names[k]);
		const cJSON *src, *list = e ? cJSON_GetObjectItem(e->entry, "Sources") : NULL;
		cJSON_ArrayForEach(src, list)
		{
			const char *sn = cJSON_GetStringValue(cJSON_GetObjectItem(src, "Name"));
			const char *sp = cJSON_GetStringValue(cJSON_GetObjectItem(src, "Peer"));
			if (!sn || !sp || strcmp(sp, peer_on_dst) ||
			    (strcmp(sn, "*") && (!from || strcmp(sn, from))))
				continue;
			const char *act = cJSON_GetStringValue(cJSON_GetObjectItem(src, "Action"));
			bool l7 = !act || !*act;
			cJSON_AddStringToObject(i, "entry", names[k]);
			cJSON_AddStringToObject(i, "source", sn);
			cJSON_AddStringToObject(i, "peer", sp);
			cJSON_AddNumberToObject(
			        i, "precedence",
			        cJSON_GetNumberValue(cJSON_GetObjectItem(src, "Precedence")));
			/* L7 permissions match requests, not connections: the probe's
			 * connection is let through to be judged per request. */
			cJSON_AddStringToObject(i, "action", l7 ? "permissions" : act);
			return l7 || !strcmp(act, "allow");
		}
	}
	bool deny = dst->install.acls_enabled;
	cJSON_AddStringToObject(i, "entry", "");
	cJSON_AddStringToObject(i, "source", "default");
	cJSON_AddStringToObject(i, "action", deny ? "deny" : "allow");
	return !deny;
}

cJSON *simc_path_probe(struct sim_cluster *c, const char *part, const char *peer, const char *svc,
                       const char *from)
{
	cJSON *o = cJSON_CreateObject(), *hops = cJSON_CreateArray(), *intent = NULL;
	struct simc_peering *p = simc_peering_find(c->consul, part, peer), *other;
	struct sim_cluster *src = NULL;
	char reason[320] = "", route[256] = "", warning[256] = "", addr[80];
	const char *mode = "remote", *configured = NULL;

	if (!o || !hops) {
		cJSON_Delete(o);
		cJSON_Delete(hops);
		return NULL;
	}
	hop(hops, "sidecar", c, from ? from : "(caller)", NULL, NULL, NULL);
	if (!p) {
		snprintf(reason, sizeof reason, "%s has no peering named \"%s\"", c->name, peer);
		goto out;
	}
	const char *st = simc_peering_state(c, p);
	other = simc_peering_other(c, p, &src);
	if (strcmp(st, "ACTIVE") || !other) {
		snprintf(reason, sizeof reason, "peering \"%s\" is %s, not ACTIVE", peer, st);
		goto out;
	}
	const struct simc_service *s = simc_imported(c, part, peer, svc, &src);
	if (!s) {
		snprintf(reason, sizeof reason, "%s does not export \"%s\" to this cluster",
		         src->name, svc);
		goto out;
	}
	const char *m = simc_config_gateway_mode(c, part, from, svc, peer);
	if (m && *m)
		mode = m;
	configured = mode;
	if (!strcmp(mode, "none")) {
		/* The endpoints Consul generates for a peered upstream are the
		 * exporter's mesh gateways whatever the mode unless it is local
		 * (agent/xds/endpoints.go): none routes as remote. The proxy logs
		 * a warning (the wording here is the simulator's). */
		snprintf(warning, sizeof warning,
		         "mesh gateway mode \"none\" is not supported for the peered upstream "
		         "\"%s\"; routing through the peer's mesh gateways as in mode \"remote\"",
		         svc);
		mode = "remote";
	}
	if (!strcmp(mode, "local")) {
		const struct simc_inst *g = gateway_of(c, part);
		bool up = simc_gateways_count_in(c, part, true) > 0;
		if (g)
			snprintf(addr, sizeof addr, "%s:%d", g->address, g->port);
		if (!up)
			snprintf(reason, sizeof reason,
			         "mesh gateway mode \"local\" needs a healthy mesh gateway in %s; "
			         "there is none, so the upstream has no route",
			         c->name);
		hop(hops, "local mesh gateway", c, g ? g->id : NULL, g ? addr : NULL,
		    g ? g->status : "absent", up ? NULL : reason);
		if (!up)
			goto out;
	}
	/* The exporter's gateway must be registered in the partition of the
	 * exported service (the Enterprise rule; one partition in CE). */
	const struct simc_inst *rg = src->running ? gateway_of(src, other->partition) : NULL;
	bool rup = src->running && simc_gateways_count_in(src, other->partition, true) > 0;
	if (!rup) {
		if (src->running && *other->partition && simc_gateways_count(src, true))
			snprintf(reason, sizeof reason,
			         "%s has no healthy mesh gateway in partition %s, where \"%s\" is "
			         "exported from (its gateways are in another partition)",
			         src->name, other->partition, svc);
		else
			snprintf(reason, sizeof reason,
			         "%s has no healthy mesh gateway to receive the traffic",
			         src->name);
	}
	if (rg)
		snprintf(addr, sizeof addr, "%s:%d", rg->wan_addr, rg->wan_port);
	hop(hops, "peer mesh gateway", src, rg ? rg->id : NULL, rg ? addr : NULL,
	    rg ? rg->status : "absent", rup ? NULL : reason);
	if (!rup)
		goto out;
	/* The destination's sidecar enforces its intentions. */
	int passing = 0;
	for (int i = 0; i < s->ninst; i++)
		passing += !strcmp(s->inst[i].status, "passing");
	intent = cJSON_CreateObject();
	bool allowed =
	        intent && intention_verdict(src, other->partition, svc, from, other->name, intent);
	char why[320] = "";
	if (!passing)
		snprintf(why, sizeof why, "%s has no passing instance of \"%s\"", src->name, svc);
	else if (!allowed)
		snprintf(why, sizeof why,
		         "intentions deny it: %s's sidecar of \"%s\" refuses \"%s\" from peer "
		         "\"%s\" "
		         "(%s)",
		         src->name, svc, from ? from : "the caller", other->name,
		         !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(intent, "source")),
		                 "default")
		                 ? "no intention matches; the default policy is deny"
		                 : "a deny intention");
	hop(hops, "service", src, svc, NULL, passing ? "passing" : "critical", why[0] ? why : NULL);
	if (why[0]) {
		snprintf(reason, sizeof reason, "%s", why);
		goto out;
	}
	if (!strcmp(mode, "local"))
		snprintf(route, sizeof route, "sidecar -> %s mesh-gateway -> %s mesh-gateway -> %s",
		         c->name, src->name, svc);
	else
		snprintf(route, sizeof route, "sidecar -> %s mesh-gateway -> %s", src->name, svc);
out:
	cJSON_AddStringToObject(o, "cluster", c->name);
	cJSON_AddStringToObject(o, "peer", peer);
	cJSON_AddStringToObject(o, "service", svc);
	if (from)
		cJSON_AddStringToObject(o, "from", from);
	cJSON_AddStringToObject(o, "mode", configured ? configured : mode);
	cJSON_AddStringToObject(o, "effective_mode", mode);
	cJSON_AddBoolToObject(o, "ok", reason[0] == '\0');
	if (warning[0])
		cJSON_AddStringToObject(o, "warning", warning);
	if (reason[0])
		cJSON_AddStringToObject(o, "reason", reason);
	else
		cJSON_AddStringToObject(o, "route", route);
	cJSON_AddItemToObject(o, "hops", hops);
	if (intent)
		cJSON_AddItemToObject(o, "intention", intent);
	return o;
}

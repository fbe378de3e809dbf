/* peerscope-sim, Consul half: the cross-peer data path, which Consul's API
 * does not carry, as the control API's probe reports it. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

cJSON *simc_path_probe(struct sim_cluster *c, const char *part, const char *peer, const char *svc,
                       const char *from)
{
	cJSON *o = cJSON_CreateObject();
	struct simc_peering *p = simc_peering_find(c->consul, part, peer), *other;
	struct sim_cluster *src = NULL;
	char reason[256] = "", route[256] = "", warning[256] = "";
	const char *mode = "remote", *configured = NULL;

	if (!o)
		return NULL;
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
	if (!simc_imported(c, part, peer, svc, &src)) {
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
	if (!strcmp(mode, "local") && simc_gateways_count_in(c, part, true) == 0) {
		snprintf(reason, sizeof reason,
		         "mesh gateway mode \"local\" needs a healthy mesh gateway in %s; there is "
		         "none, so the upstream has no route",
		         c->name);
		goto out;
	}
	/* The exporter's gateway must be registered in the partition of the
	 * exported service (the Enterprise rule; one partition in CE). */
	if (!src->running || simc_gateways_count_in(src, other->partition, true) == 0) {
		if (src->running && *other->partition && simc_gateways_count(src, true))
			snprintf(reason, sizeof reason,
			         "%s has no healthy mesh gateway in partition %s, where \"%s\" is "
			         "exported from (its gateways are in another partition)",
			         src->name, other->partition, svc);
		else
			snprintf(reason, sizeof reason,
			         "%s has no healthy mesh gateway to receive the traffic",
			         src->name);
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
	cJSON_AddStringToObject(o, "mode", configured ? configured : mode);
	cJSON_AddStringToObject(o, "effective_mode", mode);
	cJSON_AddBoolToObject(o, "ok", reason[0] == '\0');
	if (warning[0])
		cJSON_AddStringToObject(o, "warning", warning);
	if (reason[0])
		cJSON_AddStringToObject(o, "reason", reason);
	else
		cJSON_AddStringToObject(o, "route", route);
	return o;
}

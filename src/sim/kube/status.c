/* peerscope-sim, Kubernetes half: Status errors and JSON replies, as the
 * API server shapes them. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

void simk_send_json(struct sim_resp *resp, int status, cJSON *obj)
{
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;

	cJSON_Delete(obj);
	if (!text) {
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	sim_resp_json(resp, status, text);
}

void simk_qualified(const struct simk_rtype *t, char *buf, size_t len)
{
	if (*t->group)
		snprintf(buf, len, "%s.%s", t->plural, t->group);
	else
		snprintf(buf, len, "%s", t->plural);
}

void simk_status_error(struct sim_resp *resp, int code, const char *reason, const char *message,
                       const char *name, const char *group, const char *kind, cJSON *causes)
{
	cJSON *st = cJSON_CreateObject();
	cJSON *details = NULL;

	if (!st) {
		cJSON_Delete(causes);
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	cJSON_AddStringToObject(st, "kind", "Status");
	cJSON_AddStringToObject(st, "apiVersion", "v1");
	cJSON_AddItemToObject(st, "metadata", cJSON_CreateObject());
	cJSON_AddStringToObject(st, "status", "Failure");
	cJSON_AddStringToObject(st, "message", message);
	if (reason && *reason)
		cJSON_AddStringToObject(st, "reason", reason);
	if (name || group || kind || causes) {
		details = cJSON_AddObjectToObject(st, "details");
		if (details && name)
			cJSON_AddStringToObject(details, "name", name);
		if (details && group && *group)
			cJSON_AddStringToObject(details, "group", group);
		if (details && kind)
			cJSON_AddStringToObject(details, "kind", kind);
		if (details && causes)
			cJSON_AddItemToObject(details, "causes", causes);
		else
			cJSON_Delete(causes);
	}
	cJSON_AddNumberToObject(st, "code", code);
	simk_send_json(resp, code, st);
}
